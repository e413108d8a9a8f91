"""Run the CUDA kernels on torch CUDA tensors (the custom ops' CUDA implementation).

Mirrors :mod:`semiconv_nd._cpu.runner`, with the launch options ``thread_block_size`` and
``kernel_inflation``. Kernels run on torch's current stream. Every function first checks that
numba can use CUDA here and otherwise raises a ``RuntimeError`` naming the CPU alternative.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from semiconv_nd._cuda import launch, require_cuda
from semiconv_nd.ops.entries import SelectEntry, SubtractEntry, provenance_dtype

__all__ = ["select_backward", "select_forward", "subtract_backward", "subtract_forward"]

_BUILTIN_SUBTRACT: list[Any] = []


def _kernels(entry: SelectEntry | SubtractEntry) -> tuple[Any, Any]:
    from semiconv_nd._cuda import kernels as factory

    compiled = entry.kernels.get("cuda")
    if compiled is None:
        if isinstance(entry, SelectEntry):
            compiled = factory.make_select_kernels(*entry.operators)
        elif entry.mode >= 0:
            if not _BUILTIN_SUBTRACT:
                _BUILTIN_SUBTRACT.append(factory.make_subtract_builtin_kernels())
            compiled = _BUILTIN_SUBTRACT[0]
        else:
            compiled = factory.make_subtract_kernels(*entry.operators)
        entry.kernels["cuda"] = compiled
    return compiled


def _arr(tensor: torch.Tensor) -> Any:
    from numba import cuda

    return cuda.as_cuda_array(tensor.detach())


def _stream(tensor: torch.Tensor) -> Any:
    from numba import cuda

    return cuda.external_stream(torch.cuda.current_stream(tensor.device).cuda_stream)


def select_forward(
    entry: SelectEntry,
    image: torch.Tensor,
    kernel: torch.Tensor,
    geo: list[int],
    output_size: list[int],
    out_channels: int,
    thread_block_size: int = 128,
    kernel_inflation: int = 16,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward pass of a select semifield on CUDA."""
    require_cuda()
    prov_dtype, sentinel = provenance_dtype(kernel[0].numel())
    shape = (image.shape[0], out_channels, *output_size)
    out = torch.empty(shape, dtype=image.dtype, device=image.device)
    prov = torch.empty(shape, dtype=prov_dtype, device=image.device)
    launch.select_forward(
        _kernels(entry),
        _arr(image),
        _arr(kernel),
        tuple(geo),
        _numpy_dtype(image)(entry.zero),
        _arr(out),
        _arr(prov),
        sentinel,
        thread_block_size,
        _stream(image),
    )
    return out, prov


def select_backward(
    entry: SelectEntry,
    grad: torch.Tensor,
    prov: torch.Tensor,
    image: torch.Tensor,
    kernel: torch.Tensor,
    geo: list[int],
    image_shape: list[int],
    thread_block_size: int = 128,
    kernel_inflation: int = 16,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Backward pass of a select semifield on CUDA."""
    require_cuda()
    _, sentinel = provenance_dtype(kernel[0].numel())
    grad_x = torch.zeros(image_shape, dtype=grad.dtype, device=grad.device)
    inflated = torch.zeros((*kernel.shape, kernel_inflation), dtype=grad.dtype, device=grad.device)
    read_x = image.numel() > 0
    launch.select_backward(
        _kernels(entry),
        _arr(grad),
        _arr(prov),
        _arr(image if read_x else kernel),
        _arr(kernel),
        tuple(geo),
        sentinel,
        read_x,
        _arr(grad_x),
        _arr(inflated),
        thread_block_size,
        _stream(grad),
    )
    return grad_x, inflated.sum(-1)


def _extra(entry: SubtractEntry, dtype: Any = np.float64) -> tuple[Any, ...]:
    """Scalar kernel arguments, typed like the data (float32 math for float32 tensors)."""
    scalar = np.dtype(dtype).type
    if entry.mode < 0:
        return (scalar(entry.zero),)
    consts = (scalar(entry.param), scalar(entry.param - 1.0), scalar(0.0), scalar(-np.inf))
    return (entry.mode, consts)


def _numpy_dtype(tensor: torch.Tensor) -> Any:
    return np.float32 if tensor.dtype == torch.float32 else np.float64


def subtract_forward(
    entry: SubtractEntry,
    image: torch.Tensor,
    kernel: torch.Tensor,
    geo: list[int],
    output_size: list[int],
    out_channels: int,
    thread_block_size: int = 256,
    kernel_inflation: int = 16,
) -> torch.Tensor:
    """Forward pass of a subtract semifield on CUDA."""
    require_cuda()
    out = torch.empty(
        (image.shape[0], out_channels, *output_size), dtype=image.dtype, device=image.device
    )
    launch.subtract_forward(
        _kernels(entry),
        _arr(image),
        _arr(kernel),
        tuple(geo),
        _extra(entry, _numpy_dtype(image)),
        _arr(out),
        thread_block_size,
        _stream(image),
    )
    return out


def subtract_backward(
    entry: SubtractEntry,
    grad: torch.Tensor,
    image: torch.Tensor,
    kernel: torch.Tensor,
    out: torch.Tensor,
    geo: list[int],
    thread_block_size: int = 256,
    kernel_inflation: int = 16,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Backward pass of a subtract semifield on CUDA, recomputing every tap."""
    require_cuda()
    grad_x = torch.zeros_like(image)
    inflated = torch.zeros((*kernel.shape, kernel_inflation), dtype=grad.dtype, device=grad.device)
    launch.subtract_backward(
        _kernels(entry),
        _arr(grad),
        _arr(image),
        _arr(kernel),
        _arr(out),
        tuple(geo),
        _extra(entry, _numpy_dtype(grad)) if entry.mode >= 0 else (),
        _arr(grad_x),
        _arr(inflated),
        thread_block_size,
        _stream(grad),
    )
    return grad_x, inflated.sum(-1)
