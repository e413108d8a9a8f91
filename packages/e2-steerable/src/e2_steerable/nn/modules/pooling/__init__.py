"""Pooling: spatial pooling of channels or fields, fiber-wise :class:`GroupPooling` and its
plain-torch export :class:`MaxPoolChannels`."""

from e2_steerable.nn.modules.pooling.group_pooling import GroupPooling
from e2_steerable.nn.modules.pooling.max_pool_channels import MaxPoolChannels
from e2_steerable.nn.modules.pooling.norm_max import NormMaxPool
from e2_steerable.nn.modules.pooling.pointwise_adaptive_avg import PointwiseAdaptiveAvgPool
from e2_steerable.nn.modules.pooling.pointwise_adaptive_max import PointwiseAdaptiveMaxPool
from e2_steerable.nn.modules.pooling.pointwise_avg import PointwiseAvgPool
from e2_steerable.nn.modules.pooling.pointwise_avg_antialiased import PointwiseAvgPoolAntialiased
from e2_steerable.nn.modules.pooling.pointwise_max import PointwiseMaxPool
from e2_steerable.nn.modules.pooling.pointwise_max_antialiased import PointwiseMaxPoolAntialiased

__all__ = [
    "GroupPooling",
    "MaxPoolChannels",
    "NormMaxPool",
    "PointwiseAdaptiveAvgPool",
    "PointwiseAdaptiveMaxPool",
    "PointwiseAvgPool",
    "PointwiseAvgPoolAntialiased",
    "PointwiseMaxPool",
    "PointwiseMaxPoolAntialiased",
]
