"""Field bookkeeping shared by the field-wise modules: runs of fields, per-group layouts and
checkpoint checks (inputs are checked by :meth:`EquivariantModule._check_input`).

Everything here is computed once, at construction, as Python ints, so that ``forward`` only slices
with constant bounds (friendly to ``torch.compile`` and to the exporters).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, NamedTuple

from e2_steerable.nn.field_type import FieldType

__all__ = [
    "E2cnnStateMixin",
    "Run",
    "drop_legacy_keys",
    "group_offsets",
    "keyed_runs",
]


class Run(NamedTuple):
    """Consecutive fields sharing one key.

    Attributes:
        key: the shared key (e.g. the field size or the representation name).
        field_start: index of the first field of the run.
        field_end: one past the index of the last field.
        channel_start: first channel of the run.
        channel_end: one past the last channel.
        rank: index of the run's first field among all fields with the same key.
    """

    key: Hashable
    field_start: int
    field_end: int
    channel_start: int
    channel_end: int
    rank: int

    @property
    def nfields(self) -> int:
        """Number of fields in the run."""
        return self.field_end - self.field_start


def keyed_runs(field_type: FieldType, keys: Sequence[Hashable]) -> list[Run]:
    """Split the fields of ``field_type`` into maximal runs of consecutive equal ``keys``.

    Args:
        field_type: the field type.
        keys: one key per field.

    Returns:
        The runs in field order.

    Example:
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> ft = FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])
        >>> [tuple(r) for r in keyed_runs(ft, ft._sizes)]
        [(4, 0, 1, 0, 4, 0), (1, 1, 2, 4, 5, 0), (4, 2, 3, 5, 9, 1)]
    """
    keys = list(keys)
    if len(keys) != len(field_type):
        raise ValueError(f"keyed_runs: expected {len(field_type)} keys, got {len(keys)}")
    starts, ends = field_type._starts, field_type._ends
    seen: dict[Hashable, int] = {}
    runs: list[Run] = []
    f = 0
    while f < len(keys):
        end = f
        while end < len(keys) and keys[end] == keys[f]:
            end += 1
        rank = seen.get(keys[f], 0)
        runs.append(Run(keys[f], f, end, starts[f], ends[end - 1], rank))
        seen[keys[f]] = rank + end - f
        f = end
    return runs


def group_offsets(keys: Iterable[Hashable], order: Sequence[Hashable]) -> dict[Hashable, int]:
    """Offset of each key's block when per-field values are stored grouped by key in ``order``.

    Args:
        keys: one key per field.
        order: the order of the groups in the storage.

    Returns:
        ``{key: index of the key's first value in the storage}``.
    """
    counts: dict[Hashable, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    offsets: dict[Hashable, int] = {}
    total = 0
    for k in order:
        offsets[k] = total
        total += counts.get(k, 0)
    return offsets


def drop_legacy_keys(
    state_dict: dict[str, Any], prefix: str, own_keys: Iterable[str], legacy: Iterable[str]
) -> None:
    """Remove from ``state_dict`` the keys ``prefix + name`` for ``name`` in ``legacy`` that this
    module does not have (e2cnn 0.2.3 stores index buffers and constants we do not need).
    """
    own = set(own_keys)
    for name in legacy:
        if name not in own:
            state_dict.pop(prefix + name, None)


class E2cnnStateMixin:
    """Load e2cnn 0.2.3 state dicts: drop the index buffers and constants e2cnn saves but this
    module does not need (listed per instance in ``_legacy_keys``)."""

    _legacy_keys: tuple[str, ...] = ()

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        own = set(self._parameters) | set(self._buffers)  # type: ignore[attr-defined]
        drop_legacy_keys(state_dict, prefix, own, self._legacy_keys)
        super()._load_from_state_dict(state_dict, prefix, *args)  # type: ignore[misc]
