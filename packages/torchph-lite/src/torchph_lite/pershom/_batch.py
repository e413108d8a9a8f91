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
from ._cohomology import higher_persistence
from ._h0 import spanning_forest_matrix, spanning_forest_points
from ._jit import kernel
from ._metrics import distance_matrix, unit_scaled
from ._sort import stable_argsort


@kernel
def _sorted_order(dim: np.ndarray, birth: np.ndarray, death: np.ndarray) -> np.ndarray:
    """Stable lexicographic order by ``(dim, birth, death)``."""
    order = stable_argsort(death)
    order = order[stable_argsort(birth[order])]
    return order[stable_argsort(dim[order])]


@kernel
def records_from_points_dim0(
    points: np.ndarray, offsets: np.ndarray, metric: int, threshold: float
) -> tuple:
    """Dimension-0 records of point clouds (a separate entry point: it compiles quickly)."""
    n_clouds = offsets.shape[0] - 1
    total = offsets[-1]
    cloud = np.empty(total, dtype=np.int64)
    dim = np.zeros(total, dtype=np.int64)
    bu = np.full(total, -1, dtype=np.int64)
    du = np.full(total, -1, dtype=np.int64)
    dv = np.full(total, -1, dtype=np.int64)
    birth = np.zeros(total)
    death = np.full(total, np.inf)
    k = 0
    for c in range(n_clouds):
        pts, t = unit_scaled(points[offsets[c] : offsets[c + 1]], threshold)
        fu, fv, fw, comps = spanning_forest_points(pts, metric, t)
        order = stable_argsort(fw)
        for e in order:
            if fw[e] > 0.0:  # zero-length pairs are dropped
                cloud[k] = c
                du[k] = fu[e]
                dv[k] = fv[e]
                death[k] = fw[e]
                k += 1
        for _ in range(comps):
            cloud[k] = c
            k += 1
    return cloud[:k], dim[:k], bu[:k], bu[:k], du[:k], dv[:k], birth[:k], death[:k]


@kernel
def records(
    points: np.ndarray,
    offsets: np.ndarray,
    dists: np.ndarray,
    metric: int,
    max_dim: int,
    threshold: float,
) -> tuple:
    """The driver: clouds ``points[offsets[c]:offsets[c + 1]]`` or matrices ``dists[c]`` (metric 0).

    The only kernel that compiles the whole engine (numba re-optimises everything a kernel calls
    when it compiles it, so the engine has exactly one entry point; the public wrappers below are
    plain Python).

    Records come out grouped by cloud, then dimension, sorted by birth then death within a group
    (ties keep the kernel's deterministic order).
    """
    n_clouds = offsets.shape[0] - 1
    blocks = []
    total = 0
    for c in range(n_clouds):
        t = threshold
        if metric == 0:
            dist = np.ascontiguousarray(dists[c])
            fu, fv, fw, comps = spanning_forest_matrix(dist, t)
        else:
            pts, t = unit_scaled(points[offsets[c] : offsets[c + 1]], threshold)
            if max_dim >= 1:
                dist = distance_matrix(pts, metric)
                fu, fv, fw, comps = spanning_forest_matrix(dist, t)
            else:
                dist = np.zeros((1, 1))
                fu, fv, fw, comps = spanning_forest_points(pts, metric, t)
        if max_dim >= 1:
            h_dim, h_bu, h_bv, h_du, h_dv, h_b, h_d = higher_persistence(dist, max_dim, t, fu, fv)
        else:
            h_dim = np.empty(0, dtype=np.int64)
            h_bu = h_bv = h_du = h_dv = h_dim
            h_b = h_d = np.empty(0)
        kept = 0
        for e in range(fw.shape[0]):
            if fw[e] > 0.0:  # zero-length pairs are dropped
                kept += 1
        m = kept + comps + h_dim.shape[0]
        dim = np.zeros(m, dtype=np.int64)
        bu = np.full(m, -1, dtype=np.int64)
        bv = np.full(m, -1, dtype=np.int64)
        du = np.full(m, -1, dtype=np.int64)
        dv = np.full(m, -1, dtype=np.int64)
        birth = np.zeros(m)
        death = np.full(m, np.inf)
        k = 0
        for e in range(fw.shape[0]):
            if fw[e] > 0.0:
                du[k] = fu[e]
                dv[k] = fv[e]
                death[k] = fw[e]
                k += 1
        k += comps
        for r in range(h_dim.shape[0]):
            dim[k] = h_dim[r]
            bu[k] = h_bu[r]
            bv[k] = h_bv[r]
            du[k] = h_du[r]
            dv[k] = h_dv[r]
            birth[k] = h_b[r]
            death[k] = h_d[r]
            k += 1
        order = _sorted_order(dim, birth, death)
        blocks.append(
            (dim[order], bu[order], bv[order], du[order], dv[order], birth[order], death[order])
        )
        total += m
    out = (
        np.empty(total, dtype=np.int64),
        np.empty(total, dtype=np.int64),
        np.empty(total, dtype=np.int64),
        np.empty(total, dtype=np.int64),
        np.empty(total, dtype=np.int64),
        np.empty(total, dtype=np.int64),
        np.empty(total),
        np.empty(total),
    )
    k = 0
    for c in range(n_clouds):
        b = blocks[c]
        m = b[0].shape[0]
        out[0][k : k + m] = c
        out[1][k : k + m] = b[0]
        out[2][k : k + m] = b[1]
        out[3][k : k + m] = b[2]
        out[4][k : k + m] = b[3]
        out[5][k : k + m] = b[4]
        out[6][k : k + m] = b[5]
        out[7][k : k + m] = b[6]
        k += m
    return out


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
