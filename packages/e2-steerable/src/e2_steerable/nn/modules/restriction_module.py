""":class:`RestrictionModule`: view a tensor as one of a subgroup's gspace."""

from __future__ import annotations

import copy
from collections.abc import Hashable
from typing import Any

import torch
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules.equivariant_module import EquivariantModule, is_exact_element

__all__ = ["RestrictionModule"]


class RestrictionModule(EquivariantModule):
    """Restrict the input's type to the subgroup ``id`` of its gspace (no computation).

    The output wraps the same tensor with ``in_type.restrict(id)``; the valid ``id`` s are those
    of the gspace's ``restrict``.

    Args:
        in_type: the input field type.
        id: the subgroup's id.

    Shape:
        - input: :math:`(B, C, *)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, RestrictionModule
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> res = RestrictionModule(FieldType(gs, [gs.regular_repr]), 4)
        >>> res(GeometricTensor(torch.randn(1, 8, 3, 3), res.in_type)).type.gspace
        4-Rotations
    """

    def __init__(self, in_type: FieldType, id: Hashable) -> None:
        super().__init__()
        require_field_type("RestrictionModule", in_type)
        self.in_type = in_type
        self.id = id
        self.out_type = in_type.restrict(id)
        _, self._parent_map, _ = in_type.gspace.restrict(id)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """The input's tensor with the restricted type."""
        return GeometricTensor(self._check_input(input).tensor, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def check_equivariance(  # type: ignore[override]
        self, atol: float = 1e-7, rtol: float = 1e-5, spatial_size: int = 9, **_: Any
    ) -> list[tuple[Any, float]]:
        """Check ``f(parent(h) x) = h f(x)`` for the exact elements ``h`` of the subgroup."""
        sub = self.out_type.gspace
        model = copy.deepcopy(self).eval()
        x = GeometricTensor(
            torch.randn(2, self.in_type.size, spatial_size, spatial_size, dtype=torch.float64),
            self.in_type,
        )
        results = []
        for h in [e for e in self.out_type.testing_elements if is_exact_element(sub, e)]:
            moved = model(x).transform(h).tensor
            out = model(x.transform(self._parent_map(h))).tensor
            err = float((out - moved).norm() / moved.norm().clamp_min(1e-300))
            if not torch.allclose(out, moved, atol=atol, rtol=rtol):
                raise AssertionError(f"RestrictionModule is not equivariant for {h!r}: {err}")
            results.append((h, err))
        return results

    def export(self) -> nn.Identity:
        """``torch.nn.Identity`` (in eval mode)."""
        self.eval()
        return nn.Identity().eval()

    def extra_repr(self) -> str:
        return f"id={self.id!r}, {self.in_type} -> {self.out_type}"
