"""R2Conv: the G-steerable convolution on the plane."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from e2_steerable._vendor import grid as _grid
from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules.r2_conv._conv_base import SteerableConv2dBase, _pair

__all__ = ["R2Conv"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class R2Conv(SteerableConv2dBase):
    r"""G-steerable planar convolution between two field types.

    The filter is a learnable combination of a basis of :math:`G`-steerable kernels
    :math:`K(g x) = \rho_\text{out}(g) K(x) \rho_\text{in}(g)^{-1}`, so the convolution commutes
    with the action of :math:`\mathbb{R}^2 \rtimes G` on the fields. In training mode each forward
    expands :attr:`weights` into the filter; ``eval()`` expands it once and caches it (the cache
    is a non-persistent buffer: the ``state_dict`` holds only ``weights`` and ``bias``, in both
    modes). The sampled basis reproduces e2cnn's defaults exactly (same dimension, order and
    values), so e2cnn's ``weights`` load one to one.

    Args:
        in_type: the type of the input field.
        out_type: the type of the output field.
        kernel_size: the size of the (square) filter.
        padding: implicit padding on both sides (int or ``(pad_h, pad_w)``). Default: 0.
        stride: the stride. Default: 1.
        dilation: the spacing between kernel taps. Default: 1.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        groups: blocked connections; both types must be ``groups`` identical groups of fields.
        bias: add a learnable bias to the trivial irreps of the output. Default: ``True``.
        basisexpansion: the basis expansion algorithm (only ``'blocks'``).
        sigma: width(s) of the rings (default: 0.6, the outer ring 0.4, the centre 0.005).
        frequencies_cutoff: maximum frequency per ring radius: ``None`` (e2cnn's policy), a float
            ``c`` (``f(r) = c r``; ``-1``, ``-2``, ``-3`` pick e2cnn's tabulated policies),
            ``"dilated"`` (e2cnn's policy in units of the dilation, so the basis does not change
            with the dilation) or a callable.
        rings: radii of the rings (default: ``ceil(s/2)`` radii evenly spaced up to
            ``(s-1)//2``, times the dilation).
        maximum_offset: maximum aliasing offset of the frequencies (finite groups).
        recompute: sample the basis anew instead of reusing a cached one.
        basis_filter: extra filter ``attributes -> bool`` over the basis elements.
        initialize: initialise :attr:`weights` with the generalised He scheme. Default: ``True``.

    Attributes:
        weights: the learnable expansion coefficients.
        bias: the learnable bias coefficients (one per trivial irrep of ``out_type``) or ``None``.
        filter: the cached filter ``(C_out, C_in/groups, s, s)`` in eval mode, else ``None``.
        expanded_bias: the cached bias ``(C_out,)`` in eval mode, else ``None``.

    Raises:
        TypeError, ValueError: for invalid types or arguments.
        EmptyBasisException: if no equivariant kernel exists for these parameters (suggests
            ``frequencies_cutoff`` / ``rings``).

    Shape:
        - Input: :math:`(B, C_\text{in}, H, W)` as a GeometricTensor of type ``in_type``.
        - Output: :math:`(B, C_\text{out}, H', W')` of type ``out_type``.

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces, nn
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> conv = nn.R2Conv(nn.FieldType(gs, [gs.trivial_repr] * 3),
        ...                  nn.FieldType(gs, [gs.regular_repr] * 4), kernel_size=5, padding=2)
        >>> x = nn.GeometricTensor(torch.randn(2, 3, 16, 16), conv.in_type)
        >>> conv(x).shape
        torch.Size([2, 32, 16, 16])
        >>> conv.weights.numel()
        132
    """

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        kernel_size: int,
        padding: int | tuple[int, int] = 0,
        stride: int | tuple[int, int] = 1,
        dilation: int = 1,
        padding_mode: str = "zeros",
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
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"R2Conv: `padding_mode` must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        self.padding = _pair(_grid.to_tuple(padding, 2, "padding", minimum=0))
        self.stride = _pair(_grid.to_tuple(stride, 2, "stride", minimum=1))
        self.padding_mode = padding_mode
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

    def expand_parameters(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Expand the filter ``(C_out, C_in/groups, s, s)`` and the bias ``(C_out,)`` (or None)."""
        return self._expand_filter(), self._expand_bias()

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Convolve ``input`` (of type :attr:`~e2_steerable.nn.EquivariantModule.in_type`) with the
        expanded filter and bias."""
        x = self._check_input(input).tensor
        self._check_spatial_size(x.shape[-2:])
        return GeometricTensor(self._conv2d(x), self.out_type)

    def _check_spatial_size(self, spatial: Any) -> None:
        """Raise a ValueError when the (padded) input is smaller than the kernel, or smaller
        than a reflect padding."""
        extent = self.dilation * (self.kernel_size - 1) + 1
        for axis, n, pad in zip(("H", "W"), spatial, self.padding):
            n = int(n)
            if self.padding_mode == "reflect" and pad >= n:
                raise ValueError(
                    f"R2Conv: reflect padding {pad} must be smaller than the input size along "
                    f"{axis}, got an input of spatial size {tuple(int(v) for v in spatial)}"
                )
            if self.padding_mode == "circular" and pad > n:
                raise ValueError(
                    f"R2Conv: circular padding {pad} must not exceed the input size along "
                    f"{axis}, got an input of spatial size {tuple(int(v) for v in spatial)}"
                )
            if n + 2 * pad < extent:
                raise ValueError(
                    f"R2Conv: the kernel spans {extent} pixels (kernel_size={self.kernel_size}, "
                    f"dilation={self.dilation}) but the padded input has only {n + 2 * pad} "
                    f"along {axis} (input spatial size {tuple(int(v) for v in spatial)}, "
                    f"padding={self.padding})"
                )

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return self._conv2d_output_shape("R2Conv", input_shape, self._check_spatial_size)

    def export(self) -> nn.Conv2d:
        """An equivalent :class:`torch.nn.Conv2d` (in eval mode) holding the expanded filter."""
        return self._export_conv2d()

    def extra_repr(self) -> str:
        return (
            f"{self.in_type}, {self.out_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
            f"groups={self.groups}, padding_mode={self.padding_mode!r}, "
            f"bias={self.bias is not None}"
        )
