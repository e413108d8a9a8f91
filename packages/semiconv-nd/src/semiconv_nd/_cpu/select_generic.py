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
caller (:mod:`semiconv_nd.ops.registry`) keeps them per ``cache_name`` for the process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, prange

from semiconv_nd._cpu.select_builtin import tap_offsets
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
        ``forward(x, w, geo, zero, out, prov, sentinel)`` and
        ``backward(grad, prov, x, w, geo, sentinel, grad_x, grad_w_parts)``.
    """
    select = njit(add_select)
    mul = njit(times)
    d_img = njit(d_times_d_img)
    d_krn = njit(d_times_d_kernel)

    @njit(parallel=True)
    def forward(x, w, geo, zero, out, prov, sentinel):  # pragma: no cover - numba
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
                        best = -1
                        t = 0
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
                                            val = x.dtype.type(
                                                mul(
                                                    x[b, group * n_in + c, i_d, i_h, i_w],
                                                    w[row, c, td, th, tw],
                                                )
                                            )
                                            # NaN wins, like max_pool
                                            if val != val or select(acc, val):
                                                acc = val
                                                best = t
                                        t += 1
                        out[b, o, od, oh, ow] = acc
                        prov[b, o, od, oh, ow] = sentinel if best < 0 else best

    @njit(parallel=True)
    def backward(grad, prov, x, w, geo, sentinel, grad_x, grad_w_parts):  # pragma: no cover
        batch, c_out, o_d, o_h, o_w = grad.shape
        n_chunks = grad_w_parts.shape[0]
        n_in = w.shape[1]
        n_taps = n_in * w.shape[2] * w.shape[3] * w.shape[4]
        in_shape = np.array(x.shape, np.int64)
        depth, height, width = x.shape[2], x.shape[3], x.shape[4]
        s_d, s_h, s_w = geo[GEO_STRIDE_D], geo[GEO_STRIDE_H], geo[GEO_STRIDE_W]
        p_d, p_h, p_w = geo[GEO_PAD_D], geo[GEO_PAD_H], geo[GEO_PAD_W]
        per_group, broadcast = geo[GEO_OUT_PER_GROUP], geo[GEO_BROADCAST]
        groups = c_out // per_group
        offsets = tap_offsets(in_shape, np.array(w.shape, np.int64), geo)
        plane_size = depth * height * width
        n_pairs = batch * groups
        gx = grad_x.reshape(-1)
        xf = x.reshape(-1)
        wf = w.reshape(-1)
        for chunk in prange(n_chunks):
            gw = grad_w_parts[chunk].reshape(-1)
            for pair in range(chunk * n_pairs // n_chunks, (chunk + 1) * n_pairs // n_chunks):
                b = pair // groups
                group = pair % groups
                x_base = (b * x.shape[1] + group * n_in) * plane_size
                for oo in range(per_group):
                    o = group * per_group + oo
                    w_base = (oo if broadcast else o) * n_taps
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
