"""Angular solutions between two irreps of each planar group (e2cnn's ``irreps_basis`` names).

Each class takes the group (or, for finite groups, its order as an int), the input and output
irreps (objects, names or ids) and the group's sampling limits, and is a
:class:`~e2_steerable.kernels.polar.IrrepBasis`. Pass the class to
:class:`~e2_steerable.kernels.SteerableKernelBasis`.

Example:
    >>> import numpy as np
    >>> basis = R2DiscreteRotationsSolution(8, 0, 1, max_frequency=3)
    >>> [attr["frequency"] for attr in basis]  # |1 + 0 + 8t| <= 3, two phases each
    [1, 1]
    >>> basis.sample(np.array([[0.0, np.pi / 2]])).shape
    (2, 1, 2, 2)
"""

from __future__ import annotations

from typing import Any

from e2_steerable.group import Group
from e2_steerable.group.groups import _common as c
from e2_steerable.group.groups.cyclic import CyclicGroup
from e2_steerable.group.groups.dihedral import DihedralGroup
from e2_steerable.group.groups.o2 import O2
from e2_steerable.group.groups.so2 import SO2
from e2_steerable.kernels._angular import GroupKind
from e2_steerable.kernels.polar import IrrepBasis

__all__ = [
    "IrrepBasis",
    "R2ContinuousRotationsSolution",
    "R2DiscreteRotationsSolution",
    "R2FlipsContinuousRotationsSolution",
    "R2FlipsDiscreteRotationsSolution",
    "R2FlipsSolution",
]


def _require(group: Any, cls: type, what: str) -> Any:
    if not isinstance(group, cls):
        raise TypeError(f"group: expected {what}, got {getattr(group, 'name', group)!r}")
    return group


def _continuous_limit(group: Group, in_irrep: Any, out_irrep: Any) -> int:
    """The largest frequency between two irreps of SO(2)/O(2): every solution is listed."""
    from e2_steerable.kernels.polar import _irrep_of

    f_in = int(_irrep_of(group, in_irrep).attributes.get("frequency", 0))
    f_out = int(_irrep_of(group, out_irrep).attributes.get("frequency", 0))
    return f_in + f_out


class R2FlipsSolution(IrrepBasis):
    """Solutions for the reflection group :math:`C_2` acting by a flip across ``axis``."""

    def __init__(
        self,
        group: Group | int,
        in_irrep: Any,
        out_irrep: Any,
        axis: float,
        max_frequency: int | None = None,
        max_offset: int | None = None,
    ) -> None:
        g = CyclicGroup._generator(2) if isinstance(group, int) else group
        _require(g, CyclicGroup, "the group C2")
        if g.order() != 2:
            raise ValueError(f"group: expected C2, got {g.name}")
        kind = GroupKind("Flip", 2, c.check_axis(axis))
        super().__init__(g, in_irrep, out_irrep, kind, max_frequency, max_offset)


class R2DiscreteRotationsSolution(IrrepBasis):
    """Solutions for the rotations :math:`C_N`."""

    def __init__(
        self,
        group: Group | int,
        in_irrep: Any,
        out_irrep: Any,
        max_frequency: int | None = None,
        max_offset: int | None = None,
    ) -> None:
        g = CyclicGroup._generator(group) if isinstance(group, int) else group
        _require(g, CyclicGroup, "a cyclic group C_N")
        kind = GroupKind("C", g.order())
        super().__init__(g, in_irrep, out_irrep, kind, max_frequency, max_offset)


class R2ContinuousRotationsSolution(IrrepBasis):
    """Solutions for :math:`SO(2)` (all of them: there are finitely many per irrep pair)."""

    def __init__(self, group: Group, in_irrep: Any, out_irrep: Any) -> None:
        _require(group, SO2, "SO(2)")
        limit = _continuous_limit(group, in_irrep, out_irrep)
        super().__init__(group, in_irrep, out_irrep, GroupKind("SO2", -1), limit, None)


class R2FlipsDiscreteRotationsSolution(IrrepBasis):
    """Solutions for the dihedral group :math:`D_N` with reflection axis ``axis``."""

    def __init__(
        self,
        group: Group | int,
        in_irrep: Any,
        out_irrep: Any,
        axis: float,
        max_frequency: int | None = None,
        max_offset: int | None = None,
    ) -> None:
        g = DihedralGroup._generator(group) if isinstance(group, int) else group
        _require(g, DihedralGroup, "a dihedral group D_N")
        kind = GroupKind("D", g.order() // 2, c.check_axis(axis))
        super().__init__(g, in_irrep, out_irrep, kind, max_frequency, max_offset)


class R2FlipsContinuousRotationsSolution(IrrepBasis):
    """Solutions for :math:`O(2)` with reflection axis ``axis``."""

    def __init__(self, group: Group, in_irrep: Any, out_irrep: Any, axis: float = 0.0) -> None:
        _require(group, O2, "O(2)")
        limit = _continuous_limit(group, in_irrep, out_irrep)
        kind = GroupKind("O2", -1, c.check_axis(axis))
        super().__init__(group, in_irrep, out_irrep, kind, limit, None)
