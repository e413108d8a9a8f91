""":class:`InducedGatedNonLinearity1`: gate the sub-fields of induced fields by induced gates."""

from __future__ import annotations

from collections.abc import Hashable

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.modules.nonlinearities.gated1 import GATES_ID, GatedNonLinearity1
from e2_steerable.nn.modules.nonlinearities.induced_norm import induced_subfield_size

__all__ = ["InducedGatedNonLinearity1"]


class InducedGatedNonLinearity1(GatedNonLinearity1):
    r"""Gated non-linearity for fields induced from a subgroup :math:`H` of index :math:`Q`.

    Every gate field is a quotient (permutation) representation of size :math:`Q` (tag
    ``'induced_gate'``), and every gated field is induced, :math:`Q` sub-fields of size
    :math:`d` (tag ``'induced_gated_<d>'``); channel :math:`q` of a gate multiplies sub-field
    :math:`q` of its gated field, after :math:`\sigma(g - b)` with one learnable bias per gate
    field (``bias`` of shape ``(1, n_gates, 1, 1, 1)``). Pairing and defaults are those of
    :class:`GatedNonLinearity1` (gated fields grouped by (size, sub-field size)).

    Args:
        in_type: the input field type.
        gates: ``'gate'`` or ``'gated'`` for every field, or ``None`` (first half are gates).
        drop_gates: if ``True`` (default) the output holds only the gated fields.

    Shape:
        - input: :math:`(B, C_{in}, H, W)`
        - output: :math:`(B, C_{out}, H, W)`

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, InducedGatedNonLinearity1
        >>> gs = gspaces.FlipRot2dOnR2(4)
        >>> sub = gs.fibergroup.subgroup((None, 4))[0]
        >>> gate = gs.quotient_repr((None, 4))
        >>> gated = gs.induced_repr((None, 4), sub.irrep(1))
        >>> act = InducedGatedNonLinearity1(FieldType(gs, [gate, gated]))
        >>> act(GeometricTensor(torch.randn(1, 6, 3, 3), act.in_type)).shape
        torch.Size([1, 4, 3, 3])
    """

    def _check_fields(
        self, in_type: FieldType, gates: list[str]
    ) -> tuple[list[Hashable], dict[Hashable, int], int]:
        name = type(self).__name__
        quotient: int | None = None
        for i, (g, rep) in enumerate(zip(gates, in_type.representations)):
            if g != GATES_ID:
                continue
            if "induced_gate" not in rep.supported_nonlinearities:
                raise ValueError(
                    f"{name}: field {i} ('{rep.name}') is a gate, so it must support "
                    "'induced_gate' (a quotient representation)"
                )
            if quotient is None:
                quotient = int(rep.size)
            elif rep.size != quotient:
                raise ValueError(
                    f"{name}: every gate must have the same size; field {i} ('{rep.name}') has "
                    f"{rep.size}, an earlier gate {quotient}"
                )
        assert quotient is not None
        keys: list[Hashable] = []
        subfield: dict[Hashable, int] = {}
        for i, (g, rep) in enumerate(zip(gates, in_type.representations)):
            if g == GATES_ID:
                continue
            d = induced_subfield_size(name, rep, "induced_gated")
            if rep.size != quotient * d:
                raise ValueError(
                    f"{name}: field {i} ('{rep.name}') has {rep.size} channels, but the gates "
                    f"have {quotient}, so it must be {quotient} sub-fields of size {d}"
                )
            key = (int(rep.size), d)
            keys.append(key)
            subfield[key] = d
        return keys, subfield, quotient

    def _bias_shape(self, n_gates: int) -> tuple[int, ...]:
        return (1, n_gates, 1, 1, 1)
