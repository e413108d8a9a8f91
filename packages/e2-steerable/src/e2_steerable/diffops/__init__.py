"""Steerable partial differential operators (PDOs) on the plane and their discretisation.

The PDO bases solve the same constraint as the steerable kernels, with polynomials in
:math:`\\partial_x, \\partial_y` in place of functions of the angle, times powers of the
Laplacian. :class:`~e2_steerable.nn.R2Diffop` uses them through
``gspace.build_diffop_basis``. Three discretisations (:class:`DiscretizationArgs`): finite
differences (default), Gaussian derivatives (``smoothing``) and RBF-FD (in-house; treverhines/RBF
as an optional backend), the last two with an isotropic variant, on by default
(:func:`isotropic_correction`; ``isotropic=False`` gives e2cnn's stencils).
Stencils are cached in memory; :func:`load_cache` and
:func:`store_cache` keep them on disk between runs (see :func:`set_cache_dir`).

Example:
    >>> from e2_steerable import gspaces
    >>> from e2_steerable.diffops import DiscretizationArgs
    >>> gs = gspaces.Rot2dOnR2(4)
    >>> basis = gs.build_diffop_basis(gs.trivial_repr, gs.trivial_repr, max_power=1,
    ...                               discretization=DiscretizationArgs(), maximum_frequency=2)
    >>> [a["order"] for a in basis]  # the identity and the Laplacian
    [0, 2]
    >>> from e2_steerable._vendor import grid
    >>> basis.sample(grid.kernel_grid(3))[1, 0, 0].reshape(3, 3).tolist()  # the 5-point stencil
    [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]
"""

from e2_steerable.diffops.basis import (
    DiffopBasis,
    LaplaceProfile,
    OrderFilter,
    SteerableDiffopBasis,
    TensorBasis,
)
from e2_steerable.diffops.cache import (
    cache_dir,
    clear_cache,
    load_cache,
    set_cache_dir,
    store_cache,
)
from e2_steerable.diffops.discretization import (
    DiscretizationArgs,
    SmoothingTruncationWarning,
    monomial_stencils,
)
from e2_steerable.diffops.fd import (
    fornberg_weights,
    guaranteed_accuracy,
    largest_possible_order,
    required_points,
    symmetric_points,
)
from e2_steerable.diffops.moments import grid_monomials, isotropic_correction
from e2_steerable.diffops.polynomials import (
    display_diffop,
    homogenized_cheby,
    laplacian_power,
    multiply_polynomials,
    transform_polynomial,
)
from e2_steerable.diffops.r2 import (
    diffop_basis,
    diffops_CN_act_R2,
    diffops_DN_act_R2,
    diffops_Flip_act_R2,
    diffops_O2_act_R2,
    diffops_SO2_act_R2,
    diffops_Trivial_act_R2,
)
from e2_steerable.diffops.rbffd import RBF_NAMES, RadialFunction, get_rbf, rbf_fd_weights

__all__ = [
    "RBF_NAMES",
    "DiffopBasis",
    "DiscretizationArgs",
    "LaplaceProfile",
    "OrderFilter",
    "RadialFunction",
    "SmoothingTruncationWarning",
    "SteerableDiffopBasis",
    "TensorBasis",
    "cache_dir",
    "clear_cache",
    "diffop_basis",
    "diffops_CN_act_R2",
    "diffops_DN_act_R2",
    "diffops_Flip_act_R2",
    "diffops_O2_act_R2",
    "diffops_SO2_act_R2",
    "diffops_Trivial_act_R2",
    "display_diffop",
    "fornberg_weights",
    "get_rbf",
    "grid_monomials",
    "guaranteed_accuracy",
    "homogenized_cheby",
    "isotropic_correction",
    "laplacian_power",
    "largest_possible_order",
    "load_cache",
    "monomial_stencils",
    "multiply_polynomials",
    "rbf_fd_weights",
    "required_points",
    "set_cache_dir",
    "store_cache",
    "symmetric_points",
    "transform_polynomial",
]
