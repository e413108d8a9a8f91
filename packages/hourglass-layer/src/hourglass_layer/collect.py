"""Model-wide helpers: sum the regularisers and apply the constraints of every hourglass layer."""

from __future__ import annotations

import torch
from torch import nn

from hourglass_layer.layer import HourglassLayer

__all__ = ["apply_constraints", "hourglass_layers", "regularization_loss"]


def hourglass_layers(model: nn.Module) -> list[HourglassLayer]:
    """Every :class:`HourglassLayer` inside ``model`` (itself included), each once.

    >>> import torch
    >>> from hourglass_layer import HourglassLayer, hourglass_layers
    >>> model = torch.nn.Sequential(HourglassLayer(4, 8), torch.nn.ReLU(), HourglassLayer(2, 3))
    >>> len(hourglass_layers(model))
    2
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return [module for module in model.modules() if isinstance(module, HourglassLayer)]


def regularization_loss(model: nn.Module) -> torch.Tensor:
    r"""Sum of :meth:`HourglassLayer.regularization_loss` over every hourglass layer in ``model``.

    Each layer counts once per call, even if the model calls it several times per forward.
    A model without hourglass layers gives a float32 zero on the CPU (which adds to a loss on
    any device).

    Args:
        model: Any module.

    Returns:
        A differentiable 0-dim tensor, on the device of the first hourglass layer.

    Raises:
        RuntimeError: If a hourglass layer has not been built yet (run a forward pass first).

    >>> import torch
    >>> from hourglass_layer import HourglassLayer, regularization_loss
    >>> model = torch.nn.Sequential(HourglassLayer(4, 8, in_features=16), HourglassLayer(2, 3))
    >>> _ = model(torch.randn(5, 16))
    >>> total = regularization_loss(model)
    >>> torch.allclose(total, model[0].regularization_loss() + model[1].regularization_loss())
    True
    """
    terms = [layer.regularization_loss() for layer in hourglass_layers(model)]
    if not terms:
        return torch.zeros(())
    total = terms[0]
    for term in terms[1:]:
        total = total + term.to(total.device)
    return total


def apply_constraints(model: nn.Module) -> None:
    """Apply ``W1_constraint`` / ``W2_constraint`` of every hourglass layer in ``model`` now.

    Not needed after ``optimizer.step()`` (that happens automatically); useful after loading or
    editing weights by hand.
    """
    for layer in hourglass_layers(model):
        layer.apply_constraints()
