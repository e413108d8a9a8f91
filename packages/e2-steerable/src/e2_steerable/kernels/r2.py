"""Kernel bases for the planar gspaces, with e2cnn's function names."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from e2_steerable.group import Group, Representation
from e2_steerable.kernels._angular import GroupKind
from e2_steerable.kernels.basis import KernelBasis

__all__ = [
    "PlanarGSpace",
    "group_kind_of",
    "kernel_basis_on_rings",
    "kernels_CN_act_R2",
    "kernels_DN_act_R2",
    "kernels_Flip_act_R2",
    "kernels_O2_act_R2",
    "kernels_SO2_act_R2",
    "kernels_Trivial_act_R2",
]

DEFAULT_MAXIMUM_FREQUENCY = 6


@runtime_checkable
class PlanarGSpace(Protocol):
    """What the kernel builder needs from a planar gspace (kernels never import gspaces)."""

    name: str
    fibergroup: Group

    def kernel_group_kind(self) -> GroupKind:
        """The :class:`GroupKind` the angular solutions are built for."""
        ...


def group_kind_of(gspace: PlanarGSpace) -> GroupKind:
    """The :class:`GroupKind` of a planar gspace (provided by the gspace itself)."""
    kind = getattr(gspace, "kernel_group_kind", None)
    if kind is None:
        raise TypeError(f"gspace: expected a planar gspace, got {type(gspace).__name__}")
    return kind()


def kernel_basis_on_rings(
    gspace: PlanarGSpace,
    in_repr: Representation,
    out_repr: Representation,
    rings: Sequence[float],
    sigma: Sequence[float] | float,
    maximum_frequency: int | None = None,
    maximum_offset: int | None = None,
    **kwargs: Any,
) -> KernelBasis:
    """The steerable basis of ``gspace`` between two representations on Gaussian rings."""
    if kwargs:
        raise TypeError(f"build_kernel_basis: unexpected arguments {sorted(kwargs)}")
    for name, rep in (("in_repr", in_repr), ("out_repr", out_repr)):
        if not isinstance(rep, Representation):
            raise TypeError(f"{name}: expected a Representation, got {type(rep).__name__}")
        if rep.group != gspace.fibergroup:
            raise ValueError(
                f"{name}: '{rep.name}' is a representation of {rep.group.name}, but the gspace "
                f"{gspace.name} has fiber group {gspace.fibergroup.name}"
            )
    if maximum_frequency is None:
        maximum_frequency = DEFAULT_MAXIMUM_FREQUENCY
    return KernelBasis(
        group_kind_of(gspace), in_repr, out_repr, rings, sigma, maximum_frequency, maximum_offset
    )


def _check_group(rep: Representation, expected: str) -> None:
    if not rep.group.name.startswith(expected):
        raise ValueError(f"expected a representation of {expected}..., got one of {rep.group.name}")


def kernels_CN_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    radii: Sequence[float],
    sigma: Sequence[float] | float,
    max_frequency: int = DEFAULT_MAXIMUM_FREQUENCY,
    max_offset: int | None = None,
) -> KernelBasis:
    """Steerable kernels for the cyclic group :math:`C_N` rotating the plane."""
    _check_group(in_repr, "C")
    n = in_repr.group.order()
    return KernelBasis(
        GroupKind("C", n), in_repr, out_repr, radii, sigma, max_frequency, max_offset
    )


def kernels_DN_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    radii: Sequence[float],
    sigma: Sequence[float] | float,
    axis: float = math.pi / 2,
    max_frequency: int = DEFAULT_MAXIMUM_FREQUENCY,
    max_offset: int | None = None,
) -> KernelBasis:
    """Steerable kernels for the dihedral group :math:`D_N` (reflection axis ``axis``)."""
    _check_group(in_repr, "D")
    n = in_repr.group.order() // 2
    kind = GroupKind("D", n, float(axis))
    return KernelBasis(kind, in_repr, out_repr, radii, sigma, max_frequency, max_offset)


def kernels_SO2_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    radii: Sequence[float],
    sigma: Sequence[float] | float,
    max_frequency: int = DEFAULT_MAXIMUM_FREQUENCY,
) -> KernelBasis:
    """Steerable kernels for :math:`SO(2)`."""
    _check_group(in_repr, "SO(2)")
    return KernelBasis(GroupKind("SO2", -1), in_repr, out_repr, radii, sigma, max_frequency)


def kernels_O2_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    radii: Sequence[float],
    sigma: Sequence[float] | float,
    axis: float = math.pi / 2,
    max_frequency: int = DEFAULT_MAXIMUM_FREQUENCY,
) -> KernelBasis:
    """Steerable kernels for :math:`O(2)` (reflection axis ``axis``)."""
    _check_group(in_repr, "O(2)")
    kind = GroupKind("O2", -1, float(axis))
    return KernelBasis(kind, in_repr, out_repr, radii, sigma, max_frequency)


def kernels_Flip_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    radii: Sequence[float],
    sigma: Sequence[float] | float,
    axis: float = math.pi / 2,
    max_frequency: int = DEFAULT_MAXIMUM_FREQUENCY,
    max_offset: int | None = None,
) -> KernelBasis:
    """Steerable kernels for a single reflection (the group :math:`C_2` acting by a flip)."""
    _check_group(in_repr, "C2")
    kind = GroupKind("Flip", 2, float(axis))
    return KernelBasis(kind, in_repr, out_repr, radii, sigma, max_frequency, max_offset)


def kernels_Trivial_act_R2(
    in_repr: Representation,
    out_repr: Representation,
    radii: Sequence[float],
    sigma: Sequence[float] | float,
    max_frequency: int = DEFAULT_MAXIMUM_FREQUENCY,
    max_offset: int | None = None,
) -> KernelBasis:
    """Kernels with no symmetry constraint (band-limited by ``max_frequency``)."""
    _check_group(in_repr, "C1")
    return KernelBasis(
        GroupKind("C", 1), in_repr, out_repr, radii, sigma, max_frequency, max_offset
    )
