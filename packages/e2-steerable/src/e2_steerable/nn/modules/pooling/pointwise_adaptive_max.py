""":class:`PointwiseAdaptiveMaxPool`: channel-wise adaptive max pooling."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.pooling._window import pair

__all__ = ["PointwiseAdaptiveMaxPool"]


class PointwiseAdaptiveMaxPool(EquivariantModule):
    """Adaptive max pooling of every channel to output_size, as
    ``torch.nn.AdaptiveMaxPool2d``.

    Only representations supporting pointwise non-linearities are accepted (as in e2cnn).

    Args:
        in_type: the input field type (also the output type).
        output_size: the output's spatial size (an int or a pair).

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, C, *\\text{output_size})`

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, PointwiseAdaptiveMaxPool
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> pool = PointwiseAdaptiveMaxPool(FieldType(gs, [gs.regular_repr]), 1)
        >>> pool(GeometricTensor(torch.randn(2, 4, 7, 7), pool.in_type)).shape
        torch.Size([2, 4, 1, 1])
    """

    def __init__(self, in_type: FieldType, output_size: int | tuple[int, int]) -> None:
        super().__init__()
        name = "PointwiseAdaptiveMaxPool"
        require_field_type(name, in_type)
        require_support(name, in_type, "pointwise")
        self.in_type = in_type
        self.out_type = in_type
        self.output_size = pair(name, output_size, "output_size")

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Adaptive max pooling of every channel of ``input``."""
        x = self._check_input(input)
        out = F.adaptive_max_pool2d(x.tensor, self.output_size)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, C, *output_size)``."""
        shape = self._check_input_shape(input_shape)
        return (shape[0], shape[1], *self.output_size)

    def export(self) -> nn.AdaptiveMaxPool2d:
        """The equivalent ``torch.nn.AdaptiveMaxPool2d`` (in eval mode)."""
        self.eval()
        return nn.AdaptiveMaxPool2d(self.output_size).eval()

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
