"""Subtract convolutions on CPU for user-defined subtract semifields.

:func:`make_subtract_kernels` compiles the semifield's scalar operators with numba and builds the
original's algorithm around them: the forward pass folds ``add(acc, times(x, g))`` over the taps
inside the image, starting from the zero, then applies ``post_sum``; the backward pass
("inverse add") recovers the accumulator ``res = undo_post_sum(y)`` and, for every tap, the
accumulator without it ``rest = subtract(res, val)``, whose derivative
``d_add_d_right(rest, val)`` gives the tap's share of the gradient.

The kernels are closures over the user's functions, so numba cannot cache them on disk; the
caller (:mod:`semiconv_nd.ops.registry`) keeps them per ``cache_name`` for the process. They are
serial ``nogil`` loops over a range of items (spread over threads by :mod:`.threads`) with one
flat loop over the taps (:mod:`semiconv_nd._tap_math`), which keeps them quick to compile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit

from semiconv_nd._cpu.taps import input_index, kernel_row
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
        ``forward(x, w, geo, taps, zero, out, start, stop)`` over output rows and
        ``backward(grad, x, w, y, geo, taps, grad_x, grad_w, start, stop)`` over (batch, group)
        pairs, ``grad_w`` being the range's kernel-gradient copy.
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

    @njit(nogil=True)
    def forward(x, w, geo, taps, zero, out, start, stop):  # pragma: no cover - numba
        _, _, depth, height, width = x.shape
        _, n_in, k_d, k_h, k_w = w.shape
        _, c_out, o_d, o_h, o_w = out.shape
        n_taps = n_in * k_d * k_h * k_w
        n_rows = o_d * o_h
        for item in range(start, stop):
            plane = item // n_rows
            b = plane // c_out
            o = plane % c_out
            group, row = kernel_row(o, geo[GEO_OUT_PER_GROUP], geo[GEO_BROADCAST])
            od = (item % n_rows) // o_h
            oh = item % o_h
            for ow in range(o_w):
                acc = x.dtype.type(zero)
                for t in range(n_taps):
                    c, td, th, tw = taps[t, 0], taps[t, 1], taps[t, 2], taps[t, 3]
                    i_d = input_index(
                        od, geo[GEO_STRIDE_D], geo[GEO_PAD_D], td, geo[GEO_DILATION_D]
                    )
                    i_h = input_index(
                        oh, geo[GEO_STRIDE_H], geo[GEO_PAD_H], th, geo[GEO_DILATION_H]
                    )
                    i_w = input_index(
                        ow, geo[GEO_STRIDE_W], geo[GEO_PAD_W], tw, geo[GEO_DILATION_W]
                    )
                    if 0 <= i_d < depth and 0 <= i_h < height and 0 <= i_w < width:
                        val = mul(x[b, group * n_in + c, i_d, i_h, i_w], w[row, c, td, th, tw])
                        acc = x.dtype.type(plus(acc, val))
                out[b, o, od, oh, ow] = post(acc)

    @njit(nogil=True)
    def backward(grad, x, w, y, geo, taps, grad_x, grad_w, start, stop):  # pragma: no cover - numba
        _, c_out, o_d, o_h, o_w = grad.shape
        _, n_in, k_d, k_h, k_w = w.shape
        depth, height, width = x.shape[2], x.shape[3], x.shape[4]
        per_group = geo[GEO_OUT_PER_GROUP]
        groups = c_out // per_group
        n_taps = n_in * k_d * k_h * k_w
        for pair in range(start, stop):
            b = pair // groups
            group = pair % groups
            for o in range(group * per_group, (group + 1) * per_group):
                row = kernel_row(o, per_group, geo[GEO_BROADCAST])[1]
                for od in range(o_d):
                    for oh in range(o_h):
                        for ow in range(o_w):
                            res = undo(y[b, o, od, oh, ow])
                            res_grad = grad[b, o, od, oh, ow] * d_post(res)
                            for t in range(n_taps):
                                c, td, th, tw = taps[t, 0], taps[t, 1], taps[t, 2], taps[t, 3]
                                i_d = input_index(
                                    od, geo[GEO_STRIDE_D], geo[GEO_PAD_D], td, geo[GEO_DILATION_D]
                                )
                                i_h = input_index(
                                    oh, geo[GEO_STRIDE_H], geo[GEO_PAD_H], th, geo[GEO_DILATION_H]
                                )
                                i_w = input_index(
                                    ow, geo[GEO_STRIDE_W], geo[GEO_PAD_W], tw, geo[GEO_DILATION_W]
                                )
                                if 0 <= i_d < depth and 0 <= i_h < height and 0 <= i_w < width:
                                    ci = group * n_in + c
                                    xv = x[b, ci, i_d, i_h, i_w]
                                    kv = w[row, c, td, th, tw]
                                    val = mul(xv, kv)
                                    vg = d_add(minus(res, val), val) * res_grad
                                    grad_x[b, ci, i_d, i_h, i_w] += d_img(xv, kv) * vg
                                    grad_w[row, c, td, th, tw] += d_krn(xv, kv) * vg

    return forward, backward
