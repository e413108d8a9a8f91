"""Reflections of the plane across one axis: the group :math:`C_2`."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np

from e2_steerable.group import Group, cyclic_group
from e2_steerable.group.groups import _common as c
from e2_steerable.gspaces.fliprot2d_on_r2 import reflection
from e2_steerable.gspaces.gspace import GeneralOnR2
from e2_steerable.kernels import GroupKind

__all__ = ["Flip2dOnR2"]


class Flip2dOnR2(GeneralOnR2):
    r"""The plane acted on by the reflection across the line at angle ``axis`` (group :math:`C_2`).

    Args:
        axis: angle of the reflection axis (default :math:`\pi/2`: a horizontal flip).
        fibergroup: the group :math:`C_2` (built when omitted).

    Restriction ids: ``1`` (:class:`TrivialOnR2`) and ``2`` (itself).

    Example:
        >>> gs = Flip2dOnR2()
        >>> gs.name, list(gs.irreps)
        ('Flips', ['irrep_0', 'irrep_1'])
    """

    def __init__(self, axis: float = math.pi / 2, fibergroup: Group | None = None) -> None:
        axis = c.check_axis(axis)
        if fibergroup is None:
            fibergroup = cyclic_group(2)
        if fibergroup != cyclic_group(2):
            raise ValueError(f"fibergroup: expected C2, got {fibergroup.name}")
        self.axis = float(axis)
        self.N = 2
        same = abs(self.axis - math.pi / 2) < 1e-12
        super().__init__(fibergroup, "Flips" if same else f"Flips(f={self.axis:.5f})")

    def kernel_group_kind(self) -> GroupKind:
        """A single reflection across ``axis`` for the kernel solver."""
        return GroupKind("Flip", 2, self.axis)

    def element_matrix(self, element: Any) -> np.ndarray:
        return reflection(self.axis) if int(element) % 2 else np.eye(2)

    def restrict(self, id: Hashable) -> tuple[GeneralOnR2, Any, Any]:
        """Restrict to the trivial group (``id=1``) or keep the reflections (``id=2``)."""
        from e2_steerable.gspaces.trivial_on_r2 import TrivialOnR2

        sub, parent_map, child_map = self.fibergroup.subgroup(id)
        if sub.order() == 1:
            return TrivialOnR2(fibergroup=sub), parent_map, child_map
        return self, parent_map, child_map
