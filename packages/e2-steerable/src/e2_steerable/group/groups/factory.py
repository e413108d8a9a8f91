"""Cached constructors: one instance per group, so representations compare and pickle cleanly."""

from __future__ import annotations

from e2_steerable.group.groups import _common as c
from e2_steerable.group.groups.cyclic import CyclicGroup
from e2_steerable.group.groups.dihedral import DihedralGroup
from e2_steerable.group.groups.o2 import O2
from e2_steerable.group.groups.so2 import SO2

__all__ = ["cyclic_group", "dihedral_group", "o2_group", "so2_group", "trivial_group"]

_CYCLIC: dict[int, CyclicGroup] = {}
_DIHEDRAL: dict[int, DihedralGroup] = {}
_CONTINUOUS: dict[str, SO2 | O2] = {}

DEFAULT_MAXIMUM_FREQUENCY = 10  # as e2cnn's so2_group() / o2_group()


def cyclic_group(N: int) -> CyclicGroup:
    """The cyclic group :math:`C_N` (one cached instance per ``N``).

    Example:
        >>> cyclic_group(4) is cyclic_group(4)
        True
    """
    if not c.is_int(N) or N < 1:
        raise ValueError(f"N: expected a positive int, got {N!r}")
    group = _CYCLIC.get(int(N))
    if group is None:
        group = _CYCLIC[int(N)] = CyclicGroup(int(N))
        _ = group.regular_representation  # list the irreps and 'regular' in `representations`
    return group


def dihedral_group(N: int) -> DihedralGroup:
    """The dihedral group :math:`D_N` of order :math:`2N` (cached).

    Example:
        >>> dihedral_group(3).order()
        6
    """
    if not c.is_int(N) or N < 1:
        raise ValueError(f"N: expected a positive int, got {N!r}")
    group = _DIHEDRAL.get(int(N))
    if group is None:
        group = _DIHEDRAL[int(N)] = DihedralGroup(int(N))
        _ = group.regular_representation
    return group


def trivial_group() -> CyclicGroup:
    """The trivial group, :math:`C_1`.

    Example:
        >>> trivial_group().elements
        [0]
    """
    return cyclic_group(1)


def _continuous(kind: str, maximum_frequency: int | None) -> SO2 | O2:
    if maximum_frequency is None:
        maximum_frequency = DEFAULT_MAXIMUM_FREQUENCY
    if not c.is_int(maximum_frequency) or maximum_frequency < 0:
        raise ValueError(
            f"maximum_frequency: expected a non-negative int, got {maximum_frequency!r}"
        )
    group = _CONTINUOUS.get(kind)
    if group is None:
        cls = SO2 if kind == "SO2" else O2
        group = _CONTINUOUS[kind] = cls(int(maximum_frequency))
    elif group.maximum_frequency < maximum_frequency:
        # one group instance per process: listing more irreps keeps every earlier one valid
        group.maximum_frequency = int(maximum_frequency)
    _ = group.irreps  # register the listed irreps in `representations`
    return group


def so2_group(maximum_frequency: int | None = None) -> SO2:
    """The group :math:`SO(2)` listing its irreps up to ``maximum_frequency`` (default 10).

    There is one instance per process; asking for a higher frequency lists more irreps on it.

    Example:
        >>> len(so2_group(2).irreps) >= 3
        True
    """
    return _continuous("SO2", maximum_frequency)  # type: ignore[return-value]


def o2_group(maximum_frequency: int | None = None) -> O2:
    """The group :math:`O(2)` listing its irreps up to ``maximum_frequency`` (default 10).

    Example:
        >>> o2_group(1).irrep(1, 1).size
        2
    """
    return _continuous("O2", maximum_frequency)  # type: ignore[return-value]
