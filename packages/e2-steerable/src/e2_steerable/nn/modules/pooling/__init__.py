"""Pooling: spatial :class:`PointwiseMaxPool`, fiber-wise :class:`GroupPooling` and its plain-torch
export :class:`MaxPoolChannels`."""

from e2_steerable.nn.modules.pooling.group_pooling import GroupPooling
from e2_steerable.nn.modules.pooling.max_pool_channels import MaxPoolChannels
from e2_steerable.nn.modules.pooling.pointwise_max import PointwiseMaxPool

__all__ = ["GroupPooling", "MaxPoolChannels", "PointwiseMaxPool"]
