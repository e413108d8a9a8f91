"""The compiled semifields in eager mode: the custom ops' backends behind plain autograd Functions.

Calling a ``torch.library`` custom op goes through the dispatcher, and the first call in a
process imports ``torch._dynamo`` (over a second of CPU time) even when nothing is compiled.
Outside tracing, :func:`select_conv` and :func:`subtract_conv` therefore run the same backend
functions (:mod:`semiconv_nd._cpu.runner`, :mod:`semiconv_nd._cuda.runner`) through
:class:`torch.autograd.Function` s that save the same tensors and call the same backward
backends. Under :func:`torch.compile`, ``torch.export``, a dispatch mode (``make_fx``,
``FakeTensorMode``) or for tensor subclasses, :func:`traced` is true and the callers use the
custom ops of :mod:`semiconv_nd.ops.custom_ops` instead, which have fake implementations.
"""

from __future__ import annotations

from typing import Any

import torch

from semiconv_nd.ops import custom_ops

__all__ = ["select_conv", "subtract_conv", "traced"]

_PLAIN = (torch.Tensor, torch.nn.Parameter)


def traced(*tensors: torch.Tensor) -> bool:
    """Whether the call must go through the custom ops (compiling, tracing or subclasses).

    Example:
        >>> traced(torch.zeros(2))
        False
    """
    return (
        torch.compiler.is_compiling()
        or torch._C._len_torch_dispatch_stack() > 0
        or any(type(t) not in _PLAIN for t in tensors)
    )


class _SelectConv(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        image: torch.Tensor,
        kernel: torch.Tensor,
        key: str,
        geo: list[int],
        output_size: list[int],
        block: int,
        inflation: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        entry = custom_ops._select_entry(key)
        out, provenance = custom_ops._backend(image).select_forward(
            entry,
            image,
            kernel,
            geo,
            output_size,
            custom_ops._out_channels(image.shape[1], kernel, geo),
            **custom_ops._launch_options(image, block, inflation),
        )
        saved_image = image if entry.needs_image else image.new_empty(0)
        ctx.save_for_backward(provenance, saved_image, kernel)
        ctx.mark_non_differentiable(provenance)
        ctx.key, ctx.geo, ctx.image_shape = key, geo, list(image.shape)
        ctx.block, ctx.inflation = block, inflation
        return out, provenance

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor, _grad_prov: Any) -> tuple[Any, ...]:
        provenance, image, kernel = ctx.saved_tensors
        grad = grad_out.contiguous()
        grad_image, grad_kernel = custom_ops._backend(grad).select_backward(
            custom_ops._select_entry(ctx.key),
            grad,
            provenance,
            image,
            kernel,
            ctx.geo,
            ctx.image_shape,
            **custom_ops._launch_options(grad, ctx.block, ctx.inflation),
        )
        return grad_image, grad_kernel, None, None, None, None, None


class _SubtractConv(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        image: torch.Tensor,
        kernel: torch.Tensor,
        key: str,
        geo: list[int],
        output_size: list[int],
        block: int,
        inflation: int,
    ) -> torch.Tensor:
        out = custom_ops._backend(image).subtract_forward(
            custom_ops._subtract_entry(key),
            image,
            kernel,
            geo,
            output_size,
            custom_ops._out_channels(image.shape[1], kernel, geo),
            **custom_ops._launch_options(image, block, inflation),
        )
        ctx.save_for_backward(image, kernel, out)
        ctx.key, ctx.geo, ctx.block, ctx.inflation = key, geo, block, inflation
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Any, ...]:
        image, kernel, out = ctx.saved_tensors
        grad = grad_out.contiguous()
        grad_image, grad_kernel = custom_ops._backend(grad).subtract_backward(
            custom_ops._subtract_entry(ctx.key),
            grad,
            image,
            kernel,
            out,
            ctx.geo,
            **custom_ops._launch_options(grad, ctx.block, ctx.inflation),
        )
        return grad_image, grad_kernel, None, None, None, None, None


def select_conv(*args: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`semiconv_nd.ops.custom_ops.select_conv` in eager mode (same arguments)."""
    return _SelectConv.apply(*args)


def subtract_conv(*args: Any) -> torch.Tensor:
    """:func:`semiconv_nd.ops.custom_ops.subtract_conv` in eager mode (same arguments)."""
    return _SubtractConv.apply(*args)
