"""Dropout of whole fields or of single channels."""

from e2_steerable.nn.modules.dropout.field import FieldDropout
from e2_steerable.nn.modules.dropout.pointwise import PointwiseDropout

__all__ = ["FieldDropout", "PointwiseDropout"]
