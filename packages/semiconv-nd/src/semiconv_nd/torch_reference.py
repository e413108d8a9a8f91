"""PyTorch's own linear convolution and max pooling behind the :class:`GenericConv` interface.

They are the reference points to compare semifield convolutions with: :class:`TorchLinearConv2D`
is what :meth:`BroadcastSemifield.linear` computes, and :class:`TorchMaxPool2D` is what
:meth:`BroadcastSemifield.tropical_max` computes with a zero (flat) kernel.

Fix relative to the original package: with asymmetric padding (e.g. ``"same"`` with an even
kernel) :class:`TorchMaxPool2D` pads with ``-inf`` instead of 0, so it equals the flat
tropical dilation also at the border and for negative inputs.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from semiconv_nd._geometry import resolve_geometry
from semiconv_nd._vendor import grid

__all__ = ["TorchLinearConv2D", "TorchMaxPool2D"]


def _flat_padding(pairs: tuple[tuple[int, int], ...]) -> list[int]:
    flat: list[int] = []
    for begin, end in reversed(pairs):
        flat += [begin, end]
    return flat


class TorchLinearConv2D(nn.Module):
    """:func:`torch.nn.functional.conv2d` with the calling convention of a semifield module.

    The kernel is mirrored for ``kind="conv"`` (a true convolution); ``"corr"`` is PyTorch's
    cross-correlation. Group broadcasting is supported for any number of kernels (the original
    allowed only one).

    Shape:
        - img: :math:`(B, C_{in}, H, W)`
        - kernel: :math:`(K_o, C_{in} / G, k_H, k_W)`
        - Output: :math:`(B, C_{out}, H', W')`

    Example:
        >>> import torch
        >>> conv = TorchLinearConv2D()
        >>> conv(torch.ones(1, 2, 5, 5), torch.ones(3, 2, 3, 3), padding="same").shape
        torch.Size([1, 3, 5, 5])
    """

    @staticmethod
    def forward(
        img: torch.Tensor,
        kernel: torch.Tensor,
        stride: int | tuple[int, int] = 1,
        padding: grid.Padding = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        group_broadcasting: bool = False,
        kind: Literal["conv", "corr"] = "conv",
    ) -> torch.Tensor:
        """Linear convolution of ``img`` with ``kernel`` (see :class:`TorchLinearConv2D`)."""
        geo = resolve_geometry(
            img, kernel, stride, padding, dilation, groups, group_broadcasting, kind
        )
        if geo.ndim != 2:
            raise ValueError(f"img: expected a (B, C, H, W) image, got shape {tuple(img.shape)}")
        if group_broadcasting:
            kernel = kernel.repeat(groups, 1, 1, 1)
        if kind == "conv":
            kernel = kernel.flip((2, 3))
        (top, bottom), (left, right) = geo.padding
        if top == bottom and left == right:
            return F.conv2d(
                img,
                kernel,
                stride=geo.stride,
                padding=(top, left),
                dilation=geo.dilation,
                groups=groups,
            )
        padded = F.pad(img, _flat_padding(geo.padding))
        return F.conv2d(padded, kernel, stride=geo.stride, dilation=geo.dilation, groups=groups)


class TorchMaxPool2D(nn.Module):
    """:func:`torch.nn.functional.max_pool2d` with every padding form of :class:`GenericConv`.

    Args:
        kernel_size: Window size, one int or ``(kH, kW)``.
        stride: Stride; defaults to ``kernel_size`` (as :class:`torch.nn.MaxPool2d`).
        padding: ``P``, ``(P0, P1)``, ``((b0, e0), (b1, e1))``, ``"valid"`` or ``"same"``;
            the border is ``-inf``.
        dilation: Dilation, one int or ``(dH, dW)``.

    Shape:
        - img: :math:`(B, C, H, W)`
        - Output: :math:`(B, C, H', W')`

    Example:
        >>> import torch
        >>> pool = TorchMaxPool2D(3, stride=2, padding="same")
        >>> pool(torch.randn(1, 4, 9, 9)).shape
        torch.Size([1, 4, 5, 5])
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: grid.Padding = 0,
        dilation: int | tuple[int, int] = 1,
    ) -> None:
        super().__init__()
        self._kernel = grid.to_tuple(kernel_size, 2, "kernel_size", minimum=1)
        self._stride = (
            self._kernel if stride is None else grid.to_tuple(stride, 2, "stride", minimum=1)
        )
        self._dilation = grid.to_tuple(dilation, 2, "dilation", minimum=1)
        self._padding = grid.resolve_padding(padding, self._kernel, self._dilation, ndim=2)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        """Max-pool ``img`` of shape ``(B, C, H, W)``."""
        if not isinstance(img, torch.Tensor) or img.dim() != 4:
            raise ValueError(
                f"img: expected a (B, C, H, W) tensor, got {getattr(img, 'shape', type(img))}"
            )
        (top, bottom), (left, right) = self._padding
        symmetric = top == bottom and left == right
        # max_pool2d accepts paddings up to half the window; pad explicitly beyond that.
        fits = all(2 * p <= k for p, k in zip((top, left), self._kernel))
        if symmetric and fits:
            return F.max_pool2d(img, self._kernel, self._stride, (top, left), self._dilation)
        padded = F.pad(img, _flat_padding(self._padding), value=-float("inf"))
        return F.max_pool2d(padded, self._kernel, self._stride, 0, self._dilation)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}"
        )
