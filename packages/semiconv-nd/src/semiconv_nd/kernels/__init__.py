"""Kernel modules for :class:`~semiconv_nd.GenericConv`: ``forward()`` returns ``(O, I, *k)``.

* :mod:`.quadratic`: learnable quadratic structuring functions (spectral, Cholesky and
  isotropic parameterisations; isotropic in any dimension);
* :mod:`.learned`: free kernels, one parameter per tap, in any dimension.
"""

from semiconv_nd.kernels.learned import (
    LearnedKernel1D,
    LearnedKernel2D,
    LearnedKernel3D,
    LearnedKernelND,
)
from semiconv_nd.kernels.quadratic import (
    QuadraticKernelCholesky2D,
    QuadraticKernelCholeskyND,
    QuadraticKernelIso1D,
    QuadraticKernelIso2D,
    QuadraticKernelIso3D,
    QuadraticKernelIsoND,
    QuadraticKernelSpectral2D,
)

__all__ = [
    "LearnedKernel1D",
    "LearnedKernel2D",
    "LearnedKernel3D",
    "LearnedKernelND",
    "QuadraticKernelCholesky2D",
    "QuadraticKernelCholeskyND",
    "QuadraticKernelIso1D",
    "QuadraticKernelIso2D",
    "QuadraticKernelIso3D",
    "QuadraticKernelIsoND",
    "QuadraticKernelSpectral2D",
]
