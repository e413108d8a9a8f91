""":class:`PointwiseAdaptiveMaxPool`: channel-wise adaptive max pooling."""

from __future__ import annotations

from typing import cast

import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules.pooling._adaptive import PointwiseAdaptivePoolBase

__all__ = ["PointwiseAdaptiveMaxPool"]


class PointwiseAdaptiveMaxPool(PointwiseAdaptivePoolBase):
    """Adaptive max pooling of every channel to output_size, as
    ``torch.nn.AdaptiveMaxPool2d``.

    Only representations supporting pointwise non-linearities are accepted (as in e2cnn).

    Args:
        in_type: the input field type (also the output type).
        output_size: the output's spatial size (an int or a pair).

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, C, *\\text{output_size})`

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, PointwiseAdaptiveMaxPool
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> pool = PointwiseAdaptiveMaxPool(FieldType(gs, [gs.regular_repr]), 1)
        >>> pool(GeometricTensor(torch.randn(2, 4, 7, 7), pool.in_type)).shape
        torch.Size([2, 4, 1, 1])
    """

    _name = "PointwiseAdaptiveMaxPool"
    _pool = staticmethod(F.adaptive_max_pool2d)
    _export_cls = nn.AdaptiveMaxPool2d

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Adaptive max pooling of every channel of ``input``."""
        return super().forward(input)

    def export(self) -> nn.AdaptiveMaxPool2d:
        """The equivalent ``torch.nn.AdaptiveMaxPool2d`` (in eval mode)."""
        return cast(nn.AdaptiveMaxPool2d, super().export())
