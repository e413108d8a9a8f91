""":class:`PointwiseMaxPoolAntialiased`: stride-1 max pooling, then a strided Gaussian blur."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules.pooling._window import (
    gaussian_filter,
    pooled_size,
)
from e2_steerable.nn.modules.pooling.pointwise_max import PointwiseMaxPool

__all__ = ["PointwiseMaxPoolAntialiased"]


class PointwiseMaxPoolAntialiased(PointwiseMaxPool):
    r"""Anti-aliased channel-wise max pooling (Zhang, "Making Convolutional Networks
    Shift-Invariant Again").

    Max pooling with stride 1, then a depthwise convolution with a normalised Gaussian of
    standard deviation ``sigma`` (size :math:`2\,\mathrm{round}(4\sigma) + 1`, zero padding
    ``padding + size // 2``) applied with ``stride``. Only representations supporting pointwise
    non-linearities are accepted. The blur is the buffer ``filter``, as in e2cnn.

    Args:
        in_type: the input field type (also the output type).
        kernel_size: the max-pooling window.
        stride: the stride of the blur; defaults to ``kernel_size``.
        padding: implicit padding of the max pooling (added to the blur's).
        dilation: spacing between the window's elements.
        ceil_mode: use ceil instead of floor for the max pooling's output size.
        sigma: the blur's standard deviation.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, C, H_{out}, W_{out})`

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, PointwiseMaxPoolAntialiased
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> pool = PointwiseMaxPoolAntialiased(FieldType(gs, [gs.regular_repr]), 2)
        >>> pool(GeometricTensor(torch.randn(1, 4, 16, 16), pool.in_type)).shape
        torch.Size([1, 4, 8, 8])
    """

    filter: torch.Tensor

    def __init__(
        self,
        in_type: FieldType,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        ceil_mode: bool = False,
        sigma: float = 0.6,
    ) -> None:
        super().__init__(in_type, kernel_size, stride, padding, dilation, ceil_mode)
        if not isinstance(sigma, (int, float)) or isinstance(sigma, bool) or not sigma > 0:
            raise ValueError(f"PointwiseMaxPoolAntialiased: `sigma` must be > 0, got {sigma!r}")
        self.sigma = float(sigma)
        self.register_buffer("filter", gaussian_filter(self.sigma, 4.0, in_type.size))
        half = int(self.filter.shape[-1]) // 2
        self._pad = (self.padding[0] + half, self.padding[1] + half)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Max-pool with stride 1, then blur with ``stride``."""
        x = self._check_input(input)
        self._check_window(x.tensor)
        out = F.max_pool2d(
            x.tensor, self.kernel_size, 1, self.padding, self.dilation, self.ceil_mode
        )
        out = F.conv2d(
            out,
            self.filter.to(out.dtype),
            stride=self.stride,
            padding=self._pad,
            groups=self.in_type.size,
        )
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The max pooling's size (stride 1), then the blur's."""
        shape = self._check_input_shape(input_shape)
        if len(shape) != 4:
            raise ValueError(f"{type(self).__name__}: `input_shape` must be (B, C, H, W)")
        size = int(self.filter.shape[-1])
        spatial = []
        for i, n in enumerate(shape[2:]):
            m = pooled_size(
                n, self.kernel_size[i], 1, self.padding[i], self.dilation[i], self.ceil_mode
            )
            spatial.append(pooled_size(m, size, self.stride[i], self._pad[i], 1, False))
        return (shape[0], shape[1], *spatial)

    def export(self) -> nn.Sequential:  # type: ignore[override]
        """``Sequential(MaxPool2d(stride=1), Conv2d(depthwise, fixed Gaussian))`` in eval mode."""
        self.eval()
        c = self.in_type.size
        size = int(self.filter.shape[-1])
        blur = nn.Conv2d(c, c, size, stride=self.stride, padding=self._pad, groups=c, bias=False)
        blur.weight.data.copy_(self.filter)
        blur.weight.requires_grad_(False)
        blur = blur.to(self.filter.device)
        pool = nn.MaxPool2d(
            self.kernel_size, 1, self.padding, self.dilation, ceil_mode=self.ceil_mode
        )
        return nn.Sequential(pool, blur).eval()

    def extra_repr(self) -> str:
        return super().extra_repr() + f", sigma={self.sigma}"
