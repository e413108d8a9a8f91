"""Barcode vectorization layers (SLayers), batching helpers and diagram coordinate transforms.

Modules:
    * :mod:`~torchph_lite.nn.structure_elements`: ``SLayerExponential``, ``SLayerRational``,
      ``SLayerRationalHat``.
    * :mod:`~torchph_lite.nn.batching`: ``prepare_batch`` and the input-form helpers.
    * :mod:`~torchph_lite.nn.distances`: point-to-centre distances in O(B·M·N) memory.
    * :mod:`~torchph_lite.nn.parameter_init`: parameter initialisation from user arguments.
    * :mod:`~torchph_lite.nn.coordinate_transforms`: birth/lifetime stretching transforms.
    * :mod:`~torchph_lite.nn.slayer`:
      all of the above under the original ``torchph.nn.slayer`` path.
"""

from __future__ import annotations

from torchph_lite.nn.batching import PreparedBatch, prepare_batch
from torchph_lite.nn.coordinate_transforms import (
    LinearRationalStretchedBirthLifeTimeCoordinateTransform,
    LogStretchedBirthLifeTimeCoordinateTransform,
    UpperDiagonalThresholdedLogTransform,
)
from torchph_lite.nn.structure_elements import SLayerExponential, SLayerRational, SLayerRationalHat

__all__ = [
    "LinearRationalStretchedBirthLifeTimeCoordinateTransform",
    "LogStretchedBirthLifeTimeCoordinateTransform",
    "PreparedBatch",
    "SLayerExponential",
    "SLayerRational",
    "SLayerRationalHat",
    "UpperDiagonalThresholdedLogTransform",
    "prepare_batch",
]
