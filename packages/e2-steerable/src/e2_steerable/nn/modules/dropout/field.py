""":class:`FieldDropout`: zero whole fields at random."""

from __future__ import annotations

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules._fields import E2cnnStateMixin, keyed_runs
from e2_steerable.nn.modules.dropout._args import check_probability
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.channels import FieldDropoutPlain, field_dropout

__all__ = ["FieldDropout"]


class FieldDropout(E2cnnStateMixin, EquivariantModule):
    """Zero every field (all its channels together) with probability ``p``, independently per
    sample and pixel, and scale the others by :math:`1 / (1 - p)`; identity in eval mode.

    Dropping whole fields commutes with any representation, so every field type is accepted.

    Args:
        in_type: the input field type (also the output type).
        p: the drop probability, in ``[0, 1)``.
        inplace: accepted for compatibility; the output is always a new tensor.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldDropout, FieldType, GeometricTensor
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> drop = FieldDropout(FieldType(gs, [gs.irrep(1)] * 3), p=0.5)
        >>> y = drop(GeometricTensor(torch.ones(2, 6, 4, 4), drop.in_type)).tensor
        >>> bool(((y == 0) | (y == 2)).all()), bool((y[:, 0::2] == y[:, 1::2]).all())
        (True, True)
    """

    def __init__(self, in_type: FieldType, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        require_field_type("FieldDropout", in_type)
        self.p = check_probability("FieldDropout", p)
        self.inplace = bool(inplace)
        self.in_type = in_type
        self.out_type = in_type
        sizes = list(in_type._sizes)
        self._runs = [
            (r.channel_start, r.channel_end, int(r.key))  # type: ignore[call-overload]
            for r in keyed_runs(in_type, sizes)
        ]
        self._legacy_keys = tuple(f"indices_{s}" for s in sorted(set(sizes)))

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Drop fields of ``input`` (training only)."""
        x = self._check_input(input)
        return GeometricTensor(
            field_dropout(x.tensor, self._runs, self.p, self.training), self.out_type
        )

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def export(self) -> FieldDropoutPlain:
        """Plain-torch :class:`~e2_steerable.nn.FieldDropoutPlain` (eval mode)."""
        self.eval()
        return FieldDropoutPlain(self._runs, self.p).eval()

    def extra_repr(self) -> str:
        return f"p={self.p}, type={self.in_type}"
