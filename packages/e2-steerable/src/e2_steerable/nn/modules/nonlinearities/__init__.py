"""Non-linearities: pointwise, norm, gated, induced, concatenated and vector-field."""

from e2_steerable.nn.modules.nonlinearities.concatenated import ConcatenatedNonLinearity
from e2_steerable.nn.modules.nonlinearities.elu import ELU
from e2_steerable.nn.modules.nonlinearities.gated1 import GatedNonLinearity1
from e2_steerable.nn.modules.nonlinearities.gated2 import GatedNonLinearity2
from e2_steerable.nn.modules.nonlinearities.induced_gated1 import InducedGatedNonLinearity1
from e2_steerable.nn.modules.nonlinearities.induced_norm import InducedNormNonLinearity
from e2_steerable.nn.modules.nonlinearities.norm import NormNonLinearity
from e2_steerable.nn.modules.nonlinearities.pointwise import PointwiseNonLinearity
from e2_steerable.nn.modules.nonlinearities.relu import ReLU
from e2_steerable.nn.modules.nonlinearities.vectorfield import VectorFieldNonLinearity

__all__ = [
    "ELU",
    "ConcatenatedNonLinearity",
    "GatedNonLinearity1",
    "GatedNonLinearity2",
    "InducedGatedNonLinearity1",
    "InducedNormNonLinearity",
    "NormNonLinearity",
    "PointwiseNonLinearity",
    "ReLU",
    "VectorFieldNonLinearity",
]
