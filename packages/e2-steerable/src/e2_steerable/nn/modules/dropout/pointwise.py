""":class:`PointwiseDropout`: channel-wise dropout."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules.dropout._args import check_probability
from e2_steerable.nn.modules.equivariant_module import EquivariantModule

__all__ = ["PointwiseDropout"]


class PointwiseDropout(EquivariantModule):
    """Dropout of single channels, as ``torch.nn.functional.dropout``; identity in eval mode.

    Only representations supporting pointwise non-linearities are accepted.

    Args:
        in_type: the input field type (also the output type).
        p: the drop probability, in ``[0, 1)``.
        inplace: compute in place.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, PointwiseDropout
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> PointwiseDropout(FieldType(gs, [gs.regular_repr]), p=0.2).export()
        Dropout(p=0.2, inplace=False)
    """

    def __init__(self, in_type: FieldType, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        require_field_type("PointwiseDropout", in_type)
        require_support("PointwiseDropout", in_type, "pointwise")
        self.p = check_probability("PointwiseDropout", p)
        self.inplace = bool(inplace)
        self.in_type = in_type
        self.out_type = in_type

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Drop channels of ``input`` (training only)."""
        x = self._check_input(input)
        out = F.dropout(x.tensor, self.p, self.training, self.inplace)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def export(self) -> nn.Dropout:
        """The equivalent ``torch.nn.Dropout`` (in eval mode)."""
        self.eval()
        return nn.Dropout(self.p, self.inplace).eval()

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
