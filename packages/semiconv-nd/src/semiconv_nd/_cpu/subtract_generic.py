"""Subtract convolutions on CPU for user-defined subtract semifields.

:func:`make_subtract_kernels` compiles the semifield's scalar operators with numba and builds the
original's algorithm around them: the forward pass folds ``add(acc, times(x, g))`` over the taps
inside the image, starting from the zero, then applies ``post_sum``; the backward pass
("inverse add") recovers the accumulator ``res = undo_post_sum(y)`` and, for every tap, the
accumulator without it ``rest = subtract(res, val)``, whose derivative
``d_add_d_right(rest, val)`` gives the tap's share of the gradient.

The kernels are closures over the user's functions, so numba cannot cache them on disk; the
caller (:mod:`semiconv_nd.ops.registry`) keeps them per ``cache_name`` for the process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit, prange

from semiconv_nd.ops.entries import (
    GEO_BROADCAST,
    GEO_DILATION_D,
    GEO_DILATION_H,
    GEO_DILATION_W,
    GEO_OUT_PER_GROUP,
    GEO_PAD_D,
    GEO_PAD_H,
    GEO_PAD_W,
    GEO_STRIDE_D,
    GEO_STRIDE_H,
    GEO_STRIDE_W,
)

__all__ = ["make_subtract_kernels"]


def _identity(acc: float) -> float:
    return acc


def _unit(acc: float) -> float:
    return 1.0


def make_subtract_kernels(
    add: Callable[[float, float], float],
    times: Callable[[float, float], float],
    d_times_d_img: Callable[[float, float], float],
    d_times_d_kernel: Callable[[float, float], float],
    subtract: Callable[[float, float], float],
    d_add_d_right: Callable[[float, float], float],
    post_sum: Callable[[float], float] | None = None,
    undo_post_sum: Callable[[float], float] | None = None,
    d_post_d_acc: Callable[[float], float] | None = None,
) -> tuple[Any, Any]:
    """Compile a forward and a backward CPU kernel for one subtract semifield.

    Args:
        add: ``(acc, val) -> acc ⊕ val``.
        times: ``(img_val, kernel_val) -> img_val ⊗ kernel_val``.
        d_times_d_img: Derivative of ``times`` to the image value.
        d_times_d_kernel: Derivative of ``times`` to the kernel value.
        subtract: ``(res, val) -> acc`` with ``add(acc, val) == res``.
        d_add_d_right: Derivative of ``add`` to ``val``.
        post_sum: Optional transform of the final accumulator.
        undo_post_sum: The inverse of ``post_sum`` (with ``post_sum``).
        d_post_d_acc: The derivative of ``post_sum`` (with ``post_sum``).

    Returns:
        ``(forward, backward)`` numba dispatchers with the signatures
        ``forward(x, w, geo, zero, out)`` and
        ``backward(grad, x, w, y, geo, grad_x, grad_w_parts)``.
    """
    plus = njit(add)
    mul = njit(times)
    d_img = njit(d_times_d_img)
    d_krn = njit(d_times_d_kernel)
    minus = njit(subtract)
    d_add = njit(d_add_d_right)
    post = njit(_identity if post_sum is None else post_sum)
    undo = njit(_identity if undo_post_sum is None else undo_post_sum)
    d_post = njit(_unit if d_post_d_acc is None else d_post_d_acc)

    @njit(parallel=True)
    def forward(x, w, geo, zero, out):  # pragma: no cover - numba
        batch, _, depth, height, width = x.shape
        _, n_in, k_d, k_h, k_w = w.shape
        _, c_out, o_d, o_h, o_w = out.shape
        s_d, s_h, s_w = geo[GEO_STRIDE_D], geo[GEO_STRIDE_H], geo[GEO_STRIDE_W]
        p_d, p_h, p_w = geo[GEO_PAD_D], geo[GEO_PAD_H], geo[GEO_PAD_W]
        d_d, d_h, d_w = geo[GEO_DILATION_D], geo[GEO_DILATION_H], geo[GEO_DILATION_W]
        per_group, broadcast = geo[GEO_OUT_PER_GROUP], geo[GEO_BROADCAST]
        for plane in prange(batch * c_out):
            b = plane // c_out
            o = plane % c_out
            group = o // per_group
            row = o % per_group if broadcast else o
            for od in range(o_d):
                for oh in range(o_h):
                    for ow in range(o_w):
                        acc = x.dtype.type(zero)
                        for c in range(n_in):
                            for td in range(k_d):
                                i_d = od * s_d - p_d + td * d_d
                                for th in range(k_h):
                                    i_h = oh * s_h - p_h + th * d_h
                                    for tw in range(k_w):
                                        i_w = ow * s_w - p_w + tw * d_w
                                        if (
                                            0 <= i_d < depth
                                            and 0 <= i_h < height
                                            and 0 <= i_w < width
                                        ):
                                            val = mul(
                                                x[b, group * n_in + c, i_d, i_h, i_w],
                                                w[row, c, td, th, tw],
                                            )
                                            acc = x.dtype.type(plus(acc, val))
                        out[b, o, od, oh, ow] = post(acc)

    @njit(parallel=True)
    def backward(grad, x, w, y, geo, grad_x, grad_w_parts):  # pragma: no cover - numba
        batch, c_out, o_d, o_h, o_w = grad.shape
        n_chunks = grad_w_parts.shape[0]
        _, n_in, k_d, k_h, k_w = w.shape
        depth, height, width = x.shape[2], x.shape[3], x.shape[4]
        s_d, s_h, s_w = geo[GEO_STRIDE_D], geo[GEO_STRIDE_H], geo[GEO_STRIDE_W]
        p_d, p_h, p_w = geo[GEO_PAD_D], geo[GEO_PAD_H], geo[GEO_PAD_W]
        d_d, d_h, d_w = geo[GEO_DILATION_D], geo[GEO_DILATION_H], geo[GEO_DILATION_W]
        per_group, broadcast = geo[GEO_OUT_PER_GROUP], geo[GEO_BROADCAST]
        groups = c_out // per_group
        n_pairs = batch * groups
        for chunk in prange(n_chunks):
            gw = grad_w_parts[chunk]
            for pair in range(chunk * n_pairs // n_chunks, (chunk + 1) * n_pairs // n_chunks):
                b = pair // groups
                group = pair % groups
                for oo in range(per_group):
                    o = group * per_group + oo
                    row = oo if broadcast else o
                    for od in range(o_d):
                        for oh in range(o_h):
                            for ow in range(o_w):
                                res = undo(y[b, o, od, oh, ow])
                                res_grad = grad[b, o, od, oh, ow] * d_post(res)
                                for c in range(n_in):
                                    ci = group * n_in + c
                                    for td in range(k_d):
                                        i_d = od * s_d - p_d + td * d_d
                                        for th in range(k_h):
                                            i_h = oh * s_h - p_h + th * d_h
                                            for tw in range(k_w):
                                                i_w = ow * s_w - p_w + tw * d_w
                                                if (
                                                    0 <= i_d < depth
                                                    and 0 <= i_h < height
                                                    and 0 <= i_w < width
                                                ):
                                                    xv = x[b, ci, i_d, i_h, i_w]
                                                    kv = w[row, c, td, th, tw]
                                                    val = mul(xv, kv)
                                                    rest = minus(res, val)
                                                    vg = d_add(rest, val) * res_grad
                                                    grad_x[b, ci, i_d, i_h, i_w] += (
                                                        d_img(xv, kv) * vg
                                                    )
                                                    gw[row, c, td, th, tw] += d_krn(xv, kv) * vg

    return forward, backward
