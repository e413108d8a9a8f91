""":class:`NormPool`: the norm of every field, an invariant scalar."""

from __future__ import annotations

from collections.abc import Hashable

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules._fields import E2cnnStateMixin, keyed_runs
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.pools import FieldNormPool, field_norm_pool

__all__ = ["NormPool"]


class NormPool(E2cnnStateMixin, EquivariantModule):
    """Replace every field by its norm, which is invariant (a trivial field).

    Only representations supporting ``'norm'`` non-linearities (orthogonal ones) are accepted.

    Args:
        in_type: the input field type.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, F, H, W)` with :math:`F` = ``len(in_type)``

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, NormPool
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> pool = NormPool(FieldType(gs, [gs.irrep(1), gs.regular_repr]))
        >>> pool(GeometricTensor(torch.randn(2, 10, 4, 4), pool.in_type)).shape
        torch.Size([2, 2, 4, 4])
    """

    def __init__(self, in_type: FieldType, **kwargs: object) -> None:
        super().__init__()
        name = type(self).__name__
        require_field_type(name, in_type)
        if kwargs:
            raise TypeError(f"{name}: unexpected keyword arguments {sorted(kwargs)}")
        self.in_type = in_type
        keys, split = self._field_keys(in_type)
        self.out_type = FieldType(in_type.gspace, [in_type.gspace.trivial_repr] * len(in_type))
        self._runs = [
            (r.channel_start, r.channel_end, *split[r.key]) for r in keyed_runs(in_type, keys)
        ]
        order = sorted(set(keys))  # type: ignore[type-var]
        self._legacy_keys = (
            *(f"in_indices_{k}" for k in order),
            *(f"out_indices_{k}" for k in order),
        )

    def _field_keys(
        self, in_type: FieldType
    ) -> tuple[list[Hashable], dict[Hashable, tuple[int, int]]]:
        """Per-field key and, per key, ``(sub-fields, sub-field size)``."""
        require_support(type(self).__name__, in_type, "norm")
        sizes = list(in_type._sizes)
        return sizes, {s: (1, s) for s in sizes}  # type: ignore[return-value]

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """The norm of every field of ``input``."""
        x = self._check_input(input)
        return GeometricTensor(field_norm_pool(x.tensor, self._runs), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, len(in_type), *spatial)``."""
        shape = self._check_input_shape(input_shape)
        return (shape[0], self.out_type.size, *shape[2:])

    def export(self) -> FieldNormPool:
        """Plain-torch :class:`~e2_steerable.nn.FieldNormPool`."""
        self.eval()
        return FieldNormPool(self._runs).eval()

    def extra_repr(self) -> str:
        return f"{self.in_type}"
