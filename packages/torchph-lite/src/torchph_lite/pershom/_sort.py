"""A stable argsort for the numba kernels (compiles in a fraction of numba's generic sorts)."""

from __future__ import annotations

import numpy as np

from ._jit import kernel

_RUN = 16


@kernel
def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """Indices that sort ``keys`` ascending, equal keys in their original order (no NaN).

    The same permutation as ``np.argsort(keys, kind="stable")``: insertion sort of short runs,
    then bottom-up merging.

    >>> import numpy as np
    >>> stable_argsort(np.array([2.0, 1.0, 2.0, 0.5])).tolist()
    [3, 1, 0, 2]
    """
    n = keys.shape[0]
    src = np.arange(n)
    if n < 2:
        return src
    for lo in range(0, n, _RUN):
        hi = min(lo + _RUN, n)
        for i in range(lo + 1, hi):
            item = src[i]
            key = keys[item]
            j = i - 1
            while j >= lo and keys[src[j]] > key:
                src[j + 1] = src[j]
                j -= 1
            src[j + 1] = item
    dst = np.empty(n, dtype=np.int64)
    width = _RUN
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i = lo
            j = mid
            k = lo
            while i < mid and j < hi:
                if keys[src[j]] < keys[src[i]]:
                    dst[k] = src[j]
                    j += 1
                else:
                    dst[k] = src[i]
                    i += 1
                k += 1
            while i < mid:
                dst[k] = src[i]
                i += 1
                k += 1
            while j < hi:
                dst[k] = src[j]
                j += 1
                k += 1
        src, dst = dst, src
        width *= 2
    return src
