"""Numba kernel for the fast cubical path: dimension 0 and the top dimension of image grids
(3-D images; 2-D images have their own kernel in :mod:`._pixel_grid_2d`).

Cells live on the grid of doubled coordinates (a cell's dimension is its number of odd
coordinates; construction ``V``: pixel ``p`` at ``2 p``, ``T``: at ``2 p + 1``). The pixels are
sorted once; every cell is represented by the pixel that gives it its value, chosen by rank (the
latest of its vertices for ``V``, the earliest of its top cells for ``T``), so ordering the cells
of a dimension by the rank of their pixel (a counting sort) is a valid filtration order. Then
union-find pairs dimension 0 and, on the dual graph (top cells as nodes, facets as edges, the
outside as one more node), dimension ``d - 1``. One compilation serves 2-D and 3-D images, both
constructions and every input dtype (values arrive as float64).
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel
from ._reduction import _find


@kernel
def _bucket_order(cells: np.ndarray, key: np.ndarray, n_keys: int) -> np.ndarray:
    """``cells`` stably sorted by ``key[cell]`` (keys in ``[0, n_keys)``)."""
    count = np.zeros(n_keys + 1, dtype=np.int64)
    for c in cells:
        count[key[c] + 1] += 1
    for k in range(n_keys):
        count[k + 1] += count[k]
    out = np.empty(cells.shape[0], dtype=np.int64)
    for c in cells:
        out[count[key[c]]] = c
        count[key[c]] += 1
    return out


@kernel
def grid_geometry(shape: np.ndarray, top_cells: bool) -> tuple:
    """The cell layout of one image shape (shared by every image of that shape, cached).

    Returns ``(grid, strides, coords, mask, edge_axis, facet_axis, pixel_slot, counts, cells)``:
    the doubled grid's shape and strides, every cell's coordinates, bit mask of odd axes, spanned
    axis (edges) and free axis (facets), the grid index of every pixel, and the cells grouped by
    dimension (``cells[counts[k]:counts[k + 1]]``, increasing index).
    """
    n_pix = 1
    for a in range(shape.shape[0]):
        n_pix *= shape[a]
    d = shape.shape[0]
    grid = np.empty(d, dtype=np.int64)
    for a in range(d):
        grid[a] = 2 * shape[a] - 1 if not top_cells else 2 * shape[a] + 1
    strides = np.ones(d, dtype=np.int64)
    for a in range(d - 2, -1, -1):
        strides[a] = strides[a + 1] * grid[a + 1]
    size = strides[0] * grid[0]
    # geometry shared by all items: coordinates (by an odometer), odd-axis bit mask, dimension,
    # spanned axis (edges) and free axis (facets)
    coords = np.zeros((d, size), dtype=np.int64)
    mask = np.zeros(size, dtype=np.int64)
    dims = np.zeros(size, dtype=np.int64)
    edge_axis = np.zeros(size, dtype=np.int64)
    facet_axis = np.zeros(size, dtype=np.int64)
    c = np.zeros(d, dtype=np.int64)
    for idx in range(size):
        m = 0
        n_odd = 0
        for a in range(d):
            coords[a, idx] = c[a]
            if c[a] % 2 == 1:
                m |= 1 << a
                n_odd += 1
                edge_axis[idx] = a
            else:
                facet_axis[idx] = a
        mask[idx] = m
        dims[idx] = n_odd
        a = d - 1
        c[a] += 1
        while a > 0 and c[a] == grid[a]:
            c[a] = 0
            a -= 1
            c[a] += 1
    pixel_slot = np.empty(n_pix, dtype=np.int64)  # grid index of every pixel
    p = 0
    own = 0 if not top_cells else (1 << d) - 1
    for idx in range(size):
        if mask[idx] == own:
            pixel_slot[p] = idx
            p += 1
    counts = np.zeros(d + 2, dtype=np.int64)
    for idx in range(size):
        counts[dims[idx] + 1] += 1
    for k in range(d + 1):
        counts[k + 1] += counts[k]
    cells = np.empty(size, dtype=np.int64)
    fill = counts[:-1].copy()
    for idx in range(size):
        cells[fill[dims[idx]]] = idx
        fill[dims[idx]] += 1
    return grid, strides, coords, mask, edge_axis, facet_axis, pixel_slot, counts, cells


@kernel
def grid_pairs(
    pixels: np.ndarray,
    top_cells: bool,
    with_top: bool,
    grid: np.ndarray,
    strides: np.ndarray,
    coords: np.ndarray,
    mask: np.ndarray,
    edge_axis: np.ndarray,
    facet_axis: np.ndarray,
    pixel_slot: np.ndarray,
    counts: np.ndarray,
    cells: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of dimension 0 and ``d - 1`` of a batch of images of one shape.

    Args:
        pixels: ``(B, prod(shape))`` sublevel values.
        top_cells: construction ``T`` (pixels are top cells) instead of ``V``.
        with_top: also pair dimension ``d - 1`` by duality.
        grid, ...: the layout from :func:`grid_geometry`.

    Returns:
        ``(pairs0, ess0, pairs_top)`` as flat pixel indices ``item * prod(shape) + pixel``: the
        (birth, death) pixels of every pair of dimension 0 (interleaved), the birth pixels of
        the essential classes, and the (birth, death) pixels of the pairs of dimension ``d - 1``.
    """
    n_items, n_pix = pixels.shape
    d = grid.shape[0]
    size = cells.shape[0]
    own = 0 if not top_cells else (1 << d) - 1
    verts = cells[counts[0] : counts[1]]
    edges = cells[counts[1] : counts[2]]
    facets = cells[counts[d - 1] : counts[d]]
    tops = cells[counts[d] : counts[d + 1]]
    n_v = verts.shape[0]
    pairs0 = np.empty(2 * n_items * n_v, dtype=np.int64)
    ess0 = np.empty(n_items * n_v, dtype=np.int64)
    pairs_top = np.empty(2 * n_items * facets.shape[0], dtype=np.int64)
    m0 = 0
    me = 0
    mt = 0
    prank = np.empty(n_pix, dtype=np.int64)
    key = np.empty(size, dtype=np.int64)  # rank of the pixel that gives each cell its value
    parent = np.empty(size + 1, dtype=np.int64)
    for item in range(n_items):
        base = item * n_pix
        order = np.argsort(pixels[item], kind="mergesort")
        for r in range(n_pix):
            prank[order[r]] = r
        # a cell's key: the latest rank among its vertices (V) or the earliest among its top
        # cells (T), by one pass per axis (the cells whose own slot is odd along the axis, V, or
        # even, T, with all later axes in the pixel parity already filled)
        for q in range(n_pix):
            key[pixel_slot[q]] = prank[q]
        for a in range(d):
            bit = 1 << a
            later = own & ~((bit << 1) - 1)
            s_a = strides[a]
            for idx in range(size):
                m = mask[idx]
                if (m & ~((bit << 1) - 1)) != later or (m & bit) == (own & bit):
                    continue
                ca = coords[a, idx]
                if not top_cells:
                    k1 = key[idx - s_a]
                    k2 = key[idx + s_a]
                    key[idx] = k1 if k1 > k2 else k2
                else:
                    best = n_pix
                    if ca > 0:
                        best = key[idx - s_a]
                    if ca < grid[a] - 1 and key[idx + s_a] < best:
                        best = key[idx + s_a]
                    key[idx] = best
        # dimension 0: vertices by rank, edges in filtration order
        for i in range(n_v):
            parent[verts[i]] = verts[i]
        edge_order = _bucket_order(edges, key, n_pix)
        for e in edge_order:
            s = strides[edge_axis[e]]
            a = _find(parent, e - s)
            b = _find(parent, e + s)
            if a == b:
                continue
            if key[a] < key[b]:
                a, b = b, a
            parent[a] = b  # a, the younger root, dies at e
            pairs0[2 * m0] = base + order[key[a]]
            pairs0[2 * m0 + 1] = base + order[key[e]]
            m0 += 1
        for i in range(n_v):
            if parent[verts[i]] == verts[i]:
                ess0[me] = base + order[key[verts[i]]]
                me += 1
        if not with_top:
            continue
        outside = size
        for i in range(tops.shape[0]):
            parent[tops[i]] = tops[i]
        parent[outside] = outside
        desc = edge_order if d == 2 else _bucket_order(facets, key, n_pix)  # 2-D: facets = edges
        for i in range(desc.shape[0] - 1, -1, -1):
            f = desc[i]
            a_ = facet_axis[f]
            s = strides[a_]
            c = coords[a_, f]
            a = _find(parent, f - s if c > 0 else outside)
            b = _find(parent, f + s if c < grid[a_] - 1 else outside)
            if a == b:
                continue
            # the elder top cell is the later one; the outside is the eldest
            if b != outside and (a == outside or key[a] > key[b]):
                a, b = b, a
            parent[a] = b
            pairs_top[2 * mt] = base + order[key[f]]
            pairs_top[2 * mt + 1] = base + order[key[a]]
            mt += 1
    return pairs0[: 2 * m0], ess0[:me], pairs_top[: 2 * mt]
