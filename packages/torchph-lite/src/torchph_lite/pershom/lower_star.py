r"""Differentiable persistence of lower-star (vertex) filtrations on graphs, meshes and complexes.

Conventions:

* Every entry of ``vertex_values`` is a vertex; a vertex in no simplex is its own connected
  component (an essential class of dimension 0).
* ``simplices[j]`` is an integer tensor of shape ``(m_j, j + 2)``: edges, then triangles, then
  tetrahedra... (``(0, 2)`` for no edges). The order of the vertices within a simplex does not
  matter, faces may be listed or left implied (an implied face takes its own lower-star value),
  duplicates are merged.
* A simplex's value is the largest value of its vertices (with ``superlevel=True`` the smallest:
  the persistence of :math:`-f`, reported in the values of :math:`f`). Coefficients are Z/2.
* The result is ``(non_essential, essential)`` with ``max_dimension + 1`` entries each:
  ``non_essential[k]`` an ``(m_k, 2)`` tensor of (birth, death), ``essential[k]`` an ``(e_k,)``
  tensor of births. Simplices above ``max_dimension + 1`` are ignored, so cycles of the top
  dimension of the complex (when it is at most ``max_dimension``) are essential.
* Pairs of length zero are dropped. Within a dimension, pairs are sorted by birth, then death
  (for ``superlevel=True``: by decreasing birth, then decreasing death), ties in filtration
  order; essential births likewise. The order is deterministic.
* Every value is an entry of ``vertex_values`` gathered with torch, so the output has its dtype
  and device, and gradients flow to the vertices that create and destroy each class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ._cell_complex import CellComplex, Diagram, gather_diagrams, persistence_pairs

__all__ = ["lower_star_persistence"]

#: largest homology dimension accepted
MAX_DIMENSION = 8


def lower_star_persistence(
    vertex_values: torch.Tensor | Sequence[tuple[torch.Tensor, Sequence[torch.Tensor] | None]],
    simplices: Sequence[torch.Tensor] | None = None,
    max_dimension: int = 1,
    superlevel: bool = False,
) -> Diagram | list[Diagram]:
    r"""Persistence of the lower-star filtration of a simplicial complex.

    Args:
        vertex_values: ``(n,)`` float tensor of vertex values (differentiable), or, for a batch,
            a list of ``(vertex_values, simplices)`` pairs (then ``simplices`` must be omitted);
            a batch is computed in one call of the kernels.
        simplices: ``[edges (E, 2), triangles (T, 3), ...]`` integer tensors of vertex ids, or
            ``None`` (vertices only).
        max_dimension: largest homology dimension reported.
        superlevel: filter by decreasing values (a simplex takes its smallest vertex value).

    Returns:
        ``(non_essential, essential)`` lists over dimensions ``0..max_dimension``, or a list of
        them for a batch (see the module docs for the conventions).

    Shape:
        - vertex_values: :math:`(n,)`; simplices[j]: :math:`(m_j, j + 2)`
        - non_essential[k]: :math:`(p_k, 2)`; essential[k]: :math:`(e_k,)`

    >>> import torch
    >>> # a ring of 4 vertices: two local minima merge at the saddle 3, one cycle at the top 4
    >>> f = torch.tensor([0.0, 3.0, 1.0, 4.0], requires_grad=True)
    >>> ring = torch.tensor([[0, 1], [1, 2], [2, 3], [3, 0]])
    >>> non_essential, essential = lower_star_persistence(f, [ring])
    >>> non_essential[0].tolist(), essential[0].tolist(), essential[1].tolist()
    ([[1.0, 3.0]], [0.0], [4.0])
    >>> (non_essential[0][:, 1] - non_essential[0][:, 0]).sum().backward()
    >>> f.grad
    tensor([ 0.,  1., -1.,  0.])
    """
    md = _check_max_dimension(max_dimension)
    if not isinstance(superlevel, bool):
        raise TypeError(f"superlevel must be a bool, got {type(superlevel).__name__}")
    if isinstance(vertex_values, torch.Tensor):
        items = [(_check_values(vertex_values, "vertex_values"), simplices, "simplices")]
        batched = False
    elif isinstance(vertex_values, Sequence) and not isinstance(vertex_values, (str, bytes)):
        if simplices is not None:
            raise ValueError(
                "simplices must be omitted when vertex_values is a list of "
                "(vertex_values, simplices) pairs"
            )
        if len(vertex_values) == 0:
            raise ValueError("vertex_values must not be an empty list")
        items = []
        for i, pair in enumerate(vertex_values):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(
                    f"vertex_values[{i}] must be a (vertex_values, simplices) pair, "
                    f"got {type(pair).__name__}"
                )
            items.append(
                (
                    _check_values(pair[0], f"vertex_values[{i}][0]"),
                    pair[1],
                    f"vertex_values[{i}][1]",
                )
            )
        batched = True
    else:
        raise TypeError(
            "vertex_values must be a float tensor or a list of (vertex_values, simplices) "
            f"pairs, got {type(vertex_values).__name__}"
        )
    first = items[0][0]
    for i, (v, _, _) in enumerate(items):
        if v.dtype != first.dtype or v.device != first.device:
            raise ValueError(
                "all vertex_values must share one dtype and device, got "
                f"{first.dtype}/{first.device} and {v.dtype}/{v.device} (item {i})"
            )
    cx = _build_complex(items, md, superlevel)
    pairs = persistence_pairs(cx, md)
    source = first if len(items) == 1 else torch.cat([v for v, _, _ in items])
    out = gather_diagrams(cx, pairs, source, len(items), md)
    return out if batched else out[0]


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _check_max_dimension(max_dimension: object) -> int:
    if isinstance(max_dimension, bool) or not isinstance(max_dimension, (int, np.integer)):
        raise TypeError(
            f"max_dimension must be an int, got {type(max_dimension).__name__} ({max_dimension!r})"
        )
    if not 0 <= int(max_dimension) <= MAX_DIMENSION:
        raise ValueError(
            f"max_dimension must be between 0 and {MAX_DIMENSION}, got {max_dimension}"
        )
    return int(max_dimension)


def _check_values(values: object, name: str) -> torch.Tensor:
    if not isinstance(values, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(values).__name__}")
    if not values.dtype.is_floating_point:
        raise TypeError(f"{name} must have a floating point dtype, got {values.dtype}")
    if values.dim() != 1:
        raise ValueError(f"{name} must have shape (n,), got {tuple(values.shape)}")
    if values.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one vertex, got shape (0,)")
    if torch.isnan(values).any():
        raise ValueError(f"{name} contains NaN")
    return values


def _check_simplices(simplices: object, n: int, name: str) -> list[np.ndarray]:
    """Host int64 copies of the simplex lists, each row sorted ascending."""
    if simplices is None:
        return []
    if isinstance(simplices, torch.Tensor) or not isinstance(simplices, Sequence):
        raise TypeError(
            f"{name} must be a list of integer tensors [edges, triangles, ...], "
            f"got {type(simplices).__name__}"
        )
    out = []
    for j, s in enumerate(simplices):
        where = f"{name}[{j}]"
        if not isinstance(s, (torch.Tensor, np.ndarray)):
            raise TypeError(f"{where} must be an integer tensor, got {type(s).__name__}")
        arr = s.detach().cpu().numpy() if isinstance(s, torch.Tensor) else s
        integer = arr.dtype != np.bool_ and np.issubdtype(arr.dtype, np.integer)
        if not integer and arr.size:  # an empty list of any dtype means no simplices
            raise TypeError(f"{where} must have an integer dtype, got {s.dtype}")
        if arr.ndim != 2 or arr.shape[1] != j + 2:
            raise ValueError(
                f"{where} must have shape (m, {j + 2}) (simplices of dimension {j + 1}), "
                f"got {tuple(arr.shape)}"
            )
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise ValueError(
                f"{where} holds vertex ids outside [0, {n}) (there are {n} vertex values): "
                f"min {arr.min()}, max {arr.max()}"
            )
        rows = np.sort(arr.astype(np.int64), axis=1)
        if rows.shape[0] and (rows[:, 1:] == rows[:, :-1]).any():
            raise ValueError(f"{where} holds a simplex with a repeated vertex")
        out.append(rows)
    return out


# --------------------------------------------------------------------------------------------
# complex construction
# --------------------------------------------------------------------------------------------
def _unique_rows(rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique rows and the inverse map (rows of vertex ids below ``n``)."""
    width = rows.shape[1]
    if float(n) ** width < 2.0**62:  # one int64 key per row
        key = np.zeros(rows.shape[0], dtype=np.int64)
        for c in range(width):
            key = key * n + rows[:, c]
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return rows[first], inverse.reshape(-1)
    uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
    return uniq, inverse.reshape(-1)


def _build_complex(
    items: list[tuple[torch.Tensor, object, str]], max_dim: int, superlevel: bool
) -> CellComplex:
    """The disjoint union of the items' complexes, up to dimension ``max_dim + 1``."""
    sizes = [int(v.shape[0]) for v, _, _ in items]
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    n = int(offsets[-1])
    given: list[list[np.ndarray]] = []
    for (v, s, name), off in zip(items, offsets[:-1]):
        for j, rows in enumerate(_check_simplices(s, int(v.shape[0]), name)):
            while len(given) <= j:
                given.append([])
            given[j].append(rows + off)
    values = torch.cat([v.detach() for v, _, _ in items]).to("cpu", torch.float64).numpy()
    g = -values if superlevel else values
    item_of_vertex = np.repeat(np.arange(len(items), dtype=np.int64), sizes)
    top_given = len(given)  # dimension of the highest listed simplices
    stacked = [
        np.concatenate(parts) if parts else np.zeros((0, j + 2), np.int64)
        for j, parts in enumerate(given)
    ]
    top = min(top_given, max_dim + 1)
    # cells[k] for k = top_given..1, top-down so that implied faces are added
    cells: dict[int, np.ndarray] = {}
    faces: dict[int, np.ndarray] = {}
    if top_given >= 1:
        cells[top_given], _ = _unique_rows(stacked[top_given - 1], n)
    for k in range(top_given, 1, -1):
        upper = cells[k]
        m = upper.shape[0]
        facets = np.concatenate([np.delete(upper, i, axis=1) for i in range(k + 1)])
        cand = np.concatenate((stacked[k - 2], facets))
        cells[k - 1], inverse = _unique_rows(cand, n)
        faces[k] = inverse[stacked[k - 2].shape[0] :].reshape(k + 1, m).T
    cell_values = [g]
    reps = [np.arange(n, dtype=np.int64)]
    cell_items = [item_of_vertex]
    face_list: list[np.ndarray | None] = [None]
    for k in range(1, top + 1):
        rows = cells[k]
        vertex_vals = g[rows]
        arg = vertex_vals.argmax(axis=1)
        picked = np.arange(rows.shape[0])
        cell_values.append(vertex_vals[picked, arg])
        reps.append(rows[picked, arg])
        cell_items.append(item_of_vertex[rows[:, 0]] if rows.shape[0] else np.zeros(0, np.int64))
        face_list.append(rows if k == 1 else faces[k])
    return CellComplex(cell_values, reps, cell_items, face_list)
