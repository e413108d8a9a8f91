""":class:`IdentityModule`: returns its input."""

from __future__ import annotations

from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules.equivariant_module import EquivariantModule

__all__ = ["IdentityModule"]


class IdentityModule(EquivariantModule):
    """Return the input unchanged (after checking its type).

    Args:
        in_type: the input (and output) field type.

    Shape:
        - input: :math:`(B, C, *)`
        - output: same as input

    Example:
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, IdentityModule
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> IdentityModule(FieldType(gs, [gs.regular_repr])).export()
        Identity()
    """

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        require_field_type("IdentityModule", in_type)
        self.in_type = in_type
        self.out_type = in_type

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Return ``input``."""
        return self._check_input(input)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def export(self) -> nn.Identity:
        """``torch.nn.Identity`` (in eval mode)."""
        self.eval()
        return nn.Identity().eval()
