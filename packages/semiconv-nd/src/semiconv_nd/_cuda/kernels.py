"""numba-cuda kernel factories for select and subtract semifields.

Layouts and the ``geo`` tuple are those of :mod:`semiconv_nd._cpu` (``(B, C, D, H, W)`` arrays,
``geo = (sD, sH, sW, pD, pH, pW, dD, dH, dW, O, broadcast)``). Each factory compiles the
semifield's scalar operators as device functions. Taps outside the image are skipped and a tap
replaces a selection only when ``add_select`` holds, as on CPU, so ties resolve identically.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from numba import cuda

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


@cuda.jit(device=True)
def _unravel(idx, shape):  # pragma: no cover - device code
    ow = idx % shape[4]
    rest = idx // shape[4]
    oh = rest % shape[3]
    rest //= shape[3]
    od = rest % shape[2]
    rest //= shape[2]
    return rest // shape[1], rest % shape[1], od, oh, ow


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
        b, o, od, oh, ow = _unravel(idx, out.shape)
        n_in, k_d, k_h, k_w = w.shape[1], w.shape[2], w.shape[3], w.shape[4]
        per_group = geo[GEO_OUT_PER_GROUP]
        group = o // per_group
        row = o % per_group if geo[GEO_BROADCAST] else o
        acc = zero
        best = -1
        t = 0
        for c in range(n_in):
            for td in range(k_d):
                i_d = od * geo[GEO_STRIDE_D] - geo[GEO_PAD_D] + td * geo[GEO_DILATION_D]
                for th in range(k_h):
                    i_h = oh * geo[GEO_STRIDE_H] - geo[GEO_PAD_H] + th * geo[GEO_DILATION_H]
                    for tw in range(k_w):
                        i_w = ow * geo[GEO_STRIDE_W] - geo[GEO_PAD_W] + tw * geo[GEO_DILATION_W]
                        if (
                            0 <= i_d < x.shape[2]
                            and 0 <= i_h < x.shape[3]
                            and 0 <= i_w < x.shape[4]
                        ):
                            val = mul(x[b, group * n_in + c, i_d, i_h, i_w], w[row, c, td, th, tw])
                            if val != val or select(acc, val):  # NaN wins, like max_pool
                                acc = val
                                best = t
                        t += 1
        out[b, o, od, oh, ow] = acc
        prov[b, o, od, oh, ow] = sentinel if best < 0 else best

    @cuda.jit
    def backward(
        grad, prov, x, w, geo, sentinel, read_x, grad_x, grad_w_inflated
    ):  # pragma: no cover
        idx = cuda.grid(1)
        if idx >= grad.size:
            return
        b, o, od, oh, ow = _unravel(idx, grad.shape)
        t = int(prov[b, o, od, oh, ow])
        if t == sentinel:
            return
        k_d, k_h, k_w = w.shape[2], w.shape[3], w.shape[4]
        tw = t % k_w
        rest = t // k_w
        th = rest % k_h
        rest //= k_h
        td = rest % k_d
        c = rest // k_d
        per_group = geo[GEO_OUT_PER_GROUP]
        group = o // per_group
        row = o % per_group if geo[GEO_BROADCAST] else o
        ci = group * w.shape[1] + c
        i_d = od * geo[GEO_STRIDE_D] - geo[GEO_PAD_D] + td * geo[GEO_DILATION_D]
        i_h = oh * geo[GEO_STRIDE_H] - geo[GEO_PAD_H] + th * geo[GEO_DILATION_H]
        i_w = ow * geo[GEO_STRIDE_W] - geo[GEO_PAD_W] + tw * geo[GEO_DILATION_W]
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
        b, o, od, oh, ow = _unravel(idx, out.shape)
        n_in = w.shape[1]
        group = o // geo[GEO_OUT_PER_GROUP]
        row = o % geo[GEO_OUT_PER_GROUP] if geo[GEO_BROADCAST] else o
        acc = zero
        for c in range(n_in):
            for td in range(w.shape[2]):
                i_d = od * geo[GEO_STRIDE_D] - geo[GEO_PAD_D] + td * geo[GEO_DILATION_D]
                for th in range(w.shape[3]):
                    i_h = oh * geo[GEO_STRIDE_H] - geo[GEO_PAD_H] + th * geo[GEO_DILATION_H]
                    for tw in range(w.shape[4]):
                        i_w = ow * geo[GEO_STRIDE_W] - geo[GEO_PAD_W] + tw * geo[GEO_DILATION_W]
                        if (
                            0 <= i_d < x.shape[2]
                            and 0 <= i_h < x.shape[3]
                            and 0 <= i_w < x.shape[4]
                        ):
                            acc = plus(
                                acc,
                                mul(x[b, group * n_in + c, i_d, i_h, i_w], w[row, c, td, th, tw]),
                            )
        out[b, o, od, oh, ow] = post(acc)

    @cuda.jit
    def backward(grad, x, w, y, geo, grad_x, grad_w_inflated):  # pragma: no cover
        idx = cuda.grid(1)
        if idx >= grad.size:
            return
        b, o, od, oh, ow = _unravel(idx, grad.shape)
        n_in = w.shape[1]
        group = o // geo[GEO_OUT_PER_GROUP]
        row = o % geo[GEO_OUT_PER_GROUP] if geo[GEO_BROADCAST] else o
        res = undo(y[b, o, od, oh, ow])
        res_grad = grad[b, o, od, oh, ow] * d_post(res)
        slot = cuda.threadIdx.x % grad_w_inflated.shape[5]
        for c in range(n_in):
            ci = group * n_in + c
            for td in range(w.shape[2]):
                i_d = od * geo[GEO_STRIDE_D] - geo[GEO_PAD_D] + td * geo[GEO_DILATION_D]
                for th in range(w.shape[3]):
                    i_h = oh * geo[GEO_STRIDE_H] - geo[GEO_PAD_H] + th * geo[GEO_DILATION_H]
                    for tw in range(w.shape[4]):
                        i_w = ow * geo[GEO_STRIDE_W] - geo[GEO_PAD_W] + tw * geo[GEO_DILATION_W]
                        if (
                            0 <= i_d < x.shape[2]
                            and 0 <= i_h < x.shape[3]
                            and 0 <= i_w < x.shape[4]
                        ):
                            xv = x[b, ci, i_d, i_h, i_w]
                            kv = w[row, c, td, th, tw]
                            val = mul(xv, kv)
                            vg = d_add(minus(res, val), val) * res_grad
                            cuda.atomic.add(grad_x, (b, ci, i_d, i_h, i_w), d_img(xv, kv) * vg)
                            cuda.atomic.add(
                                grad_w_inflated, (row, c, td, th, tw, slot), d_krn(xv, kv) * vg
                            )

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
        b, o, od, oh, ow = _unravel(idx, out.shape)
        n_in = w.shape[1]
        group = o // geo[GEO_OUT_PER_GROUP]
        row = o % geo[GEO_OUT_PER_GROUP] if geo[GEO_BROADCAST] else o
        acc = zero
        top = neg_inf
        for pas in range(2 if mode == 2 else 1):
            if pas == 1 and top == neg_inf:
                top = zero
            for c in range(n_in):
                for td in range(w.shape[2]):
                    i_d = od * geo[GEO_STRIDE_D] - geo[GEO_PAD_D] + td * geo[GEO_DILATION_D]
                    for th in range(w.shape[3]):
                        i_h = oh * geo[GEO_STRIDE_H] - geo[GEO_PAD_H] + th * geo[GEO_DILATION_H]
                        for tw in range(w.shape[4]):
                            i_w = ow * geo[GEO_STRIDE_W] - geo[GEO_PAD_W] + tw * geo[GEO_DILATION_W]
                            if (
                                0 <= i_d < x.shape[2]
                                and 0 <= i_h < x.shape[3]
                                and 0 <= i_w < x.shape[4]
                            ):
                                xv = x[b, group * n_in + c, i_d, i_h, i_w]
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
        b, o, od, oh, ow = _unravel(idx, grad.shape)
        yv = y[b, o, od, oh, ow]
        if not math.isfinite(yv) or (mode == 1 and yv == 0):
            return
        gv = grad[b, o, od, oh, ow]
        n_in = w.shape[1]
        group = o // geo[GEO_OUT_PER_GROUP]
        row = o % geo[GEO_OUT_PER_GROUP] if geo[GEO_BROADCAST] else o
        slot = cuda.threadIdx.x % grad_w_inflated.shape[5]
        for c in range(n_in):
            ci = group * n_in + c
            for td in range(w.shape[2]):
                i_d = od * geo[GEO_STRIDE_D] - geo[GEO_PAD_D] + td * geo[GEO_DILATION_D]
                for th in range(w.shape[3]):
                    i_h = oh * geo[GEO_STRIDE_H] - geo[GEO_PAD_H] + th * geo[GEO_DILATION_H]
                    for tw in range(w.shape[4]):
                        i_w = ow * geo[GEO_STRIDE_W] - geo[GEO_PAD_W] + tw * geo[GEO_DILATION_W]
                        if (
                            0 <= i_d < x.shape[2]
                            and 0 <= i_h < x.shape[3]
                            and 0 <= i_w < x.shape[4]
                        ):
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
