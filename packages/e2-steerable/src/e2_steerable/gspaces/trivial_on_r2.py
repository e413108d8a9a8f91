"""The plane with no symmetry besides translations: the trivial group :math:`C_1`."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from e2_steerable.group import Group, trivial_group
from e2_steerable.gspaces.gspace import GeneralOnR2
from e2_steerable.kernels import GroupKind

__all__ = ["TrivialOnR2"]


class TrivialOnR2(GeneralOnR2):
    """The plane with the trivial fiber group (an ordinary CNN's symmetries).

    Args:
        fibergroup: the trivial group (built when omitted).

    Restriction ids: ``1`` (itself).

    Example:
        >>> gs = TrivialOnR2()
        >>> gs.name, gs.fibergroup.order()
        ('Trivial', 1)
    """

    def __init__(self, fibergroup: Group | None = None) -> None:
        if fibergroup is None:
            fibergroup = trivial_group()
        if fibergroup != trivial_group():
            raise ValueError(f"fibergroup: expected the trivial group C1, got {fibergroup.name}")
        self.N = 1
        super().__init__(fibergroup, "Trivial")

    def kernel_group_kind(self) -> GroupKind:
        """The trivial group :math:`C_1` for the kernel solver."""
        return GroupKind("C", 1)

    def element_matrix(self, element: Any) -> np.ndarray:
        return np.eye(2)

    def restrict(self, id: Hashable) -> tuple[GeneralOnR2, Any, Any]:
        """Only ``id=1`` (the group itself) is valid."""
        _sub, parent_map, child_map = self.fibergroup.subgroup(id)
        return self, parent_map, child_map
