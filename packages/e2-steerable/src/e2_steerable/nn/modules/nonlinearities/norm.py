""":class:`NormNonLinearity`: an activation of each field's norm, which keeps its direction."""

from __future__ import annotations

from typing import TypeAlias

import torch
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules._fields import E2cnnStateMixin, group_offsets, keyed_runs
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.activations import (
    NORM_FUNCTIONS,
    NormActivation,
    norm_activation,
)

__all__ = ["NormNonLinearity"]

#: How fields are grouped: by their size, or (induced fields) by ``(size, sub-field size)``.
NormKey: TypeAlias = int | tuple[int, int]


class NormNonLinearity(E2cnnStateMixin, EquivariantModule):
    r"""Apply a function to the norm of every field and keep its direction.

    Each field :math:`v` becomes :math:`f(\|v\| - b)\, v / \|v\|` with a learnable per-field bias
    :math:`b = e^{\beta} > 0` (parameter ``log_bias``), and 0 where the norm vanishes. The type is
    preserved. Only representations supporting ``'norm'`` non-linearities (orthogonal ones) are
    accepted.

    Args:
        in_type: the input field type (also the output type).
        function: ``'n_relu'`` (default), ``'n_sigmoid'`` or ``'squash'``
            (:math:`t / (1 + t)`, which allows no bias).
        bias: learn a bias subtracted from the norms.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, NormNonLinearity
        >>> gs = gspaces.Rot2dOnR2(-1, maximum_frequency=2)
        >>> act = NormNonLinearity(FieldType(gs, [gs.irrep(1), gs.irrep(2)]))
        >>> act(GeometricTensor(torch.randn(2, 4, 5, 5), act.in_type)).shape
        torch.Size([2, 4, 5, 5])
        >>> act.log_bias.shape
        torch.Size([1, 2, 1, 1])
    """

    def _check_support(self, in_type: FieldType) -> None:
        require_support(type(self).__name__, in_type, "norm")

    def __init__(self, in_type: FieldType, function: str = "n_relu", bias: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        require_field_type(name, in_type)
        self._check_support(in_type)
        if function not in NORM_FUNCTIONS:
            raise ValueError(
                f"{name}: `function` must be one of {NORM_FUNCTIONS}, got {function!r}"
            )
        if function == "squash" and bias:
            raise ValueError(f"{name}: the 'squash' function allows no bias; pass `bias=False`")
        self.in_type = in_type
        self.out_type = in_type
        self.function = function
        self.eps = 1e-10
        keys, subfield, repeat = self._field_keys(in_type)
        order = sorted(set(keys))
        offsets = group_offsets(keys, order)
        # keys[r.field_start] is the run's key r.key, typed as a NormKey
        self._runs = [
            (
                r.channel_start,
                r.channel_end,
                subfield[keys[r.field_start]],
                offsets[r.key] + r.rank,
                repeat[keys[r.field_start]],
            )
            for r in keyed_runs(in_type, keys)
        ]
        if bias:
            self.log_bias: nn.Parameter | None = nn.Parameter(torch.zeros(self._bias_shape()))
        else:
            self.register_parameter("log_bias", None)
        self._legacy_keys = (*(f"indices_{k}" for k in order), "eps")

    def _field_keys(
        self, in_type: FieldType
    ) -> tuple[list[NormKey], dict[NormKey, int], dict[NormKey, int]]:
        """Per-field grouping key, and per key the size of the normed groups and their count."""
        sizes: list[NormKey] = list(in_type._sizes)
        subfield: dict[NormKey, int] = {s: s for s in in_type._sizes}
        repeat: dict[NormKey, int] = dict.fromkeys(in_type._sizes, 1)
        return sizes, subfield, repeat

    def _bias_shape(self) -> tuple[int, ...]:
        return (1, len(self.in_type), 1, 1)

    def _bias(self) -> torch.Tensor | None:
        return None if self.log_bias is None else torch.exp(self.log_bias.reshape(-1))

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Rescale every field of ``input`` by the activation of its norm."""
        x = self._check_input(input)
        out = norm_activation(x.tensor, self._runs, self._bias(), self.function, self.eps)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def export(self) -> NormActivation:
        """The equivalent plain-torch :class:`~e2_steerable.nn.NormActivation`."""
        self.eval()
        return NormActivation(self._runs, self.log_bias, self.function, self.eps).eval()

    def extra_repr(self) -> str:
        return f"function={self.function!r}, bias={self.log_bias is not None}, type={self.in_type}"
