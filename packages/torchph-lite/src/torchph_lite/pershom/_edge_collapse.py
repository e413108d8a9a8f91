r"""Edge collapse of Vietoris-Rips filtrations (Boissonnat and Pritam), numba.

An edge :math:`e = \{u, v\}` of a graph :math:`G` is *dominated* by a vertex :math:`c \notin e`
when every common neighbour of :math:`u` and :math:`v` is :math:`c` or a neighbour of :math:`c`.
Removing a dominated edge from the flag complex of :math:`G` is a strong collapse, so it keeps
the homotopy type (J.-D. Boissonnat and S. Pritam, "Edge collapse and persistence of flag
complexes", SoCG 2020). Applied to a filtration this gives a much smaller flag filtration with the
same persistence diagrams:

* the edges are visited by *decreasing* length (the scheme of M. Glisse and S. Pritam, "Swap,
  shift and trim to edge collapse a filtration", SoCG 2022), each in the current filtration
  (shorter edges with their lengths, longer ones with the values already given to them);
* an edge of value ``t`` dominated at ``t`` is moved to the first value at which no vertex
  dominates it any more, or removed when that never happens. For every filtration value ``s`` the
  new complex is then a subcomplex of the old one that it is homotopy equivalent to (an edge
  collapse), so the inclusions form a morphism of persistence modules that is an isomorphism at
  every ``s``: the diagrams, in every dimension, are equal.

The value an edge is moved to is always the current value of another edge, which is (by
induction) the length of an original edge. :func:`collapse_stack` returns that edge with every
kept value, so critical edges found in the collapsed filtration map back to input edges of the
same length: births and deaths stay exact input distances, and gradients reach the input.

Everything is dense ``(n, n)``: the graph of the Vietoris-Rips filtration is complete up to the
enclosing radius, beyond which the complex is a cone (edges longer than it are dropped first).
"""

from __future__ import annotations

import numpy as np

from . import _metrics
from ._assemble import Records
from ._batch import NO_POINTS, records
from ._jit import kernel
from ._metrics import MATRIX

__all__ = [
    "collapse_stack",
    "collapsed_records_from_matrices",
    "collapsed_records_from_points",
    "use_collapse",
]


#: the value of an absent edge inside the kernel (finite, so that masks can multiply it)
ABSENT = np.finfo(np.float64).max


@kernel(fastmath={"nnan", "nsz", "reassoc"})  # inputs are NaN-free; reductions are min/max only
def _collapse(cur: np.ndarray, src: np.ndarray, edge_u: np.ndarray, edge_v: np.ndarray) -> None:
    """Collapse the filtration of the edges ``(edge_u[e], edge_v[e])``, longest first, in place.

    On entry ``cur`` holds the length of every edge of the filtration and ``ABSENT`` elsewhere
    (0 on the diagonal) and ``src[u, v]`` is ``hi * n + lo`` (``hi > lo``) for those edges. On
    return ``cur[u, v]`` is the value of ``{u, v}`` in the collapsed filtration (``ABSENT``:
    removed) and ``src[u, v]`` the input edge whose length it is (``-1`` where ``cur`` is
    ``inf``). One kernel without helpers: its compile time is a product metric.
    """
    n = cur.shape[0]
    near = np.empty(n, dtype=np.int64)  # common neighbours at the current time
    later = np.empty(n, dtype=np.int64)  # common neighbours that join after it
    later_f = np.empty(n)
    joins = np.empty(n)  # when each vertex becomes a common neighbour
    for e in range(edge_u.shape[0]):
        u = edge_u[e]
        v = edge_v[e]
        start = cur[u, v]
        time = start
        row_u = cur[u]
        row_v = cur[v]
        # fast path: the closest common neighbour c usually dominates, often for ever
        for w in range(n):
            joins[w] = max(row_u[w], row_v[w])
        joins[u] = ABSENT
        joins[v] = ABSENT
        c = 0
        closest = joins[0]
        for w in range(1, n):
            if joins[w] < closest:
                closest = joins[w]
                c = w
        if closest > time:
            continue  # no common neighbour: not dominated, the edge stays
        row_c = cur[c]
        bad = 0
        for w in range(n):  # c dominates at `time`: it is adjacent to the neighbours there
            bad += (joins[w] <= time) & (row_c[w] > time)
        dominates = bad == 0
        # c dominates until a neighbour joins at f that c is not adjacent to by f (branch-free
        # select, so that the loop vectorises; ABSENT is finite, so the product is never NaN)
        fail = ABSENT
        for w in range(n):
            f = joins[w]
            later_than = np.float64((row_c[w] > f) & (f > time))
            fail = min(fail, later_than * f + (1.0 - later_than) * ABSENT)
        if dominates and fail == ABSENT:
            cur[u, v] = ABSENT
            cur[v, u] = ABSENT
            src[u, v] = -1
            src[v, u] = -1
            continue
        if dominates:
            time = fail
        n_near = 0
        n_later = 0
        for w in range(n):
            f = joins[w]
            if f <= time:
                near[n_near] = w
                n_near += 1
            elif f < ABSENT:
                later[n_later] = w
                later_f[n_later] = f
                n_later += 1
        dead = False
        while True:
            c = -1  # a vertex of `near` adjacent at `time` to all the others there
            for a in range(n_near):
                row_c = cur[near[a]]
                ok = True
                for b in range(n_near):
                    if b != a and row_c[near[b]] > time:
                        ok = False
                        break
                if ok:
                    c = near[a]
                    break
            if c < 0:
                break  # not dominated at `time`: the edge enters there
            fail = ABSENT
            row_c = cur[c]
            for a in range(n_later):
                f = later_f[a]
                if f < fail and row_c[later[a]] > f:
                    fail = f
            if fail == ABSENT:
                dead = True
                break
            time = fail
            kept = 0
            for a in range(n_later):  # move the neighbours present at the new time
                if later_f[a] <= time:
                    near[n_near] = later[a]
                    n_near += 1
                else:
                    later[kept] = later[a]
                    later_f[kept] = later_f[a]
                    kept += 1
            n_later = kept
        if dead:
            cur[u, v] = ABSENT
            cur[v, u] = ABSENT
            src[u, v] = -1
            src[v, u] = -1
        elif time != start:
            # the value is that of an edge {u, w} or {v, w} joining at `time`: take its source
            s = -1
            for w in range(n):
                if w != u and w != v:
                    if row_u[w] == time and row_v[w] <= time:
                        s = src[u, w]
                        break
                    if row_v[w] == time and row_u[w] <= time:
                        s = src[v, w]
                        break
            cur[u, v] = time
            cur[v, u] = time
            src[u, v] = s
            src[v, u] = s


def collapse_stack(dists: np.ndarray, caps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Collapsed filtrations of a stack of symmetric distance matrices ``(B, n, n)``.

    Only edges of length <= ``caps[b]`` enter (``min(threshold, enclosing radius)``). Returns
    ``(values, sources)``, both ``(B, n, n)``: the value of every edge in the collapsed
    filtration (``inf`` if it is not in it; 0 on the diagonal) and the input edge ``hi * n + lo``
    whose length that value is (``-1`` for none).
    """
    b, n = dists.shape[0], dists.shape[1]
    hi, lo = np.tril_indices(n, -1)
    rows = np.arange(n)
    ids = np.maximum(rows[:, None], rows) * n + np.minimum(rows[:, None], rows)
    values = np.empty((b, n, n))
    sources = np.empty((b, n, n), dtype=np.int64)
    for c in range(b):
        cur = values[c]
        np.copyto(cur, dists[c])
        outside = cur > caps[c]
        np.fill_diagonal(outside, False)
        lengths = cur[hi, lo]
        inside = lengths <= caps[c]
        cur[outside] = ABSENT
        src = sources[c]
        np.copyto(src, ids)
        src[outside] = -1
        np.fill_diagonal(src, -1)
        if not (lengths[inside] == ABSENT).any():  # (else: left uncollapsed)
            order = np.argsort(-lengths[inside], kind="stable")  # longest first
            _collapse(cur, src, hi[inside][order], lo[inside][order])
        cur[cur == ABSENT] = np.inf
        np.fill_diagonal(cur, 0.0)
    return values, sources


def _caps(dists: np.ndarray, threshold: float) -> np.ndarray:
    """``min(threshold, enclosing radius)`` per matrix: from there on the complex is a cone."""
    return np.minimum(threshold, dists.max(axis=2).min(axis=1))


def _engine_distances(points: np.ndarray, metric: int, threshold: float):
    """The distance matrix and threshold of one cloud exactly as the engine computes them.

    The engine's own kernel, so the distances and their ties are bitwise those of the
    uncollapsed path.
    """
    return _metrics.cloud_distances(points, metric, threshold)


def _point_matrices(
    points: np.ndarray, offsets: np.ndarray, metric: int, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Distance matrices ``(B, n, n)`` of equal-size clouds and their caps (see above)."""
    n_clouds = offsets.shape[0] - 1
    n = int(offsets[1] - offsets[0])
    dists = np.empty((n_clouds, n, n))
    caps = np.empty(n_clouds)
    for c in range(n_clouds):
        dist, t = _engine_distances(points[offsets[c] : offsets[c + 1]], metric, threshold)
        dists[c] = dist
        caps[c] = min(t, dists[c].max(axis=1).min())
    return dists, caps


def _remap(
    u: np.ndarray, v: np.ndarray, sources: np.ndarray, cloud: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Critical edges of the collapsed filtrations mapped to the input edges of the same length.

    An edge that kept its own length keeps the orientation the engine gave it.
    """
    n = sources.shape[1]
    ok = u >= 0
    s = np.full(u.shape, -1, dtype=np.int64)
    s[ok] = sources[cloud[ok], u[ok], v[ok]]
    hi = np.where(ok, s // n, -1)
    lo = np.where(ok, s % n, -1)
    same = ok & (np.maximum(u, v) == hi) & (np.minimum(u, v) == lo)
    return np.where(same, u, hi), np.where(same, v, lo)


def _records_of_stack(dists: np.ndarray, caps: np.ndarray, max_dim: int) -> Records:
    values, sources = collapse_stack(dists, caps)
    offsets = np.arange(dists.shape[0] + 1, dtype=np.int64) * dists.shape[1]
    # every kept value is <= the cloud's cap: the largest cap is a threshold for all of them
    limit = float(caps.max()) if caps.shape[0] else 0.0
    rec = Records._make(records(NO_POINTS, offsets, values, MATRIX, max_dim, limit))
    bu, bv = _remap(rec.birth_u, rec.birth_v, sources, rec.cloud)
    du, dv = _remap(rec.death_u, rec.death_v, sources, rec.cloud)
    return rec._replace(birth_u=bu, birth_v=bv, death_u=du, death_v=dv)


def collapsed_records_from_matrices(dists: np.ndarray, max_dim: int, threshold: float) -> Records:
    """As :func:`._batch.records_from_matrices`, computed on the edge-collapsed filtrations.

    Same diagrams; critical edges are input edges of the same lengths (possibly others than the
    uncollapsed path picks among equal lengths).
    """
    return _records_of_stack(dists, _caps(dists, threshold), max_dim)


def collapsed_records_from_points(
    points: np.ndarray, offsets: np.ndarray, metric: int, max_dim: int, threshold: float
) -> Records:
    """As :func:`._batch.records_from_points`, computed on the edge-collapsed filtrations."""
    sizes = np.diff(offsets)
    if (sizes == sizes[0]).all():
        dists, caps = _point_matrices(points, offsets, metric, threshold)
        return _records_of_stack(dists, caps, max_dim)
    parts = []
    for c in range(sizes.shape[0]):
        local = np.array([0, sizes[c]], dtype=np.int64)
        dists, caps = _point_matrices(points[offsets[c] : offsets[c + 1]], local, metric, threshold)
        rec = _records_of_stack(dists, caps, max_dim)
        parts.append(rec._replace(cloud=np.full_like(rec.cloud, c)))
    return Records._make(np.concatenate(cols) for cols in zip(*parts))


#: the smallest ``max_dimension`` collapsed when ``collapse_edges`` is ``None``: in dimension 1
#: the uncollapsed cohomology is faster than the collapse itself (measured, n = 200 to 1000)
AUTO_COLLAPSE_FROM = 2


def use_collapse(collapse_edges: object, max_dim: int) -> bool:
    """Whether to collapse: ``collapse_edges`` is ``None`` (automatic), ``True`` or ``False``."""
    if collapse_edges is None:
        return max_dim >= AUTO_COLLAPSE_FROM
    if not isinstance(collapse_edges, bool):
        raise TypeError(
            "collapse_edges must be None, True or False, got "
            f"{type(collapse_edges).__name__} ({collapse_edges!r})"
        )
    return collapse_edges and max_dim >= 1
