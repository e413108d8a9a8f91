"""Pointwise nonlinearities: :class:`ReLU`, :class:`ELU`, :class:`PointwiseNonLinearity`."""

from e2_steerable.nn.modules.nonlinearities.elu import ELU
from e2_steerable.nn.modules.nonlinearities.pointwise import PointwiseNonLinearity
from e2_steerable.nn.modules.nonlinearities.relu import ReLU

__all__ = ["ELU", "PointwiseNonLinearity", "ReLU"]
