"""Launch the CUDA kernels on array-likes.

The arrays may be numba device arrays, objects with ``__cuda_array_interface__`` (torch CUDA
tensors) or, under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``), numpy arrays. Outputs
must be allocated (and gradients zeroed) by the caller.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "blocks_for",
    "select_backward",
    "select_forward",
    "subtract_backward",
    "subtract_forward",
]


def blocks_for(n_threads: int, block: int) -> int:
    """The number of blocks of ``block`` threads covering ``n_threads`` threads.

    Example:
        >>> blocks_for(1000, 128)
        8
    """
    return max(1, (n_threads + block - 1) // block)


def _config(kernel: Any, shape: tuple[int, ...], block: int, stream: Any) -> Any:
    """The launch configuration of ``kernel`` with one thread per element of ``shape``."""
    size = 1
    for s in shape:
        size *= s
    if stream is None:
        return kernel[blocks_for(size, block), block]
    return kernel[blocks_for(size, block), block, stream]


def select_forward(
    kernels: tuple[Any, Any],
    x: Any,
    w: Any,
    geo: tuple[int, ...],
    zero: float,
    out: Any,
    prov: Any,
    sentinel: int,
    block: int,
    stream: Any = None,
) -> None:
    """Select forward: fills ``out`` and ``prov`` (shape ``(B, C_out, oD, oH, oW)``)."""
    _config(kernels[0], out.shape, block, stream)(x, w, geo, zero, out, prov, sentinel)


def select_backward(
    kernels: tuple[Any, Any],
    grad: Any,
    prov: Any,
    x: Any,
    w: Any,
    geo: tuple[int, ...],
    sentinel: int,
    read_x: bool,
    grad_x: Any,
    grad_w_inflated: Any,
    block: int,
    stream: Any = None,
) -> None:
    """Select backward: adds into zeroed ``grad_x`` and ``grad_w_inflated`` (``(*w.shape, n)``)."""
    _config(kernels[1], grad.shape, block, stream)(
        grad, prov, x, w, geo, sentinel, read_x, grad_x, grad_w_inflated
    )


def subtract_forward(
    kernels: tuple[Any, Any],
    x: Any,
    w: Any,
    geo: tuple[int, ...],
    extra: tuple[Any, ...],
    out: Any,
    block: int,
    stream: Any = None,
) -> None:
    """Subtract forward; ``extra`` is ``(zero,)`` (user-defined) or ``(mode, param)`` (built-in)."""
    _config(kernels[0], out.shape, block, stream)(x, w, geo, *extra, out)


def subtract_backward(
    kernels: tuple[Any, Any],
    grad: Any,
    x: Any,
    w: Any,
    y: Any,
    geo: tuple[int, ...],
    extra: tuple[Any, ...],
    grad_x: Any,
    grad_w_inflated: Any,
    block: int,
    stream: Any = None,
) -> None:
    """Subtract backward; ``extra`` is ``()`` (user-defined) or ``(mode, param)`` (built-in)."""
    _config(kernels[1], grad.shape, block, stream)(
        grad, x, w, y, geo, *extra, grad_x, grad_w_inflated
    )
