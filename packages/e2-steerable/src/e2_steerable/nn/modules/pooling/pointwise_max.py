""":class:`PointwiseMaxPool`: spatial max pooling of every channel."""

from __future__ import annotations

import math
from typing import cast

import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules.equivariant_module import EquivariantModule

__all__ = ["PointwiseMaxPool"]


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    pair = tuple(cast(tuple[int, int], value))
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise TypeError(
            f"PointwiseMaxPool: `{name}` must be an int or a pair of ints, got {value!r}"
        )
    return (pair[0], pair[1])


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
        require_field_type("PointwiseMaxPool", in_type)
        require_support("PointwiseMaxPool", in_type, "pointwise")
        self.in_type = in_type
        self.out_type = in_type
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        self.dilation = _pair(dilation, "dilation")
        self.ceil_mode = bool(ceil_mode)
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.dilation) < 1:
            raise ValueError(
                "PointwiseMaxPool: `kernel_size`, `stride` and `dilation` must be positive, got "
                f"{self.kernel_size}, {self.stride}, {self.dilation}"
            )

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Max-pool every channel of ``input``."""
        x = self._check_input(input)
        out = F.max_pool2d(
            x.tensor, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, C, H_out, W_out)`` with ``torch.nn.MaxPool2d``'s formula."""
        shape = self._check_input_shape(input_shape)
        if len(shape) != 4:
            raise ValueError(f"PointwiseMaxPool: `input_shape` must be (B, C, H, W), got {shape}")
        spatial = []
        for n, k, s, p, d in zip(
            shape[2:], self.kernel_size, self.stride, self.padding, self.dilation
        ):
            span = n + 2 * p - d * (k - 1) - 1
            out = (math.ceil(span / s) if self.ceil_mode else span // s) + 1
            if self.ceil_mode and (out - 1) * s >= n + p:
                out -= 1
            spatial.append(out)
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
