"""Gspaces: a symmetry group acting on the plane, with the representations of its fields.

Example:
    >>> from e2_steerable import gspaces
    >>> gs = gspaces.Rot2dOnR2(N=8)
    >>> gs.trivial_repr.name, gs.regular_repr.size, gs.irrep(1).size
    ('irrep_0', 8, 2)
"""

from e2_steerable.gspaces.flip2d_on_r2 import Flip2dOnR2
from e2_steerable.gspaces.fliprot2d_on_r2 import FlipRot2dOnR2
from e2_steerable.gspaces.gspace import GeneralOnR2, GSpace
from e2_steerable.gspaces.rot2d_on_r2 import Rot2dOnR2
from e2_steerable.gspaces.trivial_on_r2 import TrivialOnR2

__all__ = ["Flip2dOnR2", "FlipRot2dOnR2", "GSpace", "GeneralOnR2", "Rot2dOnR2", "TrivialOnR2"]
