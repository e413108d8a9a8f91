""":class:`PointwiseAdaptiveAvgPool`: channel-wise adaptive avg pooling."""

from __future__ import annotations

from typing import cast

import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules.pooling._adaptive import PointwiseAdaptivePoolBase

__all__ = ["PointwiseAdaptiveAvgPool"]


class PointwiseAdaptiveAvgPool(PointwiseAdaptivePoolBase):
    """Adaptive avg pooling of every channel to output_size, as
    ``torch.nn.AdaptiveAvgPool2d``.

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
        >>> from e2_steerable.nn import FieldType, GeometricTensor, PointwiseAdaptiveAvgPool
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> pool = PointwiseAdaptiveAvgPool(FieldType(gs, [gs.regular_repr]), 1)
        >>> pool(GeometricTensor(torch.randn(2, 4, 7, 7), pool.in_type)).shape
        torch.Size([2, 4, 1, 1])
    """

    _name = "PointwiseAdaptiveAvgPool"
    _pool = staticmethod(F.adaptive_avg_pool2d)
    _export_cls = nn.AdaptiveAvgPool2d

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Adaptive avg pooling of every channel of ``input``."""
        return super().forward(input)

    def export(self) -> nn.AdaptiveAvgPool2d:
        """The equivalent ``torch.nn.AdaptiveAvgPool2d`` (in eval mode)."""
        return cast(nn.AdaptiveAvgPool2d, super().export())
