""":class:`MultipleModule`: apply different modules to differently labelled fields."""

from __future__ import annotations

from collections.abc import Sequence

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules.branching_module import BranchingModule
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.channels import BranchAndMerge
from e2_steerable.nn.modules.merge_module import MergeModule

__all__ = ["MultipleModule"]


class MultipleModule(EquivariantModule):
    """Split the fields by label, apply each module to its label(s), concatenate the outputs.

    A :class:`BranchingModule` (attribute ``branching``) followed by a :class:`MergeModule`
    (attribute ``merging``), as in e2cnn (so checkpoints keep their keys).

    Args:
        in_type: the input field type.
        labels: one label per field.
        modules: pairs ``(module, label)`` or ``(module, [labels])``; each module's input type
            must be the branch's type.
        reshuffle: field order inside the branches (see :class:`BranchingModule`).

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import ELU, FieldType, GeometricTensor, MultipleModule, ReLU
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> ft = FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])
        >>> reg, triv = FieldType(gs, [gs.regular_repr] * 2), FieldType(gs, [gs.trivial_repr])
        >>> mod = MultipleModule(ft, ["r", "t", "r"], [(ReLU(reg), "r"), (ELU(triv), "t")])
        >>> mod(GeometricTensor(torch.randn(1, 9, 3, 3), ft)).shape
        torch.Size([1, 9, 3, 3])
    """

    def __init__(
        self,
        in_type: FieldType,
        labels: Sequence[str],
        modules: Sequence[tuple[EquivariantModule, str | Sequence[str]]],
        reshuffle: int = 0,
    ) -> None:
        super().__init__()
        require_field_type("MultipleModule", in_type)
        self.in_type = in_type
        self.branching = BranchingModule(in_type, labels, reshuffle=int(reshuffle))
        branches = self.branching.out_type
        modules = list(modules)
        for i, entry in enumerate(modules):
            module, lab = entry
            module_labels = [lab] if isinstance(lab, str) else list(lab)
            in_types = module.in_type if isinstance(module.in_type, tuple) else (module.in_type,)
            for label, t in zip(module_labels, in_types):
                if label not in branches:  # type: ignore[operator]
                    raise ValueError(f"MultipleModule: modules[{i}] uses unknown label {label!r}")
                if branches[label] != t:  # type: ignore[index]
                    raise ValueError(
                        f"MultipleModule: modules[{i}] expects {t}, but branch {label!r} has type "
                        f"{branches[label]}"  # type: ignore[index]
                    )
        self.merging = MergeModule(modules)
        self.out_type = self.merging.out_type

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Branch, apply the modules, merge."""
        return self.merging(self.branching(self._check_input(input)))

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Output shape after branching and merging."""
        shapes = self.branching.evaluate_output_shape(input_shape)
        return self.merging.evaluate_output_shape(**shapes)

    def export(self) -> BranchAndMerge:
        """Plain-torch :class:`~e2_steerable.nn.BranchAndMerge`."""
        self.eval()
        return BranchAndMerge(self.branching.export(), self.merging.export()).eval()
