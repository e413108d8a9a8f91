"""Weight initialisers with the Keras fan convention (``fan_in = Din``, ``fan_out = Dh``).

``None`` means ``"glorot_uniform"``, the Keras default for the original layer. The normal
variants of the variance-scaling family (``glorot_normal``, ``he_normal``, ``lecun_normal``)
are *truncated* at two standard deviations and rescaled, as in Keras, so they differ from
:func:`torch.nn.init.xavier_normal_`. Keras-serialised dicts
(``{"class_name": "GlorotUniform", "config": {"seed": 3}}``) are accepted, so configurations
written by the original layer load. A callable is used like the functions of
:mod:`torch.nn.init`: it receives the weight tensor and fills it in place (or returns the new
values).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["INITIALIZERS", "Initializer", "resolve_initializer"]

_TRUNCATED_STD_CORRECTION = 0.87962566103423978  # std of a unit normal truncated at +-2
_VARIANCE_SCALING = {  # name: (scale, mode, distribution)
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}
_DEFAULT_ARGS: dict[str, dict[str, float]] = {
    **{name: {} for name in _VARIANCE_SCALING},
    "orthogonal": {"gain": 1.0},
    "zeros": {},
    "ones": {},
    "random_normal": {"mean": 0.0, "stddev": 0.05},
    "random_uniform": {"minval": -0.05, "maxval": 0.05},
    "truncated_normal": {"mean": 0.0, "stddev": 0.05},
}

INITIALIZERS: tuple[str, ...] = tuple(sorted(_DEFAULT_ARGS))
"""The accepted initialiser names."""


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.strip()).lower()


@dataclass(frozen=True)
class Initializer:
    """A named initialiser with its arguments and an optional seed.

    Args:
        name: One of :data:`INITIALIZERS`.
        args: Overrides of the named initialiser's arguments (Keras names: ``mean``,
            ``stddev``, ``minval``, ``maxval``, ``gain``).
        seed: Seed of a private generator, for reproducible initialisation.

    >>> import torch
    >>> from hourglass_layer.initializers import Initializer
    >>> w = torch.empty(3, 2)
    >>> _ = Initializer("ones")(w)
    >>> w
    tensor([[1., 1.],
            [1., 1.],
            [1., 1.]])
    """

    name: str
    args: dict[str, float] = field(default_factory=dict)
    seed: int | None = None

    def __call__(self, weight: torch.Tensor) -> torch.Tensor:
        """Fill ``weight`` (shape ``(fan_in, fan_out)``) in place and return it."""
        generator = None
        if self.seed is not None:
            generator = torch.Generator(device=weight.device).manual_seed(self.seed)
        args = {**_DEFAULT_ARGS[self.name], **self.args}
        with torch.no_grad():
            if self.name in _VARIANCE_SCALING:
                return _variance_scaling(weight, *_VARIANCE_SCALING[self.name], generator)
            if self.name == "zeros":
                return weight.zero_()
            if self.name == "ones":
                return weight.fill_(1.0)
            if self.name == "orthogonal":
                return torch.nn.init.orthogonal_(weight, args["gain"], generator=generator)
            if self.name == "random_uniform":
                return weight.uniform_(args["minval"], args["maxval"], generator=generator)
            if self.name == "random_normal":
                return weight.normal_(args["mean"], args["stddev"], generator=generator)
            mean, std = args["mean"], args["stddev"]
            return torch.nn.init.trunc_normal_(
                weight, mean, std, mean - 2 * std, mean + 2 * std, generator=generator
            )

    def get_config(self) -> str | dict[str, Any]:
        """JSON form: the bare name, or ``{"class_name", "config"}`` with arguments/seed."""
        if not self.args and self.seed is None:
            return self.name
        return {"class_name": self.name, "config": {**self.args, "seed": self.seed}}


def _variance_scaling(
    weight: torch.Tensor,
    scale: float,
    mode: str,
    distribution: str,
    generator: torch.Generator | None,
) -> torch.Tensor:
    fan_in, fan_out = weight.shape[-2], weight.shape[-1]
    fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    variance = scale / max(1.0, fan)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * variance)
        return weight.uniform_(-limit, limit, generator=generator)
    std = math.sqrt(variance) / _TRUNCATED_STD_CORRECTION
    return torch.nn.init.trunc_normal_(weight, 0.0, std, -2 * std, 2 * std, generator=generator)


class _CallableInitializer:
    def __init__(self, function: Callable[[torch.Tensor], Any]) -> None:
        self.function = function

    def __call__(self, weight: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            result = self.function(weight)
            if isinstance(result, torch.Tensor) and result is not weight:
                weight.copy_(result)
        return weight


def resolve_initializer(spec: Any, argument: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """Turn an initialiser argument into a callable that fills a weight in place.

    Args:
        spec: ``None`` (glorot_uniform), a name from :data:`INITIALIZERS` (snake or Keras
            CamelCase), a Keras-serialised dict ``{"class_name": ..., "config": {...}}``, an
            :class:`Initializer`, or a callable such as :func:`torch.nn.init.orthogonal_`.
        argument: The argument's name, used in error messages.

    Raises:
        ValueError: Unknown name or unknown argument of a named initialiser.
        TypeError: Anything else.

    >>> from hourglass_layer.initializers import resolve_initializer
    >>> resolve_initializer("GlorotUniform", "W1_initializer")
    Initializer(name='glorot_uniform', args={}, seed=None)
    """
    if spec is None:
        return Initializer("glorot_uniform")
    if isinstance(spec, Initializer):
        return spec
    if isinstance(spec, str):
        return Initializer(_check_name(spec, argument))
    if isinstance(spec, Mapping):
        if "class_name" not in spec:
            raise ValueError(
                f"{argument} as a dict needs a 'class_name' key (Keras format), got {dict(spec)}"
            )
        name = _check_name(str(spec["class_name"]), argument)
        config = dict(spec.get("config") or {})
        seed = config.pop("seed", None)
        unknown = set(config) - set(_DEFAULT_ARGS[name])
        if unknown:
            raise ValueError(
                f"{argument}: {name} accepts the arguments {sorted(_DEFAULT_ARGS[name])} and "
                f"'seed', got unknown {sorted(unknown)}"
            )
        return Initializer(name, {k: float(v) for k, v in config.items()}, seed)
    if callable(spec):
        return _CallableInitializer(spec)
    raise TypeError(
        f"{argument} must be None, a str, a Keras-style dict or a callable, got "
        f"{type(spec).__name__}: {spec!r}"
    )


def _check_name(name: str, argument: str) -> str:
    canonical = name.strip() if "_" in name or name.islower() else _snake_case(name)
    canonical = canonical.lower()
    if canonical not in _DEFAULT_ARGS:
        raise ValueError(f"{argument} must be one of {INITIALIZERS} or a callable, got {name!r}")
    return canonical
