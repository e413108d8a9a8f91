r"""Chunked shift engine for the tropical semifields (``max`` with ``+``, ``min`` with ``-``).

For every output chunk the engine loops over the kernel taps in the order (input channel, axis 0,
axis 1, ...), forms ``x_shifted ⊗ g[tap]`` for the whole chunk and keeps a running extremum. When
a gradient is needed it also keeps the index of the *first* extremal tap (a strict comparison),
stored in a small integer tensor (``uint8`` while there are at most 256 taps). The backward pass
then scatters each output gradient to exactly one input and one kernel value: O(outputs) work
and memory, independent of the kernel size.

With ``spread=True`` ties share the gradient equally (the behaviour of :func:`torch.amax`); the
backward pass then recomputes the window values chunk by chunk instead of storing indices.

With ``channels_add=True`` the extremum is taken over the spatial taps of each input channel
separately and the ``I`` channel results are summed with ordinary ``+``.

Peak extra memory: the padded image, the output, the tap indices (``I·`` output elements for
``channels_add``) and a few chunk-sized temporaries (``chunk_elements`` each); in the backward pass
the padded input gradient and int64 offsets of one chunk.
"""

from __future__ import annotations

from typing import Any

import torch

from semiconv_nd._shift.plan import ShiftPlan

__all__ = ["tropical_shift"]


def tropical_shift(
    padded: torch.Tensor,
    kernel: torch.Tensor,
    plan: ShiftPlan,
    largest: bool,
    channels_add: bool,
    spread: bool,
) -> torch.Tensor:
    """Tropical convolution of an already padded image with an already mirrored kernel.

    Args:
        padded: ``(B, C_in, *padded)`` image, padded with the semifield zero.
        kernel: ``(K_o, I, *k)`` kernel, flipped for ``kind="conv"``.
        plan: The shift plan of the call.
        largest: ``True`` for ``max`` with ``x + g``; ``False`` for ``min`` with ``x - g``.
        channels_add: Sum over input channels instead of taking the extremum.
        spread: Share the gradient equally among tied taps.

    Returns:
        The ``(B, C_out, *out)`` output.
    """
    return _TropicalShift.apply(padded, kernel, plan, largest, channels_add, spread)


def _index_dtype(count: int) -> torch.dtype:
    if count <= 256:
        return torch.uint8
    if count <= 32768:
        return torch.int16
    return torch.int32


def _combine(x: torch.Tensor, g: torch.Tensor, largest: bool, out: torch.Tensor) -> torch.Tensor:
    if largest:
        return torch.add(x, g, out=out)
    return torch.sub(x, g, out=out)


def _segments(plan: ShiftPlan, channels_add: bool) -> list[list[tuple[int, int, int]]]:
    """Groups of ``(flat, channel, tap)`` reduced together: one per channel with channels_add."""
    taps = list(plan.iter_taps())
    if not channels_add:
        return [taps]
    return [taps[c * plan.taps : (c + 1) * plan.taps] for c in range(plan.in_per_group)]


def _forward_values(
    xg: torch.Tensor,
    kt: torch.Tensor,
    plan: ShiftPlan,
    largest: bool,
    channels_add: bool,
    want_index: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    geo = plan.geo
    y = xg.new_empty((geo.batch, geo.groups, plan.out_per_group, *geo.output_size))
    index = None
    if want_index:
        count = plan.taps if channels_add else plan.taps * plan.in_per_group
        lead = (plan.in_per_group,) if channels_add else ()
        index = torch.empty((*lead, *y.shape), dtype=_index_dtype(count), device=xg.device)
    better = torch.gt if largest else torch.lt
    extremum = torch.maximum if largest else torch.minimum
    segments = _segments(plan, channels_add)
    for chunk in plan.chunks:
        shape = plan.chunk_shape(chunk)
        acc = xg.new_empty(shape)
        cand = xg.new_empty(shape) if plan.taps * plan.in_per_group > 1 else None
        # The selected tap is tracked in float32 (exact below 2**24 taps, whatever the input
        # dtype): comparisons with a floating-point output vectorise far better than boolean
        # masks. Taps are visited in increasing order, so the first extremal tap is the
        # *largest* tap at which the running extremum strictly improved:
        # idx = max_t(t * [v_t beats acc_{t-1}]).
        idx = xg.new_empty(shape, dtype=torch.float32) if want_index else None
        improved = xg.new_empty(shape, dtype=torch.float32) if want_index else None
        total = xg.new_zeros(shape) if channels_add else None
        for channel, segment in enumerate(segments):
            for position, (flat, c, tap) in enumerate(segment):
                x_tap = plan.tap_slice(xg, chunk, c, tap).unsqueeze(2)
                g_tap = plan.tap_value(kt, c, tap)
                if position == 0:
                    _combine(x_tap, g_tap, largest, acc)
                    if want_index:
                        idx.zero_()
                    continue
                _combine(x_tap, g_tap, largest, cand)
                if want_index:
                    better(cand, acc, out=improved)
                    improved.mul_(float(tap if channels_add else flat))
                    torch.maximum(idx, improved, out=idx)
                extremum(acc, cand, out=acc)
            if channels_add:
                total.add_(acc)
                if want_index:
                    plan.output_block(index[channel], chunk).copy_(idx)
        plan.output_block(y, chunk).copy_(total if channels_add else acc)
        if want_index and not channels_add:
            plan.output_block(index, chunk).copy_(idx)
    return y, index


def _backward_indexed(
    grad: torch.Tensor,
    index: torch.Tensor,
    plan: ShiftPlan,
    largest: bool,
    channels_add: bool,
    padded_shape: torch.Size,
    kernel_shape: torch.Size,
    want_input: bool,
    want_kernel: bool,
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    geo = plan.geo
    device = grad.device
    grad_x = grad.new_zeros(padded_shape) if want_input else None
    grad_k = grad.new_zeros(kernel_shape.numel()) if want_kernel else None
    flat_x = grad_x.view(-1) if want_input else None
    tap_offsets = plan.input_tap_offsets(device) if want_input else None
    kernel_rows = plan.kernel_base_offsets(device) if want_kernel else None
    grad_g = grad.reshape(geo.batch, geo.groups, plan.out_per_group, *geo.output_size)
    channels = range(plan.in_per_group) if channels_add else [None]
    for chunk in plan.chunks:
        g_chunk = plan.output_block(grad_g, chunk).reshape(-1)
        base = plan.input_base_offsets(chunk, device) if want_input else None
        for channel in channels:
            if channel is None:
                taps = plan.output_block(index, chunk).long()
            else:
                taps = plan.output_block(index[channel], chunk).long()
                if channel:
                    taps = taps + channel * plan.taps
            if want_input:
                offsets = tap_offsets.index_select(0, taps.reshape(-1)).view(taps.shape)
                flat_x.index_add_(0, (offsets + base).reshape(-1), g_chunk)
            if want_kernel:
                grad_k.index_add_(0, (taps + kernel_rows).reshape(-1), g_chunk)
    if grad_k is not None:
        grad_k = grad_k.view(kernel_shape)
        if not largest:
            grad_k = grad_k.neg_()
    return grad_x, grad_k


def _backward_spread(
    grad: torch.Tensor,
    xg: torch.Tensor,
    kt: torch.Tensor,
    y: torch.Tensor,
    plan: ShiftPlan,
    largest: bool,
    channels_add: bool,
    want_input: bool,
    want_kernel: bool,
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    geo = plan.geo
    grad_x = torch.zeros_like(xg) if want_input else None
    grad_kt = torch.zeros_like(kt) if want_kernel else None
    grad_g = grad.reshape(geo.batch, geo.groups, plan.out_per_group, *geo.output_size)
    extremum = torch.maximum if largest else torch.minimum
    for chunk in plan.chunks:
        shape = plan.chunk_shape(chunk)
        g_chunk = plan.output_block(grad_g, chunk)
        cand = xg.new_empty(shape)
        channel_sets = (
            [[c] for c in range(plan.in_per_group)]
            if channels_add
            else [list(range(plan.in_per_group))]
        )
        for channel_set in channel_sets:
            if channels_add:
                target = xg.new_empty(shape)
                for tap in range(plan.taps):
                    x_tap = plan.tap_slice(xg, chunk, channel_set[0], tap).unsqueeze(2)
                    g_tap = plan.tap_value(kt, channel_set[0], tap)
                    if tap == 0:
                        _combine(x_tap, g_tap, largest, target)
                    else:
                        extremum(target, _combine(x_tap, g_tap, largest, cand), out=target)
            else:
                target = plan.output_block(y, chunk)
            count = xg.new_zeros(shape)
            for channel in channel_set:
                for tap in range(plan.taps):
                    x_tap = plan.tap_slice(xg, chunk, channel, tap).unsqueeze(2)
                    _combine(x_tap, plan.tap_value(kt, channel, tap), largest, cand)
                    count.add_(cand == target)
            share = g_chunk / count
            for channel in channel_set:
                for tap in range(plan.taps):
                    x_tap = plan.tap_slice(xg, chunk, channel, tap).unsqueeze(2)
                    _combine(x_tap, plan.tap_value(kt, channel, tap), largest, cand)
                    weight = torch.where(cand == target, share, 0.0)
                    if want_input:
                        plan.tap_slice(grad_x, chunk, channel, tap).add_(weight.sum(dim=2))
                    if want_kernel:
                        grad_kt[channel, tap] += plan.reduce_to_kernel(weight)
    grad_k = None
    if grad_kt is not None:
        grad_k = plan.kernel_from_taps(grad_kt)
        if not largest:
            grad_k = -grad_k
    return grad_x, grad_k


class _TropicalShift(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        padded: torch.Tensor,
        kernel: torch.Tensor,
        plan: ShiftPlan,
        largest: bool,
        channels_add: bool,
        spread: bool,
    ) -> torch.Tensor:
        xg = plan.group_image(padded)
        kt = plan.kernel_per_tap(kernel)
        want_grad = ctx.needs_input_grad[0] or ctx.needs_input_grad[1]
        y, index = _forward_values(
            xg, kt, plan, largest, channels_add, want_index=want_grad and not spread
        )
        ctx.plan, ctx.largest, ctx.channels_add, ctx.spread = plan, largest, channels_add, spread
        ctx.padded_shape, ctx.kernel_shape = padded.shape, kernel.shape
        if want_grad and spread:
            ctx.save_for_backward(xg, kt, y)
        elif want_grad:
            ctx.save_for_backward(index)
        geo = plan.geo
        return y.view(geo.batch, geo.out_channels, *geo.output_size)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        plan: ShiftPlan = ctx.plan
        want_input, want_kernel = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad = grad.contiguous()
        if ctx.spread:
            xg, kt, y = ctx.saved_tensors
            grad_x, grad_k = _backward_spread(
                grad, xg, kt, y, plan, ctx.largest, ctx.channels_add, want_input, want_kernel
            )
            if grad_x is not None:
                grad_x = grad_x.view(ctx.padded_shape)
        else:
            (index,) = ctx.saved_tensors
            grad_x, grad_k = _backward_indexed(
                grad,
                index,
                plan,
                ctx.largest,
                ctx.channels_add,
                ctx.padded_shape,
                ctx.kernel_shape,
                want_input,
                want_kernel,
            )
        return grad_x, grad_k, None, None, None, None
