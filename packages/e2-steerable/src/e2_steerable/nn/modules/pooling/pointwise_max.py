""":class:`PointwiseMaxPool`: spatial max pooling of every channel."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.pooling._window import (
    check_pooling_window,
    pair,
    pooled_size,
    window_extent,
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
        self.kernel_size = pair(name, kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else pair(name, stride, "stride")
        self.padding = pair(name, padding, "padding", minimum=0)
        self.dilation = pair(name, dilation, "dilation")
        self.ceil_mode = bool(ceil_mode)
        if self.padding[0] > self.kernel_size[0] // 2 or self.padding[1] > self.kernel_size[1] // 2:
            raise ValueError(
                f"{name}: `padding` must be at most half of `kernel_size`, got padding "
                f"{self.padding} for kernel_size {self.kernel_size}"
            )

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Max-pool every channel of ``input``."""
        x = self._check_input(input)
        check_pooling_window(
            type(self).__name__,
            x.tensor,
            window_extent(self.kernel_size, self.dilation),
            self.padding,
        )
        out = F.max_pool2d(
            x.tensor, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, C, H_out, W_out)`` with ``torch.nn.MaxPool2d``'s formula."""
        shape = self._check_input_shape(input_shape)
        if len(shape) != 4:
            raise ValueError(
                f"{type(self).__name__}: `input_shape` must be (B, C, H, W), got {shape}"
            )
        spatial = [
            pooled_size(n, k, st, p, d, self.ceil_mode)
            for n, k, st, p, d in zip(
                shape[2:], self.kernel_size, self.stride, self.padding, self.dilation
            )
        ]
        return (shape[0], shape[1], *spatial)

    def export(self) -> nn.MaxPool2d:
        """The equivalent ``torch.nn.MaxPool2d`` (in eval mode)."""
        self.eval()
        return nn.MaxPool2d(
            self.kernel_size, self.stride, self.padding, self.dilation, ceil_mode=self.ceil_mode
        ).eval()

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )
