""":class:`InducedNormNonLinearity`: a norm activation of every sub-field of induced fields."""

from __future__ import annotations

from collections.abc import Hashable

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.modules.nonlinearities.norm import NormKey, NormNonLinearity

__all__ = ["InducedNormNonLinearity", "induced_field_keys", "induced_subfield_size"]


def induced_subfield_size(module: str, rep: object, prefix: str) -> int:
    """The sub-field size ``d`` of an induced representation, read from its ``'<prefix>_<d>'`` tag.

    Raises:
        ValueError: if the representation carries no such tag, or several.
    """
    tags = [t for t in getattr(rep, "supported_nonlinearities", ()) if t.startswith(prefix + "_")]
    sizes = {int(t.rsplit("_", 1)[1]) for t in tags if t.rsplit("_", 1)[1].isdigit()}
    if len(sizes) != 1:
        raise ValueError(
            f"{module}: field '{getattr(rep, 'name', rep)}' must be an induced representation "
            f"supporting '{prefix}' non-linearities (with one sub-field size), got tags "
            f"{sorted(getattr(rep, 'supported_nonlinearities', ()))}"
        )
    return sizes.pop()


def induced_field_keys(
    module: str, in_type: FieldType
) -> tuple[list[Hashable], dict[Hashable, tuple[int, int]]]:
    """Per-field key ``(size, d)`` of induced fields and, per key, ``(sub-fields, d)``."""
    keys: list[Hashable] = []
    split: dict[Hashable, tuple[int, int]] = {}
    for rep in in_type.representations:
        d = induced_subfield_size(module, rep, "induced_norm")
        key = (int(rep.size), d)
        keys.append(key)
        split[key] = (rep.size // d, d)
    return keys, split


class InducedNormNonLinearity(NormNonLinearity):
    r"""Norm activation of every sub-field of fields induced from a norm-supporting representation.

    An induced field of size :math:`Q d` is :math:`Q` sub-fields of size :math:`d`, permuted and
    transformed by the group; each sub-field :math:`v` becomes
    :math:`f(\|v\| - b)\, v / \|v\|`, with one learnable bias :math:`b = e^{\beta}` per induced
    field shared by its sub-fields (parameter ``log_bias`` of shape ``(len(in_type),)``).

    Args:
        in_type: the input field type (also the output type); every field must be induced
            (tag ``'induced_norm_<d>'``).
        function: ``'n_relu'`` (default), ``'n_sigmoid'`` or ``'squash'``.
        bias: learn a bias subtracted from the norms.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, InducedNormNonLinearity
        >>> gs = gspaces.FlipRot2dOnR2(4)
        >>> sub = gs.fibergroup.subgroup((None, 4))[0]
        >>> rep = gs.induced_repr((None, 4), sub.irrep(1))
        >>> act = InducedNormNonLinearity(FieldType(gs, [rep]))
        >>> act(GeometricTensor(torch.randn(1, 4, 3, 3), act.in_type)).shape
        torch.Size([1, 4, 3, 3])
    """

    def _check_support(self, in_type: FieldType) -> None:
        """Checked field by field in :meth:`_field_keys`."""

    def __init__(self, in_type: FieldType, function: str = "n_relu", bias: bool = True) -> None:
        super().__init__(in_type, function, bias)

    def _field_keys(
        self, in_type: FieldType
    ) -> tuple[list[NormKey], dict[NormKey, int], dict[NormKey, int]]:
        keys: list[NormKey] = []
        subfield: dict[NormKey, int] = {}
        repeat: dict[NormKey, int] = {}
        for rep in in_type.representations:
            d = induced_subfield_size(type(self).__name__, rep, "induced_norm")
            if rep.size % d:
                raise ValueError(
                    f"{type(self).__name__}: field '{rep.name}' has size {rep.size}, not a "
                    f"multiple of its sub-field size {d}"
                )
            key = (int(rep.size), d)
            keys.append(key)
            subfield[key] = d
            repeat[key] = rep.size // d
        return keys, subfield, repeat

    def _bias_shape(self) -> tuple[int, ...]:
        return (len(self.in_type),)
