""":class:`MergeModule`: apply modules to labelled tensors and concatenate their outputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import torch

from e2_steerable.gspaces.gspace import GSpace
from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.channels import MergeChannels

__all__ = ["MergeModule"]


def _as_labels(entry: Any, i: int) -> list[str]:
    labels = [entry] if isinstance(entry, str) else list(entry)
    if not labels or not all(isinstance(label, str) for label in labels):
        raise TypeError(f"MergeModule: modules[{i}] must pair a module with a label or labels")
    return labels


class MergeModule(EquivariantModule):
    """Apply every module to the tensors of its label(s) and concatenate the outputs.

    ``forward`` takes ``{label: GeometricTensor}``; a module with two labels (e.g.
    :class:`GatedNonLinearity2`) is called with both tensors. The output type is the
    concatenation of the modules' output types.

    Args:
        modules: pairs ``(module, label)`` or ``(module, [labels])``.

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import ELU, FieldType, GeometricTensor, MergeModule, ReLU
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> ft = FieldType(gs, [gs.regular_repr])
        >>> merge = MergeModule([(ReLU(ft), "a"), (ELU(ft), "b")])
        >>> x = {k: GeometricTensor(torch.randn(1, 4, 3, 3), ft) for k in "ab"}
        >>> merge(x).shape
        torch.Size([1, 8, 3, 3])
    """

    def __init__(self, modules: Sequence[tuple[EquivariantModule, str | Sequence[str]]]) -> None:
        super().__init__()
        modules = list(modules)
        if not modules:
            raise ValueError("MergeModule: `modules` must contain at least one (module, label)")
        self._labels: list[list[str]] = []
        out_reprs: list[Any] = []
        gspace: GSpace | None = None
        for i, entry in enumerate(modules):
            if not isinstance(entry, (tuple, list)) or len(entry) != 2:
                raise TypeError(f"MergeModule: modules[{i}] must be a pair (module, label)")
            module, labels = entry
            if not isinstance(module, EquivariantModule):
                raise TypeError(
                    f"MergeModule: modules[{i}] must hold an EquivariantModule, got "
                    f"{type(module).__name__}"
                )
            labels = _as_labels(labels, i)
            in_types = module.in_type if isinstance(module.in_type, tuple) else (module.in_type,)
            if len(in_types) != len(labels):
                raise ValueError(
                    f"MergeModule: modules[{i}] takes {len(in_types)} input(s) but has "
                    f"{len(labels)} label(s)"
                )
            gs = module.out_type.gspace
            if gspace is None:
                gspace = gs
            elif gs != gspace:
                raise ValueError(f"MergeModule: modules[{i}] works on another gspace ({gs})")
            self._labels.append(labels)
            out_reprs.extend(module.out_type.representations)
            self.add_module(f"submodule_{i}", module)
        assert gspace is not None  # `modules` is not empty
        self.in_type = None  # type: ignore[assignment]
        self.out_type = FieldType(gspace, out_reprs)

    def _submodule(self, i: int) -> EquivariantModule:
        """The module of the ``i``-th entry (an :class:`EquivariantModule`, checked in
        ``__init__``)."""
        return cast(EquivariantModule, self._modules[f"submodule_{i}"])

    def forward(self, input: dict[str, GeometricTensor]) -> GeometricTensor:  # type: ignore[override]
        """Concatenate the outputs of the modules on their labelled inputs."""
        if not isinstance(input, dict):
            raise TypeError(
                f"MergeModule: expected a dict of GeometricTensors, got {type(input).__name__}"
            )
        pieces = []
        for i, labels in enumerate(self._labels):
            missing = [label for label in labels if label not in input]
            if missing:
                raise ValueError(f"MergeModule: the input has no tensor for label(s) {missing}")
            module = self._submodule(i)
            pieces.append(module(*[input[label] for label in labels]).tensor)
        out = pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, **input_shapes: tuple[int, ...]) -> tuple[int, ...]:  # type: ignore[override]
        """Output shape for the input shapes given by label."""
        shape: tuple[int, ...] | None = None
        for i, labels in enumerate(self._labels):
            module = self._submodule(i)
            args = [input_shapes[label] for label in labels]
            # a two-input module (e.g. GatedNonLinearity2) takes the pair of shapes
            shapes: Any = args[0] if len(args) == 1 else tuple(args)
            out = module.evaluate_output_shape(shapes)
            shape = tuple(out) if shape is None else (shape[0], shape[1] + out[1], *shape[2:])
        assert shape is not None
        return shape

    def check_equivariance(self, *args: Any, **kwargs: Any) -> list[tuple[Any, float]]:
        """Check each sub-module (the merge itself only concatenates)."""
        results: list[tuple[Any, float]] = []
        for i in range(len(self._labels)):
            results.extend(self._submodule(i).check_equivariance(*args, **kwargs))
        return results

    def export(self) -> MergeChannels:
        """Plain-torch :class:`~e2_steerable.nn.MergeChannels` taking
        ``{label: tensor}``."""
        self.eval()
        branches = [self._submodule(i).export() for i in range(len(self._labels))]
        return MergeChannels(branches, self._labels).eval()
