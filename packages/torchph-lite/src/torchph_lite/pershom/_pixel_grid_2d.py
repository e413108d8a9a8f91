"""Numba kernel for 2-D images: dimensions 0 and 1 straight on the pixel grid.

One stable sort of the pixels, then two union-find sweeps per image (no cell complex, no
per-cell keys):

* dimension 0, by increasing value: a pixel joins its earlier 4-neighbours (construction ``V``:
  the edges it completes) or 8-neighbours (``T``: pixels sharing a corner vertex are connected
  once both are present); the younger root dies at the pixel (elder rule);
* dimension 1 by Alexander duality, by decreasing value, on the top cells and the outside:
  ``V``: the 2x2 squares (value: their latest pixel), joined across the edge of a pixel and an
  earlier 4-neighbour; ``T``: the pixels, joined to their later 4-neighbours and, on the border,
  to the outside. The younger root (the outside is the eldest) is the death of the class born at
  the edge's pixel.

Everything works in rank space (the position of a pixel in the sorted order) on the image padded
by one pixel on every side, so no neighbour needs a bounds check. A union-find root holds
``-(rank + 1)`` and every other node its parent, so a neighbour's presence, its root and the
root's age come from one array that stays in cache. Pixels of equal value form a *value class*
(a run of ranks); a pair is kept when its birth and death lie in different classes.
"""

from __future__ import annotations

import threading

import numpy as np

from ._jit import kernel

__all__ = ["grid_pairs_2d", "pixel_grid_pairs"]


@kernel
def _radix_argsort(
    values: np.ndarray, idx: np.ndarray, spare: np.ndarray, keys: np.ndarray, other: np.ndarray
) -> None:
    """``idx`` := the stable argsort of the float64 ``values`` (LSD radix sort, 11-bit digits).

    The float bits, read as int64 with the magnitude bits of negative numbers flipped, order like
    the floats (``-0.0`` counts as ``+0.0``, so equal values keep index order); the top digit
    has its sign bit flipped to order as unsigned. Digits on which all keys agree are skipped
    (float32 data converted to float64 skips its zero low bits). ``spare`` (int32) and ``keys``,
    ``other`` (int64) are scratch of the size of ``idx``. Signed int64 arithmetic throughout: it
    compiles three times faster than uint64.
    """
    n = values.shape[0]
    bits = values.view(np.int64)
    for i in range(n):
        b = bits[i]
        if b < 0:  # negative: flip the magnitude bits; -0.0 (the smallest int64) becomes +0.0
            b = 0 if b == -0x7FFFFFFFFFFFFFFF - 1 else b ^ 0x7FFFFFFFFFFFFFFF
        keys[i] = b
    hist = np.zeros((6, 2048), dtype=np.int64)
    for i in range(n):
        k = keys[i]
        for d in range(5):
            hist[d, (k >> (11 * d)) & 2047] += 1
        hist[5, ((k >> 55) & 511) ^ 256] += 1
    for i in range(n):
        idx[i] = i
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
def _find_root(uf: np.ndarray, x: int) -> int:
    """Root of ``x`` in a union-find whose roots hold negative numbers (path halving)."""
    while True:
        p = uf[x]
        if p < 0:
            return x
        gp = uf[p]
        if gp < 0:
            return p
        uf[x] = gp
        x = gp


@kernel
def _value_classes(
    values: np.ndarray,
    order: np.ndarray,
    width: int,
    porder: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
) -> None:
    """Padded index of the pixel of every rank (``porder``) and the first and last rank of its
    value class (``first``, ``last``)."""
    n = order.shape[0]
    wp = width + 2
    for r in range(n):
        q = order[r]
        porder[r] = (q // width + 1) * wp + q % width + 1
        first[r] = first[r - 1] if r > 0 and values[q] == values[order[r - 1]] else r
    for r in range(n - 1, -1, -1):
        last[r] = last[r + 1] if r < n - 1 and first[r + 1] == first[r] else r


@kernel
def _sweep_pixels(
    porder: np.ndarray,
    class_bound: np.ndarray,
    ring: np.ndarray,
    eight: bool,
    descending: bool,
    uf: np.ndarray,
    at: np.ndarray,
    root_ranks: np.ndarray,
) -> int:
    """Union-find over the pixels in rank order (``descending``: reversed), elder rule.

    ``uf`` comes initialised: ``len(uf)`` (absent) for the pixels, and the padding either absent
    too or joined to a root of rank ``n`` (the outside, eldest by decreasing values). ``ring``
    lists the neighbour offsets around a pixel in order; with ``eight`` two present neighbours
    next to each other on the ring touch, so they are in one component already and the second
    is skipped. Every merge of two classes of different value (``class_bound``: the first rank
    of each value class, or the last for ``descending``) is written as the rank at which it
    happens into ``at`` and the rank of the younger root into ``root_ranks``; returns their
    number.
    """
    n = porder.shape[0]
    absent = uf.shape[0]
    sign = -1 if descending else 1  # the elder of two ranks has the smaller sign * rank
    m = 0
    for step in range(n):
        r = n - 1 - step if descending else step
        p = porder[r]
        uf[p] = -(r + 1)
        root = p
        root_rank = r
        bound = sign * class_bound[r]
        joined = False  # the previous ring neighbour is present (eight only)
        for t in range(ring.shape[0]):
            q = p + ring[t]
            if uf[q] == absent:
                joined = False
                continue
            if joined:
                continue
            joined = eight
            b = _find_root(uf, q)
            if b == root:
                continue
            b_rank = -(uf[b] + 1)
            if sign * b_rank < sign * root_rank:  # p's component is the younger: it dies
                uf[root] = b
                young = root_rank
                root = b
                root_rank = b_rank
            else:
                uf[b] = root
                young = b_rank
            if sign * young < bound:
                at[m] = r
                root_ranks[m] = young
                m += 1
    return m


@kernel
def _sweep_dual_squares(
    porder: np.ndarray,
    last: np.ndarray,
    height: int,
    width: int,
    rank: np.ndarray,
    uf: np.ndarray,
    births: np.ndarray,
    deaths: np.ndarray,
) -> int:
    """Dimension 1 of construction ``V`` (see :func:`_sweep_dual_pixels`).

    ``rank`` receives the rank of every padded pixel (``n`` for the padding), ``uf`` is the
    union-find of the squares: square ``(i, j)`` (pixels ``i..i+1, j..j+1`` with ``i, j`` from
    -1) sits at the padded index of pixel ``(i, j)``, its value is its latest pixel, and squares
    touching the padding are the outside.
    """
    n = porder.shape[0]
    wp = width + 2
    for i in range(rank.shape[0]):
        rank[i] = n
    for r in range(n):
        rank[porder[r]] = r
    for i in range(height + 1):
        for j in range(width + 1):
            p = i * wp + j
            k = max(rank[p], rank[p + 1], rank[p + wp], rank[p + wp + 1])
            uf[p] = 0 if k == n else -(k + 1)
    uf[0] = -(n + 1)  # the corner square is the outside: the eldest
    # the edges of a pixel to its neighbours above, below, left, right, and the two squares
    # each edge separates
    nb4 = np.array([-wp, wp, -1, 1])
    side_a = np.array([-wp - 1, -1, -wp - 1, -wp])
    side_b = np.array([-wp, 0, -1, 0])
    m = 0
    for r in range(n - 1, -1, -1):
        p = porder[r]
        class_end = last[r]
        for t in range(4):
            if rank[p + nb4[t]] > r:
                continue  # the edge enters after p, or leads into the padding
            a = _find_root(uf, p + side_a[t])
            b = _find_root(uf, p + side_b[t])
            if a == b:
                continue
            a_key = -(uf[a] + 1)
            b_key = -(uf[b] + 1)
            if a_key > b_key:
                a, b = b, a
                a_key = b_key
            uf[a] = b  # a, the younger square, dies; the class is born at p
            if a_key > class_end:
                births[m] = r
                deaths[m] = a_key
                m += 1
    return m


@kernel
def _counting_pass(
    src_b: np.ndarray,
    src_d: np.ndarray,
    by_birth: bool,
    m: int,
    first: np.ndarray,
    dst_b: np.ndarray,
    dst_d: np.ndarray,
) -> None:
    """Stable counting sort of ``m`` pairs by the value class of their birth or death."""
    hist = np.zeros(first.shape[0] + 1, dtype=np.int64)
    for a in range(m):
        hist[first[src_b[a] if by_birth else src_d[a]] + 1] += 1
    for k in range(first.shape[0]):
        hist[k + 1] += hist[k]
    for a in range(m):
        k = first[src_b[a] if by_birth else src_d[a]]
        dst_b[hist[k]] = src_b[a]
        dst_d[hist[k]] = src_d[a]
        hist[k] += 1


@kernel
def _emit_sorted(
    births: np.ndarray,
    deaths: np.ndarray,
    m: int,
    first: np.ndarray,
    order: np.ndarray,
    base: int,
    out: np.ndarray,
    pos: int,
) -> int:
    """Write ``m`` pairs given in rank space, sorted by birth rank, to ``out`` as flat pixel
    indices ``base + pixel`` from pair ``pos`` on, in the diagram order (birth value, death value,
    birth pixel); returns the new ``pos``.

    Birth ranks order by value, then pixel (the sort is stable), so only runs of one birth value
    class need re-sorting, by death class: short runs by insertion, otherwise all pairs by two
    stable counting passes (linear time either way).
    """
    i = 0
    while i < m:
        j = i + 1
        while j < m and first[births[j]] == first[births[i]]:
            j += 1
        if j - i > 16:  # a long run: all pairs by death class, then stably by birth class
            tmp_b = np.empty(m, dtype=births.dtype)
            tmp_d = np.empty(m, dtype=deaths.dtype)
            _counting_pass(births, deaths, False, m, first, tmp_b, tmp_d)
            _counting_pass(tmp_b, tmp_d, True, m, first, births, deaths)
            break
        for a in range(i + 1, j):  # a short run: insertion by death class
            b_ = births[a]
            d_ = deaths[a]
            c = a - 1
            while c >= i and first[deaths[c]] > first[d_]:
                births[c + 1] = births[c]
                deaths[c + 1] = deaths[c]
                c -= 1
            births[c + 1] = b_
            deaths[c + 1] = d_
        i = j
    for a in range(m):
        out[2 * (pos + a)] = base + order[births[a]]
        out[2 * (pos + a) + 1] = base + order[deaths[a]]
    return pos + m


@kernel
def grid_pairs_2d(
    pixels: np.ndarray,
    height: int,
    width: int,
    top_cells: bool,
    with_top: bool,
    work32: np.ndarray,
    work64: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of dimensions 0 and 1 of a batch of 2-D images of one shape (see the module).

    Args:
        pixels: ``(B, height * width)`` sublevel values (float64, C-contiguous).
        height, width: the image shape.
        top_cells: construction ``T`` (pixels are top cells) instead of ``V``.
        with_top: also pair dimension 1.
        work32, work64: scratch, at least ``8 n + 2 (height + 2) (width + 2)`` int32 and
            ``2 n`` int64 for ``n = height * width``.

    Returns:
        ``(pairs0, ess0, pairs1)`` as flat pixel indices ``item * height * width + pixel``: the
        (birth, death) pixels of the pairs of dimension 0 (interleaved), the birth pixel of the
        one essential class of every image (its first minimum), and the pairs of dimension 1.
        Pairs whose pixels have equal values are left out; the others come sorted per image by
        birth value, death value and birth pixel.
    """
    n_items, n_pix = pixels.shape
    pairs0 = np.empty(2 * n_items * n_pix, dtype=np.int64)
    ess0 = np.empty(n_items, dtype=np.int64)
    pairs1 = np.empty(2 * n_items * n_pix if with_top else 0, dtype=np.int64)
    m0 = 0
    m1 = 0
    wp = width + 2
    n_pad = (height + 2) * wp
    order = work32[0:n_pix]
    spare = work32[n_pix : 2 * n_pix]
    porder = work32[2 * n_pix : 3 * n_pix]
    first = work32[3 * n_pix : 4 * n_pix]
    last = work32[4 * n_pix : 5 * n_pix]
    births = work32[5 * n_pix : 6 * n_pix]
    deaths = work32[6 * n_pix : 7 * n_pix]
    death_of = work32[7 * n_pix : 8 * n_pix]
    uf = work32[8 * n_pix : 8 * n_pix + n_pad]
    rank = work32[8 * n_pix + n_pad : 8 * n_pix + 2 * n_pad]
    keys = work64[0:n_pix]
    other = work64[n_pix : 2 * n_pix]
    if top_cells:
        ring = np.array([-wp, -wp + 1, 1, wp + 1, wp, wp - 1, -1, -wp - 1])
    else:
        ring = np.array([-wp, 1, wp, -1])
    nb4 = np.array([-wp, wp, -1, 1])
    for item in range(n_items):
        base = item * n_pix
        _radix_argsort(pixels[item], order, spare, keys, other)
        _value_classes(pixels[item], order, width, porder, first, last)
        # dimension 0: deaths come by increasing rank, births (each once) are sorted by a scatter
        for i in range(n_pad):
            uf[i] = n_pad
        m = _sweep_pixels(porder, first, ring, top_cells, False, uf, deaths, births)
        for r in range(n_pix):
            death_of[r] = -1
        for a in range(m):
            death_of[births[a]] = deaths[a]
        m = 0
        for r in range(n_pix):
            if death_of[r] >= 0:
                births[m] = r
                deaths[m] = death_of[r]
                m += 1
        m0 = _emit_sorted(births, deaths, m, first, order, base, pairs0, m0)
        ess0[item] = base + order[0]  # the grid is connected: one class, born at the minimum
        if not with_top:
            continue
        if top_cells:  # the dual graph: pixels and the padding, which is the outside
            for i in range(height + 2):
                for j in range(width + 2):
                    border = i == 0 or j == 0 or i == height + 1 or j == width + 1
                    uf[i * wp + j] = 0 if border else n_pad
            uf[0] = -(n_pix + 1)  # the padded corner: the outside's root, the eldest
            m = _sweep_pixels(porder, last, nb4, False, True, uf, births, deaths)
        else:
            m = _sweep_dual_squares(porder, last, height, width, rank, uf, births, deaths)
        for a in range(m // 2):  # by increasing birth rank
            births[a], births[m - 1 - a] = births[m - 1 - a], births[a]
            deaths[a], deaths[m - 1 - a] = deaths[m - 1 - a], deaths[a]
        m1 = _emit_sorted(births, deaths, m, first, order, base, pairs1, m1)
    return pairs0[: 2 * m0], ess0, pairs1[: 2 * m1]


def pixel_grid_pairs(
    pixels: np.ndarray, height: int, width: int, top_cells: bool, with_top: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`grid_pairs_2d` with this thread's scratch memory (see :func:`_workspace`)."""
    work32, work64 = _workspace(height, width)
    return grid_pairs_2d(pixels, height, width, top_cells, with_top, work32, work64)


_SCRATCH = threading.local()
#: the largest image (in pixels) whose scratch memory (56 bytes a pixel) is kept between calls:
#: 1024 x 1024, 56 MB
_KEEP_PIXELS = 1 << 20


def _workspace(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Scratch arrays for :func:`grid_pairs_2d`, kept per thread for the next call.

    Freshly allocated scratch of a few MB costs a page fault per 4 kB on every call (the
    allocator hands large blocks back to the system), which made up a fifth of the time.
    """
    n32 = 8 * height * width + 2 * (height + 2) * (width + 2)
    n64 = 2 * height * width
    kept = getattr(_SCRATCH, "arrays", None)
    if kept is not None and kept[0].shape[0] >= n32 and kept[1].shape[0] >= n64:
        return kept
    arrays = (np.empty(n32, dtype=np.int32), np.empty(n64, dtype=np.int64))
    if height * width <= _KEEP_PIXELS:
        _SCRATCH.arrays = arrays
    return arrays
