"""Whole-batch numba drivers: one call computes the diagrams of many clouds (no Python loop).

Every driver returns flat *records*, one per persistence pair, as eight arrays
``(cloud, dim, birth_u, birth_v, death_u, death_v, birth, death)``: the critical edges of a pair
are vertex pairs local to the cloud (``-1`` for a birth at 0 or an infinite death) and ``birth`` /
``death`` are the float64 values used for ordering and for dropping zero-length pairs. Records are
grouped by cloud and dimension and sorted by birth, then death, within a group.
"""

from __future__ import annotations

import numpy as np

from ._assemble import Records
from ._cohomology import (
    _assemble_columns,
    _assemble_edges,
    _critical_edge,
    _reduce_dimension,
    enclosing_radius,
)
from ._combinatorics import binomial_table, simplex_vertices
from ._containers import grow, map_new, map_put
from ._h0 import SMALL_FOREST, forest_plan, plan_workspaces, spanning_forest_matrix
from ._jit import kernel
from ._metrics import cloud_distances
from ._sort import argsort_into


def plan_points_dim0(
    points: np.ndarray, offsets: np.ndarray, metric: int, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int] | None:
    """Dimension-0 gather plan ``(a, b, counts, deaths, m)`` of :func:`._h0.forest_plan`.

    ``a, b`` are the endpoints of the values (``2 m`` finite-pair values, then the essential
    births), ``counts`` the ``(2, n_clouds)`` finite and essential counts, ``deaths`` the ``m``
    finite deaths. ``None`` if a coordinate is not finite.
    """
    total = points.shape[0]
    n_clouds = offsets.shape[0] - 1
    fu = np.empty(total, dtype=np.int64)
    fv = np.empty(total, dtype=np.int64)
    fw = np.empty(total)
    counts = np.empty((2, n_clouds), dtype=np.int64)
    iwork, fwork = plan_workspaces(points)
    n_edges = forest_plan(points, offsets, metric, threshold, fu, fv, fw, counts, iwork, fwork)
    if n_edges < 0:
        return None
    fu, fv, fw = fu[:n_edges], fv[:n_edges], fw[:n_edges]
    # finite pairs by death within each cloud (stable: ties keep Prim's order; the kernel sorted
    # the small forests), zero-length ones dropped; birth 0 (endpoints -1)
    large = np.flatnonzero(counts[0] > SMALL_FOREST)
    if large.shape[0]:
        stops = np.cumsum(counts[0])
        for c in large.tolist():
            part = slice(stops[c] - counts[0, c], stops[c])
            order = np.argsort(fw[part], kind="stable")
            fu[part], fv[part], fw[part] = fu[part][order], fv[part][order], fw[part][order]
    positive = fw > 0.0
    if not positive.all():
        cloud = np.repeat(np.arange(n_clouds), counts[0])
        counts[0] = np.bincount(cloud[positive], minlength=n_clouds)
        fu, fv, fw = fu[positive], fv[positive], fw[positive]
    m = fw.shape[0]
    size = 2 * m + int(counts[1].sum())
    ends = np.full((2, size), -1, dtype=np.int64)
    ends[0, 1 : 2 * m : 2] = fu
    ends[1, 1 : 2 * m : 2] = fv
    return ends[0], ends[1], counts, fw, m


def records_from_points_dim0(
    points: np.ndarray, offsets: np.ndarray, metric: int, threshold: float
) -> tuple:
    """Dimension-0 records of point clouds (from the gather plan of :func:`plan_points_dim0`)."""
    plan = plan_points_dim0(points, offsets, metric, threshold)
    if plan is None:
        raise ValueError("point_cloud contains NaN or infinite coordinates")
    a, b, counts, deaths, m = plan
    n_clouds = counts.shape[1]
    ids = np.arange(n_clouds, dtype=np.int64)
    starts = offsets[:-1]
    fin_cloud = np.repeat(ids, counts[0])
    n_ess = int(counts[1].sum())
    # finite pairs then essential classes of each cloud, clouds in order
    order = np.argsort(np.concatenate((fin_cloud, np.repeat(ids, counts[1]))), kind="stable")
    minus = np.full(n_ess, -1, dtype=np.int64)
    du = np.concatenate((a[1 : 2 * m : 2] - starts[fin_cloud], minus))
    dv = np.concatenate((b[1 : 2 * m : 2] - starts[fin_cloud], minus))
    cloud = np.concatenate((fin_cloud, np.repeat(ids, counts[1])))
    death = np.concatenate((deaths, np.full(n_ess, np.inf)))
    zeros = np.zeros(m + n_ess, dtype=np.int64)
    birth_edge = np.full(m + n_ess, -1, dtype=np.int64)
    return (
        cloud[order],
        zeros,
        birth_edge,
        birth_edge,
        du[order],
        dv[order],
        np.zeros(m + n_ess),
        death[order],
    )


@kernel
def _cloud_distances(
    points: np.ndarray,
    offsets: np.ndarray,
    dists: np.ndarray,
    metric: int,
    c: int,
    threshold: float,
) -> tuple[np.ndarray, float]:
    """Distance matrix of input ``c`` and its threshold (rescaled with the cloud, see _metrics)."""
    if metric == 0:
        return dists[c], threshold
    return cloud_distances(points[offsets[c] : offsets[c + 1]], metric, threshold)


@kernel
def _append_block(
    out_i: np.ndarray,
    out_f: np.ndarray,
    k: int,
    c: int,
    fu: np.ndarray,
    fv: np.ndarray,
    fw: np.ndarray,
    comps: int,
    dist: np.ndarray,
    binom: np.ndarray,
    rec_i: np.ndarray,
    rec_f: np.ndarray,
    nrec: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Append the records of input ``c`` to the rows ``out_i`` (6 ints) and ``out_f`` (2 floats).

    The input's records are its spanning forest (``fu, fv, fw``; ``comps`` components) and the
    ``nrec`` pairs of dimensions >= 1 of :func:`._cohomology._reduce_dimension` (simplices, turned
    into critical edges here), sorted by dimension, birth, death (stable). Returns the rows (grown
    when needed) and the new number of records.
    """
    n = dist.shape[0]
    kept = 0
    for e in range(fw.shape[0]):
        if fw[e] > 0.0:  # zero-length pairs are dropped
            kept += 1
    m = kept + comps + nrec
    ints = np.empty(5 * m, dtype=np.int64)  # dim, then critical edges (bu, bv, du, dv) per record
    values = np.empty(2 * m, dtype=np.float64)
    dim = ints[:m]
    ends = ints[m:]
    birth = values[:m]
    death = values[m:]
    for r in range(4 * m):
        ends[r] = -1
    r = 0
    for e in range(fw.shape[0]):
        if fw[e] > 0.0:
            dim[r] = 0
            ends[4 * r + 2] = fu[e]
            ends[4 * r + 3] = fv[e]
            birth[r] = 0.0
            death[r] = fw[e]
            r += 1
    for _ in range(comps):
        dim[r] = 0
        birth[r] = 0.0
        death[r] = np.inf
        r += 1
    verts = np.empty(binom.shape[1], dtype=np.int64)
    for q in range(nrec):
        d = rec_i[3 * q]
        dim[r] = d
        simplex_vertices(rec_i[3 * q + 1], d, n, binom, verts)
        ends[4 * r], ends[4 * r + 1] = _critical_edge(dist, verts, d + 1)
        if rec_i[3 * q + 2] >= 0:
            simplex_vertices(rec_i[3 * q + 2], d + 1, n, binom, verts)
            ends[4 * r + 2], ends[4 * r + 3] = _critical_edge(dist, verts, d + 2)
        birth[r] = rec_f[2 * q]
        death[r] = rec_f[2 * q + 1]
        r += 1
    # stable order by (dim, birth, death): three stable sorts, the last key first
    work = np.empty(7 * m, dtype=np.int64)
    keys = np.empty(m, dtype=np.float64)
    first = argsort_into(death, work[:m], work[m : 2 * m])
    for i in range(m):
        keys[i] = birth[first[i]]
    second = argsort_into(keys, work[2 * m : 3 * m], work[3 * m : 4 * m])
    merged = work[4 * m : 5 * m]
    for i in range(m):
        merged[i] = first[second[i]]
    for i in range(m):
        keys[i] = dim[merged[i]]  # small integers: exact as float64 keys
    third = argsort_into(keys, work[5 * m : 6 * m], work[6 * m :])
    order = work[:m]
    for i in range(m):
        order[i] = merged[third[i]]
    out_i = grow(out_i, 6 * (k + m))
    out_f = grow(out_f, 2 * (k + m))
    for q in range(m):
        r = order[q]
        row = 6 * (k + q)
        out_i[row] = c
        out_i[row + 1] = dim[r]
        for p in range(4):
            out_i[row + 2 + p] = ends[4 * r + p]
        out_f[2 * (k + q)] = birth[r]
        out_f[2 * (k + q) + 1] = death[r]
    return out_i, out_f, k + m


@kernel
def records_h1(
    points: np.ndarray,
    offsets: np.ndarray,
    dists: np.ndarray,
    metric: int,
    max_dim: int,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`records` for ``max_dim`` 0 or 1: compiles no assembler of triangles and above.

    The cohomology of dimension 1 is called from here directly (not through a wrapper kernel):
    numba re-optimises, in every kernel, all the code it calls, so each level less in the call
    tree saves compiling the whole engine once more.
    """
    out_i = np.empty(6 * 16, dtype=np.int64)
    out_f = np.empty(2 * 16, dtype=np.float64)
    rec_i = np.empty(48, dtype=np.int64)
    rec_f = np.empty(32, dtype=np.float64)
    k = 0
    for c in range(offsets.shape[0] - 1):
        if metric == 0:
            dist = dists[c]
            t = threshold
        else:
            dist, t = cloud_distances(points[offsets[c] : offsets[c + 1]], metric, threshold)
        fu, fv, fw, comps = spanning_forest_matrix(dist, t)
        binom = binomial_table(dist.shape[0], 3)
        nrec = 0
        if max_dim >= 1:
            radius = enclosing_radius(dist)  # beyond it the complex is a cone
            t = t if t < radius else radius
            # the forest's edges are the pivots of dimension 0: they are cleared
            cleared_keys, cleared_vals = map_new(fu.shape[0])
            size = 0
            for e in range(fu.shape[0]):
                hi = fu[e] if fu[e] > fv[e] else fv[e]
                lo = fu[e] + fv[e] - hi
                cleared_keys, cleared_vals, size = map_put(
                    cleared_keys, cleared_vals, size, hi * (hi - 1) // 2 + lo, np.int64(e)
                )
            col_idx, col_diam = _assemble_edges(dist, t, cleared_keys, cleared_vals)
            _, _, rec_i, rec_f, nrec = _reduce_dimension(
                dist, 1, t, binom, col_idx, col_diam, rec_i, rec_f, 0
            )
        out_i, out_f, k = _append_block(
            out_i, out_f, k, c, fu, fv, fw, comps, dist, binom, rec_i, rec_f, nrec
        )
    return out_i, out_f, k


@kernel
def records_higher(
    points: np.ndarray,
    offsets: np.ndarray,
    dists: np.ndarray,
    metric: int,
    max_dim: int,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`records` for ``max_dim >= 2`` (the same engine, with every assembler)."""
    out_i = np.empty(6 * 16, dtype=np.int64)
    out_f = np.empty(2 * 16, dtype=np.float64)
    rec_i = np.empty(48, dtype=np.int64)
    rec_f = np.empty(32, dtype=np.float64)
    k = 0
    for c in range(offsets.shape[0] - 1):
        if metric == 0:
            dist = dists[c]
            t = threshold
        else:
            dist, t = cloud_distances(points[offsets[c] : offsets[c + 1]], metric, threshold)
        fu, fv, fw, comps = spanning_forest_matrix(dist, t)
        binom = binomial_table(dist.shape[0], max_dim + 2)
        radius = enclosing_radius(dist)
        t = t if t < radius else radius
        cleared_keys, cleared_vals = map_new(fu.shape[0])
        size = 0
        for e in range(fu.shape[0]):
            hi = fu[e] if fu[e] > fv[e] else fv[e]
            lo = fu[e] + fv[e] - hi
            cleared_keys, cleared_vals, size = map_put(
                cleared_keys, cleared_vals, size, hi * (hi - 1) // 2 + lo, np.int64(e)
            )
        nrec = 0
        for dim in range(1, max_dim + 1):
            col_idx, col_diam = _assemble_columns(dist, dim, t, binom, cleared_keys, cleared_vals)
            cleared_keys, cleared_vals, rec_i, rec_f, nrec = _reduce_dimension(
                dist, dim, t, binom, col_idx, col_diam, rec_i, rec_f, nrec
            )
        out_i, out_f, k = _append_block(
            out_i, out_f, k, c, fu, fv, fw, comps, dist, binom, rec_i, rec_f, nrec
        )
    return out_i, out_f, k


def records(
    points: np.ndarray,
    offsets: np.ndarray,
    dists: np.ndarray,
    metric: int,
    max_dim: int,
    threshold: float,
) -> tuple:
    """The engine: clouds ``points[offsets[c]:offsets[c + 1]]`` or matrices ``dists[c]`` (metric 0).

    Returns the eight record columns (see the module docs), grouped by cloud, then dimension,
    sorted by birth then death within a group (ties keep the kernels' deterministic order).

    Two numba drivers: :func:`records_h1` (``max_dim <= 1``, the common case) compiles only the
    code for edges; :func:`records_higher` adds the assemblers of triangles and above and is
    compiled on the first call that asks for dimension 2 or more. Both share every kernel below.
    """
    driver = records_h1 if max_dim <= 1 else records_higher
    out_i, out_f, k = driver(points, offsets, dists, metric, max_dim, threshold)
    ints = np.ascontiguousarray(out_i[: 6 * k].reshape(k, 6).T)
    floats = np.ascontiguousarray(out_f[: 2 * k].reshape(k, 2).T)
    return (*ints, *floats)


#: placeholders for the unused input of :func:`records` (one compiled signature serves both uses)
NO_POINTS = np.zeros((1, 1))
NO_MATRICES = np.zeros((1, 1, 1))


def records_from_points(
    points: np.ndarray, offsets: np.ndarray, metric: int, max_dim: int, threshold: float
) -> tuple:
    """Records of the clouds ``points[offsets[c]:offsets[c + 1]]`` (float64, L1 or L2 metric)."""
    return Records._make(records(points, offsets, NO_MATRICES, metric, max_dim, threshold))


def records_from_matrices(dists: np.ndarray, max_dim: int, threshold: float) -> tuple:
    """Records of a stack of symmetric float64 distance matrices ``(B, n, n)``."""
    offsets = np.arange(dists.shape[0] + 1, dtype=np.int64) * dists.shape[1]
    return Records._make(records(NO_POINTS, offsets, dists, 0, max_dim, threshold))
