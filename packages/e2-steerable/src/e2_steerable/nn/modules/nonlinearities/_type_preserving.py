"""The shared base of the pointwise nonlinearities: checks the field type and keeps it."""

from __future__ import annotations

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules.equivariant_module import EquivariantModule

__all__ = ["TypePreservingPointwise"]


class TypePreservingPointwise(EquivariantModule):
    """A module applying one scalar function per channel, whose output type is its input type.

    Only fields whose representation supports pointwise nonlinearities are accepted; errors
    name the concrete module class.

    Args:
        in_type: the input field type (also the output type).
    """

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        name = type(self).__name__
        require_field_type(name, in_type)
        require_support(name, in_type, "pointwise")
        self.in_type = in_type
        self.out_type = in_type

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)
