r"""Linear, root and log subtract convolutions on CPU.

``mode`` selects the semifield: 0 = linear (:math:`\sum x g`), 1 = root
(:math:`(\sum (x g)^p)^{1/p}`, ``param = p``), 2 = log
(:math:`\frac{1}{\mu}\ln\sum e^{\mu(x + g)}`, ``param = mu``). Each mode has its own pair of
kernels (:data:`KERNELS`), so the first use of one semifield compiles only its own loops. Taps
outside the image are skipped. The log forward is a max-shifted log-sum-exp (a max pass, then an
exp-sum pass), so it cannot overflow; its exponentials (arguments <= 0) use the vectorisable
:func:`~semiconv_nd._cpu.fast_math.exp_nonpositive` in float32.

The backward pass recomputes every tap instead of storing anything: only the image, the kernel
and the output are kept. The derivatives of the output to one tap value ``v`` are

* linear: 1;
* root: :math:`(v / y)^{p-1}` with :math:`v = x g` (0 where ``y`` is 0 or not finite; powers
  2, 3 and 4 are computed by multiplications, which vectorise);
* log: :math:`e^{\mu (x + g) - \mu y}` (a softmax weight, at most 1),

and the chain rule through :math:`\otimes` gives the image and kernel gradients. Both passes run
one flat loop over the taps (:mod:`semiconv_nd._tap_math`) and per tap one loop vectorised over
the output columns (strided taps go through a contiguous buffer). The kernels are serial
(``nogil``) and work on a range of items, which :mod:`.threads` spreads over threads: output
rows for the forward pass, (batch, group) pairs with a private kernel-gradient copy per range
for the backward pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from semiconv_nd._cpu.cache import CACHE
from semiconv_nd._cpu.fast_math import exp_nonpositive
from semiconv_nd._cpu.taps import (
    gather,
    input_index,
    kernel_row,
    scatter_add,
)
from semiconv_nd.ops.entries import (
    GEO_BROADCAST,
    GEO_DILATION_D,
    GEO_DILATION_H,
    GEO_OUT_PER_GROUP,
    GEO_PAD_D,
    GEO_PAD_H,
    GEO_STRIDE_D,
    GEO_STRIDE_H,
    GEO_STRIDE_W,
    LINEAR,
    LOG,
    ROOT,
)

__all__ = ["KERNELS", "LINEAR", "LOG", "ROOT", "small_integer_power"]


def small_integer_power(p: float) -> int:
    """The ``ipow`` argument of the root kernels: ``p`` if it is 2, 3 or 4, else 0.

    Those powers are computed by multiplications, which vectorise; others use ``**``.

    Example:
        >>> small_integer_power(3.0), small_integer_power(2.5)
        (3, 0)
    """
    return int(p) if p in (2.0, 3.0, 4.0) else 0


# ------------------------------------------------------------------ one tap over a row
@njit(cache=CACHE)
def _linear_forward_tap(xs, a_s, g):
    for j in range(xs.shape[0]):
        a_s[j] += xs[j] * g


@njit(cache=CACHE)
def _root_forward_tap(xs, a_s, g, prm, ipow):
    n = xs.shape[0]
    if ipow == 2:
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
    else:
        for j in range(n):
            a_s[j] += (xs[j] * g) ** prm


@njit(cache=CACHE)
def _log_forward_tap(xs, a_s, m_s, g, prm, pas):
    """Pass 0: the running max ``m_s`` of ``mu (x + g)``; pass 1: the shifted exp-sum."""
    n = xs.shape[0]
    if pas == 0:
        for j in range(n):
            u = prm * (xs[j] + g)
            m_s[j] = u if u > m_s[j] else m_s[j]
    else:
        for j in range(n):
            a_s[j] += exp_nonpositive(prm * (xs[j] + g) - m_s[j])


# ``reassoc`` lets LLVM vectorise the kernel-gradient sums ``ksum``.
@njit(cache=CACHE, fastmath={"reassoc"})
def _linear_backward_tap(xs, gxs, sc, g):
    ksum = xs.dtype.type(0.0)
    for j in range(xs.shape[0]):
        gxs[j] += sc[j] * g
        ksum += sc[j] * xs[j]
    return ksum


@njit(cache=CACHE, fastmath={"reassoc"})
def _root_backward_tap(xs, gxs, sc, rf, g, pm1, ipow):
    n = xs.shape[0]
    ksum = xs.dtype.type(0.0)
    if ipow == 2:
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
    else:
        for j in range(n):
            r = sc[j] * (xs[j] * g * rf[j]) ** pm1
            gxs[j] += r * g
            ksum += r * xs[j]
    return ksum


@njit(cache=CACHE, fastmath={"reassoc"})
def _log_backward_tap(xs, gxs, sc, rf, g, prm):
    ksum = xs.dtype.type(0.0)
    for j in range(xs.shape[0]):
        e = sc[j] * exp_nonpositive(prm * (xs[j] + g) - rf[j])
        gxs[j] += e
        ksum += e
    return ksum


# ------------------------------------------------------------------ the kernels of one mode
def _make_kernels(mode: int) -> tuple[Any, Any]:
    """The forward and backward kernels of one ``mode`` (a constant: numba prunes the others)."""

    @njit(nogil=True, cache=CACHE)
    def forward(
        x, w, geo, taps, param, ipow, out, scratch, start, stop
    ):  # pragma: no cover - numba
        """Forward pass of output rows ``[start, stop)``. Writes ``out``."""
        _, _, depth, height, _ = x.shape
        _, n_in, k_d, k_h, k_w = w.shape
        _, c_out, o_d, o_h, o_w = out.shape
        s_w = geo[GEO_STRIDE_W]
        n_taps = n_in * k_d * k_h * k_w
        n_rows = o_d * o_h
        prm = x.dtype.type(param)
        inv = x.dtype.type(1.0 / param if param != 0.0 else 1.0)
        n_pass = 2 if mode == LOG else 1
        acc, top, strided = scratch[0], scratch[1], scratch[2]
        for item in range(start, stop):
            plane = item // n_rows
            b = plane // c_out
            o = plane % c_out
            group, row = kernel_row(o, geo[GEO_OUT_PER_GROUP], geo[GEO_BROADCAST])
            od = (item % n_rows) // o_h
            oh = item % o_h
            acc[:] = 0.0
            top[:] = -np.inf
            for pas in range(n_pass):
                if pas == 1:  # log: windows entirely outside the image
                    for j in range(o_w):
                        if top[j] == -np.inf:
                            top[j] = 0.0
                for t in range(n_taps):
                    c, td, th, tw = taps[t, 0], taps[t, 1], taps[t, 2], taps[t, 3]
                    lo, hi, first = taps[t, 4], taps[t, 5], taps[t, 6]
                    i_d = input_index(
                        od, geo[GEO_STRIDE_D], geo[GEO_PAD_D], td, geo[GEO_DILATION_D]
                    )
                    i_h = input_index(
                        oh, geo[GEO_STRIDE_H], geo[GEO_PAD_H], th, geo[GEO_DILATION_H]
                    )
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
                    if mode == LINEAR:
                        _linear_forward_tap(xs, acc[lo:hi], g)
                    elif mode == ROOT:
                        _root_forward_tap(xs, acc[lo:hi], g, prm, ipow)
                    else:
                        _log_forward_tap(xs, acc[lo:hi], top[lo:hi], g, prm, pas)
            y_row = out[b, o, od, oh]
            for j in range(o_w):
                if mode == LINEAR:
                    y_row[j] = acc[j]
                elif mode == ROOT:
                    y_row[j] = acc[j] ** inv
                else:
                    y_row[j] = (top[j] + np.log(acc[j])) * inv

    @njit(nogil=True, cache=CACHE)
    def backward(
        grad, x, w, y, geo, taps, param, ipow, grad_x, grad_w, scratch, start, stop
    ):  # pragma: no cover - numba
        """Recomputing backward pass of the (batch, group) pairs ``[start, stop)``.

        Adds into the zeroed ``grad_x`` and ``grad_w`` (this range's kernel-gradient copy).
        """
        _, c_out, o_d, o_h, o_w = grad.shape
        _, n_in, k_d, k_h, k_w = w.shape
        depth, height = x.shape[2], x.shape[3]
        s_w = geo[GEO_STRIDE_W]
        per_group = geo[GEO_OUT_PER_GROUP]
        groups = c_out // per_group
        n_taps = n_in * k_d * k_h * k_w
        prm = x.dtype.type(param)
        pm1 = x.dtype.type(param - 1.0)
        scale, ref, strided, strided_grad = scratch[0], scratch[1], scratch[2], scratch[3]
        for pair in range(start, stop):
            b = pair // groups
            group = pair % groups
            for o in range(group * per_group, (group + 1) * per_group):
                row = kernel_row(o, per_group, geo[GEO_BROADCAST])[1]
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
                        for t in range(n_taps):
                            c, td, th, tw = taps[t, 0], taps[t, 1], taps[t, 2], taps[t, 3]
                            lo, hi, first = taps[t, 4], taps[t, 5], taps[t, 6]
                            i_d = input_index(
                                od, geo[GEO_STRIDE_D], geo[GEO_PAD_D], td, geo[GEO_DILATION_D]
                            )
                            i_h = input_index(
                                oh, geo[GEO_STRIDE_H], geo[GEO_PAD_H], th, geo[GEO_DILATION_H]
                            )
                            if i_d < 0 or i_d >= depth or i_h < 0 or i_h >= height:
                                continue
                            if hi == lo:
                                continue
                            ci = group * n_in + c
                            x_row = x[b, ci, i_d, i_h]
                            gx_row = grad_x[b, ci, i_d, i_h]
                            if s_w == 1:  # contiguous slices vectorise
                                xs = x_row[first : first + hi - lo]
                                gxs = gx_row[first : first + hi - lo]
                            else:
                                xs = strided[: hi - lo]
                                gather(x_row, first, s_w, xs)
                                gxs = strided_grad[: hi - lo]
                                gxs[:] = 0.0
                            g = w[row, c, td, th, tw]
                            sc = scale[lo:hi]
                            if mode == LINEAR:
                                ksum = _linear_backward_tap(xs, gxs, sc, g)
                            elif mode == ROOT:
                                ksum = _root_backward_tap(xs, gxs, sc, ref[lo:hi], g, pm1, ipow)
                            else:
                                ksum = _log_backward_tap(xs, gxs, sc, ref[lo:hi], g, prm)
                            if s_w != 1:
                                scatter_add(gxs, gx_row, first, s_w)
                            grad_w[row, c, td, th, tw] += ksum

    return forward, backward


#: ``KERNELS[mode]``: the ``(forward, backward)`` kernels of :data:`LINEAR`, :data:`ROOT` and
#: :data:`LOG`, with the signatures ``forward(x, w, geo, taps, param, ipow, out, scratch,
#: start, stop)`` and ``backward(grad, x, w, y, geo, taps, param, ipow, grad_x, grad_w,
#: scratch, start, stop)``; ``taps`` from :func:`semiconv_nd._cpu.taps.tap_table`, ``ipow``
#: from :func:`small_integer_power`, ``scratch`` a private ``(4, oW)`` buffer of the data's
#: dtype.
KERNELS = {mode: _make_kernels(mode) for mode in (LINEAR, ROOT, LOG)}
