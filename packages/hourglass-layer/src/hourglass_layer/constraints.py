"""Keras-style weight constraints for ``W1_constraint`` / ``W2_constraint``.

A Keras constraint is a projection applied to the weight after every optimizer update. The
same happens here: a layer with a constraint registers itself with a global
:func:`torch.optim.optimizer.register_optimizer_step_post_hook`, and after any optimizer step
that updates its weight the projection is applied in place. It can also be applied on demand
with :meth:`~hourglass_layer.HourglassLayer.apply_constraints` or
:func:`hourglass_layer.apply_constraints`.

Named constraints follow Keras (``axis=0`` normalises every column of the
:math:`D_{in} \\times D_h` matrix, i.e. the weights into one output unit).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

if TYPE_CHECKING:
    import hourglass_layer

__all__ = ["CONSTRAINTS", "NormConstraint", "resolve_constraint", "track_constrained"]

_EPSILON = 1e-7  # Keras backend epsilon
_DEFAULT_ARGS: dict[str, dict[str, float]] = {
    "non_neg": {},
    "unit_norm": {"axis": 0},
    "max_norm": {"max_value": 2.0, "axis": 0},
    "min_max_norm": {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0},
}
_ALIASES = {
    "nonneg": "non_neg",
    "unitnorm": "unit_norm",
    "maxnorm": "max_norm",
    "minmaxnorm": "min_max_norm",
}

CONSTRAINTS: tuple[str, ...] = tuple(_DEFAULT_ARGS)
"""The accepted constraint names."""


@dataclass(frozen=True)
class NormConstraint:
    """A named Keras constraint with its arguments.

    >>> import torch
    >>> from hourglass_layer.constraints import NormConstraint
    >>> NormConstraint("max_norm", {"max_value": 1.0})(torch.tensor([[3.0], [4.0]]))
    tensor([[0.6000],
            [0.8000]])
    """

    name: str
    args: dict[str, float]

    def __call__(self, weight: torch.Tensor) -> torch.Tensor:
        """The projected weight (a new tensor)."""
        args = {**_DEFAULT_ARGS[self.name], **self.args}
        if self.name == "non_neg":
            return weight.clamp_min(0.0)
        norms = weight.square().sum(dim=int(args["axis"]), keepdim=True).sqrt()
        if self.name == "unit_norm":
            return weight / (norms + _EPSILON)
        if self.name == "max_norm":
            desired = norms.clamp(0.0, args["max_value"])
        else:
            clipped = norms.clamp(args["min_value"], args["max_value"])
            desired = args["rate"] * clipped + (1.0 - args["rate"]) * norms
        return weight * desired / (norms + _EPSILON)

    def get_config(self) -> str | dict[str, Any]:
        """JSON form: the bare name, or ``{"class_name", "config"}`` with arguments."""
        return {"class_name": self.name, "config": dict(self.args)} if self.args else self.name


def resolve_constraint(spec: Any, argument: str) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """Turn a constraint argument into a ``weight -> projected weight`` callable (or ``None``).

    Args:
        spec: ``None``, a name from :data:`CONSTRAINTS` (snake or Keras CamelCase), a
            Keras-serialised dict ``{"class_name": "MaxNorm", "config": {"max_value": 2}}``,
            a :class:`NormConstraint`, or any callable returning the projected tensor.
        argument: The argument's name, used in error messages.

    >>> from hourglass_layer.constraints import resolve_constraint
    >>> resolve_constraint("NonNeg", "W1_constraint")
    NormConstraint(name='non_neg', args={})
    """
    if spec is None or isinstance(spec, NormConstraint):
        return spec
    if isinstance(spec, str):
        return NormConstraint(_check_name(spec, argument), {})
    if isinstance(spec, Mapping):
        if "class_name" not in spec:
            raise ValueError(
                f"{argument} as a dict needs a 'class_name' key (Keras format), got {dict(spec)}"
            )
        name = _check_name(str(spec["class_name"]), argument)
        config = dict(spec.get("config") or {})
        unknown = set(config) - set(_DEFAULT_ARGS[name])
        if unknown:
            raise ValueError(
                f"{argument}: {name} accepts {sorted(_DEFAULT_ARGS[name])}, got unknown "
                f"{sorted(unknown)}"
            )
        return NormConstraint(name, {k: float(v) for k, v in config.items()})
    if callable(spec):
        return spec
    raise TypeError(
        f"{argument} must be None, a str, a Keras-style dict or a callable, got "
        f"{type(spec).__name__}: {spec!r}"
    )


def _check_name(name: str, argument: str) -> str:
    key = name.strip().lower()
    key = _ALIASES.get(key.replace("_", ""), key)
    if key not in _DEFAULT_ARGS:
        raise ValueError(f"{argument} must be one of {CONSTRAINTS} or a callable, got {name!r}")
    return key


_TRACKED: weakref.WeakSet[Any] = weakref.WeakSet()
_HOOK: list[Any] = []


def _after_optimizer_step(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
    if not _TRACKED:
        return
    stepped = {id(p) for group in optimizer.param_groups for p in group["params"]}
    for layer in list(_TRACKED):
        layer.apply_constraints(stepped)


def track_constrained(layer: hourglass_layer.HourglassLayer) -> None:
    """Project ``layer``'s weights after every optimizer step that updates them.

    After each optimizer step, ``layer.apply_constraints(stepped)`` is called with the ids of the
    parameters that step updated (any object with such an ``apply_constraints`` method works).
    The layer is held by a weak reference; the global hook is registered once.
    """
    if not _HOOK:
        _HOOK.append(register_optimizer_step_post_hook(_after_optimizer_step))
    _TRACKED.add(layer)
