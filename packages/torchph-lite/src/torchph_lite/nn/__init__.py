"""Barcode vectorization layers (SLayers), batching helpers and diagram coordinate transforms.

Modules:
    * ``torchph_lite.nn.structure_elements``: ``SLayerExponential``, ``SLayerRational``,
      ``SLayerRationalHat``.
    * ``torchph_lite.nn.batching``: ``prepare_batch`` and the input-form helpers.
    * ``torchph_lite.nn.distances``: point-to-centre distances in O(B·M·N) memory.
    * ``torchph_lite.nn.parameter_init``: parameter initialisation from user arguments.
    * ``torchph_lite.nn.coordinate_transforms``: birth/lifetime stretching transforms.
    * ``torchph_lite.nn.slayer``:
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
