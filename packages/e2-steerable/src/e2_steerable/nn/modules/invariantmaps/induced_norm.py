""":class:`InducedNormPool`: the largest sub-field norm of every induced field."""

from __future__ import annotations

from collections.abc import Hashable

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.modules.invariantmaps.norm import NormPool
from e2_steerable.nn.modules.nonlinearities.induced_norm import induced_field_keys

__all__ = ["InducedNormPool"]


class InducedNormPool(NormPool):
    """Replace every induced field by the largest norm among its sub-fields (invariant).

    Every field must be induced from a norm-supporting representation (tag
    ``'induced_norm_<d>'``): :math:`Q` sub-fields of size :math:`d`, which the group permutes.

    Args:
        in_type: the input field type.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, F, H, W)` with :math:`F` = ``len(in_type)``

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, InducedNormPool
        >>> gs = gspaces.FlipRot2dOnR2(4)
        >>> sub = gs.fibergroup.subgroup((None, 4))[0]
        >>> pool = InducedNormPool(FieldType(gs, [gs.induced_repr((None, 4), sub.irrep(1))]))
        >>> pool(GeometricTensor(torch.randn(2, 4, 3, 3), pool.in_type)).shape
        torch.Size([2, 1, 3, 3])
    """

    def _field_keys(
        self, in_type: FieldType
    ) -> tuple[list[Hashable], dict[Hashable, tuple[int, int]]]:
        return induced_field_keys(type(self).__name__, in_type)
