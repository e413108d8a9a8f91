"""Persistence of a filtered cell complex given cell by cell, and diagrams gathered from the input.

A :class:`CellComplex` is what :mod:`.lower_star` and :mod:`.cubical` build: the cells of every
dimension with their (sublevel) values, the input entry each value comes from, and the faces.
:func:`persistence_pairs` pairs the cells (union-find in dimension 0, Z/2 reduction with clearing
above it, union-find on the dual graph for the top dimension of a cubical grid) and
:func:`gather_diagrams` turns the pairs into per-input ``(non_essential, essential)`` lists whose
values are gathered from the input tensor, so gradients flow to it.

Filtration order: cells by value, faces before cofaces on ties (a face's value never exceeds its
coface's), then by cell id within a dimension. Only the order within one dimension is ever used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._reduction import reduce_columns, union_find_pairs

Diagram = tuple[list[torch.Tensor], list[torch.Tensor]]


@dataclass
class CellComplex:
    """A filtered cell complex (a disjoint union of one complex per input).

    Attributes:
        values: per dimension, ``(m_k,)`` float64 sublevel values of the cells.
        reps: per dimension, ``(m_k,)`` index of the input entry each value is gathered from.
        items: per dimension, ``(m_k,)`` input (batch item) of each cell.
        faces: per dimension ``k >= 1``, ``(m_k, f_k)`` ids of the ``(k-1)``-cells in the
            boundary (``faces[0]`` is unused).
        top_facets: ``None``, or ``(m_{d-1}, 2)`` ids of the top cells adjacent to each facet,
            ``-1`` for the outside: the top dimension ``d`` is then paired by duality (the complex
            is a full grid in :math:`R^d`) and ``faces[d]`` is not needed.
    """

    values: list[np.ndarray]
    reps: list[np.ndarray]
    items: list[np.ndarray]
    faces: list[np.ndarray | None]
    top_facets: np.ndarray | None = None

    @property
    def top(self) -> int:
        return len(self.values) - 1


@dataclass
class CellPairs:
    """Per dimension ``k``: (birth ``k``-cell, death ``(k+1)``-cell) pairs, essential cells."""

    births: list[np.ndarray]
    deaths: list[np.ndarray]
    essential: list[np.ndarray]


def _ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(values, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return order, rank


def persistence_pairs(cx: CellComplex, max_dim: int) -> CellPairs:
    """Pair the cells of ``cx`` in dimensions ``0..max_dim`` (cells of dimension ``<= top``)."""
    top = cx.top
    orders, ranks = zip(*(_ranks(v) for v in cx.values))
    births: list[np.ndarray] = [np.zeros(0, np.int64)] * (top + 1)
    deaths: list[np.ndarray] = [np.zeros(0, np.int64)] * (top + 1)
    negative = [np.zeros(v.shape[0], dtype=bool) for v in cx.values]
    cleared = [np.zeros(v.shape[0], dtype=bool) for v in cx.values]
    for k in range(top, 0, -1):
        order = orders[k]
        if k == top and cx.top_facets is not None:
            # dual graph: top cells are nodes (older = larger value), facets enter by decreasing
            # value; the outside is the eldest node
            m_top = cx.values[k].shape[0]
            age = np.append(-ranks[k], -(m_top + 1)).astype(np.int64)
            desc = orders[k - 1][::-1]
            ends = cx.top_facets[desc]
            ends = np.where(ends < 0, m_top, ends)
            killed = union_find_pairs(
                age, np.ascontiguousarray(ends[:, 0]), np.ascontiguousarray(ends[:, 1])
            )
            hit = killed >= 0
            births[k - 1] = desc[hit]
            deaths[k - 1] = killed[hit]
            cleared[k - 1][desc[hit]] = True
            negative[k][killed[hit]] = True
        elif k == 1:
            ends = cx.faces[1][order]
            killed = union_find_pairs(
                ranks[0].astype(np.int64),
                np.ascontiguousarray(ends[:, 0]),
                np.ascontiguousarray(ends[:, 1]),
            )
            hit = killed >= 0
            births[0] = killed[hit]
            deaths[0] = order[hit]
            negative[1][order[hit]] = True
        else:
            cols = order[~cleared[k][order]]
            faces = cx.faces[k]
            assert faces is not None
            n_faces = faces.shape[1]
            ptr = np.arange(cols.shape[0] + 1, dtype=np.int64) * n_faces
            rows = ranks[k - 1][faces[cols]].reshape(-1).astype(np.int64)
            pivots = reduce_columns(ptr, rows, cx.values[k - 1].shape[0])
            hit = pivots >= 0
            births[k - 1] = orders[k - 1][pivots[hit]]
            deaths[k - 1] = cols[hit]
            negative[k][cols[hit]] = True
            cleared[k - 1][births[k - 1]] = True
    essential = []
    for k in range(min(max_dim, top) + 1):
        unpaired = ~negative[k]
        unpaired[births[k]] = False
        essential.append(np.flatnonzero(unpaired))
    return CellPairs(list(births), list(deaths), essential)


def gather_diagrams(
    cx: CellComplex,
    pairs: CellPairs,
    source: torch.Tensor,
    n_items: int,
    max_dim: int,
) -> list[Diagram]:
    """Per-item diagrams with values gathered from ``source`` (the flattened input values).

    See :func:`assemble_diagrams` for the order and the dropped pairs.
    """
    fin = []
    ess = []
    for k in range(min(max_dim, cx.top - 1) + 1):
        b, d = pairs.births[k], pairs.deaths[k]
        fin.append(
            Records(
                k,
                cx.items[k][b],
                cx.values[k][b],
                cx.values[k + 1][d],
                b,
                cx.reps[k][b],
                cx.reps[k + 1][d],
            )
        )
    for k in range(min(max_dim, cx.top) + 1):
        e = pairs.essential[k]
        ess.append(Records(k, cx.items[k][e], cx.values[k][e], None, e, cx.reps[k][e], None))
    return assemble_diagrams(fin, ess, source, n_items, max_dim)


@dataclass
class Records:
    """Pairs (or essential classes) of one dimension, one entry per class."""

    dim: int
    items: np.ndarray
    birth_values: np.ndarray
    death_values: np.ndarray | None
    tie: np.ndarray  # filtration position (or id) of the birth cell: the last sort key
    birth_src: np.ndarray
    death_src: np.ndarray | None
    #: the pairs are of positive length and sorted already within each item (kernel order)
    presorted: bool = False


def assemble_diagrams(
    finite: list[Records],
    essential: list[Records],
    source: torch.Tensor,
    n_items: int,
    max_dim: int,
) -> list[Diagram]:
    """Per-item ``(non_essential, essential)`` lists, values gathered from ``source`` at once.

    Pairs of length zero are dropped. Within a dimension, pairs are sorted by birth value, then
    death value, then the birth cell; essential births ascend (ties by birth cell). Values are in
    the sublevel sense (for a superlevel filtration the caller negated them, so the order is by
    decreasing input value).
    """
    index_parts: list[np.ndarray] = []
    pair_counts = np.zeros((max_dim + 1, n_items), dtype=np.int64)
    ess_counts = np.zeros((max_dim + 1, n_items), dtype=np.int64)
    for r in finite:
        assert r.death_values is not None
        assert r.death_src is not None
        if r.presorted:  # only the items' order is left to do (several groups of shapes)
            monotone = r.items.shape[0] < 2 or bool((r.items[1:] >= r.items[:-1]).all())
            sel = np.arange(r.items.shape[0]) if monotone else np.argsort(r.items, kind="stable")
        else:
            keep = r.birth_values < r.death_values
            order = np.lexsort(
                (r.tie[keep], r.death_values[keep], r.birth_values[keep], r.items[keep])
            )
            sel = np.flatnonzero(keep)[order]
        index_parts.append(np.stack((r.birth_src[sel], r.death_src[sel]), 1).reshape(-1))
        pair_counts[r.dim] = np.bincount(r.items[sel], minlength=n_items)
    for r in essential:
        order = np.lexsort((r.tie, r.birth_values, r.items))
        index_parts.append(r.birth_src[order])
        ess_counts[r.dim] = np.bincount(r.items, minlength=n_items)
    index = np.concatenate(index_parts) if index_parts else np.zeros(0, np.int64)
    return split_diagrams(source, index, pair_counts, ess_counts)


def split_diagrams(
    source: torch.Tensor, index: np.ndarray, pair_counts: np.ndarray, ess_counts: np.ndarray
) -> list[Diagram]:
    """Gather ``source[index]`` once and cut it into per-item diagrams.

    ``index`` holds the (birth, death) indices of all pairs (interleaved), dimension by dimension
    and item by item within a dimension, then the births of the essential classes in the same
    order; ``pair_counts`` and ``ess_counts`` (``(max_dim + 1, n_items)``) say how many of each.
    """
    n_dims, n_items = pair_counts.shape
    n_pair_values = int(2 * pair_counts.sum())
    values = source.index_select(0, torch.from_numpy(index).to(source.device))
    pair_chunks = values[:n_pair_values].view(-1, 2).split(pair_counts.reshape(-1).tolist())
    birth_chunks = values[n_pair_values:].split(ess_counts.reshape(-1).tolist())
    max_dim = n_dims - 1
    return [
        (
            [pair_chunks[k * n_items + i] for k in range(max_dim + 1)],
            [birth_chunks[k * n_items + i] for k in range(max_dim + 1)],
        )
        for i in range(n_items)
    ]
