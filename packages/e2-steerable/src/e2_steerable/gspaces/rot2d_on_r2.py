"""Rotations of the plane: :math:`C_N` or :math:`SO(2)`."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np

from e2_steerable.group import Group, cyclic_group, so2_group
from e2_steerable.group.groups import _common as c
from e2_steerable.gspaces.gspace import GeneralOnR2
from e2_steerable.kernels import GroupKind

__all__ = ["Rot2dOnR2"]


class Rot2dOnR2(GeneralOnR2):
    r"""The plane acted on by the rotations :math:`C_N` (``N >= 2``) or :math:`SO(2)` (``N=-1``).

    Args:
        N: the number of rotations (``>= 2``), or ``-1`` for all rotations.
        maximum_frequency: highest irrep frequency listed for :math:`SO(2)` (default 10, as in
            e2cnn); only with ``N=-1``.
        fibergroup: an already built fiber group to use instead of ``N``.

    Restriction ids: ``M`` dividing ``N`` (the rotations :math:`C_M`; ``M=1`` gives
    :class:`TrivialOnR2`); for :math:`SO(2)` any ``M >= 1``, or ``-1`` for itself.

    Example:
        >>> gs = Rot2dOnR2(8)
        >>> gs.name, gs.fibergroup.name, gs.regular_repr.size
        ('8-Rotations', 'C8', 8)
        >>> sub, parent_map, child_map = gs.restrict(4)
        >>> sub.name, parent_map(1)
        ('4-Rotations', 2)
    """

    def __init__(
        self,
        N: int | None = None,
        maximum_frequency: int | None = None,
        fibergroup: Group | None = None,
    ) -> None:
        if fibergroup is None:
            if N is None or not c.is_int(N) or not (N == -1 or N >= 2):
                raise ValueError(
                    f"N: expected an int >= 2, or -1 for SO(2), got {N!r} (for no rotations use "
                    "TrivialOnR2)"
                )
            if N != -1 and maximum_frequency is not None:
                raise ValueError(
                    f"maximum_frequency: only SO(2) (N=-1) lists irreps up to a frequency; got "
                    f"maximum_frequency={maximum_frequency!r} with N={N}"
                )
            fibergroup = so2_group(maximum_frequency) if N == -1 else cyclic_group(N)
        elif N is not None or maximum_frequency is not None:
            raise ValueError(
                "Rot2dOnR2: give either `fibergroup` or `N` (and `maximum_frequency`), not both"
            )
        if fibergroup.name == "SO(2)":
            self.N = -1
            name = "Continuous-Rotations"
        elif fibergroup.name.startswith("C"):
            self.N = fibergroup.N  # type: ignore[attr-defined]
            name = f"{self.N}-Rotations"
        else:
            raise ValueError(f"fibergroup: expected a cyclic group or SO(2), got {fibergroup.name}")
        super().__init__(fibergroup, name)

    def kernel_group_kind(self) -> GroupKind:
        """:math:`C_N` or :math:`SO(2)` for the kernel solver."""
        return GroupKind("SO2", -1) if self.N == -1 else GroupKind("C", self.N)

    def element_matrix(self, element: Any) -> np.ndarray:
        angle = float(element) if self.N == -1 else 2.0 * math.pi * int(element) / self.N
        return c.rotation(angle)

    def _rotation_angle(self, element: Any) -> float:
        return float(element) if self.N == -1 else 2.0 * math.pi * int(element) / self.N

    def restrict(self, id: Hashable) -> tuple[GeneralOnR2, Any, Any]:
        """Restrict to the rotations :math:`C_M` (``id = M``); see the class docstring."""
        from e2_steerable.gspaces.trivial_on_r2 import TrivialOnR2

        sub, parent_map, child_map = self.fibergroup.subgroup(id)
        if sub == self.fibergroup:
            return self, parent_map, child_map
        if sub.order() == 1:
            return TrivialOnR2(fibergroup=sub), parent_map, child_map
        return Rot2dOnR2(fibergroup=sub), parent_map, child_map
