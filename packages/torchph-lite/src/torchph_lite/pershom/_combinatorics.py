"""Combinatorial number system for simplices of a Vietoris-Rips complex on ``n`` vertices.

A ``k``-simplex with vertices ``v_k > ... > v_0`` is encoded by the integer
``sum_i C(v_i, i + 1)``; this is a bijection onto ``[0, C(n, k + 1))`` that orders simplices
lexicographically by their decreasingly sorted vertex tuples. All kernels here are numba
functions working on ``int64`` indices and a precomputed binomial table.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel


@kernel
def binomial_table(n: int, max_k: int) -> np.ndarray:
    """``table[v, k] = C(v, k)`` for ``0 <= v <= n`` and ``0 <= k <= max_k`` (int64).

    Raises:
        OverflowError: if some coefficient does not fit into int64.
    """
    table = np.zeros((n + 1, max_k + 1), dtype=np.int64)
    for v in range(n + 1):
        table[v, 0] = 1
        for k in range(1, (v if v < max_k else max_k) + 1):
            a = table[v - 1, k - 1]
            b = table[v - 1, k] if k <= v - 1 else 0
            if a > 9_000_000_000_000_000_000 - b:
                raise OverflowError("binomial coefficient exceeds int64")
            table[v, k] = a + b
    return table


@kernel
def simplex_index(vertices: np.ndarray, binom: np.ndarray) -> np.int64:
    """Index of the simplex whose vertices are given in *decreasing* order."""
    k = vertices.shape[0] - 1
    idx = np.int64(0)
    for pos in range(k + 1):
        idx += binom[vertices[pos], k + 1 - pos]
    return idx


@kernel
def simplex_vertices(index: np.int64, dim: int, n: int, binom: np.ndarray, out: np.ndarray) -> None:
    """Write the vertices (decreasing) of simplex ``index`` of dimension ``dim`` into ``out``."""
    idx = index
    top = n - 1
    for pos in range(dim + 1):
        k = dim + 1 - pos
        # largest v <= top with C(v, k) <= idx (binary search)
        lo = k - 1
        hi = top
        while lo < hi:
            mid = (lo + hi + 1) >> 1
            if binom[mid, k] <= idx:
                lo = mid
            else:
                hi = mid - 1
        out[pos] = lo
        idx -= binom[lo, k]
        top = lo - 1


@kernel
def edge_index(i: int, j: int) -> np.int64:
    """Index of the edge ``{i, j}`` (``i != j``): ``C(max, 2) + min``."""
    if i < j:
        i, j = j, i
    return np.int64(i) * np.int64(i - 1) // 2 + np.int64(j)
