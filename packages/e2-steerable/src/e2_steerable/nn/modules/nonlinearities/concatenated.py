""":class:`ConcatenatedNonLinearity`: ``f(x)`` and ``f(-x)`` for every channel."""

from __future__ import annotations

from typing import Any

import numpy as np

from e2_steerable.group import _linalg
from e2_steerable.group.representation import Representation
from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.activations import (
    ConcatenatedActivation,
    concatenated_activation,
)

__all__ = ["ConcatenatedNonLinearity", "concatenated_representation"]


def concatenated_representation(rep: Any) -> Representation:
    """The permutation representation on the channels ``(x_i, -x_i)`` of a signed-permutation
    representation ``rep`` (finite groups), decomposed into irreps; cached on the group.

    Raises:
        ValueError: if the group is not finite or ``rep`` is not a signed permutation.
    """
    group = rep.group
    name = f"concatenated_{rep.name}"
    if name in group.representations:
        return group.representations[name]  # type: ignore[no-any-return]
    elements = group.elements
    if group.continuous or elements is None:
        raise ValueError(
            f"ConcatenatedNonLinearity: the group {group.name} is not finite, so field "
            f"'{rep.name}' has no concatenated representation"
        )
    d = rep.size
    mats = []
    for g in elements:
        m = np.asarray(rep(g), dtype=np.float64)
        nonzero = np.abs(m) > 1e-8
        if (
            not np.allclose(np.abs(m[nonzero]), 1.0, atol=1e-8)
            or not (nonzero.sum(axis=0) == 1).all()
            or not (nonzero.sum(axis=1) == 1).all()
        ):
            raise ValueError(
                f"ConcatenatedNonLinearity: field '{rep.name}' is not a signed permutation "
                f"representation (its matrix for {g!r} has entries outside {{0, 1, -1}})"
            )
        out = np.zeros((2 * d, 2 * d))
        rows, cols = np.nonzero(nonzero)
        for r, c in zip(rows, cols):
            flip = 0 if m[r, c] > 0 else 1
            out[2 * r, 2 * c + flip] = 1.0
            out[2 * r + 1, 2 * c + 1 - flip] = 1.0
        mats.append(out)
    irreps, q = _linalg.decompose(group, mats, elements)
    tags = {"pointwise", "norm", "gated", "concatenated"}
    result = Representation(group, name, irreps, q, tags, change_of_basis_inv=q.T)
    return group._register(result)  # type: ignore[no-any-return]


class ConcatenatedNonLinearity(EquivariantModule):
    """Apply ``f`` to every channel and to its negation; the number of channels doubles.

    The output channel pair ``(f(x_i), f(-x_i))`` replaces channel ``i``. Only representations
    whose matrices are signed permutations (tag ``'concatenated'``) are accepted; the output
    field of each is the permutation representation on the pairs (built here, without e2cnn's
    pymanopt dependency).

    Args:
        in_type: the input field type.
        function: ``'c_relu'`` (default), ``'c_sigmoid'`` or ``'c_tanh'``.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, 2C, H, W)`

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import ConcatenatedNonLinearity, FieldType, GeometricTensor
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> act = ConcatenatedNonLinearity(FieldType(gs, [gs.regular_repr]))
        >>> act(GeometricTensor(torch.randn(1, 4, 3, 3), act.in_type)).shape
        torch.Size([1, 8, 3, 3])
    """

    def __init__(self, in_type: FieldType, function: str = "c_relu") -> None:
        super().__init__()
        name = "ConcatenatedNonLinearity"
        require_field_type(name, in_type)
        require_support(name, in_type, "concatenated")
        if function not in ("c_relu", "c_sigmoid", "c_tanh"):
            raise ValueError(
                f"{name}: `function` must be 'c_relu', 'c_sigmoid' or 'c_tanh', got {function!r}"
            )
        self.in_type = in_type
        self.out_type = FieldType(
            in_type.gspace, [concatenated_representation(r) for r in in_type.representations]
        )
        self.function = function

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """``(f(x_i), f(-x_i))`` for every channel ``i``."""
        x = self._check_input(input)
        return GeometricTensor(concatenated_activation(x.tensor, self.function), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, 2C, *spatial)``."""
        shape = self._check_input_shape(input_shape)
        return (shape[0], self.out_type.size, *shape[2:])

    def export(self) -> ConcatenatedActivation:
        """Plain-torch :class:`~e2_steerable.nn.ConcatenatedActivation`."""
        self.eval()
        return ConcatenatedActivation(self.function).eval()
