""":class:`ModuleList`: a ``torch.nn.ModuleList`` of equivariant modules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from torch import nn

from e2_steerable.nn.modules.equivariant_module import EquivariantModule

__all__ = ["ModuleList"]


def _require_equivariant(module: Any, where: str) -> Any:
    if not isinstance(module, EquivariantModule):
        raise TypeError(
            f"ModuleList: {where} must be an EquivariantModule, got {type(module).__name__}"
        )
    return module


class ModuleList(nn.ModuleList):
    """A ``torch.nn.ModuleList`` that only holds :class:`EquivariantModule` s and exports them.

    Args:
        modules: equivariant modules to add.

    Example:
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import ELU, FieldType, ModuleList, ReLU
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> ft = FieldType(gs, [gs.regular_repr])
        >>> ModuleList([ReLU(ft), ELU(ft)]).export()
        ModuleList(
          (0): ReLU()
          (1): ELU(alpha=1.0)
        )
    """

    def __init__(self, modules: Iterable[EquivariantModule] | None = None) -> None:
        modules = [] if modules is None else list(modules)
        for i, m in enumerate(modules):
            _require_equivariant(m, f"module {i}")
        super().__init__(modules)

    def append(self, module: EquivariantModule) -> ModuleList:  # type: ignore[override]
        """Append an equivariant module."""
        super().append(_require_equivariant(module, "the appended module"))
        return self

    def extend(self, modules: Iterable[EquivariantModule]) -> ModuleList:  # type: ignore[override]
        """Append equivariant modules from an iterable."""
        modules = list(modules)
        for i, m in enumerate(modules):
            _require_equivariant(m, f"module {i} of the extension")
        super().extend(modules)
        return self

    def insert(self, index: int, module: EquivariantModule) -> None:  # type: ignore[override]
        """Insert an equivariant module before ``index``."""
        super().insert(index, _require_equivariant(module, "the inserted module"))

    def __setitem__(self, idx: Any, module: Any) -> None:
        super().__setitem__(idx, _require_equivariant(module, "the assigned module"))

    def export(self) -> nn.ModuleList:
        """A ``torch.nn.ModuleList`` of the exported modules (everything in eval mode)."""
        self.eval()
        # every entry is an EquivariantModule (checked on insertion)
        return nn.ModuleList([cast(EquivariantModule, m).export() for m in self]).eval()
