""":class:`VectorFieldNonLinearity`: regular fields of :math:`C_N` to 2-D vectors."""

from __future__ import annotations

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.activations import (
    VectorFieldActivation,
    vector_field_activation,
)

__all__ = ["VectorFieldNonLinearity"]


class VectorFieldNonLinearity(EquivariantModule):
    r"""Map every regular field of :math:`C_N` to the vector of its largest activation.

    For each field the rotation :math:`k` with the largest activation :math:`a` gives the vector
    :math:`\max(a, 0)\,(\cos 2\pi k/N, \sin 2\pi k/N)`, a field of the frequency-1 irrep.

    Args:
        in_type: fields that are all the regular representation of :math:`C_N`, :math:`N \ge 3`.

    Shape:
        - input: :math:`(B, F N, H, W)`
        - output: :math:`(B, 2F, H, W)`

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, VectorFieldNonLinearity
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> act = VectorFieldNonLinearity(FieldType(gs, [gs.regular_repr] * 3))
        >>> act(GeometricTensor(torch.randn(2, 24, 5, 5), act.in_type)).shape
        torch.Size([2, 6, 5, 5])
    """

    def __init__(self, in_type: FieldType, **kwargs: object) -> None:
        super().__init__()
        name = "VectorFieldNonLinearity"
        require_field_type(name, in_type)
        if kwargs:
            raise TypeError(f"{name}: unexpected keyword arguments {sorted(kwargs)}")
        require_support(name, in_type, "vectorfield")
        group = in_type.fibergroup
        order = group.order()
        if group.continuous or order < 3:
            raise ValueError(f"{name}: needs a cyclic group C_N with N >= 3, got {group.name}")
        for i, rep in enumerate(in_type.representations):
            if rep.name != "regular" or rep.size != order:
                raise ValueError(
                    f"{name}: every field must be the regular representation; field {i} is "
                    f"'{rep.name}'"
                )
        self.in_type = in_type
        self.out_type = FieldType(in_type.gspace, [group.irrep(1)] * len(in_type))
        self._rotations = int(order)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """The vector of the largest activation of every field."""
        x = self._check_input(input)
        return GeometricTensor(vector_field_activation(x.tensor, self._rotations), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, 2 len(in_type), *spatial)``."""
        shape = self._check_input_shape(input_shape)
        return (shape[0], self.out_type.size, *shape[2:])

    def export(self) -> VectorFieldActivation:
        """Plain-torch :class:`~e2_steerable.nn.VectorFieldActivation`."""
        self.eval()
        return VectorFieldActivation(self._rotations).eval()
