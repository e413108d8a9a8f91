"""Invariant maps: norm pooling of fields and of induced sub-fields."""

from e2_steerable.nn.modules.invariantmaps.induced_norm import InducedNormPool
from e2_steerable.nn.modules.invariantmaps.norm import NormPool

__all__ = ["InducedNormPool", "NormPool"]
