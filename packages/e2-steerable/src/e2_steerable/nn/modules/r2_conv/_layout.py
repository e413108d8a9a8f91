"""Field layout of a FieldType as ``R`` repetitions of a pattern of runs of equal fields.

Writing a type as a repeated pattern lets the filter be assembled with strided slice copies
(one per pair of runs) instead of advanced-index scatters: the dense filter
``(C_out, C_in, P)`` is viewed as ``(R_out, L_out, R_in, L_in, P)`` and each run pair fills a
rectangular, strided window of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FieldLayout", "Run"]


@dataclass(frozen=True)
class Run:
    """Consecutive fields of one representation inside the pattern.

    Attributes:
        name: representation name.
        count: number of fields in the run.
        channel: first channel of the run inside the pattern.
        rank: number of earlier fields of the same representation inside the pattern.
    """

    name: str
    count: int
    channel: int
    rank: int


class FieldLayout:
    """The ``(repetitions, pattern)`` decomposition of a list of representations.

    Attributes:
        repetitions: ``R``, how many times the pattern repeats.
        pattern_size: ``L``, the number of channels of one pattern.
        runs: the runs of the pattern, in order.
        per_pattern: fields of each representation (by name) inside one pattern.
        representations: one representation object per name.
        fields_of: for each name, the global field indices of that representation, in order.

    Example:
        >>> from e2_steerable import gspaces
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> lay = FieldLayout([gs.trivial_repr, gs.irrep(1)] * 3)
        >>> lay.repetitions, lay.pattern_size, [(r.name, r.channel) for r in lay.runs]
        (3, 3, [('irrep_0', 0), ('irrep_1', 1)])
    """

    def __init__(self, representations: list[Any]) -> None:
        names = [r.name for r in representations]
        n = len(names)
        period = n
        for p in range(1, n + 1):
            if n % p == 0 and all(names[i] == names[i % p] for i in range(n)):
                period = p
                break
        self.repetitions = n // period
        pattern = representations[:period]
        self.representations: dict[str, Any] = {}
        for r in representations:
            self.representations.setdefault(r.name, r)
        runs: list[Run] = []
        channel = 0
        seen: dict[str, int] = {}
        i = 0
        while i < period:
            j = i
            while j < period and names[j] == names[i]:
                j += 1
            name = names[i]
            runs.append(Run(name, j - i, channel, seen.get(name, 0)))
            seen[name] = seen.get(name, 0) + (j - i)
            channel += sum(r.size for r in pattern[i:j])
            i = j
        self.runs = runs
        self.pattern_size = channel
        self.per_pattern = seen
        self.fields_of: dict[str, list[int]] = {}
        for idx, name in enumerate(names):
            self.fields_of.setdefault(name, []).append(idx)
