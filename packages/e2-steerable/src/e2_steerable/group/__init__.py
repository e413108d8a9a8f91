"""Groups, their irreducible representations and the representations built from them.

The groups are the compact subgroups of :math:`O(2)` used by the planar gspaces: the cyclic groups
:math:`C_N`, the dihedral groups :math:`D_N`, :math:`SO(2)` and :math:`O(2)` (both with irreps up
to a maximum frequency) and the trivial group :math:`C_1`.

Example:
    >>> from e2_steerable.group import dihedral_group
    >>> G = dihedral_group(4)
    >>> [irr.name for irr in G.irreps.values()]
    ['irrep_0,0', 'irrep_1,0', 'irrep_1,1', 'irrep_1,2', 'irrep_0,2']
    >>> G.regular_representation.size
    8
"""

from e2_steerable.group._linalg import block_diag
from e2_steerable.group.group import Group, SubgroupMap
from e2_steerable.group.groups import (
    O2,
    SO2,
    CyclicGroup,
    DihedralGroup,
    cyclic_group,
    dihedral_group,
    o2_group,
    so2_group,
    trivial_group,
)
from e2_steerable.group.irrep import IrreducibleRepresentation
from e2_steerable.group.representation import (
    Representation,
    change_basis,
    directsum,
    disentangle,
)
from e2_steerable.group.utils import chi, psi, psichi

__all__ = [
    "O2",
    "SO2",
    "CyclicGroup",
    "DihedralGroup",
    "Group",
    "IrreducibleRepresentation",
    "Representation",
    "SubgroupMap",
    "block_diag",
    "change_basis",
    "chi",
    "cyclic_group",
    "dihedral_group",
    "directsum",
    "disentangle",
    "o2_group",
    "psi",
    "psichi",
    "so2_group",
    "trivial_group",
]
