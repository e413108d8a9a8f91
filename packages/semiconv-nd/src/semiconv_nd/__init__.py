"""N-d semifield convolutions for PyTorch (a re-creation of ``pytorch_nd_semiconv``).

A semifield convolution replaces the sum and product of a linear convolution by the operations
:math:`\\oplus` and :math:`\\otimes` of a semifield: the tropical max-plus semifield gives
morphological dilation (max pooling with a learnable structuring function), min-plus gives
erosion, and the log and root semifields interpolate between them and linear convolution.

Example:
    >>> import torch
    >>> import semiconv_nd as semiconv
    >>> dilation = semiconv.GenericConv(
    ...     semiconv.QuadraticKernelSpectral2D(in_channels=1, out_channels=5, kernel_size=3),
    ...     semiconv.BroadcastSemifield.tropical_max().dynamic(),
    ...     padding="same",
    ...     stride=2,
    ...     groups=5,
    ... )
    >>> dilation(torch.randn(4, 5, 16, 16)).shape
    torch.Size([4, 5, 8, 8])
"""

from semiconv_nd._vendor import grid as _grid
from semiconv_nd.conv import GenericClosing, GenericConv
from semiconv_nd.kernels import (
    LearnedKernel1D,
    LearnedKernel2D,
    LearnedKernel3D,
    LearnedKernelND,
    QuadraticKernelCholesky2D,
    QuadraticKernelCholeskyND,
    QuadraticKernelIso1D,
    QuadraticKernelIso2D,
    QuadraticKernelIso3D,
    QuadraticKernelIsoND,
    QuadraticKernelSpectral2D,
)
from semiconv_nd.semifields import (
    BroadcastConv,
    BroadcastSemifield,
    SelectSemifield,
    SubtractSemifield,
)
from semiconv_nd.torch_reference import TorchLinearConv2D, TorchMaxPool2D

__version__ = "0.1.0"

Padding = _grid.Padding
"""What a ``padding`` argument accepts: an int (the same on both sides of every axis), one int per
axis, a ``(before, after)`` pair per axis, or ``"valid"`` / ``"same"`` (also for even kernels:
the extra row or column goes after)."""


def __getattr__(name: str) -> object:
    # ``semiconv_nd.precompile`` without importing numba's kernels at package import.
    if name == "precompile":
        from semiconv_nd._precompile import precompile

        return precompile
    raise AttributeError(f"module 'semiconv_nd' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"precompile"})


__all__ = [
    "BroadcastConv",
    "BroadcastSemifield",
    "GenericClosing",
    "GenericConv",
    "LearnedKernel1D",
    "LearnedKernel2D",
    "LearnedKernel3D",
    "LearnedKernelND",
    "Padding",
    "QuadraticKernelCholesky2D",
    "QuadraticKernelCholeskyND",
    "QuadraticKernelIso1D",
    "QuadraticKernelIso2D",
    "QuadraticKernelIso3D",
    "QuadraticKernelIsoND",
    "QuadraticKernelSpectral2D",
    "SelectSemifield",
    "SubtractSemifield",
    "TorchLinearConv2D",
    "TorchMaxPool2D",
    "__version__",
    "precompile",
]
