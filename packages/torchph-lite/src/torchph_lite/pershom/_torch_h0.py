"""Dimension 0 with torch tensor ops: batched dense Prim that runs on any device (CUDA or CPU).

It follows the same strict edge order as the numba kernel in :mod:`._h0` (length, then larger edge
index first), so both find the same unique minimum spanning forest and the diagrams agree exactly.
Distances are evaluated in float64 with the same formulas as the numba kernels.
"""

from __future__ import annotations

import math

import torch

from ._metrics import L1, MATRIX, SAFE_EXPONENT


def unit_scaled_torch(clouds: torch.Tensor, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Float64 clouds ``(B, n, d)`` and the threshold, rescaled per cloud as the kernels do.

    Returns the clouds times ``2**e`` and the ``(B, 1)`` thresholds times ``2**e`` (``e = 0`` for
    clouds of ordinary magnitude).
    """
    big = clouds.abs().amax((1, 2))
    ordinary = (big == 0) | ((big >= 2.0**-SAFE_EXPONENT) & (big <= 2.0**SAFE_EXPONENT))
    exponent = torch.where(ordinary, 0, -torch.frexp(big).exponent.to(torch.int64))
    half = exponent // 2  # two exact steps: 2**e alone may not be representable
    scaled = clouds * torch.pow(2.0, half.double()).view(-1, 1, 1)
    scaled = scaled * torch.pow(2.0, (exponent - half).double()).view(-1, 1, 1)
    thresholds = torch.full(
        (clouds.shape[0], 1), threshold, dtype=torch.float64, device=clouds.device
    )
    thresholds = thresholds * torch.pow(2.0, half.double()).view(-1, 1)
    thresholds = thresholds * torch.pow(2.0, (exponent - half).double()).view(-1, 1)
    return scaled, thresholds


def _row_distances(data: torch.Tensor, current: torch.Tensor, metric: int) -> torch.Tensor:
    rows = torch.arange(data.shape[0], device=data.device)
    if metric == MATRIX:
        return data[rows, current]
    diff = data - data[rows, current].unsqueeze(1)
    if metric == L1:
        return diff.abs().sum(-1)
    return diff.pow(2).sum(-1).sqrt()


@torch.no_grad()
def spanning_forest_torch(
    data: torch.Tensor, metric: int, threshold: float | torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Minimum spanning forests of clouds ``(B, n, d)`` or distance matrices ``(B, n, n)``.

    Args:
        data: float64 tensor, point clouds (``metric`` 1 or 2) or symmetric distance matrices
            (``metric`` 0).
        metric: 0 (matrix), 1 (L1) or 2 (L2).
        threshold: edges longer than this are absent (``inf`` for none); a float or a ``(B, 1)``
            tensor (one threshold per input).

    Returns:
        ``(u, v, w, valid, n_components)``: ``(B, n - 1)`` tensors of edge endpoints, lengths and a
        mask of the steps that added an edge (a step without one starts a new component), and the
        ``(B,)`` component counts.

    Shape:
        - data: :math:`(B, n, d)` or :math:`(B, n, n)`
        - u, v, w, valid: :math:`(B, n - 1)`
        - n_components: :math:`(B,)`
    """
    b, n = data.shape[0], data.shape[1]
    dev = data.device
    in_tree = torch.zeros(b, n, dtype=torch.bool, device=dev)
    key = torch.full((b, n), math.inf, dtype=torch.float64, device=dev)
    key_idx = torch.full((b, n), -1, dtype=torch.int64, device=dev)
    parent = torch.full((b, n), -1, dtype=torch.int64, device=dev)
    vertices = torch.arange(n, device=dev).expand(b, n)
    batch_rows = torch.arange(b, device=dev)
    current = torch.zeros(b, dtype=torch.int64, device=dev)
    in_tree[:, 0] = True
    us, vs, ws, valids = [], [], [], []
    inf = torch.tensor(math.inf, dtype=torch.float64, device=dev)
    minus_two = torch.tensor(-2, dtype=torch.int64, device=dev)
    for _ in range(n - 1):
        w = _row_distances(data, current, metric)
        hi = torch.maximum(vertices, current.unsqueeze(1))
        lo = torch.minimum(vertices, current.unsqueeze(1))
        e = hi * (hi - 1) // 2 + lo
        better = (~in_tree) & (w <= threshold) & ((w < key) | ((w == key) & (e > key_idx)))
        key = torch.where(better, w, key)
        key_idx = torch.where(better, e, key_idx)
        parent = torch.where(better, current.unsqueeze(1), parent)
        free_key = torch.where(in_tree, inf, key)
        smallest = free_key.min(1, keepdim=True).values
        score = torch.where((free_key == smallest) & ~in_tree, key_idx, minus_two)
        best = score.argmax(1)  # first maximum: the smallest free vertex when nothing is reachable
        best_w = smallest.squeeze(1)
        us.append(parent[batch_rows, best])
        vs.append(best)
        ws.append(best_w)
        valids.append(torch.isfinite(best_w))
        in_tree[batch_rows, best] = True
        current = best
    if n == 1:
        empty_i = torch.zeros(b, 0, dtype=torch.int64, device=dev)
        return (
            empty_i,
            empty_i,
            torch.zeros(b, 0, dtype=torch.float64, device=dev),
            torch.zeros(b, 0, dtype=torch.bool, device=dev),
            torch.ones(b, dtype=torch.int64, device=dev),
        )
    valid = torch.stack(valids, 1)
    n_components = 1 + (~valid).sum(1)
    return torch.stack(us, 1), torch.stack(vs, 1), torch.stack(ws, 1), valid, n_components
