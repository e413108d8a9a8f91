"""Generic :class:`PointwiseNonLinearity`."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules.nonlinearities._type_preserving import TypePreservingPointwise

__all__ = ["PointwiseNonLinearity"]

_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "p_relu": torch.relu,
    "p_elu": torch.nn.functional.elu,
    "p_sigmoid": torch.sigmoid,
    "p_tanh": torch.tanh,
}

_EXPORTS: dict[str, type[nn.Module]] = {
    "p_relu": nn.ReLU,
    "p_elu": nn.ELU,
    "p_sigmoid": nn.Sigmoid,
    "p_tanh": nn.Tanh,
}


class PointwiseNonLinearity(TypePreservingPointwise):
    """The same scalar function applied to every channel; the type is preserved.

    Only fields whose representation supports pointwise nonlinearities are accepted.

    Args:
        in_type: the input field type (also the output type).
        function: one of ``'p_relu'``, ``'p_elu'``, ``'p_sigmoid'``, ``'p_tanh'``.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, PointwiseNonLinearity
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> PointwiseNonLinearity(FieldType(gs, [gs.regular_repr]), "p_tanh").export()
        Tanh()
    """

    def __init__(self, in_type: FieldType, function: str = "p_relu") -> None:
        super().__init__(in_type)
        if function not in _FUNCTIONS:
            raise ValueError(
                f"PointwiseNonLinearity: `function` must be one of {sorted(_FUNCTIONS)}, got "
                f"{function!r}"
            )
        self.function = function
        self._function = _FUNCTIONS[function]

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Apply the function to every channel of ``input``."""
        x = self._check_input(input)
        out: torch.Tensor = self._function(x.tensor)
        return GeometricTensor(out, self.out_type)

    def export(self) -> nn.Module:
        """The equivalent plain ``torch.nn`` activation (in eval mode)."""
        self.eval()
        return _EXPORTS[self.function]().eval()

    def extra_repr(self) -> str:
        return f"function={self.function!r}, type={self.in_type}"
