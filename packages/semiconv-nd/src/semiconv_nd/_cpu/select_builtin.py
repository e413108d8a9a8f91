"""Tropical max / min (negated) select convolutions on CPU.

One kernel serves both semifields through the sign ``sx``: with ``u = sx * x + g`` the output is
``y = sx * max(u)``. For ``sx = 1`` that is :math:`T_+` (``max(x + g)``), for ``sx = -1`` it is
``min(x - g)``, the negated :math:`T_-`. A tap replaces the running maximum only when it is
strictly greater, so the first maximal tap in (channel, axis 0, axis 1, axis 2) window order
wins. A NaN tap value (a NaN pixel or kernel value) always replaces the running maximum, so NaN
propagates to the output and the last NaN of a window receives the gradient, as in
``max_pool2d``. Taps outside the image are skipped.

The forward pass parallelises over (batch, output channel) planes (split into blocks of output
rows when there are fewer than ``4 * n_threads`` planes) and, per output row, runs one
vectorised loop over the output columns for every tap (the running tap index is kept as a float
of the image's dtype so that the compare-and-blend vectorises). It stores the winning tap index
(the provenance) as a small unsigned integer.

The backward pass is O(outputs): each output element adds its gradient to the one input element
and the one kernel element it came from. It parallelises over chunks of (batch, group) pairs, so
no two threads write the same input gradient, and keeps one private kernel-gradient copy per
chunk (no atomics).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from semiconv_nd._cpu.cache import CACHE
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

__all__ = ["tap_offsets", "tropical_backward", "tropical_forward"]


@njit(cache=CACHE)
def _select_tap(xs, a_s, b_s, sign, g, tap):
    """Update a row of running maxima ``a_s`` (and their taps ``b_s``) with one tap."""
    for j in range(xs.shape[0]):
        v = sign * xs[j] + g
        a = a_s[j]
        better = (v > a) | (v != v)  # NaN wins, like max_pool
        a_s[j] = v if better else a
        b_s[j] = tap if better else b_s[j]


@njit(parallel=True, cache=CACHE)
def tropical_forward(x, w, geo, sx, out, prov, sentinel, n_threads):
    """Tropical forward pass; see the module docstring. Writes ``out`` and ``prov``."""
    batch, _, depth, height, width = x.shape
    _, n_in, k_d, k_h, k_w = w.shape
    _, c_out, o_d, o_h, o_w = out.shape
    s_d, s_h, s_w = geo[GEO_STRIDE_D], geo[GEO_STRIDE_H], geo[GEO_STRIDE_W]
    p_d, p_h, p_w = geo[GEO_PAD_D], geo[GEO_PAD_H], geo[GEO_PAD_W]
    d_d, d_h, d_w = geo[GEO_DILATION_D], geo[GEO_DILATION_H], geo[GEO_DILATION_W]
    per_group, broadcast = geo[GEO_OUT_PER_GROUP], geo[GEO_BROADCAST]
    n_taps = n_in * k_d * k_h * k_w
    sign = x.dtype.type(sx)
    n_rows = o_d * o_h
    planes = batch * c_out
    # Split planes into row blocks when there are too few planes for the threads.
    n_blocks = min(n_rows, max(1, (4 * n_threads + planes - 1) // planes))
    for item in prange(planes * n_blocks):
        plane = item // n_blocks
        block = item % n_blocks
        b = plane // c_out
        o = plane % c_out
        group = o // per_group
        row = o % per_group if broadcast else o
        acc = np.empty(o_w, x.dtype)
        best = np.empty(o_w, x.dtype)
        tap_ids = np.arange(n_taps).astype(x.dtype)
        for r in range(block * n_rows // n_blocks, (block + 1) * n_rows // n_blocks):
            od = r // o_h
            oh = r % o_h
            acc[:] = -np.inf
            best[:] = -1.0
            t = 0
            for c in range(n_in):
                ci = group * n_in + c
                for td in range(k_d):
                    i_d = od * s_d - p_d + td * d_d
                    if i_d < 0 or i_d >= depth:
                        t += k_h * k_w
                        continue
                    for th in range(k_h):
                        i_h = oh * s_h - p_h + th * d_h
                        if i_h < 0 or i_h >= height:
                            t += k_w
                            continue
                        x_row = x[b, ci, i_d, i_h]
                        for tw in range(k_w):
                            off = tw * d_w - p_w
                            lo = 0 if off >= 0 else (s_w - 1 - off) // s_w
                            hi = min(o_w, (width - 1 - off) // s_w + 1)
                            if hi > lo:
                                g = w[row, c, td, th, tw]
                                first = lo * s_w + off
                                last = (hi - 1) * s_w + off + 1
                                if s_w == 1:  # contiguous slices vectorise best
                                    _select_tap(
                                        x_row[first:last],
                                        acc[lo:hi],
                                        best[lo:hi],
                                        sign,
                                        g,
                                        tap_ids[t],
                                    )
                                else:
                                    _select_tap(
                                        x_row[first:last:s_w],
                                        acc[lo:hi],
                                        best[lo:hi],
                                        sign,
                                        g,
                                        tap_ids[t],
                                    )
                            t += 1
            y_row = out[b, o, od, oh]
            p_row = prov[b, o, od, oh]
            for j in range(o_w):
                y_row[j] = sign * acc[j]
                p_row[j] = sentinel if best[j] < 0 else int(best[j])


@njit(cache=CACHE)
def tap_offsets(in_shape, w_shape, geo):
    """Flat input offset of every tap (channel included) from its window's origin."""
    depth, height, width = in_shape[2], in_shape[3], in_shape[4]
    n_in, k_d, k_h, k_w = w_shape[1], w_shape[2], w_shape[3], w_shape[4]
    d_d, d_h, d_w = geo[GEO_DILATION_D], geo[GEO_DILATION_H], geo[GEO_DILATION_W]
    offsets = np.empty(n_in * k_d * k_h * k_w, np.int64)
    t = 0
    for c in range(n_in):
        for td in range(k_d):
            for th in range(k_h):
                for tw in range(k_w):
                    offsets[t] = ((c * depth + td * d_d) * height + th * d_h) * width + tw * d_w
                    t += 1
    return offsets


@njit(parallel=True, cache=CACHE)
def tropical_backward(grad, prov, geo, in_shape, kernel_sign, sentinel, grad_x, grad_w_parts):
    """O(outputs) backward pass from the provenance.

    ``grad_x`` (zeroed, the image's shape) receives ``grad``; ``grad_w_parts`` (zeroed,
    ``(chunks, K_o, I, kD, kH, kW)``) receives ``kernel_sign * grad`` per chunk.
    """
    batch, c_out, o_d, o_h, o_w = grad.shape
    n_chunks, _, n_in, k_d, k_h, k_w = grad_w_parts.shape
    depth, height, width = in_shape[2], in_shape[3], in_shape[4]
    s_d, s_h, s_w = geo[GEO_STRIDE_D], geo[GEO_STRIDE_H], geo[GEO_STRIDE_W]
    p_d, p_h, p_w = geo[GEO_PAD_D], geo[GEO_PAD_H], geo[GEO_PAD_W]
    per_group, broadcast = geo[GEO_OUT_PER_GROUP], geo[GEO_BROADCAST]
    groups = c_out // per_group
    n_taps = n_in * k_d * k_h * k_w
    offsets = tap_offsets(in_shape, grad_w_parts.shape[1:], geo)
    plane_size = depth * height * width
    n_pairs = batch * groups
    gx = grad_x.reshape(-1)
    sign = grad.dtype.type(kernel_sign)
    for chunk in prange(n_chunks):
        gw = grad_w_parts[chunk].reshape(-1)
        for pair in range(chunk * n_pairs // n_chunks, (chunk + 1) * n_pairs // n_chunks):
            b = pair // groups
            group = pair % groups
            x_base = (b * in_shape[1] + group * n_in) * plane_size
            for oo in range(per_group):
                o = group * per_group + oo
                row = oo if broadcast else o
                w_base = row * n_taps
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
