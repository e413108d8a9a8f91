r"""torchph's low-level API: persistence of any filtered complex given as a boundary array.

``calculate_persistence`` takes torchph's *compressed descending sorted boundary array*: row ``i``
lists, in descending order and padded with ``-1`` on the right, the filtration indices of the
faces of the simplex whose filtration index is ``ba_row_i_to_bm_col_i[i]``; simplices without
faces (vertices) have no row. The result holds filtration **indices**, as in torchph: code written
against ``torchph.pershom.calculate_persistence`` runs after changing the import. Unlike the
original it runs on CPU tensors too (the reduction always runs on the CPU; the result is returned
on the input's device).
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ._reduction import reduce_columns

__all__ = ["calculate_persistence"]


def calculate_persistence(
    compr_desc_sort_ba: torch.Tensor,
    ba_row_i_to_bm_col_i: torch.Tensor,
    simplex_dimension: torch.Tensor,
    max_dim_to_read_of_reduced_ba: int,
    max_pairs: int = -1,
) -> list[list[torch.Tensor]]:
    r"""Persistence pairs (as filtration indices) of a boundary array, over Z/2.

    Args:
        compr_desc_sort_ba: ``(r, w)`` integer tensor; row ``i`` holds the faces of one simplex
            in descending order, padded with ``-1``.
        ba_row_i_to_bm_col_i: ``(r,)`` filtration index of the simplex of each row.
        simplex_dimension: ``(N,)`` dimension of every simplex, in filtration order.
        max_dim_to_read_of_reduced_ba: largest dimension read.
        max_pairs: accepted for compatibility (a tuning knob of the original's parallel
            reduction); ignored.

    Returns:
        ``[non_essential, essential]``: ``non_essential[n]`` an ``(m_n, 2)`` int64 tensor of
        (birth index, death index) in dimension ``n`` sorted by birth, ``essential[n]`` the
        ascending birth indices of classes that never die; ``n = 0..max_dim_to_read_of_reduced_ba``.

    Shape:
        - compr_desc_sort_ba: :math:`(r, w)`; ba_row_i_to_bm_col_i: :math:`(r,)`;
          simplex_dimension: :math:`(N,)`
        - non_essential[n]: :math:`(m_n, 2)`; essential[n]: :math:`(e_n,)`

    >>> import torch
    >>> ba = torch.tensor([[1, 0, -1, -1]])  # simplex 2 (an edge) has faces 1 and 0
    >>> pairs, essential = calculate_persistence(ba, torch.tensor([2]), torch.tensor([0, 0, 1]), 0)
    >>> pairs[0], essential[0]
    (tensor([[1, 2]]), tensor([0]))
    """
    ba = _int_array(compr_desc_sort_ba, "compr_desc_sort_ba", 2)
    row_col = _int_array(ba_row_i_to_bm_col_i, "ba_row_i_to_bm_col_i", 1)
    dims = _int_array(simplex_dimension, "simplex_dimension", 1)
    if isinstance(max_dim_to_read_of_reduced_ba, bool) or not isinstance(
        max_dim_to_read_of_reduced_ba, numbers.Integral
    ):
        raise TypeError(
            "max_dim_to_read_of_reduced_ba must be an int, got "
            f"{type(max_dim_to_read_of_reduced_ba).__name__}"
        )
    max_dim = int(max_dim_to_read_of_reduced_ba)
    if max_dim < 0:
        raise ValueError(f"max_dim_to_read_of_reduced_ba must be >= 0, got {max_dim}")
    if isinstance(max_pairs, bool) or not isinstance(max_pairs, numbers.Integral):
        raise TypeError(f"max_pairs must be an int, got {type(max_pairs).__name__}")
    n = dims.shape[0]
    if row_col.shape[0] != ba.shape[0]:
        raise ValueError(
            "ba_row_i_to_bm_col_i must have one entry per row of compr_desc_sort_ba, got "
            f"{row_col.shape[0]} for {ba.shape[0]} rows"
        )
    if row_col.size and (row_col.min() < 0 or row_col.max() >= n):
        raise ValueError(
            f"ba_row_i_to_bm_col_i must hold filtration indices in [0, {n}) "
            f"(len(simplex_dimension) = {n}), got min {row_col.min()}, max {row_col.max()}"
        )
    if np.unique(row_col).shape[0] != row_col.shape[0]:
        raise ValueError("ba_row_i_to_bm_col_i must not repeat a filtration index")
    if dims.size and dims.min() < 0:
        raise ValueError(f"simplex_dimension must be >= 0, got {dims.min()}")
    ptr, faces = _columns(ba, row_col, n)
    pivots = reduce_columns(ptr, faces, n)
    device = compr_desc_sort_ba.device
    has_pivot = pivots >= 0
    deaths = np.flatnonzero(has_pivot)
    births = pivots[has_pivot]
    order = np.argsort(births, kind="stable")
    births, deaths = births[order], deaths[order]
    unpaired = ~has_pivot
    unpaired[births] = False
    pairs_out = []
    ess_out = []
    for k in range(max_dim + 1):
        sel = dims[births] == k
        pairs_out.append(torch.from_numpy(np.stack((births[sel], deaths[sel]), 1)).to(device))
        ess_out.append(torch.from_numpy(np.flatnonzero(unpaired & (dims == k))).to(device))
    return [pairs_out, ess_out]


def _int_array(x: object, name: str, ndim: int) -> np.ndarray:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype.is_floating_point or x.dtype.is_complex or x.dtype == torch.bool:
        raise TypeError(f"{name} must have an integer dtype, got {x.dtype}")
    if x.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {tuple(x.shape)}")
    return x.detach().to("cpu", torch.int64).numpy()


def _columns(ba: np.ndarray, row_col: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR columns in filtration order from the padded rows (validated)."""
    valid = ba >= 0
    if (ba < -1).any():
        raise ValueError("compr_desc_sort_ba must hold face indices >= 0 or the padding -1")
    # padding only on the right, faces strictly descending
    if (valid[:, 1:] & ~valid[:, :-1]).any():
        raise ValueError("compr_desc_sort_ba must be padded with -1 on the right only")
    if ba.shape[1] > 1 and ((ba[:, 1:] >= ba[:, :-1]) & valid[:, 1:]).any():
        raise ValueError("every row of compr_desc_sort_ba must be strictly descending")
    if valid.any() and (ba[valid].max() >= n):
        raise ValueError(f"compr_desc_sort_ba holds face indices >= {n} (the number of simplices)")
    if valid.any() and (ba[:, :1] >= row_col[:, None]).any():
        raise ValueError("every face must come before its simplex in the filtration")
    sizes = np.zeros(n, dtype=np.int64)
    sizes[row_col] = valid.sum(1)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    faces = np.empty(ptr[-1], dtype=np.int64)
    order = np.argsort(row_col, kind="stable")
    flat = ba[order][valid[order]]
    faces[:] = flat
    return ptr, faces
