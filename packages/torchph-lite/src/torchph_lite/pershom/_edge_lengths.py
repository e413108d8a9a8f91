"""Differentiable lengths of selected edges of point clouds (one autograd node).

The persistence values of a point cloud are lengths of its critical edges. Computing them with a
custom :class:`torch.autograd.Function` keeps the autograd graph to a single node however many
edges there are (the training-loop case has thousands of tiny ones). The gradient is the usual
(sub)gradient of the L1/L2 norm, zero for coincident points (never NaN). First-order only. Each
edge's differences are scaled by a power of two before they are (squared and) summed, so lengths
are free of overflow and underflow wherever the length itself is representable.
"""

from __future__ import annotations

import math

import torch

from ._metrics import L1


def _sum_columns(values: torch.Tensor) -> torch.Tensor:
    """Row sums, column by column: the order of the numba kernels, and fast for few columns."""
    if values.shape[1] > 8:
        return values.sum(-1)
    out = values[:, 0]
    for c in range(1, values.shape[1]):
        out = out + values[:, c]
    return out


def _power_of_two_scale(diff: torch.Tensor) -> torch.Tensor:
    """Per row, the power of two that brings the largest ``|diff|`` into ``[0.5, 1)``.

    Multiplying by it is exact, and the scaled (squared) sums can neither overflow nor underflow;
    the exponent is bounded by the dtype's smallest normal one, so the scale is representable.
    Rows of zeros get 1.
    """
    _, exponent = torch.frexp(diff.abs().amax(-1))
    min_exp = math.frexp(torch.finfo(diff.dtype).tiny)[1] - 1  # tiny = 2**min_exp
    exponent = exponent.clamp_(min=min_exp)
    return torch.pow(2.0, -exponent.to(torch.float64)).to(diff.dtype)


class _EdgeLengths(torch.autograd.Function):
    @staticmethod
    def forward(ctx, points: torch.Tensor, ends: torch.Tensor, metric: int) -> torch.Tensor:  # type: ignore[override]
        m = ends.shape[0] // 2
        pos = points.index_select(0, ends).view(2, m, points.shape[1])
        diff = pos[0] - pos[1]
        scale = _power_of_two_scale(diff)
        scaled = diff * scale.unsqueeze(-1)
        if metric == L1:
            out = _sum_columns(scaled.abs()).div_(scale)
            local = diff.sign()
        else:
            out = _sum_columns(scaled * scaled).sqrt_().div_(scale)
            local = diff / torch.where(out > 0, out, 1.0).unsqueeze(-1)
        ctx.save_for_backward(ends, local)
        ctx.n_points = points.shape[0]
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # type: ignore[override]
        ends, local = ctx.saved_tensors
        g = grad.unsqueeze(-1) * local
        out = g.new_zeros(ctx.n_points, g.shape[-1])
        out.index_add_(0, ends, torch.cat((g, -g)))
        return out, None, None


def edge_lengths(points: torch.Tensor, ends: torch.Tensor, metric: int) -> torch.Tensor:
    """Lengths of the edges ``(points[ends[i]], points[ends[m + i]])`` for ``i < m``.

    Args:
        points: the cloud(s), stacked along dim 0.
        ends: int64 tensor of length ``2 m``: first endpoints, then second endpoints.
        metric: 1 (L1) or 2 (L2).

    Shape:
        - points: :math:`(N, d)`
        - ends: :math:`(2m,)`
        - output: :math:`(m,)`

    >>> import torch
    >>> pts = torch.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    >>> edge_lengths(pts, torch.tensor([1, 0, 0, 0]), metric=2)
    tensor([5., 0.], grad_fn=<_EdgeLengthsBackward>)
    """
    return _EdgeLengths.apply(points, ends, metric)
