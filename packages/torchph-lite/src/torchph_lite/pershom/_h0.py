"""Dimension 0: minimum spanning forests by dense Prim, O(n^2) time and O(n) memory.

Ties are broken by the total filtration order used everywhere in this package: an edge ``e``
precedes ``f`` when ``len(e) < len(f)``, or when the lengths are equal and ``index(e) > index(f)``
(``index`` from :mod:`._combinatorics`). Under that strict order the spanning forest is unique, so
the forest found here is exactly the set of edges that the cohomology kernel of dimension 1 clears.
"""

from __future__ import annotations

import math

import numpy as np

from ._combinatorics import edge_index
from ._jit import kernel


@kernel
def _distance_row(coords: np.ndarray, i: int, metric: int, out: np.ndarray) -> None:
    """``out[v]`` = L1 (metric 1) or L2 (metric 2) distance between points ``i`` and ``v``."""
    out[:] = 0.0
    for c in range(coords.shape[0]):
        col = coords[c]
        x = col[i]
        if metric == 1:
            for v in range(out.shape[0]):
                out[v] += abs(col[v] - x)
        else:
            for v in range(out.shape[0]):
                diff = col[v] - x
                out[v] += diff * diff
    if metric == 2:
        for v in range(out.shape[0]):
            out[v] = math.sqrt(out[v])


@kernel
def _prim(
    points: np.ndarray,
    dist: np.ndarray,
    metric: int,
    threshold: float,
    out_u: np.ndarray,
    out_v: np.ndarray,
    out_w: np.ndarray,
) -> tuple[int, int]:
    """Prim on a complete graph given by ``dist`` (metric 0) or by ``points`` (metric 1 or 2).

    Writes the forest edges (in the order they are added) into ``out_*`` and returns
    ``(number of edges, number of connected components)``. Edges longer than ``threshold`` are
    absent.
    """
    n = points.shape[0] if metric != 0 else dist.shape[0]
    # coordinates column-major so that a whole row of distances is computed with SIMD; the sums
    # run over the coordinates in order, exactly as in point_distance and distance_matrix
    coords = np.ascontiguousarray(points.T) if metric != 0 else np.zeros((1, 1))
    row = np.empty(n)
    # vertices not in the tree yet, kept compact by swap-removal
    free = np.arange(n)
    key = np.full(n, np.inf)
    key_idx = np.full(n, -1, dtype=np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    n_free = n - 1
    free[0] = n - 1  # vertex 0 starts the tree
    n_edges = 0
    n_components = 1
    current = 0
    while n_free > 0:
        if metric != 0:
            _distance_row(coords, current, metric, row)
        best_pos = -1
        best_w = np.inf
        best_idx = np.int64(-1)
        for pos in range(n_free):
            v = free[pos]
            w = dist[current, v] if metric == 0 else row[v]
            if w < key[v]:
                if w <= threshold:
                    key[v] = w
                    key_idx[v] = edge_index(current, v)
                    parent[v] = current
            elif w == key[v] and w <= threshold:  # tie: the larger edge index comes first
                e = edge_index(current, v)
                if e > key_idx[v]:
                    key_idx[v] = e
                    parent[v] = current
            kv = key[v]
            if kv < best_w or (kv == best_w and key_idx[v] > best_idx):
                best_pos = pos
                best_w = kv
                best_idx = key_idx[v]
        if best_pos == -1:  # nothing reachable: start a new component at the smallest free vertex
            best_pos = 0
            for pos in range(1, n_free):
                if free[pos] < free[best_pos]:
                    best_pos = pos
            n_components += 1
            best = free[best_pos]
        else:
            best = free[best_pos]
            out_u[n_edges] = parent[best]
            out_v[n_edges] = best
            out_w[n_edges] = best_w
            n_edges += 1
        n_free -= 1
        free[best_pos] = free[n_free]
        current = best
    return n_edges, n_components


@kernel
def spanning_forest_points(
    points: np.ndarray, metric: int, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Minimum spanning forest of a point cloud ``(n, d)`` under the L1 (1) or L2 (2) metric.

    Returns ``(u, v, w, n_components)``: int64 endpoints ``u, v`` and float64 lengths ``w``.
    """
    n = points.shape[0]
    u = np.empty(max(n - 1, 0), dtype=np.int64)
    v = np.empty(max(n - 1, 0), dtype=np.int64)
    w = np.empty(max(n - 1, 0), dtype=np.float64)
    dummy = np.zeros((1, 1))
    m, c = _prim(points, dummy, metric, threshold, u, v, w)
    return u[:m], v[:m], w[:m], c


@kernel
def spanning_forest_matrix(
    dist: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Minimum spanning forest of the complete graph with (symmetric) edge lengths ``dist``."""
    n = dist.shape[0]
    u = np.empty(max(n - 1, 0), dtype=np.int64)
    v = np.empty(max(n - 1, 0), dtype=np.int64)
    w = np.empty(max(n - 1, 0), dtype=np.float64)
    dummy = np.zeros((1, 1))
    m, c = _prim(dummy, dist, 0, threshold, u, v, w)
    return u[:m], v[:m], w[:m], c
