"""Run the CPU kernels on torch tensors (in the layout of :mod:`semiconv_nd.ops.layout`).

Each function allocates the outputs with torch, hands numpy views to the numba kernels and
returns torch tensors. The kernels process ranges of items (output rows forward, (batch, group)
pairs backward) that :mod:`.threads` spreads over threads; every backward range adds into its
own kernel-gradient copy, summed at the end. User-defined semifields are compiled on first use
and kept in their registry entry.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import torch

from semiconv_nd._cpu import select_builtin, subtract_builtin
from semiconv_nd._cpu.cache import compile_notice, notice_if_compiling
from semiconv_nd._cpu.select_generic import make_select_kernels
from semiconv_nd._cpu.subtract_generic import make_subtract_kernels
from semiconv_nd._cpu.taps import tap_offsets, tap_table_for
from semiconv_nd._cpu.threads import ranges, run_ranges, thread_count
from semiconv_nd.ops.entries import (
    GEO_OUT_PER_GROUP,
    LINEAR,
    LOG,
    ROOT,
    SelectEntry,
    SubtractEntry,
    provenance_dtype,
)

__all__ = ["select_backward", "select_forward", "subtract_backward", "subtract_forward"]

_SUBTRACT_FAMILIES = {
    LINEAR: "linear subtract kernels",
    ROOT: "root subtract kernels",
    LOG: "log subtract kernels",
}


def _np(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().numpy()


def _compiled(entry: SelectEntry | SubtractEntry) -> tuple[Any, Any]:
    kernels = entry.kernels.get("cpu")
    if kernels is None:
        make = make_select_kernels if isinstance(entry, SelectEntry) else make_subtract_kernels
        compile_notice(f"kernels of the user-defined semifield {entry.key!r}", per_process=True)
        try:
            kernels = make(*entry.operators)
        except Exception as exc:  # pragma: no cover - numba raises on bad functions lazily
            raise TypeError(f"{entry.key}: cannot compile the semifield: {exc}") from exc
        entry.kernels["cpu"] = kernels
    return kernels


def _run(entry: SelectEntry | SubtractEntry | None, kernel: Any, tasks: list[tuple]) -> None:
    """Run ``kernel`` over its ranges; a user semifield's typing errors become TypeErrors."""
    try:
        run_ranges(kernel, tasks)
    except numba.core.errors.TypingError as exc:
        if entry is None:  # pragma: no cover - built-in kernels always type
            raise
        raise TypeError(
            f"{entry.key}: numba cannot compile the semifield's scalar operators (they must be "
            f"plain functions of floats using math/numpy scalar functions): {exc}"
        ) from exc


def _forward_tasks(
    out: torch.Tensor, kernel: torch.Tensor, args: tuple, scratch_rows: int = 0
) -> list[tuple]:
    """One argument tuple per thread, over output rows.

    Each is ``args``, a private scratch buffer of ``scratch_rows`` rows (if any) and a range of
    output rows.
    """
    n_rows = out.shape[0] * out.shape[1] * out.shape[2] * out.shape[3]
    work = out.shape[4] * math.prod(kernel.shape[1:])
    return [
        (*args, *_scratch(out, scratch_rows), start, stop)
        for start, stop in ranges(n_rows, thread_count(n_rows, work))
    ]


def _backward_tasks(
    grad: torch.Tensor, kernel: torch.Tensor, geo: list[int], args: tuple, scratch_rows: int = 0
) -> tuple[list[tuple], torch.Tensor]:
    """One argument tuple per thread, over (batch, group) pairs, and the kernel-gradient copies.

    Each is ``args``, a zeroed kernel-gradient copy, a private scratch buffer (with
    ``scratch_rows``) and a range of pairs; the copies are returned stacked.
    """
    groups = grad.shape[1] // geo[GEO_OUT_PER_GROUP]
    n_pairs = grad.shape[0] * groups
    work = grad[0].numel() // groups * math.prod(kernel.shape[1:])
    n_parts = thread_count(n_pairs, work)
    parts = torch.zeros((n_parts, *kernel.shape), dtype=grad.dtype)
    tasks = [
        (*args, _np(part), *_scratch(grad, scratch_rows), start, stop)
        for part, (start, stop) in zip(parts, ranges(n_pairs, n_parts), strict=True)
    ]
    return tasks, parts


def _scratch(like: torch.Tensor, rows: int) -> tuple[np.ndarray, ...]:
    """``()`` or a ``(rows, oW)`` buffer of ``like``'s dtype for one kernel range."""
    return (np.empty((rows, like.shape[4]), dtype=_np(like).dtype),) if rows else ()


def _weight_grad(parts: torch.Tensor) -> torch.Tensor:
    return parts.sum(0) if parts.shape[0] > 1 else parts[0]


def _builtin(kernel: Any, family: str, tasks: list[tuple]) -> None:
    notice_if_compiling(kernel, family, tasks[0])
    run_ranges(kernel, tasks)


def select_forward(
    entry: SelectEntry,
    image: torch.Tensor,
    kernel: torch.Tensor,
    geo: list[int],
    output_size: list[int],
    out_channels: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward pass of a select semifield: the output and the provenance."""
    n_taps = kernel[0].numel()
    prov_dtype, sentinel = provenance_dtype(n_taps)
    shape = (image.shape[0], out_channels, *output_size)
    out = torch.empty(shape, dtype=image.dtype)
    prov = torch.empty(shape, dtype=prov_dtype)
    geo_np = np.asarray(geo, dtype=np.int64)
    taps = tap_table_for(tuple(kernel.shape), geo, output_size[2], image.shape[4])
    if entry.sign != 0:
        args = (_np(image), _np(kernel), geo_np, taps, float(entry.sign), _np(out), _np(prov))
        args = (*args, sentinel)
        tasks = _forward_tasks(out, kernel, args, scratch_rows=3)
        _builtin(select_builtin.tropical_forward, "tropical select kernels", tasks)
    else:
        forward, _ = _compiled(entry)
        args = (_np(image), _np(kernel), geo_np, taps, float(entry.zero), _np(out), _np(prov))
        args = (*args, sentinel)
        _run(entry, forward, _forward_tasks(out, kernel, args))
    return out, prov


def select_backward(
    entry: SelectEntry,
    grad: torch.Tensor,
    prov: torch.Tensor,
    image: torch.Tensor,
    kernel: torch.Tensor,
    geo: list[int],
    image_shape: list[int],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Backward pass of a select semifield from the provenance."""
    _, sentinel = provenance_dtype(kernel[0].numel())
    grad_x = torch.zeros(image_shape, dtype=grad.dtype)
    geo_np = np.asarray(geo, dtype=np.int64)
    offsets = tap_offsets(tuple(image_shape), tuple(kernel.shape), geo)
    if entry.sign != 0:
        args = (
            _np(grad),
            _np(prov),
            geo_np,
            offsets,
            np.asarray(image_shape, dtype=np.int64),
            float(entry.sign),
            sentinel,
            _np(grad_x),
        )
        tasks, parts = _backward_tasks(grad, kernel, geo, args)
        _builtin(select_builtin.tropical_backward, "tropical select kernels", tasks)
    else:
        _, backward = _compiled(entry)
        args = (
            _np(grad),
            _np(prov),
            _np(image),
            _np(kernel),
            geo_np,
            offsets,
            sentinel,
            _np(grad_x),
        )
        tasks, parts = _backward_tasks(grad, kernel, geo, args)
        _run(entry, backward, tasks)
    return grad_x, _weight_grad(parts)


def subtract_forward(
    entry: SubtractEntry,
    image: torch.Tensor,
    kernel: torch.Tensor,
    geo: list[int],
    output_size: list[int],
    out_channels: int,
) -> torch.Tensor:
    """Forward pass of a subtract semifield."""
    out = torch.empty((image.shape[0], out_channels, *output_size), dtype=image.dtype)
    geo_np = np.asarray(geo, dtype=np.int64)
    taps = tap_table_for(tuple(kernel.shape), geo, output_size[2], image.shape[4])
    if entry.mode >= 0:
        ipow = subtract_builtin.small_integer_power(entry.param) if entry.mode == ROOT else 0
        args = (_np(image), _np(kernel), geo_np, taps, entry.param, ipow, _np(out))
        tasks = _forward_tasks(out, kernel, args, scratch_rows=3)
        forward, _ = subtract_builtin.KERNELS[entry.mode]
        _builtin(forward, _SUBTRACT_FAMILIES[entry.mode], tasks)
    else:
        forward, _ = _compiled(entry)
        args = (_np(image), _np(kernel), geo_np, taps, float(entry.zero), _np(out))
        _run(entry, forward, _forward_tasks(out, kernel, args))
    return out


def subtract_backward(
    entry: SubtractEntry,
    grad: torch.Tensor,
    image: torch.Tensor,
    kernel: torch.Tensor,
    out: torch.Tensor,
    geo: list[int],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Backward pass of a subtract semifield, recomputing every tap."""
    grad_x = torch.zeros_like(image)
    geo_np = np.asarray(geo, dtype=np.int64)
    taps = tap_table_for(tuple(kernel.shape), geo, grad.shape[4], image.shape[4])
    args = (_np(grad), _np(image), _np(kernel), _np(out), geo_np, taps)
    if entry.mode >= 0:
        ipow = subtract_builtin.small_integer_power(entry.param) if entry.mode == ROOT else 0
        args = (*args, entry.param, ipow, _np(grad_x))
        tasks, parts = _backward_tasks(grad, kernel, geo, args, scratch_rows=4)
        _, backward = subtract_builtin.KERNELS[entry.mode]
        _builtin(backward, _SUBTRACT_FAMILIES[entry.mode], tasks)
    else:
        _, backward = _compiled(entry)
        tasks, parts = _backward_tasks(grad, kernel, geo, (*args, _np(grad_x)))
        _run(entry, backward, tasks)
    return grad_x, _weight_grad(parts)
