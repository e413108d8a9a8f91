"""numba-cuda kernel factories for select and subtract semifields.

Layouts and the ``geo`` tuple are those of :mod:`semiconv_nd._cpu` (``(B, C, D, H, W)`` arrays,
``geo = (sD, sH, sW, pD, pH, pW, dD, dH, dW, O, broadcast)``). One thread computes one output;
it walks the taps in one flat loop with the index arithmetic of :mod:`semiconv_nd._tap_math`
that the CPU kernels share. Each factory compiles the semifield's scalar operators as device
functions. Taps outside the image are skipped and a tap
replaces a selection only when ``add_select`` holds, as on CPU, so ties resolve identically.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from numba import cuda

from semiconv_nd import _tap_math
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

__all__ = ["make_select_kernels", "make_subtract_builtin_kernels", "make_subtract_kernels"]


_unravel_output = cuda.jit(device=True)(_tap_math.unravel_output)
_unravel_tap = cuda.jit(device=True)(_tap_math.unravel_tap)
_input_index = cuda.jit(device=True)(_tap_math.input_index)
_kernel_row = cuda.jit(device=True)(_tap_math.kernel_row)


@cuda.jit(device=True)
def _output_position(idx, out, geo):  # pragma: no cover - device code
    """``(b, o, od, oh, ow, group, row)`` of thread ``idx``: its output and kernel row."""
    b, o, od, oh, ow = _unravel_output(idx, out.shape[1], out.shape[2], out.shape[3], out.shape[4])
    group, row = _kernel_row(o, geo[GEO_OUT_PER_GROUP], geo[GEO_BROADCAST])
    return b, o, od, oh, ow, group, row


@cuda.jit(device=True)
def _tap_position(t, od, oh, ow, x, w, geo):  # pragma: no cover - device code
    """``(inside, c, td, th, tw, i_d, i_h, i_w)`` of flat tap ``t`` of output (od, oh, ow)."""
    c, td, th, tw = _unravel_tap(t, w.shape[2], w.shape[3], w.shape[4])
    i_d = _input_index(od, geo[GEO_STRIDE_D], geo[GEO_PAD_D], td, geo[GEO_DILATION_D])
    i_h = _input_index(oh, geo[GEO_STRIDE_H], geo[GEO_PAD_H], th, geo[GEO_DILATION_H])
    i_w = _input_index(ow, geo[GEO_STRIDE_W], geo[GEO_PAD_W], tw, geo[GEO_DILATION_W])
    inside = 0 <= i_d < x.shape[2] and 0 <= i_h < x.shape[3] and 0 <= i_w < x.shape[4]
    return inside, c, td, th, tw, i_d, i_h, i_w


@cuda.jit(device=True)
def _n_taps(w):  # pragma: no cover - device code
    """Taps per output: input channels of a group times the kernel volume."""
    return w.shape[1] * w.shape[2] * w.shape[3] * w.shape[4]


def make_select_kernels(
    add_select: Callable[[float, float], bool],
    times: Callable[[float, float], float],
    d_times_d_img: Callable[[float, float], float],
    d_times_d_kernel: Callable[[float, float], float],
) -> tuple[Any, Any]:
    """Compile CUDA forward/backward kernels for one select semifield.

    Returns:
        ``forward(x, w, geo, zero, out, prov, sentinel)`` and
        ``backward(grad, prov, x, w, geo, sentinel, read_x, grad_x, grad_w_inflated)``.
    """
    select = cuda.jit(device=True)(add_select)
    mul = cuda.jit(device=True)(times)
    d_img = cuda.jit(device=True)(d_times_d_img)
    d_krn = cuda.jit(device=True)(d_times_d_kernel)

    @cuda.jit
    def forward(x, w, geo, zero, out, prov, sentinel):  # pragma: no cover - device code
        idx = cuda.grid(1)
        if idx >= out.size:
            return
        b, o, od, oh, ow, group, row = _output_position(idx, out, geo)
        acc = zero
        best = -1
        for t in range(_n_taps(w)):
            inside, c, td, th, tw, i_d, i_h, i_w = _tap_position(t, od, oh, ow, x, w, geo)
            if inside:
                val = mul(x[b, group * w.shape[1] + c, i_d, i_h, i_w], w[row, c, td, th, tw])
                if val != val or select(acc, val):  # NaN wins, like max_pool
                    acc = val
                    best = t
        out[b, o, od, oh, ow] = acc
        prov[b, o, od, oh, ow] = sentinel if best < 0 else best

    @cuda.jit
    def backward(
        grad, prov, x, w, geo, sentinel, read_x, grad_x, grad_w_inflated
    ):  # pragma: no cover
        idx = cuda.grid(1)
        if idx >= grad.size:
            return
        b, o, od, oh, ow, group, row = _output_position(idx, grad, geo)
        t = int(prov[b, o, od, oh, ow])
        if t == sentinel:
            return
        _, c, td, th, tw, i_d, i_h, i_w = _tap_position(t, od, oh, ow, x, w, geo)
        ci = group * w.shape[1] + c
        kv = w[row, c, td, th, tw]
        xv = x[b, ci, i_d, i_h, i_w] if read_x else kv * 0
        gv = grad[b, o, od, oh, ow]
        cuda.atomic.add(grad_x, (b, ci, i_d, i_h, i_w), d_img(xv, kv) * gv)
        slot = cuda.threadIdx.x % grad_w_inflated.shape[5]
        cuda.atomic.add(grad_w_inflated, (row, c, td, th, tw, slot), d_krn(xv, kv) * gv)

    return forward, backward


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
    """Compile CUDA forward/backward kernels for one user-defined subtract semifield.

    Returns:
        ``forward(x, w, geo, zero, out)`` and
        ``backward(grad, x, w, y, geo, grad_x, grad_w_inflated)``.
    """

    def _identity(acc: float) -> float:
        return acc

    def _unit(acc: float) -> float:
        return 1.0

    plus = cuda.jit(device=True)(add)
    mul = cuda.jit(device=True)(times)
    d_img = cuda.jit(device=True)(d_times_d_img)
    d_krn = cuda.jit(device=True)(d_times_d_kernel)
    minus = cuda.jit(device=True)(subtract)
    d_add = cuda.jit(device=True)(d_add_d_right)
    post = cuda.jit(device=True)(_identity if post_sum is None else post_sum)
    undo = cuda.jit(device=True)(_identity if undo_post_sum is None else undo_post_sum)
    d_post = cuda.jit(device=True)(_unit if d_post_d_acc is None else d_post_d_acc)

    @cuda.jit
    def forward(x, w, geo, zero, out):  # pragma: no cover - device code
        idx = cuda.grid(1)
        if idx >= out.size:
            return
        b, o, od, oh, ow, group, row = _output_position(idx, out, geo)
        acc = zero
        for t in range(_n_taps(w)):
            inside, c, td, th, tw, i_d, i_h, i_w = _tap_position(t, od, oh, ow, x, w, geo)
            if inside:
                xv = x[b, group * w.shape[1] + c, i_d, i_h, i_w]
                acc = plus(acc, mul(xv, w[row, c, td, th, tw]))
        out[b, o, od, oh, ow] = post(acc)

    @cuda.jit
    def backward(grad, x, w, y, geo, grad_x, grad_w_inflated):  # pragma: no cover
        idx = cuda.grid(1)
        if idx >= grad.size:
            return
        b, o, od, oh, ow, group, row = _output_position(idx, grad, geo)
        res = undo(y[b, o, od, oh, ow])
        res_grad = grad[b, o, od, oh, ow] * d_post(res)
        slot = cuda.threadIdx.x % grad_w_inflated.shape[5]
        for t in range(_n_taps(w)):
            inside, c, td, th, tw, i_d, i_h, i_w = _tap_position(t, od, oh, ow, x, w, geo)
            if inside:
                ci = group * w.shape[1] + c
                xv = x[b, ci, i_d, i_h, i_w]
                kv = w[row, c, td, th, tw]
                val = mul(xv, kv)
                vg = d_add(minus(res, val), val) * res_grad
                cuda.atomic.add(grad_x, (b, ci, i_d, i_h, i_w), d_img(xv, kv) * vg)
                cuda.atomic.add(grad_w_inflated, (row, c, td, th, tw, slot), d_krn(xv, kv) * vg)

    return forward, backward


def make_subtract_builtin_kernels() -> tuple[Any, Any]:
    """Compile the CUDA kernels of the built-in linear/root/log semifields.

    ``mode`` and ``param`` as in :mod:`semiconv_nd._cpu.subtract_builtin`; log is max-shifted.
    ``consts`` is ``(param, param - 1, 0, -inf)`` as scalars of the data's dtype, so per-tap
    arithmetic stays in float32 for float32 data.

    Returns:
        ``forward(x, w, geo, mode, consts, out)`` and
        ``backward(grad, x, w, y, geo, mode, consts, grad_x, grad_w_inflated)``.
    """

    @cuda.jit
    def forward(x, w, geo, mode, consts, out):  # pragma: no cover - device code
        param, zero, neg_inf = consts[0], consts[2], consts[3]
        idx = cuda.grid(1)
        if idx >= out.size:
            return
        b, o, od, oh, ow, group, row = _output_position(idx, out, geo)
        acc = zero
        top = neg_inf
        for pas in range(2 if mode == 2 else 1):
            if pas == 1 and top == neg_inf:
                top = zero
            for t in range(_n_taps(w)):
                inside, c, td, th, tw, i_d, i_h, i_w = _tap_position(t, od, oh, ow, x, w, geo)
                if inside:
                    xv = x[b, group * w.shape[1] + c, i_d, i_h, i_w]
                    kv = w[row, c, td, th, tw]
                    if mode == 0:
                        acc += xv * kv
                    elif mode == 1:
                        acc += (xv * kv) ** param
                    elif pas == 0:
                        top = max(top, param * (xv + kv))
                    else:
                        acc += math.exp(param * (xv + kv) - top)
        if mode == 0:
            out[b, o, od, oh, ow] = acc
        elif mode == 1:
            out[b, o, od, oh, ow] = acc ** (1.0 / param)
        else:
            out[b, o, od, oh, ow] = (top + math.log(acc)) / param

    @cuda.jit
    def backward(grad, x, w, y, geo, mode, consts, grad_x, grad_w_inflated):  # pragma: no cover
        param, param_m1 = consts[0], consts[1]
        idx = cuda.grid(1)
        if idx >= grad.size:
            return
        b, o, od, oh, ow, group, row = _output_position(idx, grad, geo)
        yv = y[b, o, od, oh, ow]
        if not math.isfinite(yv) or (mode == 1 and yv == 0):
            return
        gv = grad[b, o, od, oh, ow]
        slot = cuda.threadIdx.x % grad_w_inflated.shape[5]
        for t in range(_n_taps(w)):
            inside, c, td, th, tw, i_d, i_h, i_w = _tap_position(t, od, oh, ow, x, w, geo)
            if inside:
                ci = group * w.shape[1] + c
                xv = x[b, ci, i_d, i_h, i_w]
                kv = w[row, c, td, th, tw]
                if mode == 0:
                    gx = gv * kv
                    gk = gv * xv
                elif mode == 1:
                    r = gv * (xv * kv / yv) ** param_m1
                    gx = r * kv
                    gk = r * xv
                else:
                    gx = gv * math.exp(param * (xv + kv - yv))
                    gk = gx
                cuda.atomic.add(grad_x, (b, ci, i_d, i_h, i_w), gx)
                cuda.atomic.add(grad_w_inflated, (row, c, td, th, tw, slot), gk)

    return forward, backward
