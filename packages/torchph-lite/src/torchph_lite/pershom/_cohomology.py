r"""Persistent cohomology of Vietoris-Rips filtrations in dimensions >= 1 (numba, Z/2 coefficients).

The algorithm is the one popularised by Ripser (U. Bauer, "Ripser: efficient computation of
Vietoris-Rips persistence barcodes", 2021), written from the published description:

* simplices are integers of the combinatorial number system (:mod:`._combinatorics`) and are never
  stored as vertex lists; coboundaries are enumerated on the fly (*implicit coboundaries*), and the
  reduction matrix ``V`` is stored instead of the reduced coboundary matrix;
* *clearing*: a ``k``-simplex that is the pivot of a reduced ``(k-1)``-column (for ``k = 1`` an
  edge of the minimum spanning forest) has a zero reduced column and is skipped;
* *apparent pairs*: ``(s, t)`` with ``t`` the oldest cofacet of ``s`` and ``s`` the youngest facet
  of ``t``, both of the same diameter, are persistence pairs of length zero that need no reduction;
* *emergent pairs*: if the oldest cofacet of a column has the column's diameter and is not claimed
  yet, the column is reduced already and its coboundary need not be enumerated in full;
* the filtration is truncated at ``min(threshold, enclosing radius)``; beyond the enclosing radius
  the complex is a cone and every class born there has length zero.

Filtration order of the ``k``-simplices: by diameter, ties broken by *decreasing* index. Columns are
reduced in the reverse order; the pivot of a coboundary column is its oldest entry.
"""

from __future__ import annotations

import numpy as np

from ._combinatorics import simplex_index, simplex_vertices
from ._containers import _run_sift_down, _top_before, grow, map_get, map_new, map_put, push_run
from ._jit import kernel
from ._sort import argsort_into


# --------------------------------------------------------------------------------------------
# simplex geometry
# --------------------------------------------------------------------------------------------
@kernel
def _critical_edge(dist: np.ndarray, verts: np.ndarray, size: int) -> tuple[int, int]:
    """Endpoints ``(larger, smaller)`` of a longest edge of the simplex."""
    best = -1.0
    bu = verts[0]
    bv = verts[1 if size > 1 else 0]
    for a in range(size):
        for b in range(a + 1, size):
            x = dist[verts[a], verts[b]]
            if x > best:
                best = x
                bu = verts[a]
                bv = verts[b]
    return bu, bv


@kernel
def _zero_apparent_cofacet(
    dist: np.ndarray, verts: np.ndarray, dim: int, index: np.int64, diam: float, binom: np.ndarray
) -> np.int64:
    """Oldest cofacet of the ``dim``-simplex if it has the same diameter, else -1."""
    n = dist.shape[0]
    j = 0
    above = np.int64(0)
    below = index
    for v in range(n - 1, -1, -1):
        if j <= dim and v == verts[j]:
            below -= binom[v, dim + 1 - j]
            above += binom[v, dim + 2 - j]
            j += 1
            continue
        ok = True
        for q in range(dim + 1):
            if dist[verts[q], v] > diam:
                ok = False
                break
        if ok:
            return above + binom[v, dim + 2 - j] + below
    return np.int64(-1)


@kernel
def _apparent_partner_of_cofacet(
    dist: np.ndarray, cofacet: np.int64, dim: int, binom: np.ndarray, scratch: np.ndarray
) -> np.int64:
    """If the ``(dim+1)``-simplex ``cofacet`` is in an apparent pair, its facet partner, else -1."""
    n = dist.shape[0]
    simplex_vertices(cofacet, dim + 1, n, binom, scratch)
    size = dim + 2
    cd = 0.0  # the cofacet's diameter
    for a in range(size):
        for b in range(a):
            x = dist[scratch[a], scratch[b]]
            if x > cd:
                cd = x
    # its youngest facet: the first, in increasing index order, of the same diameter (dropping
    # the largest vertex first)
    facet = np.int64(-1)
    for p in range(size):
        fd = 0.0
        for a in range(size):
            if a == p:
                continue
            for b in range(a):
                if b != p:
                    x = dist[scratch[a], scratch[b]]
                    if x > fd:
                        fd = x
        if fd == cd:
            facet = np.int64(0)
            for q in range(p):
                facet += binom[scratch[q], size - 1 - q]
            for q in range(p + 1, size):
                facet += binom[scratch[q], size - q]
            break
    if facet < 0:
        return np.int64(-1)
    simplex_vertices(facet, dim, n, binom, scratch)
    if _zero_apparent_cofacet(dist, scratch, dim, facet, cd, binom) == cofacet:
        return facet
    return np.int64(-1)


@kernel
def _last_lens_vertex(
    dist: np.ndarray, verts: np.ndarray, size: int, diam: float, start: int, stop: int
) -> int:
    """Largest ``v`` in ``(stop, start]``, not a vertex, within ``diam`` of all vertices, or -1."""
    j = 0
    for v in range(start, stop, -1):
        while j < size and verts[j] > v:
            j += 1
        if j < size and verts[j] == v:
            continue
        ok = True
        for q in range(size):
            if dist[verts[q], v] > diam:
                ok = False
                break
        if ok:
            return v
    return -1


@kernel
def _facet_diameter(dist: np.ndarray, verts: np.ndarray, size: int, skip: int) -> float:
    """Diameter of the simplex ``verts[:size]`` without position ``skip``."""
    d = 0.0
    for a in range(size):
        if a == skip:
            continue
        for b in range(a):
            if b == skip:
                continue
            x = dist[verts[a], verts[b]]
            if x > d:
                d = x
    return d


@kernel
def _is_apparent_facet(
    dist: np.ndarray, verts: np.ndarray, dim: int, diam: float, scratch: np.ndarray
) -> bool:
    """Whether the ``dim``-simplex ``verts`` is the facet of a zero-length apparent pair."""
    n = dist.shape[0]
    v = _last_lens_vertex(dist, verts, dim + 1, diam, n - 1, -1)
    if v < 0:
        return False
    if dim == 1:  # fast path for edges (i, j): the triangle's other facets are (j, v) and (i, v)
        if verts[0] > v and dist[verts[1], v] == diam:
            return False
        return not (verts[1] > v and dist[verts[0], v] == diam)
    # cofacet vertices (decreasing); the simplex is its youngest facet iff dropping any vertex
    # larger than v lowers the diameter
    k = 0
    for q in range(dim + 1):
        if verts[q] < v and k == q:
            scratch[k] = v
            k += 1
        scratch[k] = verts[q]
        k += 1
    if k == dim + 1:
        scratch[k] = v
    for p in range(dim + 2):
        if scratch[p] == v:
            return True
        if _facet_diameter(dist, scratch, dim + 2, p) == diam:
            return False
    return True


@kernel
def _is_apparent_cofacet(
    dist: np.ndarray, verts: np.ndarray, dim: int, diam: float, scratch: np.ndarray
) -> bool:
    """Whether the ``dim``-simplex ``verts`` is the cofacet of a zero-length apparent pair."""
    n = dist.shape[0]
    for p in range(dim + 1):
        if _facet_diameter(dist, verts, dim + 1, p) == diam:
            k = 0
            for q in range(dim + 1):
                if q != p:
                    scratch[k] = verts[q]
                    k += 1
            # the youngest facet; its oldest cofacet must be this simplex (no larger lens vertex)
            return _last_lens_vertex(dist, scratch, dim, diam, n - 1, verts[p]) < 0
    return False


@kernel
def _coboundary_into(
    dist: np.ndarray,
    verts: np.ndarray,
    dim: int,
    index: np.int64,
    diam: float,
    threshold: float,
    binom: np.ndarray,
    rd: np.ndarray,
    ri: np.ndarray,
    used: int,
    skip: np.int64,
) -> tuple[int, bool]:
    """Write the coboundary (cofacets of diameter <= threshold) to ``rd/ri[used:]``.

    The caller reserves room for ``n`` entries. One occurrence of the cofacet ``skip`` (if
    ``>= 0``) is left out. Returns the number of entries written and whether ``skip`` was left out.
    """
    n = dist.shape[0]
    j = 0
    above = np.int64(0)
    below = index
    count = 0
    skipped = False
    for v in range(n - 1, -1, -1):
        if j <= dim and v == verts[j]:
            below -= binom[v, dim + 1 - j]
            above += binom[v, dim + 2 - j]
            j += 1
            continue
        cd = diam
        for q in range(dim + 1):
            x = dist[verts[q], v]
            if x > cd:
                cd = x
        if cd <= threshold:
            idx = above + binom[v, dim + 2 - j] + below
            if idx == skip and not skipped:
                skipped = True
                continue
            rd[used + count] = cd
            ri[used + count] = idx
            count += 1
    return count, skipped


# --------------------------------------------------------------------------------------------
# columns of one dimension
# --------------------------------------------------------------------------------------------
@kernel
def _by_decreasing_diameter(
    col_idx: np.ndarray, col_diam: np.ndarray, m: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``m`` columns sorted by decreasing diameter, ties in their order (new arrays)."""
    keys = np.empty(m, dtype=np.float64)
    for i in range(m):
        keys[i] = -col_diam[i]
    order = argsort_into(keys, np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64))
    out_idx = np.empty(m, dtype=np.int64)
    out_diam = np.empty(m, dtype=np.float64)
    for i in range(m):
        out_idx[i] = col_idx[order[i]]
        out_diam[i] = col_diam[order[i]]
    return out_idx, out_diam


@kernel
def _assemble_edges(
    dist: np.ndarray, threshold: float, cleared_keys: np.ndarray, cleared_vals: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_assemble_columns` specialised to edges (the hot loop of dimension 1)."""
    n = dist.shape[0]
    col_idx = np.empty(1024, dtype=np.int64)
    col_diam = np.empty(1024)
    m = 0
    for i in range(1, n):
        row_i = dist[i]
        for j in range(i):
            d = row_i[j]
            if d > threshold:
                continue
            row_j = dist[j]
            # apparent pair (edge, triangle): the largest lens vertex v, and the edge must be the
            # youngest facet of {i, j, v}
            apparent = False
            for v in range(n - 1, -1, -1):
                x = row_i[v]
                y = row_j[v]
                if (x if x > y else y) <= d and v != i and v != j:
                    apparent = not ((i > v and row_j[v] == d) or (j > v and row_i[v] == d))
                    break
            if apparent:
                continue
            index = np.int64(i) * np.int64(i - 1) // 2 + np.int64(j)
            if map_get(cleared_keys, cleared_vals, index) >= 0:
                continue
            col_idx = grow(col_idx, m + 1)
            col_diam = grow(col_diam, m + 1)
            col_idx[m] = index
            col_diam[m] = d
            m += 1
    return _by_decreasing_diameter(col_idx, col_diam, m)


@kernel
def _assemble_triangles(
    dist: np.ndarray, threshold: float, cleared_keys: np.ndarray, cleared_vals: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_assemble_columns` specialised to triangles (the hot loop of dimension 2)."""
    n = dist.shape[0]
    col_idx = np.empty(1024, dtype=np.int64)
    col_diam = np.empty(1024)
    m = 0
    for i in range(2, n):
        row_i = dist[i]
        for j in range(1, i):
            dij = row_i[j]
            if dij > threshold:
                continue
            row_j = dist[j]
            for k in range(j):
                d = max(dij, row_i[k], row_j[k])
                if d > threshold:
                    continue
                row_k = dist[k]
                # facet of an apparent pair? the largest lens vertex v, and dropping any vertex
                # larger than v from {i, j, k, v} must lower the diameter
                v = -1
                for w in range(n - 1, -1, -1):
                    inside = row_i[w] <= d and row_j[w] <= d and row_k[w] <= d
                    if inside and w != i and w != j and w != k:
                        v = w
                        break
                if v >= 0:
                    younger = (
                        (i > v and max(row_j[k], row_j[v], row_k[v]) == d)
                        or (j > v and max(row_i[k], row_i[v], row_k[v]) == d)
                        or (k > v and max(dij, row_i[v], row_j[v]) == d)
                    )
                    if not younger:
                        continue
                # cofacet of an apparent pair? its youngest facet drops the largest possible
                # vertex; that edge's oldest cofacet must be this triangle
                if row_j[k] == d:
                    drop, a, b = i, j, k
                elif row_i[k] == d:
                    drop, a, b = j, i, k
                else:
                    drop, a, b = k, i, j
                row_a = dist[a]
                row_b = dist[b]
                oldest = True
                for w in range(n - 1, drop, -1):
                    if row_a[w] <= d and row_b[w] <= d and w != a and w != b:
                        oldest = False
                        break
                if oldest:
                    continue
                index = (
                    np.int64(i) * np.int64(i - 1) * np.int64(i - 2) // 6
                    + np.int64(j) * np.int64(j - 1) // 2
                    + np.int64(k)
                )
                if map_get(cleared_keys, cleared_vals, index) >= 0:
                    continue
                col_idx = grow(col_idx, m + 1)
                col_diam = grow(col_diam, m + 1)
                col_idx[m] = index
                col_diam[m] = d
                m += 1
    return _by_decreasing_diameter(col_idx, col_diam, m)


@kernel
def _assemble_columns(
    dist: np.ndarray,
    dim: int,
    threshold: float,
    binom: np.ndarray,
    cleared_keys: np.ndarray,
    cleared_vals: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``dim``-simplices to reduce, sorted by decreasing diameter then increasing index.

    Skips simplices of diameter > threshold, simplices cleared by the previous dimension (pivots
    in ``cleared_keys`` or cofacets of apparent pairs) and facets of apparent pairs. Edges and
    triangles take the specialised assemblers (the tests pin them to :func:`_assemble_general`).
    """
    if dim == 1:
        return _assemble_edges(dist, threshold, cleared_keys, cleared_vals)
    if dim == 2:
        return _assemble_triangles(dist, threshold, cleared_keys, cleared_vals)
    return _assemble_general(dist, dim, threshold, binom, cleared_keys, cleared_vals)


@kernel
def _assemble_general(
    dist: np.ndarray,
    dim: int,
    threshold: float,
    binom: np.ndarray,
    cleared_keys: np.ndarray,
    cleared_vals: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_assemble_columns` for any ``dim >= 1``: an odometer over the simplices."""
    n = dist.shape[0]
    col_idx = np.empty(1024, dtype=np.int64)
    col_diam = np.empty(1024)
    m = 0
    verts = np.empty(dim + 1, dtype=np.int64)
    prefix = np.zeros(dim + 1)
    scratch = np.empty(dim + 3, dtype=np.int64)
    if n < dim + 1:
        return col_idx[:0], col_diam[:0]
    # odometer over decreasing vertex tuples in lexicographic (= index) order, pruned by diameter
    p = 0
    verts[0] = dim - 1
    while p >= 0:
        verts[p] += 1
        upper = n - 1 if p == 0 else verts[p - 1] - 1
        if verts[p] > upper:
            p -= 1
            continue
        d = 0.0 if p == 0 else prefix[p - 1]
        for q in range(p):
            x = dist[verts[q], verts[p]]
            if x > d:
                d = x
        if d > threshold:
            continue
        prefix[p] = d
        if p < dim:
            p += 1
            verts[p] = dim - p - 1
            continue
        if _is_apparent_facet(dist, verts, dim, d, scratch):
            continue
        if dim >= 2 and _is_apparent_cofacet(dist, verts, dim, d, scratch):
            continue
        index = simplex_index(verts, binom)
        if map_get(cleared_keys, cleared_vals, index) >= 0:
            continue
        col_idx = grow(col_idx, m + 1)
        col_diam = grow(col_diam, m + 1)
        col_idx[m] = index
        col_diam[m] = d
        m += 1
    return _by_decreasing_diameter(col_idx, col_diam, m)


@kernel
def _reduce_dimension(
    dist: np.ndarray,
    dim: int,
    threshold: float,
    binom: np.ndarray,
    col_idx: np.ndarray,
    col_diam: np.ndarray,
    rec_i: np.ndarray,
    rec_f: np.ndarray,
    nrec: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Reduce the coboundary columns of one dimension; append pairs to the records.

    Record ``r`` is ``rec_i[3 r:3 r + 3]`` = (dimension, birth simplex, death simplex or -1 for an
    essential class) and ``rec_f[2 r:2 r + 2]`` = their diameters (``inf`` for no death). Returns
    ``(pivot keys, pivot values, rec_i, rec_f, nrec)``.
    """
    n = dist.shape[0]
    piv_keys, piv_vals = map_new(col_idx.shape[0])
    piv_size = 0
    # reduction matrix V, stored column by column (flat)
    n_cols = col_idx.shape[0]
    v_start = np.empty(n_cols + 1, dtype=np.int64)
    v_idx = np.empty(n_cols + 16, dtype=np.int64)
    v_diam = np.empty(n_cols + 16, dtype=np.float64)
    v_start[0] = 0
    n_slots = 0
    # working column: entries rd/ri in runs rs[r]:re[r], a heap ``top`` of runs
    rd = np.empty(n + 256, dtype=np.float64)
    ri = np.empty(n + 256, dtype=np.int64)
    rs = np.empty(16, dtype=np.int64)
    re = np.empty(16, dtype=np.int64)
    top = np.empty(16, dtype=np.int64)
    w_idx = np.empty(64, dtype=np.int64)
    w_diam = np.empty(64, dtype=np.float64)
    verts = np.empty(dim + 2, dtype=np.int64)
    scratch = np.empty(dim + 3, dtype=np.int64)
    for c in range(n_cols):
        s_idx = col_idx[c]
        s_diam = col_diam[c]
        simplex_vertices(s_idx, dim, n, binom, verts)
        # ---- emergent pair: oldest cofacet with the same diameter, not claimed yet
        cof = _zero_apparent_cofacet(dist, verts, dim, s_idx, s_diam, binom)
        if (
            cof >= 0
            and map_get(piv_keys, piv_vals, cof) < 0
            and _apparent_partner_of_cofacet(dist, cof, dim, binom, scratch) < 0
        ):
            piv_keys, piv_vals, piv_size = map_put(piv_keys, piv_vals, piv_size, cof, n_slots)
            v_idx = grow(v_idx, v_start[n_slots] + 1)
            v_diam = grow(v_diam, v_start[n_slots] + 1)
            v_idx[v_start[n_slots]] = s_idx
            v_diam[v_start[n_slots]] = s_diam
            v_start[n_slots + 1] = v_start[n_slots] + 1
            n_slots += 1
            continue
        # ---- full reduction with implicit coboundaries
        count, _ = _coboundary_into(
            dist, verts, dim, s_idx, s_diam, threshold, binom, rd, ri, 0, np.int64(-1)
        )
        used = 0
        n_runs = 0
        n_top = 0
        if count > 0:
            n_top = push_run(rd, ri, rs, re, top, 0, count, 0, 0)
            used = count
            n_runs = 1
        w_idx[0] = s_idx
        w_diam[0] = s_diam
        wm = 1
        record = False  # whether the column gives a pair (death -1: an essential class)
        while True:
            # pop the pivot: the smallest entry of the heap of runs that survives Z/2
            # cancellation (a pair of equal entries cancels; index -1: the column is zero). The
            # code of _containers.runs_pop_pivot, written out here: one kernel less to compile
            p_diam = 0.0
            p_idx = np.int64(-1)
            while n_top > 0:
                run = top[0]
                s = rs[run]
                d = rd[s]
                idx = ri[s]
                if p_idx >= 0 and idx != p_idx:
                    break
                size = re[run] - s - 1
                if size == 0:  # the run is used up
                    n_top -= 1
                    if n_top > 0:
                        top[0] = top[n_top]
                else:  # its last entry moves to its top and sinks
                    rd[s] = rd[s + size]
                    ri[s] = ri[s + size]
                    re[run] -= 1
                    _run_sift_down(rd, ri, s, size, 0)
                if n_top > 0:  # the run at the top of the heap of runs sinks
                    first = top[0]
                    pos = 0
                    while True:
                        child = 2 * pos + 1
                        if child >= n_top:
                            break
                        if child + 1 < n_top and _top_before(
                            rd, ri, rs, top[child + 1], top[child]
                        ):
                            child += 1
                        if not _top_before(rd, ri, rs, top[child], first):
                            break
                        top[pos] = top[child]
                        pos = child
                    top[pos] = first
                if idx == p_idx:
                    p_idx = np.int64(-1)
                else:
                    p_diam = d
                    p_idx = idx
            if p_idx < 0:  # zero column: essential class
                record = True
                p_diam = np.inf
                break
            slot = map_get(piv_keys, piv_vals, p_idx)
            partner = np.int64(-1)
            if slot < 0:
                partner = _apparent_partner_of_cofacet(dist, p_idx, dim, binom, scratch)
            if slot < 0 and partner < 0:  # new pivot: store V and record the pair
                # the new column of V: sorted by index, pairs of equal entries dropped (Z/2). An
                # in-place heapsort: equal indices carry equal diameters, so their order is
                # irrelevant
                h_start = wm // 2
                h_end = wm
                while h_end > 1:
                    if h_start > 0:  # building the heap
                        h_start -= 1
                    else:  # moving the largest entry behind the heap
                        h_end -= 1
                        i_top, d_top = w_idx[h_end], w_diam[h_end]
                        w_idx[h_end], w_diam[h_end] = w_idx[0], w_diam[0]
                        w_idx[0], w_diam[0] = i_top, d_top
                    root = h_start
                    while True:
                        child = 2 * root + 1
                        if child >= h_end:
                            break
                        if child + 1 < h_end and w_idx[child] < w_idx[child + 1]:
                            child += 1
                        if w_idx[root] >= w_idx[child]:
                            break
                        i_top, d_top = w_idx[root], w_diam[root]
                        w_idx[root], w_diam[root] = w_idx[child], w_diam[child]
                        w_idx[child], w_diam[child] = i_top, d_top
                        root = child
                kept = 0
                q = 0
                while q < wm:
                    if q + 1 < wm and w_idx[q + 1] == w_idx[q]:
                        q += 2
                        continue
                    w_idx[kept] = w_idx[q]
                    w_diam[kept] = w_diam[q]
                    kept += 1
                    q += 1
                wm = kept
                piv_keys, piv_vals, piv_size = map_put(piv_keys, piv_vals, piv_size, p_idx, n_slots)
                start = v_start[n_slots]
                v_idx = grow(v_idx, start + wm)
                v_diam = grow(v_diam, start + wm)
                for q in range(wm):  # a loop: slice assignment compiles a shape-check overload
                    v_idx[start + q] = w_idx[q]
                    v_diam[start + q] = w_diam[q]
                v_start[n_slots + 1] = start + wm
                n_slots += 1
                record = p_diam > s_diam
                break
            # the pivot is claimed: add the claiming column. Its coboundary holds the pivot an odd
            # number of times; the popped copy and one of those cancel, so one is left out
            pending = p_idx
            a = 0
            b = 1
            if slot >= 0:
                a = v_start[slot]
                b = v_start[slot + 1]
            for e in range(a, b):
                r_idx = partner
                r_diam = p_diam
                if slot >= 0:
                    r_idx = v_idx[e]
                    r_diam = v_diam[e]
                w_idx = grow(w_idx, wm + 1)
                w_diam = grow(w_diam, wm + 1)
                w_idx[wm] = r_idx
                w_diam[wm] = r_diam
                wm += 1
                simplex_vertices(r_idx, dim, n, binom, scratch)
                rd = grow(rd, used + n + 1)  # room for a coboundary (and the entry below)
                ri = grow(ri, used + n + 1)
                rs = grow(rs, n_runs + 2)
                re = grow(re, n_runs + 2)
                top = grow(top, n_runs + 2)
                count, skipped = _coboundary_into(
                    dist, scratch, dim, r_idx, r_diam, threshold, binom, rd, ri, used, pending
                )
                if count > 0:
                    n_top = push_run(rd, ri, rs, re, top, used, count, n_runs, n_top)
                    used += count
                    n_runs += 1
                if skipped:
                    pending = np.int64(-1)
            if pending >= 0:  # not reached: the claiming column always contains its pivot
                rd = grow(rd, used + 1)
                ri = grow(ri, used + 1)
                rs = grow(rs, n_runs + 1)
                re = grow(re, n_runs + 1)
                top = grow(top, n_runs + 1)
                rd[used] = p_diam
                ri[used] = p_idx
                n_top = push_run(rd, ri, rs, re, top, used, 1, n_runs, n_top)
                used += 1
                n_runs += 1
        if record:  # rec_i: (dim, birth, death) simplices; rec_f: their diameters
            rec_i = grow(rec_i, 3 * nrec + 3)
            rec_f = grow(rec_f, 2 * nrec + 2)
            rec_i[3 * nrec] = dim
            rec_i[3 * nrec + 1] = s_idx
            rec_i[3 * nrec + 2] = p_idx
            rec_f[2 * nrec] = s_diam
            rec_f[2 * nrec + 1] = p_diam
            nrec += 1
    return piv_keys, piv_vals, rec_i, rec_f, nrec


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------
@kernel
def enclosing_radius(dist: np.ndarray) -> float:
    """``min_i max_j dist[i, j]``: beyond it the Vietoris-Rips complex is a cone."""
    n = dist.shape[0]
    best = np.inf
    for i in range(n):
        m = 0.0
        for j in range(n):
            if dist[i, j] > m:
                m = dist[i, j]
        if m < best:
            best = m
    return best
