"""Numba kernel for the fast cubical path: dimension 0 and the top dimension of image grids.

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


# --------------------------------------------------------------------------------------------
# 2-D images: straight on the pixel grid (no doubled grid, no per-cell keys)
# --------------------------------------------------------------------------------------------
@kernel
def _radix_argsort(values: np.ndarray, idx: np.ndarray, spare: np.ndarray) -> None:
    """``idx`` := the stable argsort of the float64 ``values`` (LSD radix sort, 11-bit digits).

    The float bits, read as int64 with the magnitude bits of negative numbers flipped, order like
    the floats (``-0.0`` is made ``+0.0`` first, so equal values keep index order); the top digit
    has its sign bit flipped to order as unsigned. Digits on which all keys agree are skipped
    (float32 data converted to float64 skips its zero low bits). ``spare`` is scratch of the
    size of ``idx``. Signed int64 arithmetic throughout: it compiles three times faster than
    uint64.
    """
    n = values.shape[0]
    keys = (values + 0.0).view(np.int64)  # a copy: + 0.0 turns -0.0 into +0.0
    for i in range(n):
        if keys[i] < 0:
            keys[i] ^= 0x7FFFFFFFFFFFFFFF
    hist = np.zeros((6, 2048), dtype=np.int64)
    for i in range(n):
        k = keys[i]
        for d in range(5):
            hist[d, (k >> (11 * d)) & 2047] += 1
        hist[5, ((k >> 55) & 511) ^ 256] += 1
    for i in range(n):
        idx[i] = i
    other = np.empty(n, dtype=np.int64)
    swapped = False
    for d in range(6):
        src_keys, dst_keys = (other, keys) if swapped else (keys, other)
        src_idx, dst_idx = (spare, idx) if swapped else (idx, spare)
        shift = 11 * d
        k = src_keys[0]
        first = (k >> shift) & 2047 if d < 5 else ((k >> 55) & 511) ^ 256
        if hist[d, first] == n:
            continue  # one bucket: this digit does not reorder
        total = 0
        for b in range(2048):
            c = hist[d, b]
            hist[d, b] = total
            total += c
        for i in range(n):
            k = src_keys[i]
            b = (k >> shift) & 2047 if d < 5 else ((k >> 55) & 511) ^ 256
            pos = hist[d, b]
            hist[d, b] = pos + 1
            dst_keys[pos] = k
            dst_idx[pos] = src_idx[i]
        swapped = not swapped
    if swapped:
        for i in range(n):
            idx[i] = spare[i]


@kernel
def _root(parent: np.ndarray, x: int) -> int:
    """Union-find root with path halving."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@kernel
def _counting_pass(perm: np.ndarray, key: np.ndarray, m: int, hist: np.ndarray, out: np.ndarray):
    """Stable counting sort of ``perm[:m]`` by ``key[perm[i]]`` into ``out[:m]``."""
    hist[:] = 0
    for i in range(m):
        hist[key[perm[i]] + 1] += 1
    for b in range(hist.shape[0] - 1):
        hist[b + 1] += hist[b]
    for i in range(m):
        k = key[perm[i]]
        out[hist[k]] = perm[i]
        hist[k] += 1


@kernel
def _sort_pairs(
    pairs: np.ndarray, start: int, end: int, base: int, vclass: np.ndarray, hist: np.ndarray
) -> None:
    """Sort the pairs ``pairs[2 start:2 end]`` (flat ``base + pixel``) by birth value, death value
    and birth pixel, stably (the order of :func:`._cell_complex.assemble_diagrams`), in place.

    ``vclass`` numbers the distinct pixel values in increasing order, so three counting passes
    (least significant key first) do it in linear time.
    """

    m = end - start
    if m < 2:
        return
    kp = np.empty(m, dtype=np.int64)
    kd = np.empty(m, dtype=np.int64)
    kb = np.empty(m, dtype=np.int64)
    for i in range(m):
        b = pairs[2 * (start + i)] - base
        kp[i] = b
        kb[i] = vclass[b]
        kd[i] = vclass[pairs[2 * (start + i) + 1] - base]
    perm = np.arange(m)
    tmp = np.empty(m, dtype=np.int64)
    _counting_pass(perm, kp, m, hist, tmp)
    _counting_pass(tmp, kd, m, hist, perm)
    _counting_pass(perm, kb, m, hist, tmp)
    old = pairs[2 * start : 2 * end].copy()
    for i in range(m):
        pairs[2 * (start + i)] = old[2 * tmp[i]]
        pairs[2 * (start + i) + 1] = old[2 * tmp[i] + 1]


@kernel
def grid_pairs_2d(
    pixels: np.ndarray, height: int, width: int, top_cells: bool, with_top: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`grid_pairs` for 2-D images, on the pixel grid itself.

    One stable sort of the pixels, then two union-find sweeps per image:

    * dimension 0, by increasing value: a pixel joins its earlier 4-neighbours (``V``: the edges
      it completes) or 8-neighbours (``T``: pixels sharing a corner vertex are connected once both
      are present); the younger root dies at the pixel (elder rule);
    * dimension 1 by Alexander duality, by decreasing value, on the top cells and the outside:
      ``V``: the 2x2 squares (value: their latest pixel), joined across the edge of a pixel and an
      earlier 4-neighbour; ``T``: the pixels, joined to their later 4-neighbours and, on the
      border, to the outside. The younger root (the outside is the eldest) is the death of the
      class born at the edge's pixel.

    The sweeps work on the image padded by one pixel of rank ``n_pix`` on every side (never
    present by increasing value, always present and part of the outside by decreasing value), so
    no neighbour needs a bounds check. Pairs whose two pixels have equal values are left out; the
    others come sorted per image by birth value, death value and birth pixel (see
    :func:`_sort_pairs`). Returns ``(pairs0, ess0, pairs_top)`` as in :func:`grid_pairs`.
    """
    n_items, n_pix = pixels.shape
    pairs0 = np.empty(2 * n_items * n_pix, dtype=np.int64)
    ess0 = np.empty(n_items * n_pix, dtype=np.int64)
    pairs_top = np.empty(2 * n_items * n_pix, dtype=np.int64)
    m0 = 0
    me = 0
    mt = 0
    wp = width + 2
    n_pad = (height + 2) * wp
    # int32 working arrays: the sweeps visit pixels in value order (random places in the image),
    # so they are bound by memory latency; half-size arrays stay in cache longer
    order = np.empty(n_pix, dtype=np.int32)
    spare = np.empty(n_pix, dtype=np.int32)
    porder = np.empty(n_pix, dtype=np.int32)  # order as padded indices
    rank = np.full(n_pad, n_pix, dtype=np.int32)
    parent = np.empty(n_pad, dtype=np.int32)
    sq_key = np.empty(n_pad, dtype=np.int32)
    vclass = np.empty(n_pad, dtype=np.int32)  # distinct values numbered in increasing order
    vpix = np.empty(n_pix, dtype=np.int32)  # the same by pixel index
    orig = np.empty(n_pad, dtype=np.int64)  # padded index -> pixel index
    for i in range(height):
        for j in range(width):
            orig[(i + 1) * wp + j + 1] = i * width + j
    hist = np.empty(n_pix + 1, dtype=np.int64)
    nb8 = np.array([-wp, wp, -1, 1, -wp - 1, -wp + 1, wp - 1, wp + 1])
    # dimension 0 visits the neighbours around the ring; for T (8-neighbours) two present
    # neighbours next to each other on the ring touch, so they are in one component already
    if top_cells:
        ring = np.array([-wp, -wp + 1, 1, wp + 1, wp, wp - 1, -1, -wp - 1])
    else:
        ring = np.array([-wp, 1, wp, -1])
    out_node = 0  # the padded corner: the outside of the dual sweeps (rank n_pix, the eldest)
    for item in range(n_items):
        base = item * n_pix
        val = pixels[item]
        _radix_argsort(val, order, spare)
        prev = -1
        cls = -1
        for r in range(n_pix):
            q = order[r]
            pq = (q // width + 1) * wp + q % width + 1
            porder[r] = pq
            rank[pq] = r
            if prev < 0 or val[q] != val[prev]:
                cls += 1
            vclass[pq] = cls
            vpix[q] = cls
            prev = q
        start0 = m0
        start_top = mt
        # dimension 0: roots are the oldest pixels of their components
        for r in range(n_pix):
            p = porder[r]
            parent[p] = p
            root = p
            joined = False  # the previous ring neighbour is present (T only)
            for t in range(ring.shape[0]):
                q = p + ring[t]
                if rank[q] > r:
                    joined = False
                    continue  # later, or padding
                if joined:
                    continue
                joined = top_cells
                b = _root(parent, q)
                if b == root:
                    continue
                if rank[b] < rank[root]:
                    parent[root] = b  # p's component is the younger: it dies at p
                    if root != p and vclass[root] < vclass[p]:
                        pairs0[2 * m0] = base + orig[root]
                        pairs0[2 * m0 + 1] = base + orig[p]
                        m0 += 1
                    root = b
                else:
                    parent[b] = root
                    if vclass[b] < vclass[p]:
                        pairs0[2 * m0] = base + orig[b]
                        pairs0[2 * m0 + 1] = base + orig[p]
                        m0 += 1
        _sort_pairs(pairs0, start0, m0, base, vpix, hist)
        for r in range(n_pix):
            p = porder[r]
            if parent[p] == p:
                ess0[me] = base + orig[p]
                me += 1
        if not with_top:
            continue
        if top_cells:  # the dual: pixels, the padding being the outside
            for p in range(n_pad):
                parent[p] = out_node if rank[p] == n_pix else p
            for r in range(n_pix - 1, -1, -1):
                p = porder[r]
                root = p
                for t in range(4):
                    q = p + nb8[t]
                    if rank[q] < r:
                        continue  # not present yet
                    b = _root(parent, q)
                    if b == root:
                        continue
                    if rank[b] > rank[root]:
                        parent[root] = b  # p's component is the younger: it dies
                        if root != p and vclass[p] < vclass[root]:
                            pairs_top[2 * mt] = base + orig[p]
                            pairs_top[2 * mt + 1] = base + orig[root]
                            mt += 1
                        root = b
                    else:
                        parent[b] = root
                        if vclass[p] < vclass[b]:
                            pairs_top[2 * mt] = base + orig[p]
                            pairs_top[2 * mt + 1] = base + orig[b]
                            mt += 1
        else:
            mt = _dual_squares(
                pairs_top, mt, base, porder, rank, parent, sq_key, vclass, orig, nb8, height, width
            )
        _sort_pairs(pairs_top, start_top, mt, base, vpix, hist)
    return pairs0[: 2 * m0], ess0[:me], pairs_top[: 2 * mt]


@kernel
def _dual_squares(
    pairs_top: np.ndarray,
    mt: int,
    base: int,
    porder: np.ndarray,
    rank: np.ndarray,
    parent: np.ndarray,
    sq_key: np.ndarray,
    vclass: np.ndarray,
    orig: np.ndarray,
    nb8: np.ndarray,
    height: int,
    width: int,
) -> int:
    """Dimension 1 of construction ``V`` (see :func:`grid_pairs_2d`); returns the new ``mt``."""
    wp = width + 2
    n_pix = porder.shape[0]
    out_node = 0
    # the dual nodes are the squares, square (i, j) (pixels i..i+1, j..j+1, i and j from
    # -1) stored at the padded index of pixel (i, j); squares touching the padding have key
    # n_pix and are the outside
    for i in range(height + 1):
        for j in range(width + 1):
            p = i * wp + j
            k = max(rank[p], rank[p + 1], rank[p + wp], rank[p + wp + 1])
            sq_key[p] = k
            parent[p] = out_node if k == n_pix else p
    for r in range(n_pix - 1, -1, -1):
        p = porder[r]
        for t in range(4):
            q = p + nb8[t]
            if rank[q] > r:
                continue  # the edge (p, q) enters after p, or q is padding
            if t == 0:  # edge to the pixel above: squares up-left and up
                s1 = p - wp - 1
                s2 = p - wp
            elif t == 1:  # below: squares left and p's own
                s1 = p - 1
                s2 = p
            elif t == 2:  # left: squares up-left and left
                s1 = p - wp - 1
                s2 = p - 1
            else:  # right: squares up and p's own
                s1 = p - wp
                s2 = p
            a = _root(parent, s1)
            b = _root(parent, s2)
            if a == b:
                continue
            if sq_key[a] > sq_key[b]:
                a, b = b, a
            parent[a] = b  # a, the younger square, dies; the class is born at p
            death = porder[sq_key[a]]
            if vclass[p] < vclass[death]:
                pairs_top[2 * mt] = base + orig[p]
                pairs_top[2 * mt + 1] = base + orig[death]
                mt += 1
    return mt
