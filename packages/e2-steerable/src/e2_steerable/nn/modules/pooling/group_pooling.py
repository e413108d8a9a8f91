""":class:`GroupPooling`: max over the channels of each field (an invariant map)."""

from __future__ import annotations

import torch

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules._fields import E2cnnStateMixin
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.pooling.max_pool_channels import (
    MaxPoolChannels,
    channel_group_runs,
    max_over_channel_groups,
)

__all__ = ["GroupPooling"]


class GroupPooling(E2cnnStateMixin, EquivariantModule):
    """Replace every field by the maximum of its channels, which is invariant.

    Only permutation representations (those supporting pointwise nonlinearities: regular,
    quotient, trivial) are accepted; the output has one trivial field per input field.

    Args:
        in_type: the input field type.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, F, H, W)` with :math:`F` = ``len(in_type)``

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, GroupPooling
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> gp = GroupPooling(FieldType(gs, [gs.regular_repr] * 2))
        >>> gp(GeometricTensor(torch.randn(1, 16, 5, 5), gp.in_type)).shape
        torch.Size([1, 2, 5, 5])
        >>> gp.export()
        MaxPoolChannels(kernel_size=8)
    """

    _e2cnn_derived_buffers = ("in_indices_", "out_indices_")

    def __init__(self, in_type: FieldType, **kwargs: object) -> None:
        super().__init__()
        require_field_type("GroupPooling", in_type)
        require_support("GroupPooling", in_type, "pointwise")
        if kwargs:
            raise TypeError(f"GroupPooling: unexpected keyword arguments {sorted(kwargs)}")
        self.in_type = in_type
        self.out_type = FieldType(in_type.gspace, [in_type.gspace.trivial_repr] * len(in_type))
        sizes = in_type.sizes
        self._kernel_size: int | tuple[int, ...] = sizes[0] if len(set(sizes)) == 1 else sizes
        self._runs = channel_group_runs(sizes)
        # e2cnn 0.2.3 saves its channel indices; loading its state dicts drops them
        self._legacy_keys = tuple(
            f"{kind}_indices_{s}" for s in sorted(set(sizes)) for kind in ("in", "out")
        )

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Max over the channels of each field of ``input``."""
        x = self._check_input(input)
        out: torch.Tensor = max_over_channel_groups(x.tensor, self._runs)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, len(in_type), *spatial)``."""
        shape = self._check_input_shape(input_shape)
        return (shape[0], self.out_type.size, *shape[2:])

    def export(self) -> MaxPoolChannels:
        """The equivalent plain-torch :class:`MaxPoolChannels` (in eval mode)."""
        self.eval()
        return MaxPoolChannels(self._kernel_size).eval()

    def extra_repr(self) -> str:
        return f"{self.in_type}"
