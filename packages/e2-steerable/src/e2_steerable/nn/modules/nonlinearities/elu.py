"""Pointwise :class:`ELU`."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules.nonlinearities._type_preserving import TypePreservingPointwise

__all__ = ["ELU"]


class ELU(TypePreservingPointwise):
    """ELU applied to every channel; the type is preserved.

    Only fields whose representation supports pointwise nonlinearities are accepted.

    Args:
        in_type: the input field type (also the output type).
        alpha: the ELU's :math:`\\alpha`.
        inplace: compute in place.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import ELU, FieldType, GeometricTensor
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> elu = ELU(FieldType(gs, [gs.regular_repr]), alpha=0.5)
        >>> elu.export()
        ELU(alpha=0.5)
    """

    def __init__(self, in_type: FieldType, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(in_type)
        self.alpha = float(alpha)
        self.inplace = bool(inplace)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Apply ELU to every channel of ``input``."""
        x = self._check_input(input)
        return GeometricTensor(
            F.elu(x.tensor, alpha=self.alpha, inplace=self.inplace), self.out_type
        )

    def export(self) -> nn.ELU:
        """The equivalent ``torch.nn.ELU`` (in eval mode)."""
        self.eval()
        return nn.ELU(alpha=self.alpha, inplace=self.inplace).eval()

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, inplace={self.inplace}, type={self.in_type}"
