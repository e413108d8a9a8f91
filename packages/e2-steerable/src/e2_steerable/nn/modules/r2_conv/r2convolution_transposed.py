"""R2ConvTransposed: the transposed G-steerable convolution on the plane."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from e2_steerable._vendor import grid as _grid
from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules.r2_conv._conv_base import SteerableConvBase, _pair

__all__ = ["R2ConvTransposed"]


class R2ConvTransposed(SteerableConvBase):
    r"""Transposed G-steerable planar convolution (e.g. for equivariant upsampling).

    The filter is expanded from the same steerable basis as :class:`R2Conv` (input to output),
    transposed and applied with :func:`torch.nn.functional.conv_transpose2d`; this is equivariant
    because a steerable kernel stays steerable when mirrored through the origin.

    Transposed convolutions with ``stride > 1`` can create checkerboard artefacts; consider
    upsampling followed by :class:`R2Conv`.

    Args:
        in_type: the type of the input field.
        out_type: the type of the output field.
        kernel_size: the size of the filter.
        padding: implicit padding (as in :class:`torch.nn.ConvTranspose2d`). Default: 0.
        output_padding: extra size added to one side of the output. Default: 0.
        stride: the stride. Default: 1.
        dilation: the spacing between kernel taps. Default: 1.
        groups: blocked connections. Default: 1.
        bias: add a learnable bias to the trivial irreps of the output. Default: ``True``.
        basisexpansion: as in :class:`R2Conv`.
        sigma: as in :class:`R2Conv`.
        frequencies_cutoff: as in :class:`R2Conv`.
        rings: as in :class:`R2Conv`.
        maximum_offset: as in :class:`R2Conv`.
        recompute: as in :class:`R2Conv`.
        basis_filter: as in :class:`R2Conv`.
        initialize: as in :class:`R2Conv`.

    Shape:
        - Input: :math:`(B, C_\text{in}, H, W)`.
        - Output: :math:`(B, C_\text{out}, H', W')` with
          :math:`H' = (H - 1)\,\text{stride} - 2\,\text{padding} + \text{dilation}(s - 1)
          + \text{output\_padding} + 1`.

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces, nn
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> up = nn.R2ConvTransposed(nn.FieldType(gs, [gs.regular_repr] * 2),
        ...                          nn.FieldType(gs, [gs.regular_repr]), 3, stride=2)
        >>> up(nn.GeometricTensor(torch.randn(1, 8, 5, 5), up.in_type)).shape
        torch.Size([1, 4, 11, 11])
    """

    _transposed = True

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        kernel_size: int,
        padding: int | tuple[int, int] = 0,
        output_padding: int | tuple[int, int] = 0,
        stride: int | tuple[int, int] = 1,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        basisexpansion: str = "blocks",
        sigma: float | list[float] | None = None,
        frequencies_cutoff: float | str | Callable[[float], float] | None = None,
        rings: list[float] | None = None,
        maximum_offset: int | None = None,
        recompute: bool = False,
        basis_filter: Callable[[dict[str, Any]], bool] | None = None,
        initialize: bool = True,
    ) -> None:
        super().__init__()
        self.padding = _pair(_grid.to_tuple(padding, 2, "padding", minimum=0))
        self.output_padding = _pair(_grid.to_tuple(output_padding, 2, "output_padding", minimum=0))
        self.stride = _pair(_grid.to_tuple(stride, 2, "stride", minimum=1))
        self._setup(
            in_type,
            out_type,
            kernel_size,
            dilation,
            groups,
            bias,
            basisexpansion,
            sigma,
            frequencies_cutoff,
            rings,
            maximum_offset,
            recompute,
            basis_filter,
            initialize,
        )
        if any(op >= max(s, dilation) for op, s in zip(self.output_padding, self.stride)):
            raise ValueError(
                "R2ConvTransposed: `output_padding` must be smaller than the stride or the "
                f"dilation, got output_padding={self.output_padding}, stride={self.stride}, "
                f"dilation={dilation}"
            )

    def expand_parameters(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Expand the transposed filter ``(C_in, C_out/groups, s, s)`` and the bias."""
        return self._expand_filter().transpose(0, 1), self._expand_bias()

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Apply the transposed convolution to ``input`` (of type
        :attr:`~e2_steerable.nn.EquivariantModule.in_type`)."""
        x = self._check_input(input).tensor
        self._output_spatial_size(x.shape[-2:])
        filt, bias = self._filter_and_bias()
        y = F.conv_transpose2d(
            x,
            filt,
            bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )
        return GeometricTensor(y, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        shape = self._check_input_shape(input_shape)
        if len(shape) != 4:
            raise ValueError(f"R2ConvTransposed: `input_shape` must be (B, C, H, W), got {shape}")
        return (shape[0], self.out_type.size, *self._output_spatial_size(shape[2:]))

    def _output_spatial_size(self, spatial: Any) -> tuple[int, ...]:
        """The output's spatial size; a ValueError when the padding leaves nothing."""
        size = tuple(
            (int(n) - 1) * s - 2 * p + self.dilation * (self.kernel_size - 1) + op + 1
            for n, s, p, op in zip(spatial, self.stride, self.padding, self.output_padding)
        )
        if min(size) < 1:
            raise ValueError(
                f"R2ConvTransposed: an input of spatial size {tuple(int(n) for n in spatial)} "
                f"gives an empty output {size} with padding={self.padding} (the padding removes "
                "more than the transposed convolution adds)"
            )
        return size

    def export(self) -> nn.ConvTranspose2d:
        """An equivalent :class:`torch.nn.ConvTranspose2d` (in eval mode)."""
        self.eval()
        conv = nn.ConvTranspose2d(
            self.in_type.size,
            self.out_type.size,
            self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            output_padding=self.output_padding,
            groups=self.groups,
            bias=self.bias is not None,
            dilation=self.dilation,
        )
        return self._export_into(conv)

    def extra_repr(self) -> str:
        return (
            f"{self.in_type}, {self.out_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, "
            f"output_padding={self.output_padding}, dilation={self.dilation}, "
            f"groups={self.groups}, bias={self.bias is not None}"
        )
