"""Shared implementation of the channel-wise adaptive pooling modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import torch
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.pooling._window import pair

__all__ = ["PointwiseAdaptivePoolBase"]


class PointwiseAdaptivePoolBase(EquivariantModule):
    """Adaptive pooling of every channel to ``output_size`` with the op ``_pool``.

    Subclasses set ``_name`` (for messages), ``_pool`` (the functional op) and ``_export_cls``
    (the equivalent ``torch.nn`` module).
    """

    _name: ClassVar[str]
    _pool: ClassVar[Callable[..., torch.Tensor]]
    _export_cls: ClassVar[type[nn.Module]]

    def __init__(self, in_type: FieldType, output_size: int | tuple[int, int]) -> None:
        super().__init__()
        name = self._name
        require_field_type(name, in_type)
        require_support(name, in_type, "pointwise")
        self.in_type = in_type
        self.out_type = in_type
        self.output_size = pair(name, output_size, "output_size")

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Adaptive pooling of every channel of ``input``."""
        x = self._check_input(input)
        out = type(self)._pool(x.tensor, self.output_size)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, C, *output_size)``."""
        shape = self._check_input_shape(input_shape)
        return (shape[0], shape[1], *self.output_size)

    def export(self) -> nn.Module:
        """The equivalent ``torch.nn`` adaptive pooling module (in eval mode)."""
        self.eval()
        return type(self)._export_cls(self.output_size).eval()

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
