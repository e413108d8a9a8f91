""":class:`PointwiseMaxPool`: spatial max pooling of every channel."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.pooling._window import (
    check_pooling_window,
    pooled_shape,
    window_args,
    window_extent,
    window_repr,
)

__all__ = ["PointwiseMaxPool"]


class PointwiseMaxPool(EquivariantModule):
    """Spatial max pooling of every channel independently, as ``torch.nn.MaxPool2d``.

    Only fields whose representation supports pointwise nonlinearities are accepted (for other
    representations the channel-wise max is not equivariant).

    Args:
        in_type: the input field type (also the output type).
        kernel_size: the pooling window.
        stride: the window's stride; defaults to ``kernel_size``.
        padding: implicit padding (with :math:`-\\infty`) on both sides.
        dilation: spacing between the window's elements.
        ceil_mode: use ceil instead of floor for the output size.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, C, H_{out}, W_{out})` as for ``torch.nn.MaxPool2d``

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, PointwiseMaxPool
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> pool = PointwiseMaxPool(FieldType(gs, [gs.regular_repr]), 3, stride=2, padding=1)
        >>> pool.evaluate_output_shape((1, 4, 27, 27))
        (1, 4, 14, 14)
    """

    def __init__(
        self,
        in_type: FieldType,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        require_field_type(name, in_type)
        require_support(name, in_type, "pointwise")
        self.in_type = in_type
        self.out_type = in_type
        self.kernel_size, self.stride, self.padding, self.dilation = window_args(
            name, kernel_size, stride, padding, dilation
        )
        self.ceil_mode = bool(ceil_mode)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Max-pool every channel of ``input``."""
        x = self._check_input(input)
        self._check_window(x.tensor)
        out = F.max_pool2d(
            x.tensor, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )
        return GeometricTensor(out, self.out_type)

    def _check_window(self, tensor: torch.Tensor) -> None:
        check_pooling_window(
            type(self).__name__,
            tensor,
            window_extent(self.kernel_size, self.dilation),
            self.padding,
        )

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, C, H_out, W_out)`` with ``torch.nn.MaxPool2d``'s formula."""
        shape = self._check_input_shape(input_shape)
        return pooled_shape(
            type(self).__name__,
            shape,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
        )

    def export(self) -> nn.MaxPool2d:
        """The equivalent ``torch.nn.MaxPool2d`` (in eval mode)."""
        self.eval()
        return nn.MaxPool2d(
            self.kernel_size, self.stride, self.padding, self.dilation, ceil_mode=self.ceil_mode
        ).eval()

    def extra_repr(self) -> str:
        return window_repr(
            self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )
