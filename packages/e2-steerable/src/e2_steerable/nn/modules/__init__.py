"""Equivariant modules: the base class, convolutions, containers, normalization, nonlinearities,
pooling."""

from e2_steerable.nn.modules.batchnormalization import InnerBatchNorm
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.nonlinearities import ELU, PointwiseNonLinearity, ReLU
from e2_steerable.nn.modules.pooling import GroupPooling, MaxPoolChannels, PointwiseMaxPool
from e2_steerable.nn.modules.r2_conv import (
    BasisExpansion,
    BlocksBasisExpansion,
    R2Conv,
    R2ConvTransposed,
    SingleBlockBasisExpansion,
    block_basisexpansion,
)
from e2_steerable.nn.modules.sequential_module import SequentialModule

__all__ = [
    "ELU",
    "BasisExpansion",
    "BlocksBasisExpansion",
    "EquivariantModule",
    "GroupPooling",
    "InnerBatchNorm",
    "MaxPoolChannels",
    "PointwiseMaxPool",
    "PointwiseNonLinearity",
    "R2Conv",
    "R2ConvTransposed",
    "ReLU",
    "SequentialModule",
    "SingleBlockBasisExpansion",
    "block_basisexpansion",
]

from e2_steerable.nn.modules.r2_conv.r2diffop import R2Diffop

__all__ += ["R2Diffop"]
