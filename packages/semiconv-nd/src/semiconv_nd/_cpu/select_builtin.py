"""Tropical max / min (negated) select convolutions on CPU.

One kernel serves both semifields through the sign ``sx``: with ``u = sx * x + g`` the output is
``y = sx * max(u)``. For ``sx = 1`` that is :math:`T_+` (``max(x + g)``), for ``sx = -1`` it is
``min(x - g)``, the negated :math:`T_-`. A tap replaces the running maximum only when it is
strictly greater, so the first maximal tap in (channel, axis 0, axis 1, axis 2) window order
wins. A NaN tap value (a NaN pixel or kernel value) always replaces the running maximum, so NaN
propagates to the output and the last NaN of a window receives the gradient, as in
``max_pool2d``. Taps outside the image are skipped.

The kernels are serial (``nogil``) and work on a range of items; :mod:`.threads` runs ranges on
several threads. The forward pass's items are output rows ``(batch, channel, od, oh)``: for
every tap (one flat loop, :mod:`semiconv_nd._tap_math`) it runs one vectorised loop over the
output columns; strided taps are first gathered into a contiguous buffer, and the running tap
index is kept as a float of the image's dtype so that the compare-and-blend vectorises. It
stores the winning tap index (the provenance) as a small unsigned integer.

The backward pass is O(outputs): each output element adds its gradient to the one input element
and the one kernel element it came from. Its items are (batch, group) pairs, so no two threads
write the same input gradient, and each range adds into its own kernel-gradient copy.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from semiconv_nd._cpu.cache import CACHE
from semiconv_nd._cpu.taps import gather, input_index, kernel_row
from semiconv_nd.ops.entries import (
    GEO_BROADCAST,
    GEO_DILATION_D,
    GEO_DILATION_H,
    GEO_OUT_PER_GROUP,
    GEO_PAD_D,
    GEO_PAD_H,
    GEO_PAD_W,
    GEO_STRIDE_D,
    GEO_STRIDE_H,
    GEO_STRIDE_W,
)

__all__ = ["tropical_backward", "tropical_forward"]


@njit(cache=CACHE)
def _select_tap(xs, a_s, b_s, sign, g, tap):
    """Update a row of running maxima ``a_s`` (and their taps ``b_s``) with one tap."""
    for j in range(xs.shape[0]):
        v = sign * xs[j] + g
        a = a_s[j]
        better = (v > a) | (v != v)  # NaN wins, like max_pool
        a_s[j] = v if better else a
        b_s[j] = tap if better else b_s[j]


@njit(nogil=True, cache=CACHE)
def tropical_forward(x, w, geo, taps, sx, out, prov, sentinel, scratch, start, stop):
    """Tropical forward pass of output rows ``[start, stop)``. Writes ``out`` and ``prov``.

    ``taps`` is the tap table of :func:`semiconv_nd._cpu.taps.tap_table`; ``scratch`` a
    ``(3, oW)`` buffer of the image's dtype, private to this range.
    """
    _, _, depth, height, _ = x.shape
    _, n_in, k_d, k_h, k_w = w.shape
    _, c_out, o_d, o_h, o_w = out.shape
    s_w = geo[GEO_STRIDE_W]
    n_taps = n_in * k_d * k_h * k_w
    n_rows = o_d * o_h
    sign = x.dtype.type(sx)
    acc, best, strided = scratch[0], scratch[1], scratch[2]
    for item in range(start, stop):
        plane = item // n_rows
        b = plane // c_out
        o = plane % c_out
        group, row = kernel_row(o, geo[GEO_OUT_PER_GROUP], geo[GEO_BROADCAST])
        od = (item % n_rows) // o_h
        oh = item % o_h
        acc[:] = -np.inf
        best[:] = -1.0
        for t in range(n_taps):
            c, td, th, tw = taps[t, 0], taps[t, 1], taps[t, 2], taps[t, 3]
            lo, hi, first = taps[t, 4], taps[t, 5], taps[t, 6]
            i_d = input_index(od, geo[GEO_STRIDE_D], geo[GEO_PAD_D], td, geo[GEO_DILATION_D])
            i_h = input_index(oh, geo[GEO_STRIDE_H], geo[GEO_PAD_H], th, geo[GEO_DILATION_H])
            if i_d < 0 or i_d >= depth or i_h < 0 or i_h >= height:
                continue
            if hi == lo:
                continue
            x_row = x[b, group * n_in + c, i_d, i_h]
            if s_w == 1:  # contiguous slices vectorise
                xs = x_row[first : first + hi - lo]
            else:
                xs = strided[: hi - lo]
                gather(x_row, first, s_w, xs)
            g = w[row, c, td, th, tw]
            _select_tap(xs, acc[lo:hi], best[lo:hi], sign, g, x.dtype.type(t))
        y_row = out[b, o, od, oh]
        p_row = prov[b, o, od, oh]
        for j in range(o_w):
            y_row[j] = sign * acc[j]
            p_row[j] = sentinel if best[j] < 0 else int(best[j])


@njit(nogil=True, cache=CACHE)
def tropical_backward(
    grad, prov, geo, offsets, in_shape, kernel_sign, sentinel, grad_x, grad_w, start, stop
):
    """O(outputs) backward pass of the (batch, group) pairs ``[start, stop)``.

    ``grad_x`` (zeroed, the image's shape) receives ``grad``; ``grad_w`` (a zeroed
    ``(K_o, I, kD, kH, kW)`` copy of this range) receives ``kernel_sign * grad``. ``offsets``
    are the taps' flat input offsets (:func:`semiconv_nd._cpu.taps.tap_offsets`).
    """
    _, c_out, o_d, o_h, o_w = grad.shape
    height, width = in_shape[3], in_shape[4]
    plane_size = in_shape[2] * height * width
    s_d, s_h, s_w = geo[GEO_STRIDE_D], geo[GEO_STRIDE_H], geo[GEO_STRIDE_W]
    p_d, p_h, p_w = geo[GEO_PAD_D], geo[GEO_PAD_H], geo[GEO_PAD_W]
    per_group = geo[GEO_OUT_PER_GROUP]
    groups = c_out // per_group
    n_taps = offsets.shape[0]
    n_in = grad_w.shape[1]
    gx = grad_x.reshape(-1)
    gw = grad_w.reshape(-1)
    sign = grad.dtype.type(kernel_sign)
    for pair in range(start, stop):
        b = pair // groups
        group = pair % groups
        x_base = (b * in_shape[1] + group * n_in) * plane_size
        for o in range(group * per_group, (group + 1) * per_group):
            w_base = kernel_row(o, per_group, geo[GEO_BROADCAST])[1] * n_taps
            for od in range(o_d):
                z = (od * s_d - p_d) * height
                for oh in range(o_h):
                    zy = (z + oh * s_h - p_h) * width - p_w
                    g_row = grad[b, o, od, oh]
                    p_row = prov[b, o, od, oh]
                    for ow in range(o_w):
                        t = p_row[ow]
                        if t != sentinel:
                            gv = g_row[ow]
                            gx[x_base + zy + ow * s_w + offsets[t]] += gv
                            gw[w_base + t] += sign * gv
