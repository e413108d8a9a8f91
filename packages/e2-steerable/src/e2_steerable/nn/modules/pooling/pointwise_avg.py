""":class:`PointwiseAvgPool`: channel-wise average pooling."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.pooling._window import (
    check_pooling_window,
    pooled_shape,
    window_args,
    window_repr,
)

__all__ = ["PointwiseAvgPool"]


class PointwiseAvgPool(EquivariantModule):
    """Average pooling of every channel, as ``torch.nn.AvgPool2d``.

    Averaging is linear and commutes with any representation, so every field type is accepted.

    Args:
        in_type: the input field type (also the output type).
        kernel_size: the pooling window.
        stride: the window's stride; defaults to ``kernel_size``.
        padding: implicit zero padding on both sides (counted in the average).
        ceil_mode: use ceil instead of floor for the output size.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, C, H_{out}, W_{out})` as for ``torch.nn.AvgPool2d``

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, PointwiseAvgPool
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> pool = PointwiseAvgPool(FieldType(gs, [gs.irrep(1)]), 2)
        >>> pool(GeometricTensor(torch.randn(1, 2, 6, 6), pool.in_type)).shape
        torch.Size([1, 2, 3, 3])
    """

    def __init__(
        self,
        in_type: FieldType,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        name = "PointwiseAvgPool"
        require_field_type(name, in_type)
        self.in_type = in_type
        self.out_type = in_type
        self.kernel_size, self.stride, self.padding, _ = window_args(
            name, kernel_size, stride, padding
        )
        self.ceil_mode = bool(ceil_mode)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Average-pool every channel of ``input``."""
        x = self._check_input(input)
        check_pooling_window("PointwiseAvgPool", x.tensor, self.kernel_size, self.padding)
        out = F.avg_pool2d(x.tensor, self.kernel_size, self.stride, self.padding, self.ceil_mode)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, C, H_out, W_out)`` with ``torch.nn.AvgPool2d``'s formula."""
        shape = self._check_input_shape(input_shape)
        return pooled_shape(
            "PointwiseAvgPool",
            shape,
            self.kernel_size,
            self.stride,
            self.padding,
            (1, 1),
            self.ceil_mode,
        )

    def export(self) -> nn.AvgPool2d:
        """The equivalent ``torch.nn.AvgPool2d`` (in eval mode)."""
        self.eval()
        return nn.AvgPool2d(self.kernel_size, self.stride, self.padding, self.ceil_mode).eval()

    def extra_repr(self) -> str:
        return window_repr(self.kernel_size, self.stride, self.padding, None, self.ceil_mode)
