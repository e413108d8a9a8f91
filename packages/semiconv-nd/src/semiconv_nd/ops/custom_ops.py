"""The ``torch.library`` custom ops behind the compiled semifields.

Four ops, all on tensors in the layout of :mod:`semiconv_nd.ops.layout`:

* ``semiconv_nd::select_conv(image, kernel, key, geo, output_size, thread_block_size,
  kernel_inflation) -> (out, provenance)``
* ``semiconv_nd::select_conv_backward(grad, provenance, image, kernel, key, geo, image_shape,
  thread_block_size, kernel_inflation) -> (grad_image, grad_kernel)``
* ``semiconv_nd::subtract_conv(image, kernel, key, geo, output_size, thread_block_size,
  kernel_inflation) -> out``
* ``semiconv_nd::subtract_conv_backward(grad, image, kernel, out, key, geo, thread_block_size,
  kernel_inflation) -> (grad_image, grad_kernel)``

``key`` names a semifield registered with :func:`semiconv_nd.ops.registry.register`. Each op has
a fake (meta) implementation, so ``torch.compile(fullgraph=True)`` traces models that use them,
and the forward ops have autograd formulas that call the backward ops. The select forward saves
only the provenance and the kernel (plus the image for user-defined semifields, whose
derivatives may read it); the subtract forward saves the image, the kernel and its output.

CPU tensors run the numba kernels of :mod:`semiconv_nd._cpu`; CUDA tensors run those of
:mod:`semiconv_nd._cuda` (the ``cuda`` extra).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import torch

from semiconv_nd.ops.entries import GEO_OUT_PER_GROUP, SelectEntry, SubtractEntry, provenance_dtype
from semiconv_nd.ops.registry import lookup

__all__ = ["select_conv", "select_conv_backward", "subtract_conv", "subtract_conv_backward"]


def _backend(tensor: torch.Tensor) -> ModuleType:
    if tensor.device.type == "cpu":
        from semiconv_nd._cpu import runner

        return runner
    if tensor.device.type == "cuda":
        from semiconv_nd._cuda import runner

        return runner
    raise ValueError(
        f"img: the compiled semifields run on 'cpu' or 'cuda' tensors, got device "
        f"{tensor.device}; use BroadcastSemifield for other devices"
    )


def _launch_options(tensor: torch.Tensor, block: int, inflation: int) -> dict[str, Any]:
    if tensor.device.type == "cuda":
        return {"thread_block_size": block, "kernel_inflation": inflation}
    return {}


def _out_channels(image_channels: int, kernel: torch.Tensor, geo: list[int]) -> int:
    return geo[GEO_OUT_PER_GROUP] * (image_channels // kernel.shape[1])


def _forward_shape(
    image: torch.Tensor, kernel: torch.Tensor, geo: list[int], output_size: list[int]
) -> tuple[int, ...]:
    return (image.shape[0], _out_channels(image.shape[1], kernel, geo), *output_size)


def _entry(key: str, entry_class: type, kind: str) -> Any:
    entry = lookup(key)
    if not isinstance(entry, entry_class):
        raise TypeError(f"key: {key!r} is not a {kind} semifield")
    return entry


def _select_entry(key: str) -> SelectEntry:
    return _entry(key, SelectEntry, "select")


def _subtract_entry(key: str) -> SubtractEntry:
    return _entry(key, SubtractEntry, "subtract")


@torch.library.custom_op("semiconv_nd::select_conv", mutates_args=())
def select_conv(
    image: torch.Tensor,
    kernel: torch.Tensor,
    key: str,
    geo: list[int],
    output_size: list[int],
    thread_block_size: int,
    kernel_inflation: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Select-semifield convolution: the output and the provenance (see the module doc)."""
    backend = _backend(image)
    return backend.select_forward(
        _select_entry(key),
        image,
        kernel,
        geo,
        output_size,
        _out_channels(image.shape[1], kernel, geo),
        **_launch_options(image, thread_block_size, kernel_inflation),
    )


@select_conv.register_fake
def _select_conv_fake(
    image: torch.Tensor,
    kernel: torch.Tensor,
    key: str,
    geo: list[int],
    output_size: list[int],
    thread_block_size: int,
    kernel_inflation: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    shape = _forward_shape(image, kernel, geo, output_size)
    prov_dtype, _ = provenance_dtype(math.prod(kernel.shape[1:]))
    return image.new_empty(shape), image.new_empty(shape, dtype=prov_dtype)


@torch.library.custom_op("semiconv_nd::select_conv_backward", mutates_args=())
def select_conv_backward(
    grad: torch.Tensor,
    provenance: torch.Tensor,
    image: torch.Tensor,
    kernel: torch.Tensor,
    key: str,
    geo: list[int],
    image_shape: list[int],
    thread_block_size: int,
    kernel_inflation: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of :func:`select_conv` from its provenance."""
    backend = _backend(grad)
    return backend.select_backward(
        _select_entry(key),
        grad,
        provenance,
        image,
        kernel,
        geo,
        image_shape,
        **_launch_options(grad, thread_block_size, kernel_inflation),
    )


@select_conv_backward.register_fake
def _select_conv_backward_fake(
    grad: torch.Tensor,
    provenance: torch.Tensor,
    image: torch.Tensor,
    kernel: torch.Tensor,
    key: str,
    geo: list[int],
    image_shape: list[int],
    thread_block_size: int,
    kernel_inflation: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    return grad.new_empty(image_shape), kernel.new_empty(kernel.shape)


def _select_setup(ctx: Any, inputs: tuple[Any, ...], output: tuple[torch.Tensor, ...]) -> None:
    image, kernel, key, geo, _, block, inflation = inputs
    _, provenance = output
    saved_image = image if _select_entry(key).needs_image else image.new_empty(0)
    ctx.save_for_backward(provenance, saved_image, kernel)
    ctx.mark_non_differentiable(provenance)
    ctx.key, ctx.geo, ctx.image_shape = key, geo, list(image.shape)
    ctx.block, ctx.inflation = block, inflation


def _select_backward(ctx: Any, grad_out: torch.Tensor, _grad_prov: Any) -> tuple[Any, ...]:
    provenance, image, kernel = ctx.saved_tensors
    grad_image, grad_kernel = select_conv_backward(
        grad_out.contiguous(),
        provenance,
        image,
        kernel,
        ctx.key,
        ctx.geo,
        ctx.image_shape,
        ctx.block,
        ctx.inflation,
    )
    return grad_image, grad_kernel, None, None, None, None, None


select_conv.register_autograd(_select_backward, setup_context=_select_setup)


@torch.library.custom_op("semiconv_nd::subtract_conv", mutates_args=())
def subtract_conv(
    image: torch.Tensor,
    kernel: torch.Tensor,
    key: str,
    geo: list[int],
    output_size: list[int],
    thread_block_size: int,
    kernel_inflation: int,
) -> torch.Tensor:
    """Subtract-semifield convolution (see the module doc)."""
    backend = _backend(image)
    return backend.subtract_forward(
        _subtract_entry(key),
        image,
        kernel,
        geo,
        output_size,
        _out_channels(image.shape[1], kernel, geo),
        **_launch_options(image, thread_block_size, kernel_inflation),
    )


@subtract_conv.register_fake
def _subtract_conv_fake(
    image: torch.Tensor,
    kernel: torch.Tensor,
    key: str,
    geo: list[int],
    output_size: list[int],
    thread_block_size: int,
    kernel_inflation: int,
) -> torch.Tensor:
    shape = _forward_shape(image, kernel, geo, output_size)
    return image.new_empty(shape)


@torch.library.custom_op("semiconv_nd::subtract_conv_backward", mutates_args=())
def subtract_conv_backward(
    grad: torch.Tensor,
    image: torch.Tensor,
    kernel: torch.Tensor,
    out: torch.Tensor,
    key: str,
    geo: list[int],
    thread_block_size: int,
    kernel_inflation: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of :func:`subtract_conv`, recomputing every tap."""
    backend = _backend(grad)
    return backend.subtract_backward(
        _subtract_entry(key),
        grad,
        image,
        kernel,
        out,
        geo,
        **_launch_options(grad, thread_block_size, kernel_inflation),
    )


@subtract_conv_backward.register_fake
def _subtract_conv_backward_fake(
    grad: torch.Tensor,
    image: torch.Tensor,
    kernel: torch.Tensor,
    out: torch.Tensor,
    key: str,
    geo: list[int],
    thread_block_size: int,
    kernel_inflation: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.empty_like(image), torch.empty_like(kernel)


def _subtract_setup(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
    image, kernel, key, geo, _, block, inflation = inputs
    ctx.save_for_backward(image, kernel, output)
    ctx.key, ctx.geo, ctx.block, ctx.inflation = key, geo, block, inflation


def _subtract_backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Any, ...]:
    image, kernel, out = ctx.saved_tensors
    grad_image, grad_kernel = subtract_conv_backward(
        grad_out.contiguous(), image, kernel, out, ctx.key, ctx.geo, ctx.block, ctx.inflation
    )
    return grad_image, grad_kernel, None, None, None, None, None


subtract_conv.register_autograd(_subtract_backward, setup_context=_subtract_setup)
