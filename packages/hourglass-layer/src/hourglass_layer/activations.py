"""Activation functions by name, callable or module.

The names are case-insensitive. ``None``, ``"identity"`` and ``"linear"`` are the identity.
Named activations resolve to plain functions of :mod:`torch` / :mod:`torch.nn.functional`
(no module-call overhead in the forward pass). PyTorch defaults apply to parametrised ones:
``"leaky_relu"`` has slope 0.01, while the Keras ``LeakyReLU`` layer defaults to 0.3 (pass
``torch.nn.LeakyReLU(0.3)`` for that).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ACTIVATIONS", "ActivationSpec", "identity", "resolve_activation"]

Activation = Callable[[torch.Tensor], torch.Tensor]
ActivationSpec = str | None | nn.Module | type[nn.Module] | Activation
"""What an ``activation`` argument may be."""


def identity(x: torch.Tensor) -> torch.Tensor:
    """Return ``x`` unchanged (the ``None`` / ``"identity"`` / ``"linear"`` activation)."""
    return x


_FUNCTIONS: dict[str, Activation] = {
    "identity": identity,
    "linear": identity,
    "relu": torch.relu,
    "relu6": F.relu6,
    "leaky_relu": functools.partial(F.leaky_relu, negative_slope=0.01),
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "silu": F.silu,
    "swish": F.silu,
    "mish": F.mish,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softplus": F.softplus,
    "softsign": F.softsign,
}
_ALIASES = {"leakyrelu": "leaky_relu", "none": "identity"}

ACTIVATIONS: tuple[str, ...] = tuple(sorted(_FUNCTIONS))
"""The accepted activation names (case-insensitive)."""


def resolve_activation(spec: ActivationSpec, argument: str) -> tuple[Activation, str | None]:
    """Turn an activation argument into a callable and its JSON name.

    Args:
        spec: A name from :data:`ACTIVATIONS` (any case), ``None``, an ``nn.Module`` instance or
            class, or any tensor-to-tensor callable.
        argument: The argument's name, used in error messages.

    Returns:
        ``(activation, name)``: ``name`` is the canonical lower-case name for named activations
        (``"identity"`` for ``None``) and ``None`` for modules and callables, which cannot be
        written to a JSON config.

    Raises:
        ValueError: For an unknown name (the message lists the accepted ones).
        TypeError: For anything that is neither a string, ``None`` nor callable.

    >>> import torch
    >>> from hourglass_layer.activations import resolve_activation
    >>> resolve_activation("ReLU", "activation")[1]
    'relu'
    >>> resolve_activation(None, "activation")[0](torch.tensor([-1.0]))
    tensor([-1.])
    >>> resolve_activation(torch.nn.Tanh, "activation")
    (Tanh(), None)
    """
    if spec is None:
        return identity, "identity"
    if isinstance(spec, str):
        name = spec.strip().lower().replace("-", "_")
        name = _ALIASES.get(name, name)
        if name not in _FUNCTIONS:
            raise ValueError(
                f"{argument} must be one of {ACTIVATIONS} (case-insensitive), None, an "
                f"nn.Module or a callable; got {spec!r}"
            )
        return _FUNCTIONS[name], name
    if isinstance(spec, type) and issubclass(spec, nn.Module):
        return spec(), None
    if callable(spec):
        return spec, None
    raise TypeError(
        f"{argument} must be a str, None, an nn.Module or a callable; got "
        f"{type(spec).__name__}: {spec!r}"
    )
