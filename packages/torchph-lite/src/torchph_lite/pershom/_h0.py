"""Dimension 0: minimum spanning forests by dense Prim, O(n^2) time and O(n) memory.

Ties are broken by the total filtration order used everywhere in this package: an edge ``e``
precedes ``f`` when ``len(e) < len(f)``, or when the lengths are equal and ``index(e) > index(f)``
(``index`` from :mod:`._combinatorics`). Under that strict order the spanning forest is unique, so
the forest found here is exactly the set of edges that the cohomology kernel of dimension 1 clears.

Two kernels: :func:`spanning_forest_matrix` (a distance matrix; the engine of dimensions >= 1)
and :func:`forest_plan` (point clouds, dimension 0 only: the whole batch in one flat kernel; the
caller sorts the edges of large forests with numpy). The latter is the first kernel a new user
compiles, so it calls no other kernel, allocates nothing (the caller passes workspaces) and uses
no numba overloads (``min``, ``max``, ``np.full``, ...): each of those is one more
function for numba to type and compile.
"""

from __future__ import annotations

import math

import numpy as np

from ._combinatorics import edge_index
from ._jit import kernel
from ._metrics import SAFE_EXPONENT


@kernel
def spanning_forest_matrix(
    dist: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Minimum spanning forest of the complete graph with (symmetric) edge lengths ``dist``.

    Returns ``(u, v, w, n_components)``: int64 endpoints ``u, v`` and float64 lengths ``w`` of
    the forest edges in the order Prim adds them. Edges longer than ``threshold`` are absent.
    """
    n = dist.shape[0]
    size = n - 1 if n > 1 else 0
    out_u = np.empty(size, dtype=np.int64)
    out_v = np.empty(size, dtype=np.int64)
    out_w = np.empty(size, dtype=np.float64)
    key = np.empty(n, dtype=np.float64)
    # vertices not in the tree yet (kept compact by swap-removal), best edge index and parent
    work = np.empty(3 * n, dtype=np.int64)
    free = work[:n]
    key_idx = work[n : 2 * n]
    parent = work[2 * n :]
    for i in range(n):
        free[i] = i
        key[i] = np.inf
        key_idx[i] = -1
        parent[i] = -1
    n_free = n - 1
    if n > 0:
        free[0] = n - 1  # vertex 0 starts the tree
    n_edges = 0
    n_components = 1
    current = 0
    while n_free > 0:
        best_pos = -1
        best_w = np.inf
        best_idx = np.int64(-1)
        for pos in range(n_free):
            v = free[pos]
            w = dist[current, v]
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
    return out_u[:n_edges], out_v[:n_edges], out_w[:n_edges], n_components


#: forests with at most this many edges are sorted by :func:`forest_plan` itself
SMALL_FOREST = 64


def plan_workspaces(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The int64 and float64 workspaces :func:`forest_plan` needs for ``points`` ``(N, d)``."""
    total, d = points.shape
    return np.empty(3 * total, dtype=np.int64), np.empty((d + 2) * total, dtype=np.float64)


@kernel
def forest_plan(
    points: np.ndarray,
    offsets: np.ndarray,
    metric: int,
    threshold: float,
    fu: np.ndarray,
    fv: np.ndarray,
    fw: np.ndarray,
    components: np.ndarray,
    iwork: np.ndarray,
    fwork: np.ndarray,
) -> int:
    """Minimum spanning forests of the clouds ``points[offsets[c]:offsets[c + 1]]`` (L1 or L2).

    For every cloud: the edges of the minimum spanning forest (Prim on rows of distances computed
    as :func:`._metrics.cloud_distances` computes them, after the same power-of-two rescaling)
    and the number of components. A forest of at most :data:`SMALL_FOREST` edges is sorted by
    length (stable in Prim's order) here; a larger one is left in Prim's order for the caller to
    sort (see :func:`._batch.plan_points_dim0`): no sort of large arrays in the kernel keeps it
    small, which keeps the first call cheap, and many small clouds need no numpy call each.

    Args:
        points: ``(N, d)`` float64 coordinates of all clouds.
        offsets: int64, cloud ``c`` is rows ``offsets[c]:offsets[c + 1]``.
        metric: 1 (L1) or 2 (L2).
        threshold: keep edges of length <= threshold (``inf`` for all).
        fu, fv: int64 ``(>= N,)`` output: the endpoints (global rows) of the forest edges, all
            clouds in order.
        fw: float64 ``(>= N,)`` output: their lengths (in the rescaled units of their cloud;
            used only for ordering).
        components: int64 ``(2, n_clouds)`` output: the number of forest edges and of
            components per cloud.
        iwork, fwork: workspaces from :func:`plan_workspaces`.

    Returns:
        The number of forest edges, or ``-1`` if a coordinate is not finite.
    """
    total = points.shape[0]
    d = points.shape[1]
    for i in range(total):
        for q in range(d):
            if not math.isfinite(points[i, q]):
                return -1
    small = math.ldexp(1.0, -SAFE_EXPONENT)
    large = math.ldexp(1.0, SAFE_EXPONENT)
    free = iwork[:total]
    key_idx = iwork[total : 2 * total]
    parent = iwork[2 * total : 3 * total]
    key = fwork[:total]
    row = fwork[total : 2 * total]
    coords = fwork[2 * total : (2 + d) * total]
    n_edges = 0
    for c in range(offsets.shape[0] - 1):
        start = offsets[c]
        n = offsets[c + 1] - start
        # coordinates column by column (a row of distances is then computed with SIMD), rescaled
        # by a power of two if their magnitude is extreme (exact; the threshold with them)
        big = 0.0
        for i in range(n):
            for q in range(d):
                x = abs(points[start + i, q])
                if x > big:
                    big = x
        e = 0
        t = threshold
        if big != 0.0 and not (small <= big <= large):
            e = -math.frexp(big)[1]
            t = math.ldexp(threshold, e)
        for q in range(d):
            for i in range(n):
                coords[q * n + i] = math.ldexp(points[start + i, q], e)
        # Prim, vertex 0 first; unreached vertices start a new component at the smallest one
        for i in range(n):
            free[i] = i
            key[i] = np.inf
            key_idx[i] = -1
            parent[i] = -1
        n_free = n - 1
        free[0] = n - 1
        first = n_edges
        n_components = 1
        current = 0
        while n_free > 0:
            for v in range(n):
                row[v] = 0.0
            for q in range(d):
                base = q * n
                x = coords[base + current]
                if metric == 1:
                    for v in range(n):
                        row[v] += abs(coords[base + v] - x)
                else:
                    for v in range(n):
                        diff = coords[base + v] - x
                        row[v] += diff * diff
            if metric == 2:
                for v in range(n):
                    row[v] = math.sqrt(row[v])
            best_pos = -1
            best_w = np.inf
            best_idx = np.int64(-1)
            for pos in range(n_free):
                v = free[pos]
                w = row[v]
                hi = current if current > v else v
                lo = v if current > v else current
                idx = hi * (hi - 1) // 2 + lo  # edge_index(current, v)
                if w < key[v]:
                    if w <= t:
                        key[v] = w
                        key_idx[v] = idx
                        parent[v] = current
                elif w == key[v] and w <= t and idx > key_idx[v]:  # tie: larger index first
                    key_idx[v] = idx
                    parent[v] = current
                kv = key[v]
                if kv < best_w or (kv == best_w and key_idx[v] > best_idx):
                    best_pos = pos
                    best_w = kv
                    best_idx = key_idx[v]
            if best_pos == -1:
                best_pos = 0
                for pos in range(1, n_free):
                    if free[pos] < free[best_pos]:
                        best_pos = pos
                n_components += 1
                best = free[best_pos]
            else:
                best = free[best_pos]
                fu[n_edges] = parent[best] + start
                fv[n_edges] = best + start
                fw[n_edges] = best_w
                n_edges += 1
            n_free -= 1
            free[best_pos] = free[n_free]
            current = best
        if n_edges - first <= SMALL_FOREST:  # stable insertion sort by length (a larger forest
            for r in range(first + 1, n_edges):  # is sorted by the caller)
                u = fu[r]
                v = fv[r]
                w = fw[r]
                j = r - 1
                while j >= first and fw[j] > w:
                    fu[j + 1] = fu[j]
                    fv[j + 1] = fv[j]
                    fw[j + 1] = fw[j]
                    j -= 1
                fu[j + 1] = u
                fv[j + 1] = v
                fw[j + 1] = w
        components[0, c] = n_edges - first
        components[1, c] = n_components
    return n_edges
