"""Fully learnable kernels: one free parameter per tap."""

from __future__ import annotations

import torch
from torch import nn

from semiconv_nd.kernels._base import KernelModule

__all__ = ["LearnedKernel1D", "LearnedKernel2D", "LearnedKernel3D", "LearnedKernelND"]


class LearnedKernelND(KernelModule):
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
        super().__init__(in_channels, out_channels, kernel_size, ndim)
        kernel = torch.empty(out_channels, in_channels, *self._sizes)
        self.kernel = nn.Parameter(nn.init.normal_(kernel))

    def forward(self) -> torch.Tensor:
        """The kernel parameter itself."""
        return self.kernel


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
