""":class:`DisentangleModule`: split every field into independent sub-representations."""

from __future__ import annotations

import numpy as np
import torch

from e2_steerable.group.representation import disentangle
from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules._fields import E2cnnStateMixin
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.channels import ChannelPermutation

__all__ = ["DisentangleModule"]


class DisentangleModule(E2cnnStateMixin, EquivariantModule):
    """Disentangle every field: permute its channels so that it becomes a direct sum of
    independent representations (see :func:`e2_steerable.group.disentangle`).

    Args:
        in_type: the input field type.

    Shape:
        - input: :math:`(B, C, *)`
        - output: same shape, channels permuted within each field

    Example:
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.group import directsum
        >>> from e2_steerable.nn import DisentangleModule, FieldType
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> rep = directsum([gs.irrep(1), gs.trivial_repr])
        >>> [r.name for r in DisentangleModule(FieldType(gs, [rep])).out_type]
        ['irrep_1', 'irrep_0']
    """

    _permutation: torch.Tensor

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        require_field_type("DisentangleModule", in_type)
        self.in_type = in_type
        out_reprs = []
        permutation: list[int] = []
        legacy: list[str] = []
        for rep, start in zip(in_type.representations, in_type._starts):
            p, parts = disentangle(rep)
            out_reprs.extend(parts)
            source = np.argmax(np.asarray(p), axis=1)  # output channel i <- input channel source[i]
            permutation.extend(int(start + s) for s in source)
            legacy += [f"change_of_basis_{rep.name}", f"fiber_indices_{rep.name}"]
        self.out_type = FieldType(in_type.gspace, out_reprs)
        self._identity = permutation == list(range(in_type.size))
        self.register_buffer(
            "_permutation", torch.tensor(permutation, dtype=torch.long), persistent=False
        )
        self._legacy_keys = tuple(legacy)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """The input with every field's channels permuted."""
        x = self._check_input(input).tensor
        if not self._identity:
            x = torch.index_select(x, 1, self._permutation)
        return GeometricTensor(x, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def export(self) -> ChannelPermutation:
        """Plain-torch :class:`~e2_steerable.nn.ChannelPermutation`."""
        self.eval()
        return ChannelPermutation(self._permutation.tolist()).eval()
