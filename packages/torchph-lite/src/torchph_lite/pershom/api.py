r"""Public functions: differentiable Vietoris-Rips persistence of distance matrices and clouds.

Semantics (shared by all three functions):

* ``max_dimension`` is the **homology** dimension, as in ripser, giotto-ph and gudhi: diagrams are
  returned for dimensions ``0..max_dimension`` and each can hold finite pairs. (The original torchph
  counted the dimension of the simplicial complex instead, so its finite :math:`H_1` needed
  ``max_dimension=2``; here ``max_dimension=1`` gives it.)
* ``max_ball_diameter > 0`` keeps the simplices of diameter :math:`\le` ``max_ball_diameter``;
  ``0`` means the whole filtration. Classes alive at the end are *essential*.
* The result is ``(non_essential, essential)``: ``non_essential[k]`` is an ``(m_k, 2)`` tensor of
  (birth, death) pairs, ``essential[k]`` an ``(e_k,)`` tensor of births. Without a threshold the
  only essential class is one of dimension 0 born at 0.
* Pairs of length zero are dropped. Within a dimension, pairs are sorted by birth, then death
  (ties by the vertex indices of the critical edges); essential births ascend.
* Values are gathered from the input tensor (entries of the distance matrix or lengths of critical
  edges of the point cloud), so they have its dtype and device and are differentiable. Coincident
  points give zero (not NaN) gradients.
* A ``(B, n, d)`` tensor or a list of tensors is a batch; the result is then a list with one
  ``(non_essential, essential)`` tuple per input, computed in one kernel call.

Computation: dimension 0 is a dense Prim minimum spanning forest; dimensions :math:`\ge 1` use
persistent cohomology with implicit coboundaries, clearing, apparent and emergent pairs in numba
(:mod:`torchph_lite.pershom._cohomology`), for ``max_dimension >= 2`` on the edge-collapsed
filtration (``collapse_edges``, :mod:`torchph_lite.pershom._edge_collapse`: same diagrams, fewer
simplices). CUDA inputs are supported: with ``max_dimension=0`` the
spanning forest is computed on the GPU with torch ops; higher dimensions run on the CPU kernels and
the values are gathered on the GPU. Both paths give identical diagrams.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
import torch

from ._assemble import Diagram, Records, assemble, sort_records
from ._batch import records_from_matrices, records_from_points, records_from_points_dim0
from ._cpu_values import GatheredValues, gather_values
from ._edge_collapse import (
    collapsed_records_from_matrices,
    collapsed_records_from_points,
    use_collapse,
)
from ._edge_lengths import edge_lengths
from ._metrics import L1, L2, MATRIX
from ._torch_h0 import spanning_forest_torch, unit_scaled_torch
from ._validation import (
    check_matrix,
    check_max_ball_diameter,
    check_max_dimension,
    check_points,
    flatten_batch,
)

__all__ = ["vr_persistence", "vr_persistence_l1", "vr_persistence_l2"]

Backend = Literal["auto", "numba", "torch"]

#: point-cloud dtypes whose CPU values and gradients come straight from numba (see _cpu_values)
_CPU_VALUE_DTYPES = (torch.float32, torch.float64)


def vr_persistence_l1(
    point_cloud: torch.Tensor | list[torch.Tensor],
    max_dimension: int,
    max_ball_diameter: float = 0.0,
    *,
    backend: Backend = "auto",
    collapse_edges: bool | None = None,
) -> Diagram | list[Diagram]:
    r"""Vietoris-Rips persistence of a point cloud under the L1 (Manhattan) metric.

    Args:
        point_cloud: ``(n, d)`` points, a ``(B, n, d)`` batch or a list of ``(n_i, d)`` clouds;
            float dtype, CPU or CUDA.
        max_dimension: largest homology dimension (0 to 3).
        max_ball_diameter: filtration threshold; ``0`` for none.
        backend: ``"auto"`` (torch ops for dimension 0 on CUDA, numba otherwise), ``"numba"`` or
            ``"torch"`` (dimension-0 spanning forest with torch ops on any device).
        collapse_edges: compute on the edge-collapsed filtration (Boissonnat-Pritam), which has
            the same diagrams and the same values (module ``pershom._edge_collapse``): ``None`` (the
            default) collapses for ``max_dimension >= 2``, where it is faster; ``True`` also for
            ``max_dimension = 1``; ``False`` never.

    Returns:
        ``(non_essential, essential)``, or a list of them for a batch (see the module docs).

    Shape:
        - point_cloud: :math:`(n, d)`, :math:`(B, n, d)` or a list of :math:`(n_i, d)`
        - non_essential[k]: :math:`(m_k, 2)`; essential[k]: :math:`(e_k,)`

    >>> import torch
    >>> square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> non_essential, essential = vr_persistence_l1(square, 1)
    >>> non_essential[0]
    tensor([[0., 1.],
            [0., 1.],
            [0., 1.]])
    >>> non_essential[1], essential[0]
    (tensor([[1., 2.]]), tensor([0.]))
    """
    return _point_cloud_persistence(
        point_cloud, max_dimension, max_ball_diameter, L1, backend, collapse_edges
    )


def vr_persistence_l2(
    point_cloud: torch.Tensor | list[torch.Tensor],
    max_dimension: int,
    max_ball_diameter: float = 0.0,
    *,
    backend: Backend = "auto",
    collapse_edges: bool | None = None,
) -> Diagram | list[Diagram]:
    r"""Vietoris-Rips persistence of a point cloud under the Euclidean (L2) metric.

    Arguments, return value and shapes as in :func:`vr_persistence_l1`.

    >>> import torch
    >>> square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], requires_grad=True)
    >>> non_essential, essential = vr_persistence_l2(square, 1)
    >>> non_essential[1]
    tensor([[1.0000, 1.4142]], grad_fn=<SplitWithSizesBackward0>)
    >>> non_essential[1][:, 1].sum().backward()  # push the cycle's death: the diagonal grows
    >>> square.grad.abs().sum().item() > 0
    True
    """
    return _point_cloud_persistence(
        point_cloud, max_dimension, max_ball_diameter, L2, backend, collapse_edges
    )


def vr_persistence(
    distance_matrix: torch.Tensor | list[torch.Tensor],
    max_dimension: int,
    max_ball_diameter: float = 0.0,
    *,
    backend: Backend = "auto",
    collapse_edges: bool | None = None,
) -> Diagram | list[Diagram]:
    r"""Vietoris-Rips persistence of a distance matrix.

    Only the lower triangle is read (the matrix must still be symmetric up to rounding, with
    non-negative finite entries); the diagonal is ignored (every vertex is born at 0).

    Args:
        distance_matrix: ``(n, n)``, a ``(B, n, n)`` batch or a list of ``(n_i, n_i)`` matrices.
        max_dimension: largest homology dimension (0 to 3).
        max_ball_diameter: filtration threshold; ``0`` for none.
        backend, collapse_edges: as in :func:`vr_persistence_l1`.

    Returns:
        ``(non_essential, essential)``, or a list of them for a batch.

    Shape:
        - distance_matrix: :math:`(n, n)`, :math:`(B, n, n)` or a list of :math:`(n_i, n_i)`
        - non_essential[k]: :math:`(m_k, 2)`; essential[k]: :math:`(e_k,)`

    >>> import torch
    >>> d = torch.tensor([[0.0, 1.0, 3.0], [1.0, 0.0, 2.0], [3.0, 2.0, 0.0]])
    >>> non_essential, essential = vr_persistence(d, 0)
    >>> non_essential[0], essential[0]
    (tensor([[0., 1.],
            [0., 2.]]), tensor([0.]))
    """
    md = check_max_dimension(max_dimension)
    threshold = check_max_ball_diameter(max_ball_diameter)
    collapse = use_collapse(collapse_edges, md)
    from_matrices = collapsed_records_from_matrices if collapse else records_from_matrices
    matrices, batched = _matrix_list(distance_matrix)
    host = [_host_matrix(m, i if batched else None) for i, m in enumerate(matrices)]
    sizes = np.array([h.shape[0] for h in host], dtype=np.int64)
    n_inputs = len(host)
    offsets = np.zeros(n_inputs + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    device = matrices[0].device
    if _use_torch(backend, md, device):
        parts = [torch.from_numpy(h).to(device) for h in host]
        records = sort_records(_torch_records(parts, MATRIX, threshold))
    elif (sizes == sizes[0]).all():
        records = from_matrices(np.stack(host), md, threshold)
    else:
        records = _concat_records([from_matrices(h[None], md, threshold) for h in host])
    flat = (
        matrices[0].reshape(-1) if n_inputs == 1 else torch.cat([m.reshape(-1) for m in matrices])
    )
    entry_start = np.zeros(n_inputs, dtype=np.int64)
    np.cumsum(sizes[:-1] ** 2, out=entry_start[1:])

    def lengths(a: np.ndarray, b: np.ndarray) -> torch.Tensor:
        ok = a >= 0
        hi = np.where(ok, np.maximum(a, b), 0)
        lo = np.where(ok, np.minimum(a, b), 0)
        which = np.searchsorted(offsets, hi, side="right") - 1
        idx = entry_start[which] + (hi - offsets[which]) * sizes[which] + (lo - offsets[which])
        picked = flat.index_select(0, torch.from_numpy(idx).to(device))
        return torch.where(torch.from_numpy(ok).to(device), picked, 0.0)

    out = assemble(records, offsets, n_inputs, md, lengths)
    return out if batched else out[0]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _use_torch(backend: str, max_dim: int, device: torch.device) -> bool:
    if backend not in ("auto", "numba", "torch"):
        raise ValueError(f"backend must be 'auto', 'numba' or 'torch', got {backend!r}")
    if backend == "torch" and max_dim > 0:
        raise ValueError(
            f"backend='torch' computes dimension 0 only, got max_dimension={max_dim}; "
            "use backend='auto' or 'numba'"
        )
    return backend == "torch" or (backend == "auto" and max_dim == 0 and device.type == "cuda")


def _matrix_list(distance_matrix: object) -> tuple[list[torch.Tensor], bool]:
    data, offsets, batched = flatten_batch(distance_matrix, "distance_matrix")
    if isinstance(data, list):
        return data, True
    if not batched:
        return [data], False
    n = int(offsets[1])
    if data.shape[1] != n:
        raise ValueError(
            "distance_matrix must be a batch of square matrices, got shape "
            f"{(offsets.shape[0] - 1, n, data.shape[1])}"
        )
    return list(data.reshape(-1, n, n).unbind(0)), True


def _host_matrix(m: torch.Tensor, index: int | None) -> np.ndarray:
    name = "distance_matrix" if index is None else f"distance_matrix[{index}]"
    if m.dim() != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {tuple(m.shape)}")
    arr = m.detach().to("cpu", torch.float64).numpy()
    check_matrix(arr, name)
    low = np.tril(arr, -1)
    return low + low.T


class _Clouds(NamedTuple):
    """Point clouds normalised to rows stacked along dim 0."""

    #: ``(N, d)`` rows of all clouds (a view of a single or stacked input, a ``cat`` of a list)
    flat: torch.Tensor
    #: cloud ``i`` is ``flat[offsets[i]:offsets[i + 1]]``
    offsets: np.ndarray
    #: whether the input was a batch (the result is then a list)
    batched: bool
    #: the tensor the values' autograd node hangs on: the ``(B, n, d)`` input itself, else ``flat``
    source: torch.Tensor


def _normalise_clouds(point_cloud: object) -> _Clouds:
    data, offsets, batched = flatten_batch(point_cloud, "point_cloud")
    if isinstance(data, list):
        dims = {t.shape[1] for t in data}
        if len(dims) != 1:
            raise ValueError(f"all clouds in point_cloud must have the same dimension, got {dims}")
        flat = data[0] if len(data) == 1 else torch.cat(data)
        source = flat
    else:
        flat = data
        source = point_cloud if batched else flat  # type: ignore[assignment]
    if (offsets[1:] <= offsets[:-1]).any():
        raise ValueError(
            "point_cloud must contain at least one point per cloud, got sizes "
            f"{np.diff(offsets).tolist()}"
        )
    return _Clouds(flat, offsets, batched, source)


def _point_cloud_persistence(
    point_cloud: torch.Tensor | list[torch.Tensor],
    max_dimension: int,
    max_ball_diameter: float,
    metric: int,
    backend: str,
    collapse_edges: bool | None,
) -> Diagram | list[Diagram]:
    md = check_max_dimension(max_dimension)
    threshold = check_max_ball_diameter(max_ball_diameter)
    collapse = use_collapse(collapse_edges, md)
    clouds = _normalise_clouds(point_cloud)
    flat = clouds.flat
    use_torch = _use_torch(backend, md, flat.device)
    numba_values = (
        not use_torch
        and not collapse  # (the collapsed records take the generic path: values via torch)
        and flat.dtype in _CPU_VALUE_DTYPES
        and flat.device.type == "cpu"
        and 1 <= flat.shape[1] <= 8
    )
    if numba_values:
        out = _cpu_persistence(clouds, md, threshold, metric)
    else:
        out = _generic_persistence(clouds, md, threshold, metric, use_torch, collapse)
    return out if clouds.batched else out[0]


def _generic_persistence(
    clouds: _Clouds, max_dim: int, threshold: float, metric: int, use_torch: bool, collapse: bool
) -> list[Diagram]:
    """Any dtype and device: records from the kernels (or torch), values gathered with torch."""
    flat, offsets = clouds.flat, clouds.offsets
    n_inputs = offsets.shape[0] - 1
    host = np.ascontiguousarray(flat.detach().to("cpu", torch.float64).numpy())
    check_points(host, "point_cloud")
    if use_torch:
        parts = [flat[offsets[i] : offsets[i + 1]] for i in range(n_inputs)]
        records = sort_records(_torch_records(parts, metric, threshold))
    elif max_dim == 0:
        records = Records._make(records_from_points_dim0(host, offsets, metric, threshold))
    else:
        from_points = collapsed_records_from_points if collapse else records_from_points
        records = from_points(host, offsets, metric, max_dim, threshold)

    def lengths(a: np.ndarray, b: np.ndarray) -> torch.Tensor:
        ends = np.concatenate((a, b))
        ends[ends < 0] = 0  # a zero value: the "edge" (0, 0) has length 0
        ends_t = torch.from_numpy(ends)
        if flat.device.type != "cpu":
            ends_t = ends_t.to(flat.device)
        return edge_lengths(flat, ends_t, metric)

    return assemble(records, offsets, n_inputs, max_dim, lengths)


def _cpu_persistence(clouds: _Clouds, max_dim: int, threshold: float, metric: int) -> list[Diagram]:
    """The numba path for float32/float64 CPU clouds: values straight from the kernels.

    The diagrams are computed from float64 coordinates and the values from the coordinates in
    the input's dtype, as on the generic path, with bitwise the same results (see _cpu_values).
    """
    coords = np.array(clouds.flat.detach().numpy(), order="C")  # a copy: kept for the backward
    points = coords if coords.dtype == np.float64 else coords.astype(np.float64)
    finite, plan = gather_values(points, coords, clouds.offsets, metric, max_dim, threshold)
    if not finite:
        raise ValueError("point_cloud contains NaN or infinite coordinates")
    a, b, values, scales, fin_counts, ess_counts, m = plan
    lengths = torch.from_numpy(values)
    if metric == L2:
        torch.sqrt(lengths, out=lengths)
    lengths.div_(torch.from_numpy(scales))
    # The kernels' pairs have positive length in float64, but their values in the input's dtype
    # (float32 rounding, or torch's L2 square root, which can differ from numba's by one ulp) can
    # be equal: drop those pairs, as the generic path does
    pair_values = values[: 2 * m].reshape(m, 2)
    equal = pair_values[:, 0] == pair_values[:, 1]
    if equal.any():
        a, b, values, fin_counts, m = _drop_pairs(a, b, values, fin_counts, equal)
    pairs, births = GatheredValues.apply(clouds.source, (coords, a, b, values, metric, m))
    pair_parts = pairs.split(fin_counts.tolist())
    birth_parts = births.split(ess_counts.tolist())
    groups = max_dim + 1
    return [
        (list(pair_parts[i : i + groups]), list(birth_parts[i : i + groups]))
        for i in range(0, len(pair_parts), groups)
    ]


def _drop_pairs(
    a: np.ndarray, b: np.ndarray, values: np.ndarray, fin_counts: np.ndarray, equal: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Remove the finite pairs flagged ``equal`` from the gather plan (values ``2 m`` first)."""
    m = equal.shape[0]
    group = np.repeat(np.arange(fin_counts.shape[0]), fin_counts)
    kept = np.flatnonzero(~equal)
    finite_rows = np.stack((2 * kept, 2 * kept + 1), 1).reshape(-1)
    rows = np.concatenate((finite_rows, np.arange(2 * m, a.shape[0])))
    counts = np.bincount(group[kept], minlength=fin_counts.shape[0])
    return a[rows], b[rows], values[rows], counts, kept.shape[0]


def _torch_records(parts: list[torch.Tensor], metric: int, threshold: float) -> Records:
    """Dimension-0 records from the torch spanning forest (inputs of equal size are batched)."""
    by_size: dict[int, list[int]] = {}
    for i, p in enumerate(parts):
        by_size.setdefault(int(p.shape[0]), []).append(i)
    chunks = []
    for _, members in sorted(by_size.items()):
        batch = torch.stack([parts[i].detach() for i in members]).to(torch.float64)
        limit: float | torch.Tensor = threshold
        if metric != MATRIX:
            batch, limit = unit_scaled_torch(batch, threshold)
        u, v, w, valid, comps = spanning_forest_torch(batch, metric, limit)
        u, v, w, valid, comps = (t.cpu().numpy() for t in (u, v, w, valid, comps))
        ids = np.asarray(members, dtype=np.int64)
        keep = valid & (w > 0)
        rows, cols = np.nonzero(keep)
        n_fin = rows.shape[0]
        ess_cloud = np.repeat(ids, comps)
        n_ess = ess_cloud.shape[0]
        minus = np.full(n_fin + n_ess, -1, dtype=np.int64)
        chunks.append(
            (
                np.concatenate((ids[rows], ess_cloud)),
                np.zeros(n_fin + n_ess, dtype=np.int64),
                minus,
                minus,
                np.concatenate((u[rows, cols], minus[:n_ess])),
                np.concatenate((v[rows, cols], minus[:n_ess])),
                np.zeros(n_fin + n_ess),
                np.concatenate((w[rows, cols], np.full(n_ess, math.inf))),
            )
        )
    return Records._make(np.concatenate(cols) for cols in zip(*chunks))


def _concat_records(parts: list[Records]) -> Records:
    """Records of single inputs as one batch (input ``i`` is ``parts[i]``)."""
    fixed = [rec._replace(cloud=np.full_like(rec.cloud, i)) for i, rec in enumerate(parts)]
    return Records._make(np.concatenate(cols) for cols in zip(*fixed))
