""":class:`GatedNonLinearity1`: gate fields by sigmoids of scalar gate fields of the same tensor."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import torch
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules._fields import E2cnnStateMixin, group_offsets, keyed_runs
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.activations import GatedActivation, gate_values, gated_output

__all__ = ["GATED_ID", "GATES_ID", "GatedNonLinearity1"]

GATES_ID = "gate"
GATED_ID = "gated"


def default_gates(module: str, n_fields: int, gates: Sequence[str] | None) -> list[str]:
    """``gates``, checked; by default the first half of the fields gate the second half."""
    if gates is None:
        if n_fields % 2:
            raise ValueError(
                f"{module}: with `gates=None` the first half of the fields are the gates, which "
                f"needs an even number of fields, got {n_fields}"
            )
        return [GATES_ID] * (n_fields // 2) + [GATED_ID] * (n_fields // 2)
    gates = list(gates)
    if len(gates) != n_fields:
        raise ValueError(
            f"{module}: `gates` must have one entry per field ({n_fields}), got {len(gates)}"
        )
    for i, g in enumerate(gates):
        if g not in (GATES_ID, GATED_ID):
            raise ValueError(
                f"{module}: `gates[{i}]` must be '{GATES_ID}' or '{GATED_ID}', got {g!r}"
            )
    n_gates = gates.count(GATES_ID)
    if n_gates != n_fields - n_gates:
        raise ValueError(
            f"{module}: the number of gates ({n_gates}) must equal the number of gated fields "
            f"({n_fields - n_gates})"
        )
    return gates


def gating_plan(
    in_type: FieldType,
    gates: Sequence[str],
    gated_keys: Sequence[Hashable],
    subfield: dict[Hashable, int],
    gate_size: int,
    drop_gates: bool,
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int, int, int, int]]]:
    """The gate channel ranges and the output runs of :class:`GatedActivation`.

    Gate ``k`` (in input order) drives the ``k``-th gated field when the gated fields are listed
    grouped by key in sorted order (stable), as e2cnn pairs them.

    Args:
        in_type: the input type holding gates and gated fields.
        gates: ``'gate'`` or ``'gated'`` per field.
        gated_keys: the grouping key of every gated field (in input order).
        subfield: per key, the size of the channel groups each gate channel multiplies.
        gate_size: channels per gate field.
        drop_gates: leave the gates out of the output.
    """
    keys: list[Hashable] = []
    it = iter(gated_keys)
    for g in gates:
        keys.append(GATES_ID if g == GATES_ID else next(it))
    gated_only = [k for k in keys if k != GATES_ID]
    offsets = group_offsets(gated_only, sorted(set(gated_only)))  # type: ignore[type-var]
    gate_runs: list[tuple[int, int]] = []
    out_runs: list[tuple[int, int, int, int, int, int]] = []
    gated_rank: dict[Hashable, int] = {}
    next_gate = 0
    for run in keyed_runs(in_type, keys):
        if run.key == GATES_ID:
            gate_runs.append((run.channel_start, run.channel_end))
            g0 = next_gate * gate_size
            next_gate += run.nfields
            if not drop_gates:
                out_runs.append((0, 0, 0, 1, g0, next_gate * gate_size))
        else:
            rank = gated_rank.get(run.key, 0)
            gated_rank[run.key] = rank + run.nfields
            first = (offsets[run.key] + rank) * gate_size
            last = first + run.nfields * gate_size
            out_runs.append((1, run.channel_start, run.channel_end, subfield[run.key], first, last))
    return gate_runs, out_runs


class GatedNonLinearity1(E2cnnStateMixin, EquivariantModule):
    r"""Multiply every gated field by the sigmoid of a scalar gate: :math:`v\,\sigma(g - b)`.

    Gates and gated fields share the input tensor; ``gates`` says which field is which (by
    default the first half are gates). Gate fields must be trivial; gated fields must support
    ``'gated'`` non-linearities. As in e2cnn, the ``k``-th gate drives the ``k``-th gated field
    when the gated fields are sorted (stably) by size. ``bias`` (shape ``(1, n_gates, 1, 1)``) is
    learnable.

    Args:
        in_type: the input field type.
        gates: ``'gate'`` or ``'gated'`` for every field, or ``None``.
        drop_gates: if ``True`` (default) the output holds only the gated fields; otherwise the
            gate activations stay in place.

    Shape:
        - input: :math:`(B, C_{in}, H, W)`
        - output: :math:`(B, C_{out}, H, W)`, with :math:`C_{out}` the size of
          :attr:`~e2_steerable.nn.EquivariantModule.out_type`

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GatedNonLinearity1, GeometricTensor
        >>> gs = gspaces.Rot2dOnR2(-1, maximum_frequency=2)
        >>> ft = FieldType(gs, [gs.trivial_repr] * 2 + [gs.irrep(1), gs.irrep(2)])
        >>> gate = GatedNonLinearity1(ft)
        >>> gate(GeometricTensor(torch.randn(3, 6, 5, 5), ft)).shape
        torch.Size([3, 4, 5, 5])
    """

    def __init__(
        self,
        in_type: FieldType,
        gates: Sequence[str] | None = None,
        drop_gates: bool = True,
        **kwargs: object,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        require_field_type(name, in_type)
        if kwargs:
            raise TypeError(f"{name}: unexpected keyword arguments {sorted(kwargs)}")
        gates = default_gates(name, len(in_type), gates)
        self.in_type = in_type
        self.drop_gates = bool(drop_gates)
        self._gates = gates
        gated_keys, subfield, gate_size = self._check_fields(in_type, gates)
        self._gate_size = gate_size
        self._gate_runs, self._out_runs = gating_plan(
            in_type, gates, gated_keys, subfield, gate_size, self.drop_gates
        )
        if self.drop_gates:
            self.out_type = in_type.index_select([i for i, g in enumerate(gates) if g == GATED_ID])
        else:
            self.out_type = in_type
        n_gates = gates.count(GATES_ID)
        self.bias = nn.Parameter(torch.randn(self._bias_shape(n_gates)))
        types = [GATES_ID, *sorted(set(gated_keys))]  # type: ignore[type-var]
        self._legacy_keys = (
            *(f"input_indices_{t}" for t in types),
            *(f"output_indices_{t}" for t in types),
            "gates_indices",
        )

    def _check_fields(
        self, in_type: FieldType, gates: list[str]
    ) -> tuple[list[Hashable], dict[Hashable, int], int]:
        """Validate the fields; return the gated fields' keys, the per-key group size and the
        gate size."""
        keys: list[Hashable] = []
        for i, (g, rep) in enumerate(zip(gates, in_type.representations)):
            if g == GATES_ID and not rep.is_trivial():
                raise ValueError(
                    f"{type(self).__name__}: field {i} ('{rep.name}') is a gate, so it must be "
                    "trivial"
                )
            if g == GATED_ID:
                if "gated" not in rep.supported_nonlinearities:
                    raise ValueError(
                        f"{type(self).__name__}: field {i} ('{rep.name}') does not support "
                        f"'gated' non-linearities (it supports "
                        f"{sorted(rep.supported_nonlinearities)})"
                    )
                keys.append(int(rep.size))
        return keys, {k: int(k) for k in keys}, 1  # type: ignore[call-overload]

    def _bias_shape(self, n_gates: int) -> tuple[int, ...]:
        return (1, n_gates, 1, 1)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Gate the gated fields of ``input``."""
        x = self._check_input(input).tensor
        gates = gate_values(x, self._gate_runs, self.bias, self._gate_size)
        return GeometricTensor(gated_output(gates, x, self._out_runs), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, out_type.size, *spatial)``."""
        shape = self._check_input_shape(input_shape)
        return (shape[0], self.out_type.size, *shape[2:])

    def export(self) -> GatedActivation:
        """The equivalent plain-torch :class:`~e2_steerable.nn.GatedActivation`."""
        self.eval()
        return GatedActivation(self._gate_runs, self.bias, self._gate_size, self._out_runs).eval()

    def extra_repr(self) -> str:
        return f"drop_gates={self.drop_gates}, type={self.in_type}"
