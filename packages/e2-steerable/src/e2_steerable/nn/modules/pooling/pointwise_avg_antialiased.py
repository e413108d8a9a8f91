""":class:`PointwiseAvgPoolAntialiased`: a strided Gaussian blur of every channel."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.pooling._window import (
    check_pooling_window,
    gaussian_filter,
    pair,
    pooled_shape,
)

__all__ = ["PointwiseAvgPoolAntialiased"]


class PointwiseAvgPoolAntialiased(EquivariantModule):
    r"""Anti-aliased average pooling: a depthwise convolution with a normalised Gaussian.

    The filter has size :math:`2\,\mathrm{round}(3\sigma) + 1` (buffer ``filter``, as in e2cnn)
    and is applied with ``stride``; by default ``padding`` keeps the size when ``stride`` is 1.
    Linear, so every field type is accepted.

    Args:
        in_type: the input field type (also the output type).
        sigma: the Gaussian's standard deviation.
        stride: the convolution's stride.
        padding: zero padding; ``None`` for half the filter size.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, C, H_{out}, W_{out})`

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, PointwiseAvgPoolAntialiased
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> pool = PointwiseAvgPoolAntialiased(FieldType(gs, [gs.regular_repr]), 0.66, 2)
        >>> pool(GeometricTensor(torch.randn(1, 4, 16, 16), pool.in_type)).shape
        torch.Size([1, 4, 8, 8])
    """

    filter: torch.Tensor

    def __init__(
        self,
        in_type: FieldType,
        sigma: float,
        stride: int | tuple[int, int],
        padding: int | tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        name = "PointwiseAvgPoolAntialiased"
        require_field_type(name, in_type)
        if not isinstance(sigma, (int, float)) or isinstance(sigma, bool) or not sigma > 0:
            raise ValueError(f"{name}: `sigma` must be > 0, got {sigma!r}")
        self.in_type = in_type
        self.out_type = in_type
        self.sigma = float(sigma)
        self.register_buffer("filter", gaussian_filter(self.sigma, 3.0, in_type.size))
        size = int(self.filter.shape[-1])
        self.kernel_size = (size, size)
        self.stride = pair(name, stride, "stride")
        self.padding = pair(name, size // 2 if padding is None else padding, "padding", minimum=0)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Blur every channel of ``input`` and subsample with ``stride``."""
        x = self._check_input(input)
        check_pooling_window(
            "PointwiseAvgPoolAntialiased", x.tensor, self.kernel_size, self.padding
        )
        out = F.conv2d(
            x.tensor,
            self.filter.to(x.tensor.dtype),
            stride=self.stride,
            padding=self.padding,
            groups=self.in_type.size,
        )
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, C, H_out, W_out)`` of the strided convolution."""
        shape = self._check_input_shape(input_shape)
        return pooled_shape(
            "PointwiseAvgPoolAntialiased",
            shape,
            self.kernel_size,
            self.stride,
            self.padding,
            (1, 1),
            False,
            show_shape=False,
        )

    def export(self) -> nn.Conv2d:
        """A depthwise ``torch.nn.Conv2d`` holding the fixed Gaussian (in eval mode)."""
        self.eval()
        c = self.in_type.size
        conv = nn.Conv2d(
            c, c, self.kernel_size, stride=self.stride, padding=self.padding, groups=c, bias=False
        )
        conv.weight.data.copy_(self.filter)
        conv.weight.requires_grad_(False)
        return conv.to(self.filter.device).eval()

    def extra_repr(self) -> str:
        return f"sigma={self.sigma}, stride={self.stride}, padding={self.padding}"
