r"""Differentiable persistence of cubical complexes of 2-D and 3-D images.

Two constructions, as in gudhi's ``CubicalComplex``:

* ``construction="V"`` (vertices): every pixel is a vertex; edges, squares (and cubes) join
  neighbouring pixels along the axes and take the largest value of their pixels.
* ``construction="T"`` (top cells): every pixel is a top-dimensional cell; a lower cell takes the
  smallest value of the pixels it bounds (gudhi's ``top_dimensional_cells``).

With ``superlevel=True`` the image is filtered by decreasing values (the persistence of
:math:`-f`, reported in the values of :math:`f`; the roles of largest and smallest above swap).

Conventions: the result is ``(non_essential, essential)`` with ``max_dimension + 1`` entries
(``max_dimension`` defaults to the image dimension minus 1); pairs of length zero are dropped;
pairs are sorted by birth, then death (decreasing for ``superlevel=True``), ties in filtration
order, essential births likewise. The only essential class of an image is the component born at
its minimum (maximum for ``superlevel``). Every value is a pixel gathered with torch: the output
has the image's dtype and device, and gradients flow to the pixels that create and destroy each
class. Coefficients are Z/2.

Batches: ``batched=True`` treats the first axis as the batch (each item has ``dim() - 1`` axes);
without it a ``(B, H, W)`` tensor is one 3-D image. A list of images is a batch too. A batch is
computed in one call of the kernels.

Computation: dimension 0 by union-find, the top dimension by union-find on the dual graph
(Alexander duality), dimension 1 of 3-D images by a Z/2 reduction cleared by the latter. 2-D
images go straight through the pixel grid (:func:`._pixel_grid_2d.grid_pairs_2d`: a radix sort and
two union-find sweeps). On CUDA,
``max_dimension=0`` runs on the device (:mod:`._torch_merge`); the rest is computed on the CPU
and the values are gathered on the device.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ._cell_complex import (
    CellComplex,
    Diagram,
    Records,
    assemble_diagrams,
    gather_diagrams,
    persistence_pairs,
    split_diagrams,
)
from ._grid_kernels import grid_geometry, grid_pairs
from ._pixel_grid_2d import pixel_grid_pairs

__all__ = ["cubical_persistence"]


def cubical_persistence(
    images: torch.Tensor | Sequence[torch.Tensor],
    max_dimension: int | None = None,
    construction: str = "V",
    superlevel: bool = False,
    batched: bool = False,
    *,
    backend: str = "auto",
) -> Diagram | list[Diagram]:
    r"""Persistence of the cubical complex of a 2-D or 3-D image, or of a batch of them.

    Args:
        images: ``(H, W)`` or ``(D, H, W)`` float tensor; with ``batched=True`` a ``(B, H, W)``
            or ``(B, D, H, W)`` batch; or a list of images (a batch; each item may have its own
            shape, all of one dimension).
        max_dimension: largest homology dimension reported (default: image dimension - 1).
        construction: ``"V"`` (pixels are vertices) or ``"T"`` (pixels are top cells).
        superlevel: filter by decreasing values.
        batched: the first axis of ``images`` indexes a batch.
        backend: ``"auto"`` (torch ops on the device for ``max_dimension=0`` on CUDA, numba
            otherwise), ``"numba"``, or ``"torch"`` (dimension 0 with torch ops on any device).

    Returns:
        ``(non_essential, essential)`` lists over dimensions ``0..max_dimension``, or a list of
        them for a batch.

    Shape:
        - images: :math:`(H, W)`, :math:`(D, H, W)`, :math:`(B, H, W)` or :math:`(B, D, H, W)`
        - non_essential[k]: :math:`(m_k, 2)`; essential[k]: :math:`(e_k,)`

    >>> import torch
    >>> ring = torch.tensor([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]])
    >>> non_essential, essential = cubical_persistence(ring, construction="T")
    >>> non_essential[1], essential[0]
    (tensor([[1., 5.]]), tensor([1.]))
    """
    imgs, batched_out, image_dim = _normalise(images, batched)
    md = _check_max_dimension(max_dimension, image_dim)
    if construction not in ("V", "T"):
        raise ValueError(f"construction must be 'V' or 'T', got {construction!r}")
    if not isinstance(superlevel, bool):
        raise TypeError(f"superlevel must be a bool, got {type(superlevel).__name__}")
    source = imgs[0].reshape(-1) if len(imgs) == 1 else torch.cat([t.reshape(-1) for t in imgs])
    if backend not in ("auto", "numba", "torch"):
        raise ValueError(f"backend must be 'auto', 'numba' or 'torch', got {backend!r}")
    if backend == "torch" and md > 0:
        raise ValueError(
            f"backend='torch' computes dimension 0 only, got max_dimension={md}; "
            "use backend='auto' or 'numba'"
        )
    if backend == "torch" or (backend == "auto" and md == 0 and source.device.type == "cuda"):
        from ._torch_merge import cubical_h0_torch

        out = cubical_h0_torch(imgs, construction, superlevel)
        return out if batched_out else out[0]
    d = imgs[0].dim()
    if d == 2 and all(t.shape == imgs[0].shape for t in imgs):
        out = _pixel_grid_persistence(imgs, construction, superlevel, md, source)
        return out if batched_out else out[0]
    if md == 0 or d == 2:  # dimensions 0 and d - 1 only: the grid kernel
        out = _grid_persistence(imgs, construction, superlevel, md, source)
        return out if batched_out else out[0]
    cx = _build_complex(imgs, construction, superlevel, md)
    pairs = persistence_pairs(cx, md)
    out = gather_diagrams(cx, pairs, source, len(imgs), md)
    return out if batched_out else out[0]


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _check_image(t: object, name: str) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if not t.dtype.is_floating_point:
        raise TypeError(f"{name} must have a floating point dtype, got {t.dtype}")
    if t.dim() not in (2, 3):
        raise ValueError(
            f"{name} must be a 2-D (H, W) or 3-D (D, H, W) image, got shape {tuple(t.shape)}"
        )
    if t.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(t.shape)}")
    if torch.isnan(t).any():
        raise ValueError(f"{name} contains NaN")
    return t


def _normalise(images: object, batched: bool) -> tuple[list[torch.Tensor], bool, int]:
    if not isinstance(batched, bool):
        raise TypeError(f"batched must be a bool, got {type(batched).__name__}")
    if isinstance(images, torch.Tensor):
        if batched:
            if images.dim() not in (3, 4):
                raise ValueError(
                    "with batched=True, images must have shape (B, H, W) or (B, D, H, W), "
                    f"got {tuple(images.shape)}"
                )
            if images.shape[0] == 0:
                raise ValueError(f"images must hold at least one image, got {tuple(images.shape)}")
            _check_image(images[0], "images[0]")
            imgs = list(images.unbind(0))
            for i, t in enumerate(imgs):
                _check_image(t, f"images[{i}]")
            return imgs, True, images.dim() - 1
        return [_check_image(images, "images")], False, images.dim()
    if isinstance(images, Sequence) and not isinstance(images, (str, bytes)):
        if len(images) == 0:
            raise ValueError("images must not be an empty list")
        imgs = [_check_image(t, f"images[{i}]") for i, t in enumerate(images)]
        for i, t in enumerate(imgs):
            if t.dim() != imgs[0].dim() or t.dtype != imgs[0].dtype or t.device != imgs[0].device:
                raise ValueError(
                    "all images must share one number of axes, dtype and device, got "
                    f"{tuple(imgs[0].shape)}/{imgs[0].dtype}/{imgs[0].device} and "
                    f"{tuple(t.shape)}/{t.dtype}/{t.device} (images[{i}])"
                )
        return imgs, True, imgs[0].dim()
    raise TypeError(f"images must be a tensor or a list of tensors, got {type(images).__name__}")


def _check_max_dimension(max_dimension: object, image_dim: int) -> int:
    if max_dimension is None:
        return image_dim - 1
    if isinstance(max_dimension, bool) or not isinstance(max_dimension, (int, np.integer)):
        raise TypeError(
            f"max_dimension must be an int or None, got {type(max_dimension).__name__} "
            f"({max_dimension!r})"
        )
    if not 0 <= int(max_dimension) <= image_dim:
        raise ValueError(
            f"max_dimension must be between 0 and {image_dim} for {image_dim}-D images, "
            f"got {max_dimension}"
        )
    return int(max_dimension)


# --------------------------------------------------------------------------------------------
# complex construction: cells on the grid of doubled coordinates
# --------------------------------------------------------------------------------------------
def _cell_grid(g: np.ndarray, src: np.ndarray, construction: str) -> tuple[np.ndarray, np.ndarray]:
    """Values and source pixels of every cell, on the grid of doubled coordinates.

    ``g`` and ``src`` have a leading batch axis. ``V``: grid ``2 s - 1``, pixel ``p`` at ``2 p``,
    a cell takes the max of its vertices. ``T``: grid ``2 s + 1``, pixel ``p`` at ``2 p + 1``, a
    cell takes the min of its top cells. Either way a cell's dimension is its number of odd
    coordinates.
    """
    val = g
    for axis in range(1, g.ndim):
        n = val.shape[axis]
        lo = np.take(val, np.arange(n - 1), axis=axis)
        hi = np.take(val, np.arange(1, n), axis=axis)
        lo_src = np.take(src, np.arange(n - 1), axis=axis)
        hi_src = np.take(src, np.arange(1, n), axis=axis)
        pick_hi = hi > lo if construction == "V" else hi < lo
        mid = np.where(pick_hi, hi, lo)
        mid_src = np.where(pick_hi, hi_src, lo_src)
        shape = list(val.shape)
        own = [slice(None)] * g.ndim
        between = [slice(None)] * g.ndim
        if construction == "V":
            shape[axis] = 2 * n - 1
            own[axis] = slice(0, None, 2)
            between[axis] = slice(1, None, 2)
        else:  # the outer slots take the single adjacent pixel
            shape[axis] = 2 * n + 1
            own[axis] = slice(1, None, 2)
            between[axis] = slice(2, -2, 2) if n > 1 else slice(0, 0)
            first = [slice(None)] * g.ndim
            last = [slice(None)] * g.ndim
            first[axis] = slice(0, 1)
            last[axis] = slice(-1, None)
        new_val = np.empty(shape)
        new_src = np.empty(shape, dtype=np.int64)
        new_val[tuple(own)] = val
        new_src[tuple(own)] = src
        new_val[tuple(between)] = mid
        new_src[tuple(between)] = mid_src
        if construction == "T":
            edge_lo = [slice(None)] * g.ndim
            edge_hi = [slice(None)] * g.ndim
            edge_lo[axis] = slice(0, 1)
            edge_hi[axis] = slice(n - 1, n)
            new_val[tuple(first)] = val[tuple(edge_lo)]
            new_src[tuple(first)] = src[tuple(edge_lo)]
            new_val[tuple(last)] = val[tuple(edge_hi)]
            new_src[tuple(last)] = src[tuple(edge_hi)]
        val, src = new_val, new_src
    return val, src


def _pixel_grid_persistence(
    imgs: list[torch.Tensor],
    construction: str,
    superlevel: bool,
    max_dim: int,
    source: torch.Tensor,
) -> list[Diagram]:
    """2-D images of one shape: the kernel's flat pixel indices index ``source`` directly."""
    n_items = len(imgs)
    height, width = imgs[0].shape
    size = height * width
    host = source.detach().to("cpu", torch.float64).numpy().reshape(n_items, size)
    g = np.negative(host) if superlevel else np.ascontiguousarray(host)
    pairs0, ess0, pairs1 = pixel_grid_pairs(g, height, width, construction == "T", max_dim >= 1)
    pair_counts = np.zeros((max_dim + 1, n_items), dtype=np.int64)
    ess_counts = np.zeros((max_dim + 1, n_items), dtype=np.int64)
    ess_counts[0] = 1
    pair_counts[0] = np.bincount(pairs0[0::2] // size, minlength=n_items)
    if max_dim >= 1:
        pair_counts[1] = np.bincount(pairs1[0::2] // size, minlength=n_items)
    index = np.concatenate((pairs0, pairs1, ess0))
    return split_diagrams(source, index, pair_counts, ess_counts)


def _grid_persistence(
    imgs: list[torch.Tensor],
    construction: str,
    superlevel: bool,
    max_dim: int,
    source: torch.Tensor,
) -> list[Diagram]:
    """Dimensions 0 and ``d - 1`` (and the empty ``d``) with the grid kernel, group by group."""
    d = imgs[0].dim()
    starts = np.concatenate(([0], np.cumsum([t.numel() for t in imgs]))).astype(np.int64)
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, t in enumerate(imgs):
        groups.setdefault(tuple(t.shape), []).append(i)
    fin: dict[int, list[Records]] = {0: [], d - 1: []}
    ess: list[Records] = []
    for shape, members in groups.items():
        stack = torch.stack([imgs[i].detach() for i in members]) if len(members) > 1 else None
        host = imgs[members[0]].detach()[None] if stack is None else stack
        host = host.to("cpu", torch.float64).numpy()
        g = -host if superlevel else host
        ids = np.asarray(members, dtype=np.int64)
        size = int(np.prod(shape))
        src = (starts[ids][:, None] + np.arange(size)).reshape(host.shape)
        flat_g = np.ascontiguousarray(g.reshape(len(members), size))
        with_top = max_dim >= d - 1
        top_cells = construction == "T"
        if d == 2:
            pairs0, ess0, pairs_top = pixel_grid_pairs(
                flat_g, shape[0], shape[1], top_cells, with_top
            )
        else:
            pairs0, ess0, pairs_top = grid_pairs(
                flat_g, top_cells, with_top, *_geometry(shape, top_cells)
            )
        flat_g = flat_g.reshape(-1)
        src = src.reshape(-1)
        for k, flat in ((0, pairs0), (d - 1, pairs_top)):
            if k == d - 1 and not with_top:
                continue
            bp, dp = flat[0::2], flat[1::2]
            fin[k].append(
                Records(k, ids[bp // size], flat_g[bp], flat_g[dp], bp, src[bp], src[dp], d == 2)
            )
        ess.append(Records(0, ids[ess0 // size], flat_g[ess0], None, ess0, src[ess0], None))
    finite = [_concat_records(fin[k]) for k in sorted(fin) if fin[k] and k <= max_dim]
    essential = [_concat_records(ess)]
    return assemble_diagrams(finite, essential, source, len(imgs), max_dim)


#: cell layouts of recently used image shapes (a training loop reuses one shape)
_GEOMETRY: dict[tuple[tuple[int, ...], bool], tuple[np.ndarray, ...]] = {}
_GEOMETRY_SLOTS = 4
_GEOMETRY_MAX_CELLS = 1 << 22


def _geometry(shape: tuple[int, ...], top_cells: bool) -> tuple[np.ndarray, ...]:
    key = (shape, top_cells)
    if int(np.prod([2 * s + 1 for s in shape])) > _GEOMETRY_MAX_CELLS:  # too big to keep
        return grid_geometry(np.asarray(shape, dtype=np.int64), top_cells)
    if key not in _GEOMETRY:
        if len(_GEOMETRY) >= _GEOMETRY_SLOTS:
            _GEOMETRY.pop(next(iter(_GEOMETRY)))  # the oldest
        _GEOMETRY[key] = grid_geometry(np.asarray(shape, dtype=np.int64), top_cells)
    return _GEOMETRY[key]


def _concat_records(parts: list[Records]) -> Records:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return Records(
        first.dim,
        np.concatenate([p.items for p in parts]),
        np.concatenate([p.birth_values for p in parts]),
        None if first.death_values is None else np.concatenate([p.death_values for p in parts]),
        np.concatenate([p.tie for p in parts]),
        np.concatenate([p.birth_src for p in parts]),
        None if first.death_src is None else np.concatenate([p.death_src for p in parts]),
        all(p.presorted for p in parts),
    )


class _Parts:
    """Per-dimension pieces of the complex, appended group by group."""

    def __init__(self, top: int) -> None:
        self.values: list[list[np.ndarray]] = [[] for _ in range(top + 1)]
        self.reps: list[list[np.ndarray]] = [[] for _ in range(top + 1)]
        self.items: list[list[np.ndarray]] = [[] for _ in range(top + 1)]
        self.faces: list[list[np.ndarray]] = [[] for _ in range(top + 1)]
        self.facets: list[np.ndarray] = []
        self.counts = np.zeros(top + 1, dtype=np.int64)


def _build_complex(
    imgs: list[torch.Tensor], construction: str, superlevel: bool, max_dim: int
) -> CellComplex:
    """The disjoint union of the images' cubical complexes (dimensions ``0..top``).

    Images of one shape are processed together, with a leading batch axis.
    """
    d = imgs[0].dim()
    top = 1 if max_dim == 0 else d  # above dimension 0 the top dimension clears (duality)
    parts = _Parts(top)
    starts = np.concatenate(([0], np.cumsum([t.numel() for t in imgs]))).astype(np.int64)
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, t in enumerate(imgs):
        groups.setdefault(tuple(t.shape), []).append(i)
    for shape, members in groups.items():
        host = torch.stack([imgs[i].detach() for i in members]).to("cpu", torch.float64).numpy()
        g = -host if superlevel else host
        ids = np.asarray(members, dtype=np.int64)
        size = int(np.prod(shape))
        src = (starts[ids][:, None] + np.arange(size)).reshape(host.shape)
        _add_group(parts, g, src, ids, construction, top)
    return CellComplex(
        [np.concatenate(p) for p in parts.values],
        [np.concatenate(p) for p in parts.reps],
        [np.concatenate(p) for p in parts.items],
        [None] + [np.concatenate(p) if p else None for p in parts.faces[1:]],
        np.concatenate(parts.facets) if top == d else None,
    )


def _add_group(
    parts: _Parts, g: np.ndarray, src: np.ndarray, ids: np.ndarray, construction: str, top: int
) -> None:
    b, d = g.shape[0], g.ndim - 1
    val, rep = _cell_grid(g, src, construction)
    grid = val.shape[1:]
    n_grid = int(np.prod(grid))
    val = val.reshape(b, n_grid)
    rep = rep.reshape(b, n_grid)
    strides = np.array([int(np.prod(grid[a + 1 :])) for a in range(d)], dtype=np.int64)
    coords = np.indices(grid).reshape(d, -1)
    odd = coords % 2 == 1  # the axes a cell spans
    dims = odd.sum(0)
    local = np.empty(n_grid, dtype=np.int64)  # grid index -> id among the cells of its dim
    cells = []
    sizes = []
    for k in range(top + 1):
        idx = np.flatnonzero(dims == k)
        local[idx] = np.arange(idx.shape[0])
        cells.append(idx)
        sizes.append(idx.shape[0])
        parts.values[k].append(val[:, idx].reshape(-1))
        parts.reps[k].append(rep[:, idx].reshape(-1))
        parts.items[k].append(np.repeat(ids, idx.shape[0]))

    def global_ids(k: int, local_ids: np.ndarray) -> np.ndarray:
        """``(m, f)`` ids within one item -> ``(b * m, f)`` ids in the whole complex."""
        shift = parts.counts[k] + np.arange(b, dtype=np.int64) * sizes[k]
        return (local_ids[None] + shift[:, None, None]).reshape(-1, local_ids.shape[1])

    for k in range(1, top + 1):
        if k == d and top == d:
            break  # the top dimension is paired by duality
        idx = cells[k]
        axes = np.nonzero(odd[:, idx].T)[1].reshape(idx.shape[0], k)
        step = strides[axes]
        faces = local[np.concatenate((idx[:, None] - step, idx[:, None] + step), axis=1)]
        parts.faces[k].append(global_ids(k - 1, faces))
    if top == d:
        idx = cells[d - 1]
        axis = np.argmin(odd[:, idx], axis=0)  # the one axis a facet does not span
        pos = coords[axis, idx]
        step = strides[axis]
        extent = np.asarray(grid, dtype=np.int64)[axis] - 1
        lo = np.where(pos > 0, local[np.maximum(idx - step, 0)], -1)
        hi = np.where(pos < extent, local[np.minimum(idx + step, n_grid - 1)], -1)
        adjacent = np.stack((lo, hi), 1)
        shifted = global_ids(d, adjacent)
        parts.facets.append(np.where(np.tile(adjacent, (b, 1)) < 0, -1, shifted))
    parts.counts += np.asarray(sizes, dtype=np.int64)
