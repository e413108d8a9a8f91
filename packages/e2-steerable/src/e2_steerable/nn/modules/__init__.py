"""Equivariant modules: the base class, convolutions, containers, normalization, nonlinearities,
pooling."""

from e2_steerable.nn.modules.batchnormalization import (
    GNormBatchNorm,
    InducedNormBatchNorm,
    InnerBatchNorm,
    NormBatchNorm,
)
from e2_steerable.nn.modules.branching_module import BranchingModule
from e2_steerable.nn.modules.disentangle_module import DisentangleModule
from e2_steerable.nn.modules.dropout import FieldDropout, PointwiseDropout
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.identity_module import IdentityModule
from e2_steerable.nn.modules.invariantmaps import InducedNormPool, NormPool
from e2_steerable.nn.modules.masking_module import MaskModule
from e2_steerable.nn.modules.merge_module import MergeModule
from e2_steerable.nn.modules.module_list import ModuleList
from e2_steerable.nn.modules.multiple_module import MultipleModule

# e2-modules: the remaining equivariant modules of e2cnn.nn
from e2_steerable.nn.modules.nonlinearities import (
    ELU,
    ConcatenatedNonLinearity,
    GatedNonLinearity1,
    GatedNonLinearity2,
    InducedGatedNonLinearity1,
    InducedNormNonLinearity,
    NormNonLinearity,
    PointwiseNonLinearity,
    ReLU,
    VectorFieldNonLinearity,
)
from e2_steerable.nn.modules.pooling import (
    GroupPooling,
    MaxPoolChannels,
    NormMaxPool,
    PointwiseAdaptiveAvgPool,
    PointwiseAdaptiveMaxPool,
    PointwiseAvgPool,
    PointwiseAvgPoolAntialiased,
    PointwiseMaxPool,
    PointwiseMaxPoolAntialiased,
)
from e2_steerable.nn.modules.r2_conv import (
    BasisExpansion,
    BlocksBasisExpansion,
    R2Conv,
    R2ConvTransposed,
    SingleBlockBasisExpansion,
    block_basisexpansion,
)
from e2_steerable.nn.modules.r2upsampling import R2Upsampling
from e2_steerable.nn.modules.reshuffle_module import ReshuffleModule
from e2_steerable.nn.modules.restriction_module import RestrictionModule
from e2_steerable.nn.modules.sequential_module import SequentialModule

__all__ = [
    "ELU",
    "BasisExpansion",
    "BlocksBasisExpansion",
    "BranchingModule",
    "ConcatenatedNonLinearity",
    "DisentangleModule",
    "EquivariantModule",
    "FieldDropout",
    "GNormBatchNorm",
    "GatedNonLinearity1",
    "GatedNonLinearity2",
    "GroupPooling",
    "IdentityModule",
    "InducedGatedNonLinearity1",
    "InducedNormBatchNorm",
    "InducedNormNonLinearity",
    "InducedNormPool",
    "InnerBatchNorm",
    "MaskModule",
    "MaxPoolChannels",
    "MergeModule",
    "ModuleList",
    "MultipleModule",
    "NormBatchNorm",
    "NormMaxPool",
    "NormNonLinearity",
    "NormPool",
    "PointwiseAdaptiveAvgPool",
    "PointwiseAdaptiveMaxPool",
    "PointwiseAvgPool",
    "PointwiseAvgPoolAntialiased",
    "PointwiseDropout",
    "PointwiseMaxPool",
    "PointwiseMaxPoolAntialiased",
    "PointwiseNonLinearity",
    "R2Conv",
    "R2ConvTransposed",
    "R2Upsampling",
    "ReLU",
    "ReshuffleModule",
    "RestrictionModule",
    "SequentialModule",
    "SingleBlockBasisExpansion",
    "VectorFieldNonLinearity",
    "block_basisexpansion",
]

from e2_steerable.nn.modules.r2_conv.r2diffop import R2Diffop

__all__ += ["R2Diffop"]
