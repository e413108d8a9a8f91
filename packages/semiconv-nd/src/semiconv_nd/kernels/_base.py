"""The base class of the kernel modules: checked geometry, ``extra_repr`` and ``plot``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from semiconv_nd._vendor import grid
from semiconv_nd.kernels._init import check_channels

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["KernelModule"]


class KernelModule(nn.Module):
    """A module whose ``forward()`` returns ``(O, I, *kernel_size)`` kernels.

    Checks and stores the channel counts and the kernel size; ``self._sizes`` is the kernel
    size as one int per spatial axis.

    Args:
        in_channels: Input channels per group: the ``I``.
        out_channels: Number of kernels: the ``O``.
        kernel_size: One int (a cube) or one int per spatial axis.
        ndim: Number of spatial dimensions.

    Raises:
        ValueError: If ``ndim``, a channel count or ``kernel_size`` is not positive.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...], ndim: int
    ) -> None:
        super().__init__()
        if isinstance(ndim, bool) or not isinstance(ndim, int) or ndim < 1:
            raise ValueError(f"ndim: expected a positive int, got {ndim!r}")
        check_channels(in_channels, out_channels)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self._sizes = grid.to_tuple(kernel_size, ndim, "kernel_size", minimum=1)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"

    @torch.no_grad()
    def plot(self) -> Figure:
        """Plot the kernels in a grid of heat maps (needs the ``plot`` extra: matplotlib).

        Returns:
            The :class:`matplotlib.figure.Figure`.
        """
        from semiconv_nd.plot import plot_kernels

        return plot_kernels(self.forward())
