"""The concrete groups: cyclic, dihedral, SO(2) and O(2) (the trivial group is ``C_1``)."""

from e2_steerable.group.groups.cyclic import CyclicGroup
from e2_steerable.group.groups.dihedral import DihedralGroup
from e2_steerable.group.groups.factory import (
    cyclic_group,
    dihedral_group,
    o2_group,
    so2_group,
    trivial_group,
)
from e2_steerable.group.groups.o2 import O2
from e2_steerable.group.groups.so2 import SO2

__all__ = [
    "O2",
    "SO2",
    "CyclicGroup",
    "DihedralGroup",
    "cyclic_group",
    "dihedral_group",
    "o2_group",
    "so2_group",
    "trivial_group",
]
