"""Array-backed containers for the numba kernels: an int64 hash map and a heap of sorted runs.

numba's typed containers are avoided on the hot path; everything here is plain arrays so the
kernels can be cached (``cache=True``) and stay fast.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel

_EMPTY = np.int64(-1)


# --------------------------------------------------------------------------------------------
# open-addressing hash map int64 -> int64 (keys >= 0, linear probing, capacity a power of two)
# --------------------------------------------------------------------------------------------
@kernel
def map_new(expected: int) -> tuple[np.ndarray, np.ndarray]:
    """Empty map able to hold ``expected`` keys at load factor <= 1/2."""
    cap = 16
    while cap < 2 * expected + 2:
        cap *= 2
    return np.full(cap, _EMPTY, dtype=np.int64), np.empty(cap, dtype=np.int64)


@kernel
def _slot(keys: np.ndarray, key: np.int64) -> int:
    mask = np.int64(keys.shape[0] - 1)
    h = (np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(24)
    i = np.int64(h) & mask
    while keys[i] != _EMPTY and keys[i] != key:
        i = (i + 1) & mask
    return i


@kernel
def map_get(keys: np.ndarray, vals: np.ndarray, key: np.int64) -> np.int64:
    """Value stored for ``key``, or -1."""
    i = _slot(keys, key)
    if keys[i] == _EMPTY:
        return _EMPTY
    return vals[i]


@kernel
def map_put(
    keys: np.ndarray, vals: np.ndarray, size: int, key: np.int64, val: np.int64
) -> tuple[np.ndarray, np.ndarray, int]:
    """Insert or overwrite; returns the (possibly re-allocated) arrays and the new size."""
    if 2 * (size + 1) > keys.shape[0]:
        new_keys = np.full(2 * keys.shape[0], _EMPTY, dtype=np.int64)
        new_vals = np.empty(2 * keys.shape[0], dtype=np.int64)
        for i in range(keys.shape[0]):
            if keys[i] != _EMPTY:
                j = _slot(new_keys, keys[i])
                new_keys[j] = keys[i]
                new_vals[j] = vals[i]
        keys, vals = new_keys, new_vals
    i = _slot(keys, key)
    if keys[i] == _EMPTY:
        size += 1
    keys[i] = key
    vals[i] = val
    return keys, vals, size


# --------------------------------------------------------------------------------------------
# order of (diameter, index) entries in heaps: smallest diameter first, ties -> largest index
# (the earliest simplex in the filtration order, i.e. the pivot of a coboundary column)
# --------------------------------------------------------------------------------------------
@kernel(inline="always")
def _before(d1: float, i1: np.int64, d2: float, i2: np.int64) -> bool:
    return d1 < d2 or (d1 == d2 and i1 > i2)


@kernel
def grow(a: np.ndarray, needed: int) -> np.ndarray:
    """``a`` itself when it holds ``needed`` entries, else a larger copy."""
    if needed <= a.shape[0]:
        return a
    doubled = 2 * a.shape[0] + 16
    out = np.empty(needed if needed > doubled else doubled, dtype=a.dtype)
    for i in range(a.shape[0]):  # a loop: slice assignment compiles a shape-check overload
        out[i] = a[i]
    return out


# --------------------------------------------------------------------------------------------
# working column as a heap of heaps: every added coboundary is one *run*, heapified in O(len)
# (much cheaper than len single pushes into one large heap); a small heap orders the runs by
# their top entries. Layout: ``runs`` = (rd, ri, start, end) flat storage, ``top`` = heap of run ids
# --------------------------------------------------------------------------------------------
@kernel(inline="always")
def _run_sift_down(rd: np.ndarray, ri: np.ndarray, base: int, size: int, pos: int) -> None:
    d = rd[base + pos]
    idx = ri[base + pos]
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        c = base + child
        if child + 1 < size and _before(rd[c + 1], ri[c + 1], rd[c], ri[c]):
            child += 1
            c += 1
        if _before(rd[c], ri[c], d, idx):
            rd[base + pos] = rd[c]
            ri[base + pos] = ri[c]
            pos = child
        else:
            break
    rd[base + pos] = d
    ri[base + pos] = idx


@kernel
def run_heapify(rd: np.ndarray, ri: np.ndarray, base: int, size: int) -> None:
    """Turn ``rd/ri[base:base + size]`` into a binary heap in place (Floyd, O(size))."""
    for pos in range(size // 2 - 1, -1, -1):
        _run_sift_down(rd, ri, base, size, pos)


@kernel(inline="always")
def _top_before(rd: np.ndarray, ri: np.ndarray, start: np.ndarray, a: int, b: int) -> bool:
    return _before(rd[start[a]], ri[start[a]], rd[start[b]], ri[start[b]])


@kernel
def top_push(
    top: np.ndarray, n_top: int, run: int, rd: np.ndarray, ri: np.ndarray, start: np.ndarray
) -> int:
    """Insert run ``run`` into the heap of runs (room reserved); returns the new size."""
    pos = n_top
    while pos > 0:
        par = (pos - 1) >> 1
        if _top_before(rd, ri, start, run, top[par]):
            top[pos] = top[par]
            pos = par
        else:
            break
    top[pos] = run
    return n_top + 1


@kernel
def _top_sift_down(
    top: np.ndarray, n_top: int, rd: np.ndarray, ri: np.ndarray, start: np.ndarray
) -> None:
    run = top[0]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= n_top:
            break
        if child + 1 < n_top and _top_before(rd, ri, start, top[child + 1], top[child]):
            child += 1
        if _top_before(rd, ri, start, top[child], run):
            top[pos] = top[child]
            pos = child
        else:
            break
    top[pos] = run


@kernel
def runs_pop(
    top: np.ndarray, n_top: int, rd: np.ndarray, ri: np.ndarray, start: np.ndarray, end: np.ndarray
) -> int:
    """Remove the smallest entry (read it first at ``start[top[0]]``); returns the new ``n_top``."""
    run = top[0]
    size = end[run] - start[run] - 1
    if size == 0:
        n_top -= 1
        if n_top == 0:
            return 0
        top[0] = top[n_top]
        _top_sift_down(top, n_top, rd, ri, start)
        return n_top
    # pop inside the run: move its last entry to the top and restore the run's heap order
    base = start[run]
    rd[base] = rd[base + size]
    ri[base] = ri[base + size]
    end[run] -= 1
    _run_sift_down(rd, ri, base, size, 0)
    _top_sift_down(top, n_top, rd, ri, start)
    return n_top


@kernel
def runs_pop_pivot(
    top: np.ndarray, n_top: int, rd: np.ndarray, ri: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[float, np.int64, int]:
    """Pop the smallest entry that survives Z/2 cancellation: ``(diameter, index, new n_top)``.

    ``index == -1`` when the working column is zero.
    """
    while n_top > 0:
        s = start[top[0]]
        d = rd[s]
        idx = ri[s]
        n_top = runs_pop(top, n_top, rd, ri, start, end)
        if n_top > 0 and ri[start[top[0]]] == idx:
            n_top = runs_pop(top, n_top, rd, ri, start, end)
        else:
            return d, idx, n_top
    return 0.0, _EMPTY, 0


# --------------------------------------------------------------------------------------------
# push_run: run_heapify and top_push as one flat kernel (what the cohomology engine calls; it
# pops with the code of runs_pop_pivot written out): numba compiles, in every kernel, all the
# kernels it calls, so one level of calls less saves compile time
# --------------------------------------------------------------------------------------------
@kernel
def push_run(
    rd: np.ndarray,
    ri: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    top: np.ndarray,
    used: int,
    count: int,
    n_runs: int,
    n_top: int,
) -> int:
    """Make ``rd/ri[used:used + count]`` run ``n_runs``; return the new size of the run heap.

    :func:`run_heapify` and :func:`top_push` in one kernel; ``start``, ``end`` and ``top`` must
    have room for one more run.
    """
    for pos in range(count // 2 - 1, -1, -1):
        _run_sift_down(rd, ri, used, count, pos)
    start[n_runs] = used
    end[n_runs] = used + count
    pos = n_top
    while pos > 0:
        par = (pos - 1) >> 1
        if _top_before(rd, ri, start, n_runs, top[par]):
            top[pos] = top[par]
            pos = par
        else:
            break
    top[pos] = n_runs
    return n_top + 1
