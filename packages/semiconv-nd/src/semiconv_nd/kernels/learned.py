"""Fully learnable kernels: one free parameter per tap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from semiconv_nd._vendor import grid
from semiconv_nd.kernels._init import check_channels

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["LearnedKernel1D", "LearnedKernel2D", "LearnedKernel3D", "LearnedKernelND"]


class LearnedKernelND(nn.Module):
    r"""A free ``(O, I, *kernel_size)`` kernel parameter, initialised from N(0, 1).

    Args:
        in_channels: Input channels per group: the ``I``.
        out_channels: Number of kernels: the ``O``.
        kernel_size: One int (a cube) or one int per spatial axis.
        ndim: Number of spatial dimensions.

    Attributes:
        kernel: The ``(O, I, *kernel_size)`` parameter.

    Shape:
        - Output: :math:`(O, I, k_1, \ldots, k_N)`

    Example:
        >>> tuple(LearnedKernelND(2, 3, (3, 5), ndim=2)().shape)
        (3, 2, 3, 5)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        ndim: int,
    ) -> None:
        super().__init__()
        if isinstance(ndim, bool) or not isinstance(ndim, int) or ndim < 1:
            raise ValueError(f"ndim: expected a positive int, got {ndim!r}")
        check_channels(in_channels, out_channels)
        sizes = grid.to_tuple(kernel_size, ndim, "kernel_size", minimum=1)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.kernel = nn.Parameter(nn.init.normal_(torch.empty(out_channels, in_channels, *sizes)))

    def forward(self) -> torch.Tensor:
        """The kernel parameter itself."""
        return self.kernel

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


class LearnedKernel2D(LearnedKernelND):
    """A free ``(O, I, k, k)`` kernel parameter compatible with :class:`~semiconv_nd.GenericConv`.

    Args:
        in_channels: Input channels per group: the ``I`` of ``OIHW``.
        out_channels: Number of kernels: the ``O`` of ``OIHW``.
        kernel_size: Height and width ``k`` of the square kernel.

    Shape:
        - Output: :math:`(O, I, k, k)`

    Example:
        >>> tuple(LearnedKernel2D(5, 6, 3)().shape)
        (6, 5, 3, 3)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size, 2)


class LearnedKernel1D(LearnedKernelND):
    """A free ``(O, I, k)`` kernel parameter for 1-D signals.

    Args:
        in_channels: Input channels per group.
        out_channels: Number of kernels.
        kernel_size: Kernel length ``k``.

    Shape:
        - Output: :math:`(O, I, k)`

    Example:
        >>> tuple(LearnedKernel1D(1, 4, 7)().shape)
        (4, 1, 7)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size, 1)


class LearnedKernel3D(LearnedKernelND):
    """A free ``(O, I, kD, kH, kW)`` kernel parameter for volumes.

    Args:
        in_channels: Input channels per group.
        out_channels: Number of kernels.
        kernel_size: One int (a cube) or ``(kD, kH, kW)``.

    Shape:
        - Output: :math:`(O, I, k_D, k_H, k_W)`

    Example:
        >>> tuple(LearnedKernel3D(1, 2, (1, 3, 3))().shape)
        (2, 1, 1, 3, 3)
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int, int]
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, 3)
