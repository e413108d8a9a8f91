""":class:`InducedNormBatchNorm`: norm batch normalization of induced fields."""

from __future__ import annotations

from collections.abc import Hashable

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.modules.batchnormalization._stats import reject_trivial_fields
from e2_steerable.nn.modules.batchnormalization.norm import NormBatchNorm
from e2_steerable.nn.modules.nonlinearities.induced_norm import induced_field_keys

__all__ = ["InducedNormBatchNorm"]


class InducedNormBatchNorm(NormBatchNorm):
    r"""Norm batch normalization of fields induced from a norm-supporting, non-trivial
    representation.

    An induced field is :math:`Q` sub-fields of size :math:`d`; all its sub-fields share one
    variance :math:`\sigma^2 = \mathbb{E}\|v_q\|^2 / d` (over the batch, the pixels and the
    sub-fields) and one learnable scale. Otherwise as :class:`NormBatchNorm`; the buffers and
    parameters are grouped per ``(size, sub-field size)`` with e2cnn's names
    (``'(size, d)_running_var'``, ``'(size, d)_weight'``).

    Args:
        in_type: the input field type (also the output type): induced fields (tag
            ``'induced_norm_<d>'``) without trivial irreps.
        eps: added to the variance.
        momentum: factor of the running-statistics update; ``None`` for a cumulative average.
        affine: learn the per-field scale.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, InducedNormBatchNorm
        >>> gs = gspaces.FlipRot2dOnR2(4)
        >>> sub = gs.fibergroup.subgroup((None, 4))[0]
        >>> bn = InducedNormBatchNorm(FieldType(gs, [gs.induced_repr((None, 4), sub.irrep(1))]))
        >>> sorted(bn.state_dict())
        ['(4, 2)_running_var', '(4, 2)_weight', 'num_batches_tracked']
    """

    _stat_dims = 4

    def _check_fields(self, in_type: FieldType) -> None:
        reject_trivial_fields("InducedNormBatchNorm", in_type, "GNormBatchNorm")

    def _field_keys(
        self, in_type: FieldType
    ) -> tuple[list[Hashable], dict[Hashable, tuple[int, int]]]:
        return induced_field_keys("InducedNormBatchNorm", in_type)
