"""Point-to-point distances shared by the numba kernels (L1 and L2, float64).

Distances are computed as sums of (squared) coordinate differences. To keep them free of overflow
and underflow, a cloud whose largest coordinate magnitude lies outside ``[2**-SAFE_EXPONENT,
2**SAFE_EXPONENT]`` is first rescaled by a power of two (:func:`cloud_distances`), and the
filtration threshold with it. Scaling by a power of two is exact, so the diagram (its order and its
ties) is that of the exact distances; clouds of ordinary magnitude are not touched at all.
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
def cloud_distances(points: np.ndarray, metric: int, threshold: float) -> tuple[np.ndarray, float]:
    """Dense symmetric ``(n, n)`` float64 distance matrix (L1 or L2) of a cloud, and the threshold.

    A cloud whose largest coordinate magnitude lies outside
    ``[2**-SAFE_EXPONENT, 2**SAFE_EXPONENT]`` is first multiplied by the power of two ``2**e`` that
    brings the largest magnitude into ``[0.5, 1)``, and the threshold with it (exact; clouds of
    ordinary magnitude are not touched). Each distance sums the (squared) coordinate differences
    in order, from the first term (the L2 square root last).

    Returns:
        ``(matrix, threshold * 2**e)`` for ``metric`` 1 (L1) or 2 (L2).
    """
    n = points.shape[0]
    d = points.shape[1]
    big = 0.0
    for i in range(n):
        for c in range(d):
            x = abs(points[i, c])
            if x > big:
                big = x
    e = 0
    if big != 0.0 and not (
        math.ldexp(1.0, -SAFE_EXPONENT) <= big <= math.ldexp(1.0, SAFE_EXPONENT)
    ):
        e = -math.frexp(big)[1]
    coords = np.empty(n * d, dtype=np.float64)  # row-major, rescaled
    for i in range(n):
        for c in range(d):
            coords[i * d + c] = math.ldexp(points[i, c], e)
    out = np.empty(n * n, dtype=np.float64)
    for i in range(n):
        out[i * n + i] = 0.0
        for j in range(i):
            acc = 0.0
            for c in range(d):
                diff = coords[i * d + c] - coords[j * d + c]
                acc += abs(diff) if metric == L1 else diff * diff
            dist = acc if metric == L1 else math.sqrt(acc)
            out[i * n + j] = dist
            out[j * n + i] = dist
    return out.reshape((n, n)), math.ldexp(threshold, e)
