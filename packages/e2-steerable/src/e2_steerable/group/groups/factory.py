"""The public constructors of the groups; each group class caches its own instances (one per
process and parameters), so representations compare and pickle cleanly."""

from __future__ import annotations

from e2_steerable.group.groups.cyclic import CyclicGroup
from e2_steerable.group.groups.dihedral import DihedralGroup
from e2_steerable.group.groups.o2 import O2
from e2_steerable.group.groups.so2 import SO2

__all__ = ["cyclic_group", "dihedral_group", "o2_group", "so2_group", "trivial_group"]

DEFAULT_MAXIMUM_FREQUENCY = 10  # as e2cnn's so2_group() / o2_group()


def cyclic_group(N: int) -> CyclicGroup:
    """The cyclic group :math:`C_N` (one cached instance per ``N``).

    Example:
        >>> cyclic_group(4) is cyclic_group(4)
        True
    """
    return CyclicGroup._generator(N)


def dihedral_group(N: int) -> DihedralGroup:
    """The dihedral group :math:`D_N` of order :math:`2N` (cached).

    Example:
        >>> dihedral_group(3).order()
        6
    """
    return DihedralGroup._generator(N)


def trivial_group() -> CyclicGroup:
    """The trivial group, :math:`C_1`.

    Example:
        >>> trivial_group().elements
        [0]
    """
    return CyclicGroup._generator(1)


def so2_group(maximum_frequency: int | None = None) -> SO2:
    """The group :math:`SO(2)` listing its irreps up to ``maximum_frequency`` (default 10).

    There is one instance per process; asking for a higher frequency lists more irreps on it.

    Example:
        >>> len(so2_group(2).irreps) >= 3
        True
    """
    if maximum_frequency is None:
        maximum_frequency = DEFAULT_MAXIMUM_FREQUENCY
    return SO2._generator(maximum_frequency)


def o2_group(maximum_frequency: int | None = None) -> O2:
    """The group :math:`O(2)` listing its irreps up to ``maximum_frequency`` (default 10).

    Example:
        >>> o2_group(1).irrep(1, 1).size
        2
    """
    if maximum_frequency is None:
        maximum_frequency = DEFAULT_MAXIMUM_FREQUENCY
    return O2._generator(maximum_frequency)
