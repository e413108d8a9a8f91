"""Steerable kernel bases: the equivariant kernels between two representations, on the plane.

Example:
    >>> from e2_steerable import gspaces
    >>> from e2_steerable.kernels import kernels_CN_act_R2
    >>> gs = gspaces.Rot2dOnR2(4)
    >>> basis = kernels_CN_act_R2(gs.irrep(1), gs.irrep(1), radii=[1.0], sigma=0.6, max_frequency=2)
    >>> len(basis)  # frequencies 0 and ±2, each with two phases
    6
"""

from e2_steerable.group.utils import chi, psi, psichi
from e2_steerable.kernels import irreps_basis
from e2_steerable.kernels._angular import GroupKind
from e2_steerable.kernels.bandlimit import (
    BandlimitFilter,
    CombinedFilter,
    FrequencyCutoff,
    make_frequency_cutoff,
)
from e2_steerable.kernels.basis import EmptyBasisException, KernelBasis, filter_mask
from e2_steerable.kernels.polar import (
    Basis,
    GaussianRadialProfile,
    IrrepBasis,
    PolarBasis,
    SteerableKernelBasis,
)
from e2_steerable.kernels.r2 import (
    PlanarGSpace,
    group_kind_of,
    kernel_basis_on_rings,
    kernels_CN_act_R2,
    kernels_DN_act_R2,
    kernels_Flip_act_R2,
    kernels_O2_act_R2,
    kernels_SO2_act_R2,
    kernels_Trivial_act_R2,
)

__all__ = [
    "BandlimitFilter",
    "Basis",
    "CombinedFilter",
    "EmptyBasisException",
    "FrequencyCutoff",
    "GaussianRadialProfile",
    "GroupKind",
    "IrrepBasis",
    "KernelBasis",
    "PlanarGSpace",
    "PolarBasis",
    "SteerableKernelBasis",
    "chi",
    "filter_mask",
    "group_kind_of",
    "irreps_basis",
    "kernel_basis_on_rings",
    "kernels_CN_act_R2",
    "kernels_DN_act_R2",
    "kernels_Flip_act_R2",
    "kernels_O2_act_R2",
    "kernels_SO2_act_R2",
    "kernels_Trivial_act_R2",
    "make_frequency_cutoff",
    "psi",
    "psichi",
]
