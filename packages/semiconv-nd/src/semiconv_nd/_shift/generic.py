r"""Chunked broadcast engine for user-defined :class:`~semiconv_nd.BroadcastSemifield` operators.

A user semifield is only known through its tensor functions (``multiply``, ``add_reduce``,
``add_reduce_channels``). They are applied exactly as documented, to a window view of layout
``(nb, G, 1, I, *k, rows, *out[1:])`` and the kernel viewed as ``(1, Gk, O, I, *k, 1, ...)``,
but for one block of outputs at a time. The block is sized so that the broadcast product
``x ⊗ g`` holds at most ``chunk_bytes`` bytes.

The backward pass does not keep the autograd graphs of the blocks: it recomputes each block with
gradients enabled and back-propagates it immediately (chunk-wise rematerialisation). The saved
state is therefore only the padded image and the kernel, and the peak extra memory of both
passes is bounded by the output plus a small multiple of ``chunk_bytes`` (whatever the user's
functions keep for their own backward, for one block). Under :func:`torch.compile` the whole
output is one block differentiated by autograd (a rematerialising backward cannot be traced);
the compiler then decides what to keep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from semiconv_nd._shift.plan import ShiftPlan

__all__ = ["block_region", "direct_broadcast", "generic_broadcast", "window_view"]


def block_region(plan: ShiftPlan, chunk: tuple[int, int, int, int]) -> tuple[slice, ...]:
    """Index of the part of the ``(B, G, I, *padded)`` image that the windows of ``chunk`` read."""
    geo = plan.geo
    b0, b1, r0, r1 = chunk
    span = (geo.kernel_size[0] - 1) * geo.dilation[0] + 1
    rows = slice(r0 * geo.stride[0], (r1 - 1) * geo.stride[0] + span)
    return (slice(b0, b1), slice(None), slice(None), rows)


def window_view(
    slab: torch.Tensor, plan: ShiftPlan, chunk: tuple[int, int, int, int], unfold_copy: bool
) -> torch.Tensor:
    """Windows of one output block, in the layout of the reference implementation.

    Args:
        slab: ``xg[block_region(plan, chunk)]`` of the ``(B, G, I, *padded)`` image.
        plan: The shift plan of the call.
        chunk: ``(b0, b1, r0, r1)`` output block.
        unfold_copy: Use :func:`torch.nn.functional.unfold` (a copy, 2-D only) instead of a view.

    Returns:
        The ``(nb, G, 1, I, *k, rows, *out[1:])`` windows.
    """
    geo = plan.geo
    b0, b1, r0, r1 = chunk
    nb, n = b1 - b0, geo.ndim
    out_shape = (r1 - r0, *geo.output_size[1:])
    if unfold_copy:
        columns = F.unfold(
            slab.reshape(nb, geo.in_channels, *slab.shape[3:]),
            kernel_size=geo.kernel_size,
            dilation=geo.dilation,
            stride=geo.stride,
        )
        return columns.view(nb, geo.groups, 1, geo.in_per_group, *geo.kernel_size, *out_shape)
    for axis in range(n):
        span = (geo.kernel_size[axis] - 1) * geo.dilation[axis] + 1
        slab = slab.unfold(3 + axis, span, geo.stride[axis])
    # (nb, G, I, *out, *span) -> every dilation-th element of each span
    dilated = (slice(None),) * (3 + n) + tuple(slice(None, None, d) for d in geo.dilation)
    slab = slab[dilated]
    order = (0, 1, 2, *range(3 + n, 3 + 2 * n), *range(3, 3 + n))
    return slab.permute(order).unsqueeze(2)


class _Reducer:
    """Applies ``multiply`` and the reductions of a semifield to one block of windows."""

    def __init__(
        self,
        multiply: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        add_reduce: Callable[[torch.Tensor, tuple[int, ...]], torch.Tensor],
        add_reduce_channels: Callable[[torch.Tensor, int], torch.Tensor] | None,
        ndim: int,
    ) -> None:
        self.multiply = multiply
        self.add_reduce = add_reduce
        self.add_reduce_channels = add_reduce_channels
        self.ndim = ndim

    def __call__(self, windows: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        multiplied = self.multiply(windows, weights)
        kernel_dims = tuple(range(4, 4 + self.ndim))
        if self.add_reduce_channels is None:
            return self.add_reduce(multiplied, (3, *kernel_dims))
        return self.add_reduce_channels(self.add_reduce(multiplied, kernel_dims), 3)


def generic_broadcast(
    padded: torch.Tensor,
    kernel: torch.Tensor,
    plan: ShiftPlan,
    reducer: _Reducer,
    unfold_copy: bool,
) -> torch.Tensor:
    """Convolution with user semifield operators, block by block, with rematerialised backward.

    Args:
        padded: ``(B, C_in, *padded)`` image, padded with the semifield zero.
        kernel: ``(K_o, I, *k)`` kernel, flipped for ``kind="conv"``.
        plan: The shift plan of the call (its chunks bound the block size).
        reducer: The semifield's operators (see :class:`_Reducer`).
        unfold_copy: Build the windows with :func:`torch.nn.functional.unfold` (2-D only).

    Returns:
        The ``(B, C_out, *out)`` output.
    """
    if torch.compiler.is_compiling():
        # Traced by torch.compile: one block, differentiated by autograd itself (the compiler
        # plans the memory of the graph; a rematerialising backward cannot be traced).
        return direct_broadcast(padded, kernel, plan, reducer, unfold_copy)
    return _GenericBroadcast.apply(padded, kernel, plan, reducer, unfold_copy)


def direct_broadcast(
    padded: torch.Tensor,
    kernel: torch.Tensor,
    plan: ShiftPlan,
    reducer: _Reducer,
    unfold_copy: bool,
) -> torch.Tensor:
    """The whole output as one block, differentiated by autograd (for tiny or traced calls).

    This is the original package's computation: it materialises the full broadcast product, so
    it is used only under :func:`torch.compile` and for problems whose product is tiny.
    """
    geo = plan.geo
    whole = ShiftPlan(geo, chunk_elements=geo.batch * geo.out_channels * _prod(geo.output_size))
    chunk = whole.chunks[0]
    xg = whole.group_image(padded)
    block = _block(xg[block_region(whole, chunk)], kernel, whole, reducer, chunk, unfold_copy)
    return block.reshape(geo.batch, geo.out_channels, *geo.output_size)


def _prod(values: tuple[int, ...]) -> int:
    result = 1
    for value in values:
        result *= value
    return result


def _weights(kernel: torch.Tensor, plan: ShiftPlan) -> torch.Tensor:
    geo = plan.geo
    return kernel.view(
        1,
        plan.kernel_groups,
        plan.out_per_group,
        plan.in_per_group,
        *geo.kernel_size,
        *([1] * geo.ndim),
    )


def _block(
    slab: torch.Tensor,
    kernel: torch.Tensor,
    plan: ShiftPlan,
    reducer: _Reducer,
    chunk: tuple[int, int, int, int],
    unfold_copy: bool,
) -> torch.Tensor:
    windows = window_view(slab, plan, chunk, unfold_copy)
    reduced = reducer(windows, _weights(kernel, plan))
    expected = plan.chunk_shape(chunk)
    if tuple(reduced.shape) != expected:
        raise ValueError(
            f"semifield: add_reduce/add_reduce_channels returned shape {tuple(reduced.shape)} "
            f"for a block whose output has shape {expected}; the reductions must remove exactly "
            f"the channel and kernel axes"
        )
    return reduced


class _GenericBroadcast(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        padded: torch.Tensor,
        kernel: torch.Tensor,
        plan: ShiftPlan,
        reducer: _Reducer,
        unfold_copy: bool,
    ) -> torch.Tensor:
        geo = plan.geo
        xg = plan.group_image(padded)
        y = padded.new_empty((geo.batch, geo.groups, plan.out_per_group, *geo.output_size))
        for chunk in plan.chunks:
            slab = xg[block_region(plan, chunk)]
            block = _block(slab, kernel, plan, reducer, chunk, unfold_copy)
            plan.output_block(y, chunk).copy_(block)
        ctx.plan, ctx.reducer, ctx.unfold_copy = plan, reducer, unfold_copy
        ctx.padded_shape = padded.shape
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_for_backward(padded, kernel)
        return y.view(geo.batch, geo.out_channels, *geo.output_size)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        padded, kernel = ctx.saved_tensors
        plan: ShiftPlan = ctx.plan
        geo = plan.geo
        want_input, want_kernel = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        xg = plan.group_image(padded.detach())
        grad_x = torch.zeros_like(xg) if want_input else None
        grad_k = torch.zeros_like(kernel) if want_kernel else None
        grad_g = grad.reshape(geo.batch, geo.groups, plan.out_per_group, *geo.output_size)
        for chunk in plan.chunks:
            region = block_region(plan, chunk)
            with torch.enable_grad():
                slab = xg[region].detach().requires_grad_(want_input)
                weights = kernel.detach().requires_grad_(want_kernel)
                block = _block(slab, weights, plan, ctx.reducer, chunk, ctx.unfold_copy)
                inputs = [t for t, w in ((slab, want_input), (weights, want_kernel)) if w]
                if not block.requires_grad:
                    continue
                grads = list(
                    torch.autograd.grad(
                        block, inputs, plan.output_block(grad_g, chunk), allow_unused=True
                    )
                )
            if want_input:
                g_slab = grads.pop(0)
                if g_slab is not None:
                    grad_x[region] += g_slab
            if want_kernel:
                g_kernel = grads.pop(0)
                if g_kernel is not None:
                    grad_k += g_kernel
        if grad_x is not None:
            grad_x = grad_x.view(ctx.padded_shape)
        return grad_x, grad_k, None, None, None
