"""Batch normalization: :class:`InnerBatchNorm`."""

from e2_steerable.nn.modules.batchnormalization.inner import InnerBatchNorm

__all__ = ["InnerBatchNorm"]
