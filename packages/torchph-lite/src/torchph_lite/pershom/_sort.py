"""A stable argsort for the numba kernels (compiles in a fraction of numba's generic sorts)."""

from __future__ import annotations

import numpy as np

from ._jit import kernel

_RUN = 16


@kernel
def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """Indices that sort ``keys`` ascending, equal keys in their original order (no NaN).

    The same permutation as ``np.argsort(keys, kind="stable")`` (see :func:`argsort_into`).

    >>> import numpy as np
    >>> stable_argsort(np.array([2.0, 1.0, 2.0, 0.5])).tolist()
    [3, 1, 0, 2]
    """
    n = keys.shape[0]
    return argsort_into(keys, np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64))


@kernel
def argsort_into(keys: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """:func:`stable_argsort` in caller-provided int64 buffers (each of at least ``len(keys)``).

    Insertion sort of short runs, then bottom-up merging between the two buffers. Returns the
    first ``len(keys)`` entries of the buffer that holds the result (``src`` or ``dst``). Kernels
    that sort call this with slices of one workspace instead of allocating (fewer allocation
    specialisations to compile).

    >>> import numpy as np
    >>> buffers = np.empty(4, dtype=np.int64), np.empty(4, dtype=np.int64)
    >>> argsort_into(np.array([2.0, 1.0, 2.0, 0.5]), *buffers).tolist()
    [3, 1, 0, 2]
    """
    n = keys.shape[0]
    src = src[:n]
    dst = dst[:n]
    for i in range(n):
        src[i] = i
    if n < 2:
        return src
    for lo in range(0, n, _RUN):
        hi = lo + _RUN if lo + _RUN < n else n  # no min(): one overload less to compile
        for i in range(lo + 1, hi):
            item = src[i]
            key = keys[item]
            j = i - 1
            while j >= lo and keys[src[j]] > key:
                src[j + 1] = src[j]
                j -= 1
            src[j + 1] = item
    width = _RUN
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = lo + width if lo + width < n else n
            hi = lo + 2 * width if lo + 2 * width < n else n
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
