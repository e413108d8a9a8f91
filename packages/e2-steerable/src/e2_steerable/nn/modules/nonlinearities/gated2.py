""":class:`GatedNonLinearity2`: gate fields by sigmoids of scalar fields of a second tensor."""

from __future__ import annotations

import copy
from typing import Any, cast

import torch
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._fields import E2cnnStateMixin, group_offsets, keyed_runs
from e2_steerable.nn.modules.equivariant_module import EquivariantModule, is_exact_element
from e2_steerable.nn.modules.export.activations import GatedActivation, gate_values, gated_output

__all__ = ["GatedNonLinearity2"]


class GatedNonLinearity2(E2cnnStateMixin, EquivariantModule):
    r"""Multiply every gated field by the sigmoid of one gate: :math:`v\,\sigma(g - b)`, with the
    gates and the gated fields in two tensors.

    ``in_type`` is the pair ``(gates_type, gated_type)`` (same gspace, same number of fields);
    the gates must be trivial, the gated fields must support ``'gated'``. The ``k``-th gate drives
    the ``k``-th gated field when these are sorted (stably) by size, as in e2cnn. ``bias`` (shape
    ``(1, n_gates, 1, 1)``) is learnable. :meth:`forward` takes ``(gates, input)``; so does the
    exported module.

    Args:
        in_type: the pair of field types ``(gates, gated)``.

    Shape:
        - gates: :math:`(B, G, H, W)`; input: :math:`(B, C, H, W)`
        - output: :math:`(B, C, H, W)`

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GatedNonLinearity2, GeometricTensor
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> gates, gated = FieldType(gs, [gs.trivial_repr] * 2), FieldType(gs, [gs.irrep(1)] * 2)
        >>> act = GatedNonLinearity2((gates, gated))
        >>> g = GeometricTensor(torch.randn(1, 2, 4, 4), gates)
        >>> act(g, GeometricTensor(torch.randn(1, 4, 4, 4), gated)).shape
        torch.Size([1, 4, 4, 4])
    """

    def __init__(self, in_type: tuple[FieldType, FieldType], **kwargs: object) -> None:
        super().__init__()
        name = "GatedNonLinearity2"
        if kwargs:
            raise TypeError(f"{name}: unexpected keyword arguments {sorted(kwargs)}")
        if (
            not isinstance(in_type, (tuple, list))
            or len(in_type) != 2
            or not all(isinstance(t, FieldType) for t in in_type)
        ):
            raise TypeError(f"{name}: `in_type` must be a pair of FieldTypes (gates, gated)")
        gates_type, gated_type = in_type
        if gates_type.gspace != gated_type.gspace:
            raise ValueError(f"{name}: the two field types must share one gspace")
        for i, rep in enumerate(gates_type.representations):
            if not rep.is_trivial():
                raise ValueError(f"{name}: gate field {i} ('{rep.name}') must be trivial")
        for i, rep in enumerate(gated_type.representations):
            if "gated" not in rep.supported_nonlinearities:
                raise ValueError(
                    f"{name}: gated field {i} ('{rep.name}') does not support 'gated' "
                    f"non-linearities (it supports {sorted(rep.supported_nonlinearities)})"
                )
        if len(gates_type) != len(gated_type):
            raise ValueError(
                f"{name}: the number of gates ({len(gates_type)}) must equal the number of gated "
                f"fields ({len(gated_type)})"
            )
        self.in_type = (gates_type, gated_type)  # type: ignore[assignment]
        self.out_type = gated_type
        sizes: list[int] = list(gated_type._sizes)
        order = sorted(set(sizes))
        offsets = group_offsets(sizes, order)
        self._gate_runs = [(0, gates_type.size)]
        self._out_runs = [
            (
                1,
                r.channel_start,
                r.channel_end,
                sizes[r.field_start],  # the run's key: the size of its fields
                offsets[r.key] + r.rank,
                offsets[r.key] + r.rank + r.nfields,
            )
            for r in keyed_runs(gated_type, sizes)
        ]
        self.bias = nn.Parameter(torch.randn(1, len(gates_type), 1, 1))
        self._legacy_keys = tuple(f"indices_{s}" for s in order)

    @property
    def _in_pair(self) -> tuple[FieldType, FieldType]:
        """``in_type``: the pair ``(gates_type, gated_type)``."""
        return cast("tuple[FieldType, FieldType]", self.in_type)

    def forward(self, gates: GeometricTensor, input: GeometricTensor) -> GeometricTensor:  # type: ignore[override]
        """Gate the fields of ``input`` with ``gates``."""
        gates_type, gated_type = self._in_pair
        for arg, tensor, ft in (("gates", gates, gates_type), ("input", input, gated_type)):
            if not isinstance(tensor, GeometricTensor):
                raise TypeError(
                    f"GatedNonLinearity2: `{arg}` must be a GeometricTensor, got "
                    f"{type(tensor).__name__}"
                )
            if tensor.type != ft:
                raise ValueError(
                    f"GatedNonLinearity2: `{arg}` has field type {tensor.type}, expected {ft}"
                )
        g = gate_values(gates.tensor, self._gate_runs, self.bias, 1)
        return GeometricTensor(gated_output(g, input.tensor, self._out_runs), self.out_type)

    def evaluate_output_shape(self, input_shape: Any) -> tuple[int, ...]:
        """Output shape for the pair of shapes ``(gates_shape, input_shape)``."""
        gates_type, gated_type = self._in_pair
        gates_shape, shape = (tuple(int(v) for v in s) for s in input_shape)
        if (
            len(shape) < 2
            or shape[1] != gated_type.size
            or len(gates_shape) != len(shape)
            or gates_shape[1] != gates_type.size
            or gates_shape[0] != shape[0]
            or gates_shape[2:] != shape[2:]
        ):
            raise ValueError(
                f"GatedNonLinearity2: expected shapes ((B, {gates_type.size}, ...), "
                f"(B, {gated_type.size}, ...)) with equal batch and spatial sizes, got "
                f"{input_shape}"
            )
        return shape

    def check_equivariance(  # type: ignore[override]
        self, atol: float = 1e-7, rtol: float = 1e-5, spatial_size: int = 9
    ) -> list[tuple[Any, float]]:
        """Equivariance error for every exact element, on random ``(gates, input)``."""
        gates_type, gated_type = self._in_pair
        gs = gates_type.gspace
        model = copy.deepcopy(self).to(torch.float64).eval()
        g_in = GeometricTensor(
            torch.randn(2, gates_type.size, spatial_size, spatial_size, dtype=torch.float64),
            gates_type,
        )
        x_in = GeometricTensor(
            torch.randn(2, gated_type.size, spatial_size, spatial_size, dtype=torch.float64),
            gated_type,
        )
        results = []
        with torch.no_grad():
            y = model(g_in, x_in)
            for el in [e for e in gates_type.testing_elements if is_exact_element(gs, e)]:
                moved = y.transform(el).tensor
                out = model(g_in.transform(el), x_in.transform(el)).tensor
                err = float((out - moved).norm() / moved.norm().clamp_min(1e-300))
                if not torch.allclose(out, moved, atol=atol, rtol=rtol):
                    raise AssertionError(f"GatedNonLinearity2 is not equivariant for {el!r}: {err}")
                results.append((el, err))
        return results

    def export(self) -> GatedActivation:
        """Plain-torch :class:`~e2_steerable.nn.GatedActivation` taking
        ``(gates, input)``."""
        self.eval()
        return GatedActivation(
            self._gate_runs, self.bias, 1, self._out_runs, separate_gates=True
        ).eval()
