r"""Chunked shift engine for the summing semifields: linear, root :math:`R_p` and log :math:`L_\mu`.

All three reduce a window with an ordinary sum after a pointwise transform:

* linear: :math:`y = \sum x g`;
* root: :math:`y = (\sum (x g)^p)^{1/p}`;
* log: :math:`y = \frac{1}{\mu}\log\sum e^{\mu (x + g)}`, evaluated stably by first finding the
  window maximum of :math:`\mu(x + g)` (a second pass over the taps).

The forward pass loops over the kernel taps for one output chunk at a time and accumulates in
place. The backward pass recomputes every tap value chunk by chunk and uses
:math:`\partial y / \partial v_t` (``1``, :math:`(v_t / y)^{p-1}` and
:math:`e^{\mu (v_t - y)}` respectively), so only the padded image, the kernel and the output are
kept for it: O(input + output) memory, independent of the kernel size.
"""

from __future__ import annotations

from typing import Any

import torch

from semiconv_nd._shift.plan import ShiftPlan

__all__ = ["sum_shift"]

_LINEAR, _ROOT, _LOG = "linear", "root", "log"


def sum_shift(
    padded: torch.Tensor,
    kernel: torch.Tensor,
    plan: ShiftPlan,
    kind: str,
    power: float,
) -> torch.Tensor:
    """Summing-semifield convolution of a padded image with an already mirrored kernel.

    Args:
        padded: ``(B, C_in, *padded)`` image, padded with the semifield zero.
        kernel: ``(K_o, I, *k)`` kernel, flipped for ``kind="conv"``.
        plan: The shift plan of the call.
        kind: ``"linear"``, ``"root"`` or ``"log"``.
        power: ``p`` for root, ``mu`` for log (ignored for linear).

    Returns:
        The ``(B, C_out, *out)`` output.
    """
    if kind not in (_LINEAR, _ROOT, _LOG):
        raise ValueError(f"kind: expected 'linear', 'root' or 'log', got {kind!r}")
    return _SumShift.apply(padded, kernel, plan, kind, float(power))


def _values(
    xg: torch.Tensor,
    kt: torch.Tensor,
    plan: ShiftPlan,
    chunk: tuple,
    c: int,
    tap: int,
    kind: str,
    out: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_tap, g_tap, v)`` with ``v = x ⊗ g`` for one tap, written into ``out``."""
    x_tap = plan.tap_slice(xg, chunk, c, tap).unsqueeze(2)
    g_tap = plan.tap_value(kt, c, tap)
    if kind == _LOG:
        return x_tap, g_tap, torch.add(x_tap, g_tap, out=out)
    return x_tap, g_tap, torch.mul(x_tap, g_tap, out=out)


def _log_shift(
    xg: torch.Tensor,
    kt: torch.Tensor,
    plan: ShiftPlan,
    chunk: tuple,
    mu: float,
    cand: torch.Tensor,
) -> torch.Tensor:
    """Per output of ``chunk``: the finite window extremum of ``x + g`` used to stabilise."""
    extremum = torch.maximum if mu > 0 else torch.minimum
    shift = None
    for _, c, tap in plan.iter_taps():
        _, _, v = _values(xg, kt, plan, chunk, c, tap, _LOG, cand)
        if shift is None:
            shift = v.clone()
        else:
            extremum(shift, v, out=shift)
    return torch.where(torch.isfinite(shift), shift, 0.0)


def _forward(xg: torch.Tensor, kt: torch.Tensor, plan: ShiftPlan, kind: str, power: float):
    geo = plan.geo
    y = xg.new_empty((geo.batch, geo.groups, plan.out_per_group, *geo.output_size))
    for chunk in plan.chunks:
        shape = plan.chunk_shape(chunk)
        acc = xg.new_zeros(shape)
        cand = xg.new_empty(shape)
        shift = _log_shift(xg, kt, plan, chunk, power, cand) if kind == _LOG else None
        for _, c, tap in plan.iter_taps():
            if kind == _LINEAR:
                x_tap = plan.tap_slice(xg, chunk, c, tap).unsqueeze(2)
                acc.addcmul_(x_tap, plan.tap_value(kt, c, tap))
                continue
            _, _, v = _values(xg, kt, plan, chunk, c, tap, kind, cand)
            if kind == _ROOT:
                acc.add_(v.pow_(power))
            else:
                acc.add_(v.sub_(shift).mul_(power).exp_())
        if kind == _ROOT:
            acc.pow_(1.0 / power)
        elif kind == _LOG:
            acc.log_().div_(power).add_(shift)
        plan.output_block(y, chunk).copy_(acc)
    return y


def _backward(
    grad: torch.Tensor,
    xg: torch.Tensor,
    kt: torch.Tensor,
    y: torch.Tensor,
    plan: ShiftPlan,
    kind: str,
    power: float,
    want_input: bool,
    want_kernel: bool,
):
    geo = plan.geo
    grad_x = torch.zeros_like(xg) if want_input else None
    grad_kt = torch.zeros_like(kt) if want_kernel else None
    grad_g = grad.reshape(geo.batch, geo.groups, plan.out_per_group, *geo.output_size)
    for chunk in plan.chunks:
        shape = plan.chunk_shape(chunk)
        g_chunk = plan.output_block(grad_g, chunk)
        y_chunk = plan.output_block(y, chunk)
        cand = xg.new_empty(shape)
        if kind != _LINEAR:
            # Outputs that are the semifield zero (y = 0 for root, ±inf for log) have no
            # well-defined derivative; they pass no gradient.
            dead = (y_chunk == 0) if kind == _ROOT else ~torch.isfinite(y_chunk)
            g_chunk = torch.where(dead, 0.0, g_chunk)
            y_chunk = torch.where(dead, 1.0 if kind == _ROOT else 0.0, y_chunk)
        for _, c, tap in plan.iter_taps():
            if kind == _LINEAR:
                x_tap = plan.tap_slice(xg, chunk, c, tap).unsqueeze(2)
                g_tap = plan.tap_value(kt, c, tap)
                weight = g_chunk
            else:
                x_tap, g_tap, v = _values(xg, kt, plan, chunk, c, tap, kind, cand)
                if kind == _ROOT:
                    weight = v.div_(y_chunk).pow_(power - 1.0).mul_(g_chunk)
                else:
                    weight = v.sub_(y_chunk).mul_(power).exp_().mul_(g_chunk)
            if want_input:
                to_input = weight if kind == _LOG else weight * g_tap
                plan.tap_slice(grad_x, chunk, c, tap).add_(to_input.sum(dim=2))
            if want_kernel:
                to_kernel = weight if kind == _LOG else weight * x_tap
                if kind == _ROOT and power < 0:
                    # +inf padding (the zero of R_p, p < 0) meets a zero weight there.
                    to_kernel = torch.where(weight == 0, 0.0, to_kernel)
                grad_kt[c, tap] += plan.reduce_to_kernel(to_kernel)
    grad_k = None
    if grad_kt is not None:
        grad_k = plan.kernel_from_taps(grad_kt)
    return grad_x, grad_k


class _SumShift(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        padded: torch.Tensor,
        kernel: torch.Tensor,
        plan: ShiftPlan,
        kind: str,
        power: float,
    ) -> torch.Tensor:
        xg = plan.group_image(padded)
        kt = plan.kernel_per_tap(kernel)
        y = _forward(xg, kt, plan, kind, power)
        ctx.plan, ctx.kind, ctx.power = plan, kind, power
        ctx.padded_shape = padded.shape
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_for_backward(xg, kt, y)
        geo = plan.geo
        return y.view(geo.batch, geo.out_channels, *geo.output_size)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        xg, kt, y = ctx.saved_tensors
        grad_x, grad_k = _backward(
            grad.contiguous(),
            xg,
            kt,
            y,
            ctx.plan,
            ctx.kind,
            ctx.power,
            ctx.needs_input_grad[0],
            ctx.needs_input_grad[1],
        )
        if grad_x is not None:
            grad_x = grad_x.view(ctx.padded_shape)
        return grad_x, grad_k, None, None, None
