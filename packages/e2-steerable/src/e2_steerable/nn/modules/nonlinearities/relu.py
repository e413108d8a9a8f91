"""Pointwise :class:`ReLU`."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules.nonlinearities._type_preserving import TypePreservingPointwise

__all__ = ["ReLU"]


class ReLU(TypePreservingPointwise):
    """ReLU applied to every channel; the type is preserved.

    Only fields whose representation supports pointwise nonlinearities (permutation
    representations: trivial, regular, quotient) are accepted.

    Args:
        in_type: the input field type (also the output type).
        inplace: compute in place.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, ReLU
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> relu = ReLU(FieldType(gs, [gs.regular_repr]))
        >>> relu(GeometricTensor(-torch.ones(1, 8, 3, 3), relu.in_type)).tensor.abs().sum()
        tensor(0.)
    """

    def __init__(self, in_type: FieldType, inplace: bool = False) -> None:
        super().__init__(in_type)
        self.inplace = bool(inplace)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Apply ReLU to every channel of ``input``."""
        x = self._check_input(input)
        return GeometricTensor(F.relu(x.tensor, inplace=self.inplace), self.out_type)

    def export(self) -> nn.ReLU:
        """The equivalent ``torch.nn.ReLU`` (in eval mode)."""
        self.eval()
        return nn.ReLU(inplace=self.inplace).eval()

    def extra_repr(self) -> str:
        return f"inplace={self.inplace}, type={self.in_type}"
