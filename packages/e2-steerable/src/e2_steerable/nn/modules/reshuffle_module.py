""":class:`ReshuffleModule`: permute the fields."""

from __future__ import annotations

from collections.abc import Sequence

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._channel_ranges import field_channel_ranges, gather_ranges
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules._fields import E2cnnStateMixin
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.channels import ChannelPermutation

__all__ = ["ReshuffleModule"]


class ReshuffleModule(E2cnnStateMixin, EquivariantModule):
    """Reorder the fields: output field ``i`` is input field ``permutation[i]``.

    Args:
        in_type: the input field type.
        permutation: a permutation of ``0, ..., len(in_type) - 1``.

    Shape:
        - input: :math:`(B, C, *)`
        - output: same shape, channels reordered field by field

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, ReshuffleModule
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> mod = ReshuffleModule(FieldType(gs, [gs.trivial_repr, gs.irrep(1)]), [1, 0])
        >>> x = GeometricTensor(torch.arange(3.0).reshape(1, 3, 1, 1), mod.in_type)
        >>> mod(x).tensor.flatten().tolist()
        [1.0, 2.0, 0.0]
    """

    def __init__(self, in_type: FieldType, permutation: Sequence[int]) -> None:
        super().__init__()
        require_field_type("ReshuffleModule", in_type)
        perm = [int(p) for p in permutation]
        if sorted(perm) != list(range(len(in_type))):
            raise ValueError(
                f"ReshuffleModule: `permutation` must be a permutation of 0..{len(in_type) - 1}, "
                f"got {list(permutation)}"
            )
        self.in_type = in_type
        self.permutation = perm
        self.out_type = in_type.index_select(perm)
        self._ranges = field_channel_ranges(in_type, perm)
        self._legacy_keys = ("indices",)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """The fields of ``input`` in the new order."""
        x = self._check_input(input)
        return GeometricTensor(gather_ranges(x.tensor, self._ranges), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def export(self) -> ChannelPermutation:
        """Plain-torch :class:`~e2_steerable.nn.ChannelPermutation`."""
        self.eval()
        channels = [c for a, b in self._ranges for c in range(a, b)]
        return ChannelPermutation(channels).eval()
