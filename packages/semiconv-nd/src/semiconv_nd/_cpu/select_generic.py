"""Select convolutions on CPU for user-defined select semifields.

:func:`make_select_kernels` compiles the semifield's scalar operators with numba and builds a
forward and a backward kernel around them. They follow the original's algorithm literally: the
accumulator starts at the semifield zero, taps outside the image are skipped, and a tap replaces
the selection only when ``add_select(acc, val)`` is true, so ties keep the first tap in
(channel, axis 0, axis 1, axis 2) window order. A NaN tap value always replaces the selection
(so the last NaN of a window is selected and receives the gradient, like ``max_pool2d``). The
backward pass is O(outputs), like
:func:`semiconv_nd._cpu.select_builtin.tropical_backward`, but evaluates ``d_times_d_img`` and
``d_times_d_kernel`` at the selected image and kernel values.

These kernels are closures over the user's functions, so numba cannot cache them on disk; the
caller (:mod:`semiconv_nd.ops.registry`) keeps them per ``cache_name`` for the process. They are
kept small so that they compile quickly: serial ``nogil`` loops over a range of items (spread
over threads by :mod:`.threads`), one flat loop over the taps with the index arithmetic of
:mod:`semiconv_nd._tap_math`.
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

__all__ = ["make_select_kernels"]


def make_select_kernels(
    add_select: Callable[[float, float], bool],
    times: Callable[[float, float], float],
    d_times_d_img: Callable[[float, float], float],
    d_times_d_kernel: Callable[[float, float], float],
) -> tuple[Any, Any]:
    """Compile a forward and a backward CPU kernel for one select semifield.

    Args:
        add_select: ``(acc, val) -> bool``, whether ``val`` replaces ``acc``.
        times: ``(img_val, kernel_val) -> float``.
        d_times_d_img: Derivative of ``times`` to the image value.
        d_times_d_kernel: Derivative of ``times`` to the kernel value.

    Returns:
        ``(forward, backward)`` numba dispatchers with the signatures
        ``forward(x, w, geo, taps, zero, out, prov, sentinel, start, stop)`` over output rows and
        ``backward(grad, prov, x, w, geo, offsets, sentinel, grad_x, grad_w, start, stop)``
        over (batch, group) pairs, ``offsets`` from
        :func:`semiconv_nd._cpu.taps.tap_offsets`, ``taps`` from
        :func:`semiconv_nd._cpu.taps.tap_table` and ``grad_w`` the range's kernel-gradient
        copy.
    """
    select = njit(add_select)
    mul = njit(times)
    d_img = njit(d_times_d_img)
    d_krn = njit(d_times_d_kernel)

    @njit(nogil=True)
    def forward(
        x, w, geo, taps, zero, out, prov, sentinel, start, stop
    ):  # pragma: no cover - numba
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
                best = -1
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
                        xv = x[b, group * n_in + c, i_d, i_h, i_w]
                        val = x.dtype.type(mul(xv, w[row, c, td, th, tw]))
                        if val != val or select(acc, val):  # NaN wins, like max_pool
                            acc = val
                            best = t
                out[b, o, od, oh, ow] = acc
                prov[b, o, od, oh, ow] = sentinel if best < 0 else best

    @njit(nogil=True)
    def backward(
        grad, prov, x, w, geo, offsets, sentinel, grad_x, grad_w, start, stop
    ):  # pragma: no cover - numba
        _, c_out, o_d, o_h, o_w = grad.shape
        n_in = w.shape[1]
        n_taps = offsets.shape[0]
        height, width = x.shape[3], x.shape[4]
        plane_size = x.shape[2] * height * width
        s_d, s_h, s_w = geo[GEO_STRIDE_D], geo[GEO_STRIDE_H], geo[GEO_STRIDE_W]
        p_d, p_h, p_w = geo[GEO_PAD_D], geo[GEO_PAD_H], geo[GEO_PAD_W]
        per_group = geo[GEO_OUT_PER_GROUP]
        groups = c_out // per_group
        gx = grad_x.reshape(-1)
        xf = x.reshape(-1)
        wf = w.reshape(-1)
        gw = grad_w.reshape(-1)
        for pair in range(start, stop):
            b = pair // groups
            group = pair % groups
            x_base = (b * x.shape[1] + group * n_in) * plane_size
            for o in range(group * per_group, (group + 1) * per_group):
                w_base = kernel_row(o, per_group, geo[GEO_BROADCAST])[1] * n_taps
                for od in range(o_d):
                    z = (od * s_d - p_d) * height
                    for oh in range(o_h):
                        zy = (z + oh * s_h - p_h) * width - p_w
                        for ow in range(o_w):
                            t = prov[b, o, od, oh, ow]
                            if t != sentinel:
                                gv = grad[b, o, od, oh, ow]
                                xi = x_base + zy + ow * s_w + offsets[t]
                                xv = xf[xi]
                                kv = wf[w_base + t]
                                gx[xi] += d_img(xv, kv) * gv
                                gw[w_base + t] += d_krn(xv, kv) * gv

    return forward, backward
