"""Run the CPU kernels on torch tensors (in the layout of :mod:`semiconv_nd.ops.layout`).

Each function allocates the outputs with torch, hands numpy views to the numba kernels and
returns torch tensors. User-defined semifields are compiled on first use and kept in their
registry entry.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import torch

from semiconv_nd._cpu import select_builtin, subtract_builtin
from semiconv_nd._cpu.cache import compile_notice, notice_if_compiling
from semiconv_nd._cpu.select_generic import make_select_kernels
from semiconv_nd._cpu.subtract_generic import make_subtract_kernels
from semiconv_nd.ops.entries import (
    GEO_OUT_PER_GROUP,
    SelectEntry,
    SubtractEntry,
    provenance_dtype,
)

__all__ = ["select_backward", "select_forward", "subtract_backward", "subtract_forward"]


def _np(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().numpy()


def _chunks(n_pairs: int) -> int:
    """Kernel-gradient copies for the backward: a few per thread, at most one per pair."""
    return max(1, min(n_pairs, 4 * numba.get_num_threads()))


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


def _builtin(kernel: Any, family: str, *args: Any) -> None:
    notice_if_compiling(kernel, family, args)
    kernel(*args)


def _run(entry: SelectEntry | SubtractEntry, kernel: Any, *args: Any) -> None:
    try:
        kernel(*args)
    except numba.core.errors.TypingError as exc:
        raise TypeError(
            f"{entry.key}: numba cannot compile the semifield's scalar operators (they must be "
            f"plain functions of floats using math/numpy scalar functions): {exc}"
        ) from exc


def _weight_grad_parts(grad: torch.Tensor, kernel: torch.Tensor, geo: list[int]) -> torch.Tensor:
    """Zeroed kernel-gradient copies, one per chunk of (batch, group) pairs."""
    groups = grad.shape[1] // geo[GEO_OUT_PER_GROUP]
    return torch.zeros((_chunks(grad.shape[0] * groups), *kernel.shape), dtype=grad.dtype)


def _weight_grad(parts: torch.Tensor) -> torch.Tensor:
    return parts.sum(0) if parts.shape[0] > 1 else parts[0]


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
    if entry.sign != 0:
        _builtin(
            select_builtin.tropical_forward,
            "tropical select kernels",
            _np(image),
            _np(kernel),
            geo_np,
            float(entry.sign),
            _np(out),
            _np(prov),
            sentinel,
            numba.get_num_threads(),
        )
    else:
        forward, _ = _compiled(entry)
        _run(
            entry,
            forward,
            _np(image),
            _np(kernel),
            geo_np,
            float(entry.zero),
            _np(out),
            _np(prov),
            sentinel,
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
) -> tuple[torch.Tensor, torch.Tensor]:
    """Backward pass of a select semifield from the provenance."""
    _, sentinel = provenance_dtype(kernel[0].numel())
    grad_x = torch.zeros(image_shape, dtype=grad.dtype)
    parts = _weight_grad_parts(grad, kernel, geo)
    geo_np = np.asarray(geo, dtype=np.int64)
    if entry.sign != 0:
        _builtin(
            select_builtin.tropical_backward,
            "tropical select kernels",
            _np(grad),
            _np(prov),
            geo_np,
            np.asarray(image_shape, dtype=np.int64),
            float(entry.sign),
            sentinel,
            _np(grad_x),
            _np(parts),
        )
    else:
        _, backward = _compiled(entry)
        _run(
            entry,
            backward,
            _np(grad),
            _np(prov),
            _np(image),
            _np(kernel),
            geo_np,
            sentinel,
            _np(grad_x),
            _np(parts),
        )
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
    if entry.mode >= 0:
        _builtin(
            subtract_builtin.subtract_forward,
            "linear/root/log subtract kernels",
            _np(image),
            _np(kernel),
            geo_np,
            entry.mode,
            entry.param,
            _np(out),
            numba.get_num_threads(),
        )
    else:
        forward, _ = _compiled(entry)
        _run(
            entry,
            forward,
            _np(image),
            _np(kernel),
            geo_np,
            float(entry.zero),
            _np(out),
        )
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
    parts = _weight_grad_parts(grad, kernel, geo)
    geo_np = np.asarray(geo, dtype=np.int64)
    args = (_np(grad), _np(image), _np(kernel), _np(out), geo_np)
    if entry.mode >= 0:
        _builtin(
            subtract_builtin.subtract_backward,
            "linear/root/log subtract kernels",
            *args,
            entry.mode,
            entry.param,
            _np(grad_x),
            _np(parts),
        )
    else:
        _, backward = _compiled(entry)
        _run(entry, backward, *args, _np(grad_x), _np(parts))
    return grad_x, _weight_grad(parts)
