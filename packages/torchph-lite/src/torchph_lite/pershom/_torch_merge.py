"""Dimension 0 of cubical complexes with torch ops only: the device path (CUDA, or any device).

The pixels are ranked once (a sort); every vertex and edge is represented by the pixel that gives
it its value (as in :mod:`._grid_kernels`), so keys are ranks. Then:

1. Vertices that enter together with an edge to an older neighbour (a zero-length class: every
   non-minimum of a lower-star filtration) are attached to that neighbour, and the trees are
   flattened by pointer jumping: what remains are the basins of the local minima.
2. Rounds of merges: every component finds its cheapest outgoing edge; a component whose
   cheapest edge leads to an older component dies at that edge (no other merge of it can come
   earlier), provided no component merges into it in the same round (its cheapest edge would no
   longer be its own). The oldest component of each image survives (the essential class).

Each round is a few scatter/gather ops over the remaining edges; the number of rounds is small
in practice (it shrinks with the number of local minima). The pairs are identical to the numba
path's as values (the tests pin this on CPU tensors).
"""

from __future__ import annotations

import torch

from ._cell_complex import Diagram


def cubical_h0_torch(
    imgs: list[torch.Tensor], construction: str, superlevel: bool
) -> list[Diagram]:
    """Dimension-0 diagrams of a list of 2-D/3-D images (``max_dimension=0``), on their device."""
    source = imgs[0].reshape(-1) if len(imgs) == 1 else torch.cat([t.reshape(-1) for t in imgs])
    device = source.device
    starts = [0]
    for t in imgs:
        starts.append(starts[-1] + t.numel())
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, t in enumerate(imgs):
        groups.setdefault(tuple(t.shape), []).append(i)
    births, deaths, ess = [], [], []
    for shape, members in groups.items():
        stack = torch.stack([imgs[i].detach() for i in members]).to(torch.float64)
        g = -stack if superlevel else stack
        offset = torch.tensor([starts[i] for i in members], device=device)
        b, d, e = _group_pairs(g, construction == "T")
        births.append(b + offset[:, None])  # flat pixel indices into ``source``, per item rows
        deaths.append(d + offset[:, None])
        ess.append(e + offset[:, None])
        del shape
    return _assemble(source, births, deaths, ess, starts, superlevel)


def _group_pairs(
    g: torch.Tensor, top_cells: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Birth/death pixels of the finite pairs and the essential pixels of a batch of images.

    Returns ``(B, P)`` tensors padded with ``-1`` (``P`` the largest count in the batch) for
    births and deaths, and ``(B, 1)`` for the essential pixel of each image.
    """
    n_items = g.shape[0]
    n_pix = g[0].numel()
    device = g.device
    order = torch.argsort(g.reshape(n_items, -1), dim=1, stable=True)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(n_pix, device=device).expand(n_items, -1))
    rank = rank.reshape(g.shape)
    vkey, edges = _graph(rank, top_cells, n_pix)  # (B, V), list of (u, v, key) (B, E_a)
    n_v = vkey.shape[1]
    eu = torch.cat([u for u, _, _ in edges], 1)
    ev = torch.cat([v for _, v, _ in edges], 1)
    ekey = torch.cat([k for _, _, k in edges], 1)
    n_e = eu.shape[1]
    # one flat graph for the whole batch: vertex ids item * V + v
    shift_v = (torch.arange(n_items, device=device) * n_v)[:, None]
    eu = (eu + shift_v).reshape(-1)
    ev = (ev + shift_v).reshape(-1)
    eid = torch.arange(n_e, device=device).expand(n_items, -1)
    # strict total orders: vertices by (key, id), edges by (key, id)
    # (unique over the batch too: items are offset)
    item_span = (n_pix + 1) * n_v
    vage = (vkey * n_v + torch.arange(n_v, device=device) + shift_v * (item_span // n_v)).reshape(
        -1
    )
    eorder = (ekey * n_e + eid).reshape(-1)
    epix = ekey.reshape(-1)
    n_total = n_items * n_v
    label = torch.arange(n_total, device=device)
    # 1. zero-length merges: a vertex whose edge enters with it (same key) to an older neighbour
    big = torch.iinfo(torch.int64).max
    vkey_flat = vkey.reshape(-1)
    parent_age = torch.full((n_total,), big, device=device)
    for a, b in ((eu, ev), (ev, eu)):
        ok = (epix == vkey_flat[a]) & (vage[b] < vage[a])
        parent_age.scatter_reduce_(0, a[ok], vage[b[ok]], "amin")
    has = parent_age < big
    # the neighbour with that age (ages are unique)
    sorted_age, by_age = torch.sort(vage)
    found = torch.searchsorted(sorted_age, parent_age.clamp(max=int(sorted_age[-1])))
    parent = torch.where(has, by_age[found], label)
    while True:
        nxt = parent[parent]
        if torch.equal(nxt, parent):
            break
        parent = nxt
    label = parent
    # 2. rounds of elder-rule merges
    birth_v, death_e = [], []
    eu_c, ev_c, eo_c, idx_c = eu, ev, eorder, torch.arange(eu.shape[0], device=device)
    while True:
        cu, cv = label[eu_c], label[ev_c]
        cross = cu != cv
        eu_c, ev_c, eo_c, idx_c = eu_c[cross], ev_c[cross], eo_c[cross], idx_c[cross]
        cu, cv = cu[cross], cv[cross]
        if eu_c.shape[0] == 0:
            break
        best = torch.full((n_total,), big, device=device)
        best.scatter_reduce_(0, cu, eo_c, "amin")
        best.scatter_reduce_(0, cv, eo_c, "amin")
        target = torch.full((n_total,), -1, device=device, dtype=torch.int64)
        via = torch.full((n_total,), -1, device=device, dtype=torch.int64)
        for c, other in ((cu, cv), (cv, cu)):
            mine = eo_c == best[c]
            target[c[mine]] = other[mine]
            via[c[mine]] = idx_c[mine]
        comps = torch.nonzero(target >= 0).reshape(-1)
        hook = comps[vage[target[comps]] < vage[comps]]
        incoming = torch.zeros(n_total, dtype=torch.bool, device=device)
        incoming[target[hook]] = True
        hook = hook[~incoming[hook]]
        birth_v.append(hook)
        death_e.append(via[hook])
        new_parent = torch.arange(n_total, device=device)
        new_parent[hook] = target[hook]
        label = new_parent[label]
    roots = torch.nonzero(label == torch.arange(n_total, device=device)).reshape(-1)
    bv = torch.cat(birth_v) if birth_v else roots[:0]
    de = torch.cat(death_e) if death_e else roots[:0]
    # pixels: a vertex's / edge's key is the rank of its pixel; item from the vertex id
    item_b = bv // n_v
    bpix = order[item_b, vkey_flat[bv]]
    dpix = order[item_b, epix[de]]
    item_r = roots // n_v
    rpix = order[item_r, vkey_flat[roots]]
    return _pad(bpix, item_b, n_items), _pad(dpix, item_b, n_items), _pad(rpix, item_r, n_items)


def _pad(values: torch.Tensor, items: torch.Tensor, n_items: int) -> torch.Tensor:
    """``(B, P)`` rows of ``values`` grouped by item (stable), padded with ``-1``."""
    order = torch.argsort(items, stable=True)
    values, items = values[order], items[order]
    counts = torch.bincount(items, minlength=n_items)
    width = int(counts.max()) if counts.numel() else 0
    out = torch.full((n_items, width), -1, dtype=torch.int64, device=values.device)
    starts = torch.cumsum(counts, 0) - counts
    col = torch.arange(values.shape[0], device=values.device) - starts[items]
    out[items, col] = values
    return out


def _graph(
    rank: torch.Tensor, top_cells: bool, n_pix: int
) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]]:
    """Vertex keys ``(B, V)`` and per-axis edges ``(u, v, key)`` of the cubical complex."""
    n_items = rank.shape[0]
    d = rank.dim() - 1
    if not top_cells:
        vgrid = rank  # V: pixels are the vertices, an edge takes its later vertex
        ids = torch.arange(vgrid[0].numel(), device=rank.device).reshape(vgrid.shape[1:])
        edges = []
        for a in range(d):
            n = vgrid.shape[a + 1]
            lo = vgrid.narrow(a + 1, 0, n - 1)
            hi = vgrid.narrow(a + 1, 1, n - 1)
            key = torch.maximum(lo, hi).reshape(n_items, -1)
            u = ids.narrow(a, 0, n - 1).reshape(-1).expand(n_items, -1)
            v = ids.narrow(a, 1, n - 1).reshape(-1).expand(n_items, -1)
            edges.append((u, v, key))
        return vgrid.reshape(n_items, -1), edges
    # T: vertices are the corners; a cell takes its earliest adjacent pixel
    padded = torch.nn.functional.pad(rank, (1, 1) * d, value=n_pix)  # outside: never earliest
    vgrid = padded
    for a in range(d):  # corners: min over the 2^d pixels around them
        n = vgrid.shape[a + 1]
        vgrid = torch.minimum(vgrid.narrow(a + 1, 0, n - 1), vgrid.narrow(a + 1, 1, n - 1))
    ids = torch.arange(vgrid[0].numel(), device=rank.device).reshape(vgrid.shape[1:])
    edges = []
    for a in range(d):
        # an edge along a between corners c and c + e_a touches pixel c_a along a and the two
        # pixels around it along the other axes
        key = padded.narrow(a + 1, 1, padded.shape[a + 1] - 2)
        for b in range(d):
            if b != a:
                n = key.shape[b + 1]
                key = torch.minimum(key.narrow(b + 1, 0, n - 1), key.narrow(b + 1, 1, n - 1))
        n = ids.shape[a]
        u = ids.narrow(a, 0, n - 1).reshape(-1).expand(n_items, -1)
        v = ids.narrow(a, 1, n - 1).reshape(-1).expand(n_items, -1)
        edges.append((u, v, key.reshape(n_items, -1)))
    return vgrid.reshape(n_items, -1), edges


def _assemble(
    source: torch.Tensor,
    births: list[torch.Tensor],
    deaths: list[torch.Tensor],
    ess: list[torch.Tensor],
    starts: list[int],
    superlevel: bool,
) -> list[Diagram]:
    """Gather values, drop zero-length pairs, sort as the numba path does, split per image."""
    bp = torch.cat([t.reshape(-1) for t in births])
    dp = torch.cat([t.reshape(-1) for t in deaths])
    ep = torch.cat([t.reshape(-1) for t in ess])
    bp, dp = bp[bp >= 0], dp[dp >= 0]
    ep = ep[ep >= 0]
    sign = -1.0 if superlevel else 1.0
    key_src = source.detach().to(torch.float64) * sign
    vb, vd = key_src[bp], key_src[dp]
    keep = vb < vd
    bp, dp, vb, vd = bp[keep], dp[keep], vb[keep], vd[keep]
    bounds = torch.tensor(starts, device=source.device)
    item = torch.bucketize(bp, bounds, right=True) - 1
    order = _lexsort([bp, vd, vb, item])
    bp, dp, item = bp[order], dp[order], item[order]
    e_item = torch.bucketize(ep, bounds, right=True) - 1
    e_order = _lexsort([ep, key_src[ep], e_item])
    ep, e_item = ep[e_order], e_item[e_order]
    n_items = len(starts) - 1
    pair_counts = torch.bincount(item, minlength=n_items).tolist()
    ess_counts = torch.bincount(e_item, minlength=n_items).tolist()
    pairs = torch.stack((source[bp], source[dp]), 1).split(pair_counts)
    births_out = source[ep].split(ess_counts)
    return [([pairs[i]], [births_out[i]]) for i in range(n_items)]


def _lexsort(keys: list[torch.Tensor]) -> torch.Tensor:
    """Indices sorting by the last key, then the previous ones (as ``numpy.lexsort``)."""
    order = torch.arange(keys[0].shape[0], device=keys[0].device)
    for k in keys:
        order = order[torch.argsort(k[order], stable=True)]
    return order
