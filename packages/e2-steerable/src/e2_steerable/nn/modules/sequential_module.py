"""The :class:`SequentialModule` container."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, cast

from torch import nn

from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules.equivariant_module import EquivariantModule

__all__ = ["SequentialModule"]


class SequentialModule(EquivariantModule):
    """Apply equivariant modules one after another, like ``torch.nn.Sequential``.

    Each module's ``in_type`` must equal the previous module's ``out_type``.

    Args:
        *args: equivariant modules, or a single ``OrderedDict`` mapping names to them.

    Raises:
        TypeError: if an item is not an :class:`EquivariantModule`.
        ValueError: if no module is given or two consecutive types do not match.

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, ReLU, SequentialModule
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> ft = FieldType(gs, [gs.regular_repr] * 2)
        >>> net = SequentialModule(ReLU(ft), ReLU(ft))
        >>> net(GeometricTensor(torch.randn(1, 8, 5, 5), ft)).shape
        torch.Size([1, 8, 5, 5])
        >>> net.export()
        Sequential(
          (0): ReLU()
          (1): ReLU()
        )
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            items = list(args[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(args)]
        if not items:
            raise ValueError("SequentialModule: at least one module is required")
        for name, module in items:
            self.add_module(name, module)

    def add_module(self, name: str, module: nn.Module | None) -> None:
        """Append ``module`` under ``name`` to the sequence applied in :meth:`forward`.

        Raises:
            TypeError: if ``module`` is not an :class:`EquivariantModule`.
            ValueError: if its ``in_type`` differs from the current ``out_type``.
        """
        if not isinstance(module, EquivariantModule):
            raise TypeError(
                f"SequentialModule: module '{name}' must be an EquivariantModule, got "
                f"{type(module).__name__}"
            )
        if len(self._modules) == 0:
            self.in_type = module.in_type
        elif module.in_type != self.out_type:
            raise ValueError(
                f"SequentialModule: module '{name}' expects in_type {module.in_type}, but the "
                f"previous module returns {self.out_type}"
            )
        super().add_module(name, module)
        self.out_type = module.out_type

    def _equivariant_modules(self) -> list[EquivariantModule]:
        """The modules in order (``add_module`` admits only equivariant ones)."""
        return [cast(EquivariantModule, m) for m in self._modules.values()]

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Apply the modules in order.

        Args:
            input: geometric tensor of type
                :attr:`~e2_steerable.nn.EquivariantModule.in_type`.

        Returns:
            The geometric tensor of type :attr:`~e2_steerable.nn.EquivariantModule.out_type`
            returned by the last module.
        """
        x = self._check_input(input)
        for module in self._equivariant_modules():
            x = module(x)
        return x

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Chain the modules' :meth:`evaluate_output_shape`."""
        shape = self._check_input_shape(input_shape)
        for module in self._equivariant_modules():
            shape = module.evaluate_output_shape(shape)
        return shape

    def export(self) -> nn.Sequential:
        """Export every module and return them in an ``nn.Sequential`` (in eval mode)."""
        self.eval()
        exported = OrderedDict(
            (name, m.export()) for name, m in zip(self._modules, self._equivariant_modules())
        )
        return nn.Sequential(exported).eval()
