"""Rotations and reflections of the plane: :math:`D_N` or :math:`O(2)`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from e2_steerable.group import Group, dihedral_group, o2_group
from e2_steerable.group.groups import _common as c
from e2_steerable.gspaces.gspace import GeneralOnR2
from e2_steerable.kernels import GroupKind

__all__ = ["FlipRot2dOnR2", "reflection"]


def reflection(axis: float) -> np.ndarray:
    """The 2x2 reflection across the line through the origin at angle ``axis``."""
    return c.rotation(2.0 * axis) @ c.FLIP_X


class FlipRot2dOnR2(GeneralOnR2):
    r"""The plane acted on by :math:`D_N` (``N >= 1``) or :math:`O(2)` (``N=-1``).

    The element ``(f, k)`` reflects ``f`` times across the line at angle ``axis``, then rotates by
    :math:`2\pi k/N` (by the angle ``k`` for :math:`O(2)`).

    Args:
        N: the number of rotations (``>= 2``), or ``-1`` for :math:`O(2)`.
        maximum_frequency: highest irrep frequency listed for :math:`O(2)` (default 10, as in
            e2cnn); only with ``N=-1``.
        axis: angle of the reflection axis (default :math:`\pi/2`: a horizontal flip).
        fibergroup: an already built fiber group to use instead of ``N``.

    Restriction ids ``(k, M)``: ``(None, M)`` the rotations :math:`C_M` (:class:`Rot2dOnR2`);
    ``(k, M)`` the dihedral group :math:`D_M` with the axis turned by :math:`k\pi/N`
    (``M=1``: :class:`Flip2dOnR2`). For :math:`O(2)`: ``(None, -1)`` gives :math:`SO(2)` and
    ``(θ, M)`` turns the axis by ``θ/2`` (``M=-1`` keeps :math:`O(2)`).

    Example:
        >>> gs = FlipRot2dOnR2(4)
        >>> gs.name, gs.regular_repr.size
        ('Flip_4-Rotations(f=1.57080)', 8)
        >>> gs.element_matrix((1, 0)).round(6).tolist()  # x -> -x
        [[-1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(
        self,
        N: int | None = None,
        maximum_frequency: int | None = None,
        axis: float = math.pi / 2,
        fibergroup: Group | None = None,
    ) -> None:
        axis = c.check_axis(axis)
        if fibergroup is None:
            if N is None or not c.is_int(N) or not (N == -1 or N >= 2):
                raise ValueError(
                    f"N: expected an int >= 2, or -1 for O(2), got {N!r} (for a single "
                    "reflection use Flip2dOnR2)"
                )
            if N != -1 and maximum_frequency is not None:
                raise ValueError(
                    f"maximum_frequency: only O(2) (N=-1) lists irreps up to a frequency; got "
                    f"maximum_frequency={maximum_frequency!r} with N={N}"
                )
            fibergroup = o2_group(maximum_frequency) if N == -1 else dihedral_group(N)
        elif N is not None or maximum_frequency is not None:
            raise ValueError(
                "FlipRot2dOnR2: give either `fibergroup` or `N` (and `maximum_frequency`), not both"
            )
        self.axis = float(axis)
        if fibergroup.name == "O(2)":
            self.N = -1
            name = f"Flip_Continuous-Rotations(f={self.axis:.5f})"
        elif fibergroup.name.startswith("D"):
            self.N = fibergroup.N  # type: ignore[attr-defined]
            name = f"Flip_{self.N}-Rotations(f={self.axis:.5f})"
        else:
            raise ValueError(
                f"fibergroup: expected a dihedral group or O(2), got {fibergroup.name}"
            )
        super().__init__(fibergroup, name)

    def kernel_group_kind(self) -> GroupKind:
        """:math:`D_N` or :math:`O(2)` with reflection axis ``axis`` for the kernel solver."""
        if self.N == -1:
            return GroupKind("O2", -1, self.axis)
        return GroupKind("D", self.N, self.axis)

    def _rotation_angle(self, element: Any) -> float:
        r = element[1]
        return float(r) if self.N == -1 else 2.0 * math.pi * int(r) / self.N

    def element_matrix(self, element: Any) -> np.ndarray:
        m = c.rotation(self._rotation_angle(element))
        return m @ reflection(self.axis) if element[0] % 2 else m

    def restrict(self, id: Any) -> tuple[GeneralOnR2, Any, Any]:
        """Restrict to a subgroup (see the class docstring for the ids)."""
        from e2_steerable.gspaces.flip2d_on_r2 import Flip2dOnR2
        from e2_steerable.gspaces.rot2d_on_r2 import Rot2dOnR2
        from e2_steerable.gspaces.trivial_on_r2 import TrivialOnR2

        sub, parent_map, child_map = self.fibergroup.subgroup(id)
        turn, m = id
        if turn is None:
            if sub.order() == 1:
                return TrivialOnR2(fibergroup=sub), parent_map, child_map
            return Rot2dOnR2(fibergroup=sub), parent_map, child_map
        shift = float(turn) / 2.0 if self.N == -1 else math.pi * int(turn) / self.N
        axis = self.axis + shift
        if m == 1:
            return Flip2dOnR2(axis=axis, fibergroup=sub), parent_map, child_map
        if sub == self.fibergroup and shift == 0.0:
            return self, parent_map, child_map
        return FlipRot2dOnR2(axis=axis, fibergroup=sub), parent_map, child_map
