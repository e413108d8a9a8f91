"""Shared numerics of the planar groups: 2x2 rotations, reflections and element checks."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np

TWO_PI = 2.0 * math.pi

# non-linearity tags of the irreps, shared by every group
TRIVIAL_FINITE = frozenset({"pointwise", "gate", "norm", "gated", "concatenated"})
SIGN_FINITE = frozenset({"norm", "gated", "concatenated"})
PLANE = frozenset({"norm", "gated"})
TRIVIAL_CONTINUOUS = frozenset({"pointwise", "gate", "norm", "gated"})


def rotation(angle: float) -> np.ndarray:
    """The 2x2 rotation matrix by ``angle`` (counter-clockwise)."""
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


FLIP_X = np.array([[1.0, 0.0], [0.0, -1.0]])


def is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_maximum_frequency(value: object) -> int:
    """``value`` as a non-negative int; ``ValueError`` otherwise."""
    if not is_int(value) or value < 0:  # type: ignore[operator]
        raise ValueError(f"maximum_frequency: expected a non-negative int, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def cached_group(cls: Any, maximum_frequency: int) -> Any:
    """The one cached instance ``cls._instance`` of a continuous group, created on first use;
    a higher ``maximum_frequency`` lists more irreps on it, keeping every earlier one valid."""
    frequency = check_maximum_frequency(maximum_frequency)
    group = cls._instance
    if group is None:
        group = cls._instance = cls(frequency)
    elif group.maximum_frequency < frequency:
        group.maximum_frequency = frequency
    _ = group.irreps  # register the listed irreps in `representations`
    return group


def is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_axis(axis: object) -> float:
    """``axis`` as a float; TypeError unless it is a real number, ValueError unless finite."""
    if not is_real(axis):
        raise TypeError(f"axis: expected a float angle, got {axis!r}")
    value = float(axis)  # type: ignore[arg-type]
    if not math.isfinite(value):
        raise ValueError(f"axis: expected a finite angle, got {axis!r}")
    return value


def wrap_angle(angle: float) -> float:
    """``angle`` reduced to ``[0, 2π)``."""
    out = float(angle) % TWO_PI
    return 0.0 if out >= TWO_PI - 1e-12 else out


def angle_distance(a: float, b: float) -> float:
    d = (float(a) - float(b)) % TWO_PI
    return min(d, TWO_PI - d)


def as_int_multiple(angle: float, n: int, atol: float = 1e-6) -> int | None:
    """``k`` if ``angle == 2πk/n`` (mod 2π, within ``atol``), else ``None``."""
    x = float(angle) * n / TWO_PI
    k = round(x)
    if abs(x - k) > atol * n:
        return None
    return int(k) % n
