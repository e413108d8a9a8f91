"""Point-to-point distances shared by the numba kernels (L1 and L2, float64)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_JIT = {"cache": True, "nogil": True}

#: metric codes used by the kernels
MATRIX, L1, L2 = 0, 1, 2


@nb.njit(**_JIT)
def point_distance(points: np.ndarray, i: int, j: int, metric: int) -> float:
    """L1 (``metric == 1``) or L2 (``metric == 2``) distance between rows ``i`` and ``j``."""
    acc = 0.0
    if metric == 1:
        for c in range(points.shape[1]):
            acc += abs(points[i, c] - points[j, c])
        return acc
    for c in range(points.shape[1]):
        diff = points[i, c] - points[j, c]
        acc += diff * diff
    return math.sqrt(acc)


@nb.njit(**_JIT)
def distance_matrix(points: np.ndarray, metric: int) -> np.ndarray:
    """Dense symmetric ``(n, n)`` float64 distance matrix with a zero diagonal."""
    n = points.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i):
            d = point_distance(points, i, j, metric)
            out[i, j] = d
            out[j, i] = d
    return out
