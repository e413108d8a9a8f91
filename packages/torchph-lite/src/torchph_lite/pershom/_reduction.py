"""Numba kernels shared by every filtered complex: union-find pairing and Z/2 column reduction.

Only ranks (integer positions in the filtration order of one dimension) enter these kernels, so
each is compiled once, on first use, for C-contiguous int64 arrays (every caller passes exactly
those), whatever the dtype of the user's values: a short cold start and nothing compiled at
import (issue #15).

* :func:`union_find_pairs` pairs the edges of a graph with the vertices whose components they
  kill (the elder rule); with the roles of the arrays swapped, the same kernel pairs the facets of
  a cubical grid with the top cells they separate from the outside (Alexander duality).
* :func:`reduce_columns` is the standard left-to-right reduction of a sparse boundary matrix
  over Z/2; it returns the pivot (lowest one) of every reduced column.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel


@kernel
def _find(parent: np.ndarray, x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:  # path compression
        nxt = parent[x]
        parent[x] = root
        x = nxt
    return root


@kernel
def union_find_pairs(age: np.ndarray, eu: np.ndarray, ev: np.ndarray) -> np.ndarray:
    """Elder-rule pairing of a graph filtration.

    Args:
        age: ``(n,)`` age of every node; the smaller, the older (it was born first).
        eu, ev: ``(m,)`` endpoints of the edges, in the order in which they enter.

    Returns:
        ``(m,)``: for every edge that merges two components, the node born last of the younger
        component (its class dies at that edge); ``-1`` for an edge that closes a cycle.
    """
    n = age.shape[0]
    parent = np.arange(n)
    killed = np.full(eu.shape[0], -1, dtype=np.int64)
    for e in range(eu.shape[0]):
        a = _find(parent, eu[e])
        b = _find(parent, ev[e])
        if a == b:
            continue
        if age[a] < age[b]:
            a, b = b, a
        # a is the younger root: its class dies here, b (the elder) survives
        parent[a] = b
        killed[e] = a
    return killed


@kernel
def reduce_columns(ptr: np.ndarray, faces: np.ndarray, n_rows: int) -> np.ndarray:
    """Pivots of the Z/2 reduction of a sparse boundary matrix.

    Args:
        ptr: ``(c + 1,)`` column ``j`` holds ``faces[ptr[j]:ptr[j + 1]]``; columns are given in
            filtration order (an empty column is skipped: a cleared or known-positive one).
        faces: row ranks (positions of the faces in their own filtration order); any order
            within a column, no repeats.
        n_rows: number of possible rows.

    Returns:
        ``(c,)``: the pivot (largest row) of every reduced column, ``-1`` where it reduced to 0.
    """
    n_cols = ptr.shape[0] - 1
    pivots = np.full(n_cols, -1, dtype=np.int64)
    owner = np.full(n_rows, -1, dtype=np.int64)  # row -> column whose pivot it is
    # reduced columns, stored sorted in descending order in one growing pool
    pool = np.empty(max(16, faces.shape[0]), dtype=np.int64)
    start = np.zeros(n_cols, dtype=np.int64)
    length = np.zeros(n_cols, dtype=np.int64)
    used = 0
    work = np.empty(16, dtype=np.int64)
    other = np.empty(16, dtype=np.int64)
    for j in range(n_cols):
        size = ptr[j + 1] - ptr[j]
        if size == 0:
            continue
        if work.shape[0] < size:
            work = np.empty(2 * size, dtype=np.int64)
        work[:size] = -np.sort(-faces[ptr[j] : ptr[j + 1]])
        while size > 0:
            o = owner[work[0]]
            if o < 0:
                break
            # work <- work + column o (symmetric difference of two descending lists)
            s, ln = start[o], length[o]
            need = size + ln
            if other.shape[0] < need:
                other = np.empty(2 * need, dtype=np.int64)
            i = 0
            k = 0
            out = 0
            while i < size and k < ln:
                x = work[i]
                y = pool[s + k]
                if x > y:
                    other[out] = x
                    i += 1
                    out += 1
                elif y > x:
                    other[out] = y
                    k += 1
                    out += 1
                else:
                    i += 1
                    k += 1
            while i < size:
                other[out] = work[i]
                i += 1
                out += 1
            while k < ln:
                other[out] = pool[s + k]
                k += 1
                out += 1
            work, other = other, work
            size = out
        if size == 0:
            continue
        pivots[j] = work[0]
        owner[work[0]] = j
        if used + size > pool.shape[0]:
            bigger = np.empty(2 * (used + size), dtype=np.int64)
            bigger[:used] = pool[:used]
            pool = bigger
        pool[used : used + size] = work[:size]
        start[j] = used
        length[j] = size
        used += size
    return pivots
