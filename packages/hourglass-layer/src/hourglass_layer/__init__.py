r"""The HourglassLayer of VirtuaLearn3D as an idiomatic PyTorch module.

The package, one job per module:

* ``hourglass_layer.layer``: the :class:`HourglassLayer` module;
* :mod:`hourglass_layer.penalty`: the regularisation term :math:`\mathcal{L}_h` as a function;
* :mod:`hourglass_layer.spectral`: the spectral norm by the three strategies;
* ``hourglass_layer.collect``: model-wide sum of the regularisers, constraints on demand;
* :mod:`hourglass_layer.activations`, :mod:`hourglass_layer.initializers`,
  :mod:`hourglass_layer.weight_regularizers`, :mod:`hourglass_layer.constraints`: the Keras-style
  arguments resolved to PyTorch callables.

>>> import torch
>>> from hourglass_layer import HourglassLayer, regularization_loss
>>> layer = HourglassLayer(Dh=8, Dout=16, spectral_strategy="safe")
>>> layer(torch.randn(2, 50, 32)).shape
torch.Size([2, 50, 16])
>>> regularization_loss(layer).shape
torch.Size([])
"""

from hourglass_layer.activations import ACTIVATIONS
from hourglass_layer.collect import apply_constraints, hourglass_layers, regularization_loss
from hourglass_layer.constraints import CONSTRAINTS
from hourglass_layer.initializers import INITIALIZERS
from hourglass_layer.layer import HourglassLayer
from hourglass_layer.penalty import NORMALIZATIONS, hourglass_penalty
from hourglass_layer.spectral import SPECTRAL_STRATEGIES, largest_eigenvalue
from hourglass_layer.weight_regularizers import WEIGHT_REGULARIZERS

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "CONSTRAINTS",
    "INITIALIZERS",
    "NORMALIZATIONS",
    "SPECTRAL_STRATEGIES",
    "WEIGHT_REGULARIZERS",
    "HourglassLayer",
    "__version__",
    "apply_constraints",
    "hourglass_layers",
    "hourglass_penalty",
    "largest_eigenvalue",
    "regularization_loss",
]
