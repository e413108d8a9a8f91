"""Equivariant neural networks on the plane: typed feature spaces and the modules acting on them.

A :class:`FieldType` is the data type of a feature space, a :class:`GeometricTensor` a tensor
carrying one, and every :class:`EquivariantModule` maps geometric tensors of its ``in_type`` to
geometric tensors of its ``out_type`` so that transforming the input transforms the output.
Most modules :meth:`~EquivariantModule.export` to plain PyTorch modules for deployment.
"""

from e2_steerable.nn import init
from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor, tensor_directsum
from e2_steerable.nn.modules import (
    ELU,
    BasisExpansion,
    BlocksBasisExpansion,
    EquivariantModule,
    GroupPooling,
    InnerBatchNorm,
    MaxPoolChannels,
    PointwiseMaxPool,
    PointwiseNonLinearity,
    R2Conv,
    R2ConvTransposed,
    ReLU,
    SequentialModule,
    SingleBlockBasisExpansion,
    block_basisexpansion,
)

__all__ = [
    "ELU",
    "BasisExpansion",
    "BlocksBasisExpansion",
    "EquivariantModule",
    "FieldType",
    "GeometricTensor",
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
    "init",
    "tensor_directsum",
]

from e2_steerable.nn.modules import R2Diffop

__all__ += ["R2Diffop"]
