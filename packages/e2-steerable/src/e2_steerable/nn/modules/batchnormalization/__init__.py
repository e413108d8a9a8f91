"""Batch normalization: inner (per field of permutation representations), norm, induced norm and
generic (irrep-wise) batch norms."""

from e2_steerable.nn.modules.batchnormalization.gnorm import GNormBatchNorm
from e2_steerable.nn.modules.batchnormalization.induced_norm import InducedNormBatchNorm
from e2_steerable.nn.modules.batchnormalization.inner import InnerBatchNorm
from e2_steerable.nn.modules.batchnormalization.norm import NormBatchNorm

__all__ = ["GNormBatchNorm", "InducedNormBatchNorm", "InnerBatchNorm", "NormBatchNorm"]
