r"""Keras-style weight penalties for ``W1_regularizer`` / ``W2_regularizer``.

In Keras such a regulariser adds its own term to ``model.losses``. Here the term is part of
:meth:`~hourglass_layer.HourglassLayer.regularization_loss`, next to :math:`\beta\mathcal{L}_h`.
The Keras formulas and default factors are kept: ``"l1"`` is :math:`0.01\sum|W|`, ``"l2"`` is
:math:`0.01\sum W^2` (no factor 1/2), ``"l1_l2"`` is both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["L1L2", "WEIGHT_REGULARIZERS", "resolve_weight_regularizer"]

_DEFAULT_FACTOR = 0.01
_NAMED = {"l1": (_DEFAULT_FACTOR, 0.0), "l2": (0.0, _DEFAULT_FACTOR), "l1_l2": (0.01, 0.01)}
_CLASS_NAMES = {"l1": "l1", "l2": "l2", "l1l2": "l1_l2", "l1_l2": "l1_l2"}

WEIGHT_REGULARIZERS: tuple[str, ...] = tuple(_NAMED)
"""The accepted regulariser names."""


@dataclass(frozen=True)
class L1L2:
    r"""The penalty :math:`\ell_1 \sum |W| + \ell_2 \sum W^2`.

    >>> import torch
    >>> from hourglass_layer.weight_regularizers import L1L2
    >>> L1L2(l2=0.5)(torch.tensor([[1.0, -2.0]]))
    tensor(2.5000)
    """

    l1: float = 0.0
    l2: float = 0.0

    def __call__(self, weight: torch.Tensor) -> torch.Tensor:
        """The penalty of ``weight`` (a 0-dim tensor)."""
        penalty = weight.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * weight.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * weight.square().sum()
        return penalty

    def get_config(self) -> dict[str, Any]:
        """JSON form, in the Keras layout."""
        return {"class_name": "L1L2", "config": {"l1": self.l1, "l2": self.l2}}


def resolve_weight_regularizer(
    spec: Any, argument: str
) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """Turn a regulariser argument into a ``weight -> scalar`` callable (or ``None``).

    Args:
        spec: ``None``, ``"l1"``, ``"l2"``, ``"l1_l2"``, a dict ``{"l1": a, "l2": b}``, a
            Keras-serialised dict ``{"class_name": "L2", "config": {"l2": 0.01}}``, an
            :class:`L1L2`, or any callable returning a scalar tensor.
        argument: The argument's name, used in error messages.

    >>> from hourglass_layer.weight_regularizers import resolve_weight_regularizer
    >>> resolve_weight_regularizer("l2", "W1_regularizer")
    L1L2(l1=0.0, l2=0.01)
    """
    if spec is None or isinstance(spec, L1L2):
        return spec
    if isinstance(spec, str):
        name = spec.strip().lower()
        if name not in _NAMED:
            raise ValueError(
                f"{argument} must be one of {WEIGHT_REGULARIZERS}, a dict or a callable, "
                f"got {spec!r}"
            )
        return L1L2(*_NAMED[name])
    if isinstance(spec, Mapping):
        config = dict(spec)
        if "class_name" in config:
            kind = _CLASS_NAMES.get(str(config["class_name"]).lower())
            if kind is None:
                raise ValueError(
                    f"{argument}: class_name must be L1, L2 or L1L2, got {config['class_name']!r}"
                )
            config = dict(config.get("config") or {})
        unknown = set(config) - {"l1", "l2"}
        if unknown:
            raise ValueError(f"{argument} accepts the keys 'l1' and 'l2', got {sorted(unknown)}")
        return L1L2(float(config.get("l1", 0.0)), float(config.get("l2", 0.0)))
    if callable(spec):
        return spec
    raise TypeError(
        f"{argument} must be None, a str, a dict or a callable, got {type(spec).__name__}: {spec!r}"
    )
