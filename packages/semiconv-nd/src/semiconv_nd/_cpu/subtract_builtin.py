r"""Linear, root and log subtract convolutions on CPU.

``mode`` selects the semifield: 0 = linear (:math:`\sum x g`), 1 = root
(:math:`(\sum (x g)^p)^{1/p}`, ``param = p``), 2 = log
(:math:`\frac{1}{\mu}\ln\sum e^{\mu(x + g)}`, ``param = mu``). Taps outside the image are
skipped. The log forward is a max-shifted log-sum-exp (a max pass, then an exp-sum pass), so it
cannot overflow; its exponentials (arguments <= 0) use the vectorisable
:func:`~semiconv_nd._cpu.fast_math.exp_nonpositive` in float32.

The backward pass recomputes every tap instead of storing anything: only the image, the kernel
and the output are kept. The derivatives of the output to one tap value ``v`` are

* linear: 1;
* root: :math:`(v / y)^{p-1}` with :math:`v = x g` (0 where ``y`` is 0 or not finite; powers
  2, 3 and 4 are computed by multiplications, which vectorise);
* log: :math:`e^{\mu (x + g) - \mu y}` (a softmax weight, at most 1),

and the chain rule through :math:`\otimes` gives the image and kernel gradients. The loops are
the forward's (vectorised over output columns); the backward parallelises over chunks of
(batch, group) pairs and keeps a private kernel-gradient copy per chunk.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from semiconv_nd._cpu.cache import CACHE
from semiconv_nd._cpu.fast_math import exp_nonpositive
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
    LINEAR,
    LOG,
    ROOT,
)

__all__ = ["LINEAR", "LOG", "ROOT", "subtract_backward", "subtract_forward"]


@njit(cache=CACHE)
def _small_integer_power(p):
    """``p`` if it is 2, 3 or 4 (computed by multiplications), else 0 (``**``)."""
    for n in (2, 3, 4):
        if p == n:
            return n
    return 0


@njit(cache=CACHE)
def _forward_tap(xs, a_s, m_s, g, prm, mode, ipow, pas):
    """Accumulate one tap into a row of accumulators (``m_s``: the log max-shift)."""
    n = xs.shape[0]
    if mode == LINEAR:
        for j in range(n):
            a_s[j] += xs[j] * g
    elif ipow == 2:
        for j in range(n):
            u = xs[j] * g
            a_s[j] += u * u
    elif ipow == 3:
        for j in range(n):
            u = xs[j] * g
            a_s[j] += u * u * u
    elif ipow == 4:
        for j in range(n):
            u = xs[j] * g
            u = u * u
            a_s[j] += u * u
    elif mode == ROOT:
        for j in range(n):
            a_s[j] += (xs[j] * g) ** prm
    elif pas == 0:
        for j in range(n):
            u = prm * (xs[j] + g)
            m_s[j] = u if u > m_s[j] else m_s[j]
    else:
        for j in range(n):
            a_s[j] += exp_nonpositive(prm * (xs[j] + g) - m_s[j])


# ``reassoc`` lets LLVM vectorise the kernel-gradient sum ``ksum``.
@njit(cache=CACHE, fastmath={"reassoc"})
def _backward_tap(xs, gxs, sc, rf, g, prm, pm1, mode, ipow):
    """Gradients of one tap over a row: adds into ``gxs``, returns the kernel gradient."""
    n = xs.shape[0]
    ksum = xs.dtype.type(0.0)
    if mode == LINEAR:
        for j in range(n):
            gxs[j] += sc[j] * g
            ksum += sc[j] * xs[j]
    elif ipow == 2:
        for j in range(n):
            r = sc[j] * (xs[j] * g * rf[j])
            gxs[j] += r * g
            ksum += r * xs[j]
    elif ipow == 3:
        for j in range(n):
            v = xs[j] * g * rf[j]
            r = sc[j] * v * v
            gxs[j] += r * g
            ksum += r * xs[j]
    elif ipow == 4:
        for j in range(n):
            v = xs[j] * g * rf[j]
            r = sc[j] * v * v * v
            gxs[j] += r * g
            ksum += r * xs[j]
    elif mode == ROOT:
        for j in range(n):
            r = sc[j] * (xs[j] * g * rf[j]) ** pm1
            gxs[j] += r * g
            ksum += r * xs[j]
    else:
        for j in range(n):
            e = sc[j] * exp_nonpositive(prm * (xs[j] + g) - rf[j])
            gxs[j] += e
            ksum += e
    return ksum


@njit(parallel=True, cache=CACHE)
def subtract_forward(x, w, geo, mode, param, out, n_threads):
    """Forward pass; see the module docstring. Writes ``out``."""
    batch, _, depth, height, width = x.shape
    _, n_in, k_d, k_h, k_w = w.shape
    _, c_out, o_d, o_h, o_w = out.shape
    s_d, s_h, s_w = geo[GEO_STRIDE_D], geo[GEO_STRIDE_H], geo[GEO_STRIDE_W]
    p_d, p_h, p_w = geo[GEO_PAD_D], geo[GEO_PAD_H], geo[GEO_PAD_W]
    d_d, d_h, d_w = geo[GEO_DILATION_D], geo[GEO_DILATION_H], geo[GEO_DILATION_W]
    per_group, broadcast = geo[GEO_OUT_PER_GROUP], geo[GEO_BROADCAST]
    prm = x.dtype.type(param)
    inv = x.dtype.type(1.0 / param if param != 0.0 else 1.0)
    n_pass = 2 if mode == LOG else 1
    ipow = _small_integer_power(param) if mode == ROOT else 0
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
        top = np.empty(o_w, x.dtype)
        for r in range(block * n_rows // n_blocks, (block + 1) * n_rows // n_blocks):
            od = r // o_h
            oh = r % o_h
            acc[:] = 0.0
            top[:] = -np.inf
            for pas in range(n_pass):
                if mode == LOG and pas == 1:
                    for j in range(o_w):
                        if top[j] == -np.inf:
                            top[j] = 0.0
                for c in range(n_in):
                    ci = group * n_in + c
                    for td in range(k_d):
                        i_d = od * s_d - p_d + td * d_d
                        if i_d < 0 or i_d >= depth:
                            continue
                        for th in range(k_h):
                            i_h = oh * s_h - p_h + th * d_h
                            if i_h < 0 or i_h >= height:
                                continue
                            x_row = x[b, ci, i_d, i_h]
                            for tw in range(k_w):
                                off = tw * d_w - p_w
                                lo = 0 if off >= 0 else (s_w - 1 - off) // s_w
                                hi = min(o_w, (width - 1 - off) // s_w + 1)
                                if hi <= lo:
                                    continue
                                g = w[row, c, td, th, tw]
                                first = lo * s_w + off
                                last = (hi - 1) * s_w + off + 1
                                if s_w == 1:  # contiguous slices vectorise best
                                    _forward_tap(
                                        x_row[first:last],
                                        acc[lo:hi],
                                        top[lo:hi],
                                        g,
                                        prm,
                                        mode,
                                        ipow,
                                        pas,
                                    )
                                else:
                                    _forward_tap(
                                        x_row[first:last:s_w],
                                        acc[lo:hi],
                                        top[lo:hi],
                                        g,
                                        prm,
                                        mode,
                                        ipow,
                                        pas,
                                    )
            y_row = out[b, o, od, oh]
            if mode == LINEAR:
                y_row[:] = acc
            elif mode == ROOT:
                for j in range(o_w):
                    y_row[j] = acc[j] ** inv
            else:
                for j in range(o_w):
                    y_row[j] = (top[j] + np.log(acc[j])) * inv


@njit(parallel=True, cache=CACHE)
def subtract_backward(grad, x, w, y, geo, mode, param, grad_x, grad_w_parts):
    """Recomputing backward pass; adds into zeroed ``grad_x`` and ``grad_w_parts``."""
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
    prm = x.dtype.type(param)
    pm1 = x.dtype.type(param - 1.0)
    ipow = _small_integer_power(param) if mode == ROOT else 0
    for chunk in prange(n_chunks):
        gw = grad_w_parts[chunk]
        scale = np.empty(o_w, x.dtype)
        ref = np.empty(o_w, x.dtype)
        for pair in range(chunk * n_pairs // n_chunks, (chunk + 1) * n_pairs // n_chunks):
            b = pair // groups
            group = pair % groups
            for oo in range(per_group):
                o = group * per_group + oo
                row = oo if broadcast else o
                for od in range(o_d):
                    for oh in range(o_h):
                        g_row = grad[b, o, od, oh]
                        y_row = y[b, o, od, oh]
                        for j in range(o_w):
                            yv = y_row[j]
                            ok = np.isfinite(yv) and (mode != ROOT or yv != 0)
                            scale[j] = g_row[j] if ok else 0.0
                            if mode == ROOT:
                                ref[j] = 1.0 / yv if ok else 0.0
                            else:
                                ref[j] = prm * yv if ok else 0.0
                        for c in range(n_in):
                            ci = group * n_in + c
                            for td in range(k_d):
                                i_d = od * s_d - p_d + td * d_d
                                if i_d < 0 or i_d >= depth:
                                    continue
                                for th in range(k_h):
                                    i_h = oh * s_h - p_h + th * d_h
                                    if i_h < 0 or i_h >= height:
                                        continue
                                    x_row = x[b, ci, i_d, i_h]
                                    gx_row = grad_x[b, ci, i_d, i_h]
                                    for tw in range(k_w):
                                        off = tw * d_w - p_w
                                        lo = 0 if off >= 0 else (s_w - 1 - off) // s_w
                                        hi = min(o_w, (width - 1 - off) // s_w + 1)
                                        if hi <= lo:
                                            continue
                                        g = w[row, c, td, th, tw]
                                        first = lo * s_w + off
                                        last = (hi - 1) * s_w + off + 1
                                        if s_w == 1:
                                            ksum = _backward_tap(
                                                x_row[first:last],
                                                gx_row[first:last],
                                                scale[lo:hi],
                                                ref[lo:hi],
                                                g,
                                                prm,
                                                pm1,
                                                mode,
                                                ipow,
                                            )
                                        else:
                                            ksum = _backward_tap(
                                                x_row[first:last:s_w],
                                                gx_row[first:last:s_w],
                                                scale[lo:hi],
                                                ref[lo:hi],
                                                g,
                                                prm,
                                                pm1,
                                                mode,
                                                ipow,
                                            )
                                        gw[row, c, td, th, tw] += ksum
