""":class:`MaskModule`: multiply by a disk-shaped mask."""

from __future__ import annotations

import math

import torch

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.channels import SpatialMask

__all__ = ["MaskModule", "build_mask"]


def build_mask(size: int, margin: float = 0.0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""The ``(1, 1, size, size)`` mask: 1 within radius :math:`t = c (1 - \text{margin}/100)` of
    the centre :math:`c = (\text{size} - 1)/2`, and :math:`\exp((t^2 - r^2)/4)` outside."""
    c = (size - 1) / 2
    t2 = (c - margin / 100.0 * c) ** 2
    coords = torch.arange(size, dtype=torch.float64) - c
    r2 = coords[:, None] ** 2 + coords[None, :] ** 2
    mask = torch.where(r2 > t2, torch.exp((t2 - r2) / 4.0), torch.ones_like(r2))
    return mask.to(dtype).reshape(1, 1, size, size)


class MaskModule(EquivariantModule):
    """Multiply every channel by a smooth disk mask of shape ``(S, S)``.

    The mask is 1 inside the circle of radius ``(S - 1)/2 * (1 - margin/100)`` and decays as
    a Gaussian outside, removing the corners that rotations would move off the grid (buffer
    ``mask``, as e2cnn's). The input must be ``S x S``.

    Args:
        in_type: the input field type (also the output type).
        S: the spatial size of the input.
        margin: the margin, in percent of the radius.

    Shape:
        - input: :math:`(B, C, S, S)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, MaskModule
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> mask = MaskModule(FieldType(gs, [gs.trivial_repr]), 5)
        >>> y = mask(GeometricTensor(torch.ones(1, 1, 5, 5), mask.in_type)).tensor
        >>> y[0, 0, 2, 2].item(), round(y[0, 0, 0, 0].item(), 4)
        (1.0, 0.3679)
    """

    mask: torch.Tensor

    def __init__(self, in_type: FieldType, S: int, margin: float = 0.0) -> None:
        super().__init__()
        require_field_type("MaskModule", in_type)
        if isinstance(S, bool) or not isinstance(S, int) or S < 1:
            raise ValueError(f"MaskModule: `S` must be a positive int, got {S!r}")
        if not math.isfinite(float(margin)):
            raise ValueError(f"MaskModule: `margin` must be finite, got {margin!r}")
        self.in_type = in_type
        self.out_type = in_type
        self.S = S
        self.margin = float(margin)
        self.register_buffer("mask", build_mask(S, self.margin))

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """The masked input."""
        x = self._check_input(input).tensor
        if x.dim() != 4 or x.shape[2] != self.S or x.shape[3] != self.S:
            raise ValueError(
                f"MaskModule: the input must have shape (B, {self.in_type.size}, {self.S}, "
                f"{self.S}), got {tuple(x.shape)}"
            )
        return GeometricTensor(x * self.mask.to(x.dtype), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def export(self) -> SpatialMask:
        """Plain-torch :class:`~e2_steerable.nn.SpatialMask`."""
        self.eval()
        return SpatialMask(self.mask).eval()

    def extra_repr(self) -> str:
        return f"S={self.S}, margin={self.margin}"
