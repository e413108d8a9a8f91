"""Compatibility module mirroring ``torchph.nn.slayer``.

The original keeps layers, batching helpers and coordinate transforms in one module; here they live
in :mod:`~torchph_lite.nn.structure_elements`, :mod:`~torchph_lite.nn.batching`,
:mod:`~torchph_lite.nn.parameter_init` and :mod:`~torchph_lite.nn.coordinate_transforms`, and are
re-exported so that ``from torchph_lite.nn.slayer import prepare_batch`` keeps working.
"""

from __future__ import annotations

from torchph_lite.nn.batching import (
    PreparedBatch,
    is_list_of_tensors,
    is_prepared_batch,
    prepare_batch,
    prepare_batch_if_necessary,
)
from torchph_lite.nn.coordinate_transforms import (
    LinearRationalStretchedBirthLifeTimeCoordinateTransform,
    LogStretchedBirthLifeTimeCoordinateTransform,
    UpperDiagonalThresholdedLogTransform,
)
from torchph_lite.nn.parameter_init import parameter_init_from_arg
from torchph_lite.nn.structure_elements import SLayerExponential, SLayerRational, SLayerRationalHat

__all__ = [
    "LinearRationalStretchedBirthLifeTimeCoordinateTransform",
    "LogStretchedBirthLifeTimeCoordinateTransform",
    "PreparedBatch",
    "SLayerExponential",
    "SLayerRational",
    "SLayerRationalHat",
    "UpperDiagonalThresholdedLogTransform",
    "is_list_of_tensors",
    "is_prepared_batch",
    "parameter_init_from_arg",
    "prepare_batch",
    "prepare_batch_if_necessary",
]
