"""PDO bases for the planar gspaces, with e2cnn's builder names."""

from __future__ import annotations

import math
from typing import Any

from e2_steerable.diffops.basis import LaplaceProfile, SteerableDiffopBasis, TensorBasis
from e2_steerable.diffops.discretization import DiscretizationArgs
from e2_steerable.group import Representation
from e2_steerable.kernels._angular import GroupKind

__all__ = [
    "diffop_basis",
    "diffops_CN_act_R2",
    "diffops_DN_act_R2",
    "diffops_Flip_act_R2",
    "diffops_O2_act_R2",
    "diffops_SO2_act_R2",
    "diffops_Trivial_act_R2",
]


def _tensor(
    kind: GroupKind,
    in_repr: Representation,
    out_repr: Representation,
    max_power: int,
    max_frequency: int | None,
    max_offset: int | None,
    discretization: DiscretizationArgs | None,
) -> TensorBasis:
    disc = DiscretizationArgs() if discretization is None else discretization
    angular = SteerableDiffopBasis(kind, in_repr, out_repr, max_frequency, max_offset, disc)
    return TensorBasis(angular, LaplaceProfile(max_power, disc))


def diffop_basis(
    gspace: Any,
    in_repr: Representation,
    out_repr: Representation,
    max_power: int,
    discretization: DiscretizationArgs | None = None,
    maximum_frequency: int | None = None,
    maximum_offset: int | None = None,
    **kwargs: Any,
) -> TensorBasis:
    """The steerable PDO basis of a planar ``gspace`` (see ``GSpace.build_diffop_basis``)."""
    from e2_steerable.kernels import group_kind_of

    if kwargs:
        raise TypeError(f"build_diffop_basis: unexpected arguments {sorted(kwargs)}")
    for name, rep in (("in_repr", in_repr), ("out_repr", out_repr)):
        if not isinstance(rep, Representation):
            raise TypeError(f"{name}: expected a Representation, got {type(rep).__name__}")
        if rep.group != gspace.fibergroup:
            raise ValueError(
                f"{name}: '{rep.name}' is a representation of {rep.group.name}, but the gspace "
                f"{gspace.name} has fiber group {gspace.fibergroup.name}"
            )
    kind = group_kind_of(gspace)
    return _tensor(
        kind, in_repr, out_repr, max_power, maximum_frequency, maximum_offset, discretization
    )


def _check_group(rep: Representation, expected: str) -> None:
    if not rep.group.name.startswith(expected):
        raise ValueError(f"expected a representation of {expected}..., got one of {rep.group.name}")


def diffops_CN_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    max_power: int,
    max_frequency: int | None = None,
    max_offset: int | None = None,
    discretization: DiscretizationArgs | None = None,
) -> TensorBasis:
    """Steerable PDOs for the cyclic group :math:`C_N` rotating the plane.

    Example:
        >>> from e2_steerable import gspaces
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> diffops_CN_act_R2(gs.irrep(1), gs.trivial_repr, max_power=0, max_frequency=1).dim
        2
    """
    _check_group(in_repr, "C")
    kind = GroupKind("C", in_repr.group.order())
    return _tensor(kind, in_repr, out_repr, max_power, max_frequency, max_offset, discretization)


def diffops_DN_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    max_power: int,
    axis: float = math.pi / 2,
    max_frequency: int | None = None,
    max_offset: int | None = None,
    discretization: DiscretizationArgs | None = None,
) -> TensorBasis:
    """Steerable PDOs for the dihedral group :math:`D_N` (reflection axis ``axis``)."""
    _check_group(in_repr, "D")
    kind = GroupKind("D", in_repr.group.order() // 2, float(axis))
    return _tensor(kind, in_repr, out_repr, max_power, max_frequency, max_offset, discretization)


def diffops_SO2_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    max_power: int,
    discretization: DiscretizationArgs | None = None,
) -> TensorBasis:
    """Steerable PDOs for :math:`SO(2)`."""
    _check_group(in_repr, "SO(2)")
    return _tensor(GroupKind("SO2", -1), in_repr, out_repr, max_power, None, None, discretization)


def diffops_O2_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    max_power: int,
    axis: float = math.pi / 2,
    discretization: DiscretizationArgs | None = None,
) -> TensorBasis:
    """Steerable PDOs for :math:`O(2)` (reflection axis ``axis``)."""
    _check_group(in_repr, "O(2)")
    kind = GroupKind("O2", -1, float(axis))
    return _tensor(kind, in_repr, out_repr, max_power, None, None, discretization)


def diffops_Flip_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    max_power: int,
    axis: float = math.pi / 2,
    max_frequency: int | None = None,
    max_offset: int | None = None,
    discretization: DiscretizationArgs | None = None,
) -> TensorBasis:
    """Steerable PDOs for one reflection (:math:`C_2` acting by a flip about ``axis``)."""
    _check_group(in_repr, "C2")
    kind = GroupKind("Flip", 2, float(axis))
    return _tensor(kind, in_repr, out_repr, max_power, max_frequency, max_offset, discretization)


def diffops_Trivial_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    max_power: int,
    max_frequency: int | None = None,
    max_offset: int | None = None,
    discretization: DiscretizationArgs | None = None,
) -> TensorBasis:
    """PDOs with no symmetry constraint (every monomial, up to ``max_frequency``)."""
    _check_group(in_repr, "C1")
    kind = GroupKind("C", 1)
    return _tensor(kind, in_repr, out_repr, max_power, max_frequency, max_offset, discretization)
