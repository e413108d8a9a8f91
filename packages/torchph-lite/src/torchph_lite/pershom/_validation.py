"""Argument checks for the public functions: clear errors that name the argument."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import torch

#: largest supported homology dimension
MAX_DIMENSION = 3


def check_max_dimension(max_dimension: object) -> int:
    """Return ``max_dimension`` as an int in ``[0, MAX_DIMENSION]`` or raise."""
    if type(max_dimension) is int and 0 <= max_dimension <= MAX_DIMENSION:
        return max_dimension
    if isinstance(max_dimension, bool) or not isinstance(max_dimension, numbers.Integral):
        raise TypeError(
            f"max_dimension must be an int, got {type(max_dimension).__name__} ({max_dimension!r})"
        )
    value = int(max_dimension)
    if not 0 <= value <= MAX_DIMENSION:
        raise ValueError(
            f"max_dimension must be between 0 and {MAX_DIMENSION} (the homology dimension), "
            f"got {value}"
        )
    return value


def check_max_ball_diameter(max_ball_diameter: object) -> float:
    """Return the filtration threshold (``inf`` for ``0``) or raise."""
    if type(max_ball_diameter) in (float, int):  # the common case, checked cheaply
        if max_ball_diameter == 0:
            return math.inf
        if max_ball_diameter > 0:  # False for NaN
            return float(max_ball_diameter)
    if isinstance(max_ball_diameter, torch.Tensor) and max_ball_diameter.numel() == 1:
        max_ball_diameter = max_ball_diameter.item()
    if isinstance(max_ball_diameter, bool) or not isinstance(max_ball_diameter, numbers.Real):
        raise TypeError(
            "max_ball_diameter must be a real number, "
            f"got {type(max_ball_diameter).__name__} ({max_ball_diameter!r})"
        )
    value = float(max_ball_diameter)
    if math.isnan(value) or value < 0:
        raise ValueError(f"max_ball_diameter must be >= 0 (0 means no threshold), got {value}")
    return math.inf if value == 0 else value


def _check_tensor(x: object, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.dtype.is_floating_point:
        raise TypeError(f"{name} must have a floating point dtype, got {x.dtype}")
    return x


def flatten_batch(
    x: object, name: str
) -> tuple[torch.Tensor | list[torch.Tensor], np.ndarray, bool]:
    """Normalise one input, a stacked batch or a list of inputs to rows stacked along dim 0.

    Args:
        x: an ``(n, m)`` tensor (one input), a ``(B, n, m)`` tensor or a sequence of ``(n_i, m)``
            tensors.
        name: argument name for error messages.

    Returns:
        ``(data, offsets, batched)``: for tensors ``data`` is ``(B * n, m)`` (a view), input ``i``
        being ``data[offsets[i]:offsets[i + 1]]``; for a sequence ``data`` is the list itself.
    """
    if isinstance(x, Sequence) and not isinstance(x, torch.Tensor):
        if len(x) == 0:
            raise ValueError(f"{name} must not be an empty list")
        items = [_check_tensor(t, f"{name}[{i}]") for i, t in enumerate(x)]
        for i, t in enumerate(items):
            if t.dim() != 2:
                raise ValueError(f"{name}[{i}] must have 2 dimensions, got shape {tuple(t.shape)}")
            if t.device != items[0].device or t.dtype != items[0].dtype:
                raise ValueError(
                    f"all tensors in {name} must share one device and dtype, got "
                    f"{items[0].device}/{items[0].dtype} and {t.device}/{t.dtype} ({name}[{i}])"
                )
        sizes = [t.shape[0] for t in items]
        offsets = np.zeros(len(items) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return items, offsets, True
    t = _check_tensor(x, name)
    if t.dim() == 2:
        return t, np.array([0, t.shape[0]], dtype=np.int64), False
    if t.dim() == 3:
        b, n = t.shape[0], t.shape[1]
        if b < 1:
            raise ValueError(f"{name} must hold at least one input, got shape {tuple(t.shape)}")
        return t.reshape(b * n, t.shape[2]), np.arange(b + 1, dtype=np.int64) * n, True
    raise ValueError(
        f"{name} must have 2 dimensions (one input) or 3 (a batch), got shape {tuple(t.shape)}"
    )


def check_points(points: np.ndarray, name: str) -> None:
    """Validate a float64 ``(n, d)`` point cloud copy."""
    if points.shape[0] < 1:
        raise ValueError(f"{name} must contain at least one point, got shape {points.shape}")
    if points.shape[1] < 1:
        raise ValueError(f"{name} must have at least one coordinate, got shape {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError(f"{name} contains NaN or infinite coordinates")


def check_matrix(dist: np.ndarray, name: str) -> None:
    """Validate a float64 ``(n, n)`` distance matrix copy."""
    n = dist.shape[0]
    if dist.ndim != 2 or dist.shape[1] != n:
        raise ValueError(f"{name} must be a square matrix, got shape {dist.shape}")
    if n < 1:
        raise ValueError(f"{name} must have at least one point, got shape {dist.shape}")
    if not np.isfinite(dist).all():
        raise ValueError(f"{name} contains NaN or infinite entries")
    if (dist < 0).any():
        raise ValueError(f"{name} contains negative distances (min {dist.min()})")
    scale = max(float(np.abs(dist).max()), 1e-300)
    asym = float(np.abs(dist - dist.T).max())
    if asym > 1e-6 * scale:
        raise ValueError(f"{name} must be symmetric, got max |D - D^T| = {asym:.3g}")
