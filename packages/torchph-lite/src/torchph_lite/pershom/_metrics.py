"""Point-to-point distances shared by the numba kernels (L1 and L2, float64).

Distances are computed as sums of (squared) coordinate differences. To keep them free of overflow
and underflow, a cloud whose largest coordinate magnitude lies outside ``[2**-SAFE_EXPONENT,
2**SAFE_EXPONENT]`` is first rescaled by a power of two (:func:`unit_scaled`), and the filtration
threshold with it. Scaling by a power of two is exact, so the diagram (its order and its ties) is
that of the exact distances; clouds of ordinary magnitude are not touched at all.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import kernel

#: metric codes used by the kernels
MATRIX, L1, L2 = 0, 1, 2

#: clouds with all coordinate magnitudes in [2**-SAFE_EXPONENT, 2**SAFE_EXPONENT] are not rescaled:
#: their squared differences, summed over up to 2**20 coordinates, cannot overflow, and the
#: squares of differences 2**-250 times smaller than the cloud do not underflow
SAFE_EXPONENT = 250


@kernel
def unit_scaled(points: np.ndarray, threshold: float) -> tuple[np.ndarray, float]:
    """A C-contiguous copy of ``points`` and ``threshold``, both rescaled if needed (see above).

    Returns ``(points * 2**e, threshold * 2**e)`` with ``e = 0`` for clouds of ordinary
    magnitude, else the ``e`` that brings the largest magnitude into ``[0.5, 1)``.
    """
    out = np.empty(points.shape)
    big = 0.0
    for i in range(points.shape[0]):
        for c in range(points.shape[1]):
            x = points[i, c]
            out[i, c] = x
            if abs(x) > big:
                big = abs(x)
    if big == 0.0 or math.ldexp(1.0, -SAFE_EXPONENT) <= big <= math.ldexp(1.0, SAFE_EXPONENT):
        return out, threshold
    e = -math.frexp(big)[1]
    for i in range(points.shape[0]):
        for c in range(points.shape[1]):
            out[i, c] = math.ldexp(out[i, c], e)
    return out, math.ldexp(threshold, e)


@kernel
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


@kernel
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
