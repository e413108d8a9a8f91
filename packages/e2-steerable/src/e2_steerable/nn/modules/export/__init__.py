"""Plain PyTorch modules that the equivariant modules export to.

They depend on PyTorch only (no field types, no groups), work with ``torch.jit.script``,
``torch.jit.trace``, ``torch.export.export`` and ONNX export, and can be copied out of this library.
"""

from e2_steerable.nn.modules.export.activations import (
    ConcatenatedActivation,
    GatedActivation,
    NormActivation,
    VectorFieldActivation,
)
from e2_steerable.nn.modules.export.channels import (
    BranchAndMerge,
    BranchChannels,
    ChannelPermutation,
    FieldDropoutPlain,
    MergeChannels,
    SelectInput,
    SelectPair,
    SpatialMask,
)
from e2_steerable.nn.modules.export.pools import FieldNormPool, NormMaxPool2d

__all__ = [
    "BranchAndMerge",
    "BranchChannels",
    "ChannelPermutation",
    "ConcatenatedActivation",
    "FieldDropoutPlain",
    "FieldNormPool",
    "GatedActivation",
    "MergeChannels",
    "NormActivation",
    "NormMaxPool2d",
    "SelectInput",
    "SelectPair",
    "SpatialMask",
    "VectorFieldActivation",
]
