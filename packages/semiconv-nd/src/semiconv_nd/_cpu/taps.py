"""The shared index arithmetic of :mod:`semiconv_nd._tap_math`, compiled for the CPU kernels.

Also, computed with numpy outside the kernels once per call: :func:`tap_table`, the
``(channel, td, th, tw)`` of every flat tap (the kernels' tap loops read it instead of dividing),
and :func:`tap_offsets`, the flat input offset of every tap, used by the O(outputs) select
backward passes.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit

from semiconv_nd import _tap_math
from semiconv_nd._cpu.cache import CACHE
from semiconv_nd.ops.entries import (
    GEO_DILATION_D,
    GEO_DILATION_H,
    GEO_DILATION_W,
    GEO_PAD_W,
    GEO_STRIDE_W,
)

__all__ = [
    "column_span",
    "gather",
    "input_index",
    "kernel_row",
    "scatter_add",
    "tap_offsets",
    "tap_table",
    "tap_table_for",
]

input_index = njit(cache=CACHE)(_tap_math.input_index)
column_span = njit(cache=CACHE)(_tap_math.column_span)
kernel_row = njit(cache=CACHE)(_tap_math.kernel_row)


@functools.lru_cache(maxsize=64)
def tap_table(
    w_shape: tuple[int, ...], stride_w: int, pad_w: int, dilation_w: int, o_w: int, width: int
) -> np.ndarray:
    """Per flat tap of a ``(K_o, I, kD, kH, kW)`` kernel: ``(c, td, th, tw, lo, hi, first)``.

    ``(c, td, th, tw)`` is :func:`semiconv_nd._tap_math.unravel_tap` of the tap and
    ``(lo, hi, first)`` its :func:`semiconv_nd._tap_math.column_span` along the last axis, which
    does not depend on the output row: the kernels' tap loops read them instead of recomputing
    them (with integer divisions) for every row. A read-only int64 array.

    Example:
        >>> tap_table((1, 1, 1, 1, 2), 1, 1, 1, 4, 4).tolist()  # padding 1 on a width of 4
        [[0, 0, 0, 0, 1, 4, 0], [0, 0, 0, 1, 0, 4, 0]]
    """
    _, n_in, k_d, k_h, k_w = w_shape
    rows = []
    for t in range(n_in * k_d * k_h * k_w):
        c, td, th, tw = _tap_math.unravel_tap(t, k_d, k_h, k_w)
        span = _tap_math.column_span(o_w, stride_w, pad_w, tw, dilation_w, width)
        rows.append((c, td, th, tw, *span))
    table = np.array(rows, dtype=np.int64).reshape(-1, 7)
    table.flags.writeable = False
    return table


def tap_table_for(w_shape: tuple[int, ...], geo: list[int], o_w: int, width: int) -> np.ndarray:
    """:func:`tap_table` of a call with the ``geo`` list of :mod:`semiconv_nd.ops.layout`."""
    return tap_table(
        tuple(w_shape), geo[GEO_STRIDE_W], geo[GEO_PAD_W], geo[GEO_DILATION_W], o_w, width
    )


def tap_offsets(in_shape: tuple[int, ...], w_shape: tuple[int, ...], geo: list[int]) -> np.ndarray:
    """Flat input offset of every tap (channel included) from its window's origin.

    Args:
        in_shape: The image shape ``(B, C_in, D, H, W)``.
        w_shape: The kernel shape ``(K_o, I, kD, kH, kW)``.
        geo: The ``geo`` list of :mod:`semiconv_nd.ops.layout`.

    Returns:
        int64 offsets in flat tap order.

    Example:
        >>> tap_offsets((1, 2, 1, 4, 5), (1, 2, 1, 2, 2), [1] * 11).tolist()
        [0, 1, 5, 6, 20, 21, 25, 26]
    """
    _, _, depth, height, width = in_shape
    _, n_in, k_d, k_h, k_w = w_shape
    c = np.arange(n_in, dtype=np.int64).reshape(-1, 1, 1, 1)
    td = np.arange(k_d, dtype=np.int64).reshape(1, -1, 1, 1) * geo[GEO_DILATION_D]
    th = np.arange(k_h, dtype=np.int64).reshape(1, 1, -1, 1) * geo[GEO_DILATION_H]
    tw = np.arange(k_w, dtype=np.int64).reshape(1, 1, 1, -1) * geo[GEO_DILATION_W]
    return (((c * depth + td) * height + th) * width + tw).reshape(-1)


@njit(cache=CACHE)
def gather(row, first, step, buf):
    """``buf[j] = row[first + j * step]``: a strided slice as a contiguous (vectorisable) one."""
    for j in range(buf.shape[0]):
        buf[j] = row[first + j * step]


@njit(cache=CACHE)
def scatter_add(buf, row, first, step):
    """``row[first + j * step] += buf[j]``: the inverse of :func:`gather`, accumulating."""
    for j in range(buf.shape[0]):
        row[first + j * step] += buf[j]
