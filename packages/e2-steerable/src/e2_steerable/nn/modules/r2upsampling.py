""":class:`R2Upsampling`: spatial upsampling of every channel."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules.equivariant_module import EquivariantModule

__all__ = ["R2Upsampling"]


class R2Upsampling(EquivariantModule):
    """Upsample every channel with ``torch.nn.functional.interpolate``.

    ``'bilinear'`` (default) is equivariant; ``'nearest'`` is accepted but is not. Prefer
    ``scale_factor`` to ``size``: a ``size`` with a different factor per axis breaks rotation
    equivariance.

    Args:
        in_type: the input field type (also the output type).
        scale_factor: the spatial multiplier.
        size: the output's spatial size (instead of ``scale_factor``).
        mode: ``'bilinear'`` or ``'nearest'``.
        align_corners: as in ``interpolate`` (bilinear only).

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, C, H_{out}, W_{out})`

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, R2Upsampling
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> up = R2Upsampling(FieldType(gs, [gs.regular_repr]), scale_factor=2)
        >>> up(GeometricTensor(torch.randn(1, 4, 5, 5), up.in_type)).shape
        torch.Size([1, 4, 10, 10])
    """

    def __init__(
        self,
        in_type: FieldType,
        scale_factor: int | None = None,
        size: int | tuple[int, int] | None = None,
        mode: str = "bilinear",
        align_corners: bool = False,
    ) -> None:
        super().__init__()
        name = "R2Upsampling"
        require_field_type(name, in_type)
        if (size is None) == (scale_factor is None):
            raise ValueError(
                f"{name}: set exactly one of `size` and `scale_factor`, got size={size!r}, "
                f"scale_factor={scale_factor!r}"
            )
        if mode not in ("bilinear", "nearest"):
            raise ValueError(f"{name}: `mode` must be 'bilinear' or 'nearest', got {mode!r}")
        if scale_factor is not None and (
            isinstance(scale_factor, bool)
            or not isinstance(scale_factor, (int, float))
            or not scale_factor > 0
        ):
            raise ValueError(f"{name}: `scale_factor` must be positive, got {scale_factor!r}")
        if size is not None:
            pair = (size, size) if isinstance(size, int) else tuple(size)
            if len(pair) != 2 or not all(isinstance(v, int) and v > 0 for v in pair):
                raise ValueError(f"{name}: `size` must be a positive int or pair, got {size!r}")
            self._size: tuple[int, int] | None = (int(pair[0]), int(pair[1]))
        else:
            self._size = None
        self.in_type = in_type
        self.out_type = in_type
        self._scale_factor = scale_factor
        self._mode = mode
        self._align_corners = bool(align_corners) if mode != "nearest" else None

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Upsample every channel of ``input``."""
        x = self._check_input(input).tensor
        out = F.interpolate(
            x,
            size=self._size,
            scale_factor=self._scale_factor,
            mode=self._mode,
            align_corners=self._align_corners,
        )
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, C, H_out, W_out)``."""
        shape = self._check_input_shape(input_shape)
        if self._size is not None:
            return (shape[0], shape[1], *self._size)
        f = float(self._scale_factor)  # type: ignore[arg-type]
        return (shape[0], shape[1], *(int(n * f) for n in shape[2:]))

    def export(self) -> nn.Upsample:
        """The equivalent ``torch.nn.Upsample`` (in eval mode)."""
        self.eval()
        return nn.Upsample(
            size=self._size,
            scale_factor=self._scale_factor,
            mode=self._mode,
            align_corners=self._align_corners,
        ).eval()

    def extra_repr(self) -> str:
        return f"scale_factor={self._scale_factor}, size={self._size}, mode={self._mode!r}"
