"""Float32 and float64 CPU point clouds: diagrams, values and gradients in two numba calls.

The generic path (:mod:`._assemble` with :mod:`._edge_lengths`) gathers every value with torch ops
after the kernels ran. For a float32 or float64 cloud on the CPU that work is done by the kernel
call itself: it computes the persistence records from a float64 copy of the coordinates (as the
generic path does) and returns the gather plan with the L1 lengths or the squared L2 lengths of the
critical edges, computed from the coordinates *in their own dtype* and summed coordinate by
coordinate exactly as :func:`._edge_lengths.edge_lengths` does (the L2 square root is then taken by
torch in one call). Every operation is a single IEEE operation in the input's dtype (numba keeps
float32 arithmetic in float32 and contracts nothing into fused multiply-adds), so the values are
bitwise those of the generic path. One autograd node, :class:`GatheredValues`, hands the values out
as ``(pairs, births)``, and its backward scatters the gradient to the points with one more numba
call, in the dtype of the input and in the order of the generic path's ``index_add_``. This keeps
the training-loop case (many small clouds, forward and backward every step) cheap.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._assemble import _gather_plan
from ._batch import NO_MATRICES, plan_points_dim0, records
from ._jit import kernel
from ._metrics import L1


@kernel
def _edge_values(
    coords: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    metric: int,
    min_exp: int,
    values: np.ndarray,
    scales: np.ndarray,
) -> None:
    """Scaled L1 lengths or squared L2 lengths of the edges ``(a[i], b[i])`` (in place).

    ``values`` (zeros) and ``scales`` (ones) have the dtype of ``coords``. An edge with
    ``a[i] < 0`` is a zero value and becomes ``(0, 0)``. Each edge's coordinate differences are
    multiplied by the power of two ``scales[i]`` that brings the largest into ``[0.5, 1)``
    (``min_exp`` is the dtype's smallest normal exponent, bounding the scale), so the sums neither
    overflow nor underflow; the length is ``values[i] / scales[i]`` (L1) or
    ``sqrt(values[i]) / scales[i]`` (L2). The arithmetic is that of
    :func:`._edge_lengths.edge_lengths` (sums over the coordinates in order, from the first term,
    in the dtype of ``coords``), so the lengths are bitwise the same.
    """
    for i in range(a.shape[0]):
        if a[i] < 0:
            a[i] = 0
            b[i] = 0
            continue
        u = a[i]
        v = b[i]
        big = abs(coords[u, 0] - coords[v, 0])
        for c in range(1, coords.shape[1]):
            x = abs(coords[u, c] - coords[v, c])
            if x > big:
                big = x
        if big == 0:
            continue
        exponent = math.frexp(big)[1]
        scales[i] = math.ldexp(1.0, -(exponent if exponent > min_exp else min_exp))  # exact
        s = scales[i]
        diff = (coords[u, 0] - coords[v, 0]) * s
        acc = abs(diff) if metric == L1 else diff * diff
        for c in range(1, coords.shape[1]):
            diff = (coords[u, c] - coords[v, c]) * s
            acc += abs(diff) if metric == L1 else diff * diff
        values[i] = acc


def gather_values(
    points: np.ndarray,
    coords: np.ndarray,
    offsets: np.ndarray,
    metric: int,
    max_dim: int,
    threshold: float,
) -> tuple[bool, tuple]:
    """Values of dimensions ``0..max_dim`` of the clouds ``points[offsets[c]:offsets[c + 1]]``.

    ``points`` is the float64 copy the diagrams are computed from, ``coords`` the same
    coordinates in the input's dtype (float32 or float64; the same array for float64), from which
    the values are computed (see ``_edge_values``). The first item is ``False`` (and nothing is
    computed) when a coordinate is not finite; else the second is the plan
    ``(a, b, values, scales, fin_counts, ess_counts, m)``: the ``2 m`` values of the ``m`` finite
    pairs (interleaved birth, death) followed by the essential births, value ``i`` belonging to the
    edge ``(a[i], b[i])`` (``(0, 0)`` for a zero value), and the per-(input, dim) counts.

    Only ``_edge_values`` (and ``_scatter``) are specialised per dtype: the engines run in float64
    and compile once, whatever the input's dtype.
    """
    if max_dim == 0:
        plan = plan_points_dim0(points, offsets, metric, threshold)
        if plan is None:
            return False, ()
        a, b, counts, _, m = plan
        fin_counts, ess_counts = counts[0], counts[1]
    else:
        if not np.isfinite(points).all():
            return False, ()
        found = records(points, offsets, NO_MATRICES, metric, max_dim, threshold)
        a, b, fin, fin_counts, ess_counts = _gather_plan(
            *found[:6], found[7], offsets, max_dim + 1, offsets.shape[0] - 1
        )
        m = fin.shape[0]
    values = np.zeros(a.shape[0], dtype=coords.dtype)
    scales = np.ones(a.shape[0], dtype=coords.dtype)
    min_exp = int(np.finfo(coords.dtype).minexp)
    _edge_values(coords, a, b, metric, min_exp, values, scales)
    return True, (a, b, values, scales, fin_counts, ess_counts, m)


@kernel
def _scatter(
    grad: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    coords: np.ndarray,
    lengths: np.ndarray,
    metric: int,
    one: float,
    out: np.ndarray,
) -> None:
    """Gradient of ``sum(grad * lengths)`` with respect to ``coords``, added to ``out`` (zeros).

    Same arithmetic as :class:`._edge_lengths._EdgeLengths`, in the dtype of ``coords`` (``one``
    is ``1`` in that dtype, so that no intermediate is widened): ``g = grad[i] * local`` is added
    at ``a[i]`` for every ``i``, then subtracted at ``b[i]``; ``local`` is the sign of the
    difference (L1) or the difference over the length (L2, length 1 used for coincident points).
    ``out`` has the shape and dtype of ``coords``.
    """
    d = coords.shape[1]
    zero = one - one
    for second in range(2):
        for i in range(grad.shape[0]):
            u = a[i]
            v = b[i]
            if grad[i] == zero or u == v:
                continue
            scale = lengths[i] if lengths[i] > zero else one
            w = v if second else u
            for c in range(d):
                diff = coords[u, c] - coords[v, c]
                if metric == L1:
                    local = one if diff > zero else (-one if diff < zero else zero)
                else:
                    local = diff / scale
                g = grad[i] * local
                out[w, c] += -g if second else g  # x + (-g) is x - g, bitwise


class GatheredValues(torch.autograd.Function):
    """Hands out precomputed values as ``(pairs, births)``; backward scatters to the points.

    ``plan`` is ``(coords, a, b, values, metric, m)``: the coordinates in the input's dtype (kept
    for the backward pass), the edges ``(a[i], b[i])`` of the values, and the number ``m`` of
    finite pairs, whose ``2 m`` values come first.
    """

    @staticmethod
    def forward(ctx, source: torch.Tensor, plan: tuple) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        values, m = plan[3], plan[5]
        ctx.set_materialize_grads(False)
        ctx.plan = plan
        ctx.shape = source.shape
        out = torch.from_numpy(values)
        return out[: 2 * m].view(m, 2), out[2 * m :]

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g_pairs: torch.Tensor | None, g_births: torch.Tensor | None):  # type: ignore[override]
        coords, a, b, values, metric, m = ctx.plan
        grad = np.zeros(a.shape[0], dtype=values.dtype)
        if g_pairs is not None:
            grad[: 2 * m] = g_pairs.reshape(-1).numpy()
        if g_births is not None:
            grad[2 * m :] = g_births.numpy()
        out = np.zeros(coords.shape, dtype=coords.dtype)
        _scatter(grad, a, b, coords, values, metric, values.dtype.type(1), out)
        return torch.from_numpy(out).view(ctx.shape), None
