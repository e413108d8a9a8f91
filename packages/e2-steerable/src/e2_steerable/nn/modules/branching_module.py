""":class:`BranchingModule`: split a tensor into labelled sub-tensors."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._channel_ranges import field_channel_ranges, gather_ranges
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules._fields import E2cnnStateMixin
from e2_steerable.nn.modules.equivariant_module import EquivariantModule, is_exact_element
from e2_steerable.nn.modules.export.channels import BranchChannels

__all__ = ["BranchingModule"]


class BranchingModule(E2cnnStateMixin, EquivariantModule):
    """Group the fields by label: ``forward`` returns ``{label: GeometricTensor}``.

    Args:
        in_type: the input field type.
        labels: one label (a string) per field.
        reshuffle: order of the fields inside each branch: 0 keeps the input order; 1, 2, 3
            sort them stably by label, then size, then representation name (the first 1, 2 or
            3 of these keys), as e2cnn does before splitting.

    Attributes:
        out_type: ``{label: FieldType}``.

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import BranchingModule, FieldType, GeometricTensor
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> ft = FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.regular_repr])
        >>> branch = BranchingModule(ft, ["a", "b", "a"])
        >>> out = branch(GeometricTensor(torch.randn(1, 10, 3, 3), ft))
        >>> {k: v.shape[1] for k, v in out.items()}
        {'a': 8, 'b': 2}
    """

    def __init__(self, in_type: FieldType, labels: Sequence[str], reshuffle: int = 0) -> None:
        super().__init__()
        require_field_type("BranchingModule", in_type)
        labels = list(labels)
        if len(labels) != len(in_type):
            raise ValueError(
                f"BranchingModule: expected {len(in_type)} labels (one per field), got "
                f"{len(labels)}"
            )
        if not all(isinstance(label, str) for label in labels):
            raise TypeError("BranchingModule: every label must be a string")
        if isinstance(reshuffle, bool) or reshuffle not in (0, 1, 2, 3):
            raise ValueError(
                f"BranchingModule: `reshuffle` must be 0, 1, 2 or 3, got {reshuffle!r}"
            )
        self.in_type = in_type
        order = list(range(len(in_type)))
        if reshuffle:
            reps = in_type.representations
            keys = [(labels[i], reps[i].size, reps[i].name, i) for i in order]
            order = [k[3] for k in sorted(keys, key=lambda k: k[:reshuffle])]
        fields: dict[str, list[int]] = {}
        for i in order:
            fields.setdefault(labels[i], []).append(i)
        self._labels = list(fields)
        self.out_type = {  # type: ignore[assignment]
            label: in_type.index_select(idx) for label, idx in fields.items()
        }
        self._ranges = {label: field_channel_ranges(in_type, idx) for label, idx in fields.items()}
        self._legacy_keys = tuple(f"indices_{label}" for label in self._labels)

    def forward(self, input: GeometricTensor) -> dict[str, GeometricTensor]:  # type: ignore[override]
        """Split ``input`` by label."""
        x = self._check_input(input).tensor
        return {
            label: GeometricTensor(gather_ranges(x, self._ranges[label]), self.out_type[label])  # type: ignore[index]
            for label in self._labels
        }

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:  # type: ignore[override]
        """``{label: (B, out_type[label].size, *spatial)}``."""
        shape = self._check_input_shape(input_shape)
        return {
            label: (shape[0], self.out_type[label].size, *shape[2:])  # type: ignore[index]
            for label in self._labels
        }

    def check_equivariance(  # type: ignore[override]
        self, atol: float = 1e-7, rtol: float = 1e-5, spatial_size: int = 9, **_: Any
    ) -> list[tuple[Any, float]]:
        """Check every branch for the exact elements of the gspace."""
        model = copy.deepcopy(self).eval()
        gs = self.in_type.gspace
        x = GeometricTensor(
            torch.randn(2, self.in_type.size, spatial_size, spatial_size, dtype=torch.float64),
            self.in_type,
        )
        results = []
        y = model(x)
        for g in [e for e in self.in_type.testing_elements if is_exact_element(gs, e)]:
            moved = model(x.transform(g))
            err = 0.0
            for label in self._labels:
                a, b = moved[label].tensor, y[label].transform(g).tensor
                err = max(err, float((a - b).norm() / b.norm().clamp_min(1e-300)))
                if not torch.allclose(a, b, atol=atol, rtol=rtol):
                    raise AssertionError(f"BranchingModule: branch {label!r} fails for {g!r}")
            results.append((g, err))
        return results

    def export(self) -> BranchChannels:
        """Plain-torch :class:`~e2_steerable.nn.BranchChannels` returning
        ``{label: tensor}``."""
        self.eval()
        return BranchChannels({label: self._ranges[label] for label in self._labels}).eval()
