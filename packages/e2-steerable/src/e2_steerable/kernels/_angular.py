"""Angular solutions of the kernel constraint for one pair of irreps of a subgroup of O(2).

For input irrep :math:`\\psi_n` and output irrep :math:`\\psi_m`, every solution is a function of
the angle :math:`\\theta` of one of four shapes (``(out, in)`` sizes), with
:math:`x = \\mu\\theta + \\gamma`:

* ``2x2``: :math:`R(x)\\,\\mathrm{diag}(1, (-1)^s)`;
* ``2x1``: :math:`[\\cos x, \\sin x]^T`; ``1x2``: :math:`[\\cos x, \\sin x]`;
* ``1x1``: :math:`\\cos x`.

A solution is described by its frequency ``mu``, phase ``gamma``, flip ``s`` and aliasing offset
``t`` (:math:`\\mu = k_0 + tN` for the finite groups). The rules per group follow the research notes
(§2.3): rotations use both phases, reflection groups fix the phase by the flip frequencies and
measure :math:`\\theta` from the reflection axis.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["AngularTable", "GroupKind", "angular_table", "evaluate"]

HALF_PI = math.pi / 2


@dataclass(frozen=True)
class GroupKind:
    """What the kernel solver needs to know about a gspace's group.

    Attributes:
        kind: ``"C"`` (cyclic, including the trivial group), ``"D"`` (dihedral), ``"SO2"``,
            ``"O2"`` or ``"Flip"`` (reflections only).
        N: number of rotations for ``"C"``/``"D"``; ``-1`` for the continuous groups.
        axis: reflection axis (angle) for ``"D"``, ``"O2"`` and ``"Flip"``, else 0.
    """

    kind: str
    N: int
    axis: float = 0.0


@dataclass(frozen=True)
class AngularTable:
    """All angular solutions for one irrep pair, in e2cnn's order (phase, flip, offset)."""

    out_size: int
    in_size: int
    mu: np.ndarray  # int64 (E,)
    gamma: np.ndarray  # float64 (E,)
    s: np.ndarray  # int64 (E,)
    t: np.ndarray  # int64 (E,)

    def __len__(self) -> int:
        return int(self.mu.shape[0])


def _offsets(
    base: int,
    n: int,
    maximum_offset: int | None,
    maximum_frequency: int,
    non_negative: bool = False,
) -> Iterator[int]:
    """Ascending offsets ``t`` with ``|base + t n| <= maximum_frequency`` (``>= 0`` if asked)."""
    if n < 0:
        if abs(base) <= maximum_frequency:
            yield 0
        return
    low = 0 if non_negative else -maximum_frequency
    t_min = (low - base) / n
    t_max = (maximum_frequency - base) / n
    if maximum_offset is not None:
        t_min = max(t_min, -maximum_offset)
        t_max = min(t_max, maximum_offset)
    yield from range(math.ceil(t_min), math.floor(t_max) + 1)


@lru_cache(maxsize=4096)
def angular_table(
    group: GroupKind,
    in_irrep: tuple[int, int, int],
    out_irrep: tuple[int, int, int],
    maximum_frequency: int,
    maximum_offset: int | None,
) -> AngularTable:
    """The angular solutions between two irreps.

    Args:
        group: the group's kind.
        in_irrep: ``(size, frequency, flip_frequency)`` of the input irrep.
        out_irrep: the same for the output irrep.
        maximum_frequency: largest :math:`|\\mu|` listed.
        maximum_offset: largest :math:`|t|` listed (``None``: no limit).

    Returns:
        An :class:`AngularTable`.

    Example:
        >>> table = angular_table(GroupKind("C", 8), (1, 0, 0), (1, 0, 0), 6, None)
        >>> table.mu.tolist(), table.gamma.tolist()
        ([0], [0.0])
    """
    di, n, ji = in_irrep
    do, m, jo = out_irrep
    kind, big_n = group.kind, group.N
    rows: list[tuple[int, float, int, int]] = []
    f = maximum_frequency
    if kind in ("C", "SO2"):
        period = big_n if kind == "C" else -1
        if do == 2 and di == 2:
            for gamma in (0.0, HALF_PI):
                for s in (0, 1):
                    k = m - n * (-1) ** s
                    for t in _offsets(k, period, maximum_offset, f):
                        rows.append((k + t * max(period, 0), gamma, s, t))
        elif do == 2 or di == 2:
            for gamma in (0.0, HALF_PI):
                k = n + m
                for t in _offsets(k, period, maximum_offset, f):
                    rows.append((k + t * max(period, 0), gamma, 0, t))
        else:
            for gamma in (0.0, HALF_PI):
                k = m - n
                for t in _offsets(k, period, maximum_offset, f, non_negative=True):
                    mu = k + t * max(period, 0)
                    if mu > 0 or gamma == 0.0:
                        rows.append((mu, gamma, 0, t))
    elif kind in ("D", "O2"):
        period = big_n if kind == "D" else -1
        if do == 2 and di == 2:
            for s in (0, 1):
                k = m - n * (-1) ** s
                for t in _offsets(k, period, maximum_offset, f):
                    rows.append((k + t * max(period, 0), 0.0, s, t))
        elif do == 2 or di == 2:
            gamma = (ji if di == 1 else jo) * HALF_PI
            k = n + m
            for t in _offsets(k, period, maximum_offset, f):
                rows.append((k + t * max(period, 0), gamma, 0, t))
        else:
            gamma = ((ji + jo) % 2) * HALF_PI
            k = m - n
            for t in _offsets(k, period, maximum_offset, f, non_negative=True):
                mu = k + t * max(period, 0)
                if mu > 0 or gamma == 0.0:
                    rows.append((mu, gamma, 0, t))
    elif kind == "Flip":
        gamma = ((ji + jo) % 2) * HALF_PI
        for t in _offsets(0, 1, maximum_offset, f, non_negative=True):
            if t > 0 or gamma == 0.0:
                rows.append((t, gamma, 0, t))
    else:
        raise ValueError(f"unknown group kind {kind!r}")
    arr = np.array(rows, dtype=np.float64).reshape(-1, 4)
    return AngularTable(
        out_size=do,
        in_size=di,
        mu=arr[:, 0].astype(np.int64),
        gamma=arr[:, 1].copy(),
        s=arr[:, 2].astype(np.int64),
        t=arr[:, 3].astype(np.int64),
    )


def evaluate(
    out_size: int,
    in_size: int,
    mu: np.ndarray,
    gamma: np.ndarray,
    s: np.ndarray,
    theta: np.ndarray,
    at_origin: np.ndarray,
) -> np.ndarray:
    """Sample angular solutions of one shape at the angles ``theta``.

    Args:
        out_size, in_size: the shape of the irrep pair.
        mu, gamma, s: per-element frequency, phase and flip, shape ``(E,)``.
        theta: angles, shape ``(E, P)`` or ``(P,)``.
        at_origin: boolean mask ``(P,)`` of points at the origin, where every element with a
            non-zero frequency is 0.

    Returns:
        Array of shape ``(E, out_size, in_size, P)``.
    """
    x = mu[:, None] * theta + gamma[:, None]
    cos, sin = np.cos(x), np.sin(x)
    if out_size == 2 and in_size == 2:
        sign = np.where(s > 0, -1.0, 1.0)[:, None]
        out = np.stack([np.stack([cos, -sign * sin], 1), np.stack([sin, sign * cos], 1)], 1)
    elif out_size == 2:
        out = np.stack([cos, sin], 1)[:, :, None, :]
    elif in_size == 2:
        out = np.stack([cos, sin], 1)[:, None, :, :]
    else:
        out = cos[:, None, None, :]
    if at_origin.any():
        zero = (mu != 0)[:, None] & at_origin[None, :]
        out = out * (~zero)[:, None, None, :]
    return out
