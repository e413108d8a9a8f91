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
from semiconv_nd.ops.entries import GEO_DILATION_D, GEO_DILATION_H, GEO_DILATION_W

__all__ = [
    "column_span",
    "gather",
    "input_index",
    "kernel_row",
    "scatter_add",
    "tap_offsets",
    "tap_table",
]

input_index = njit(cache=CACHE)(_tap_math.input_index)
column_span = njit(cache=CACHE)(_tap_math.column_span)
kernel_row = njit(cache=CACHE)(_tap_math.kernel_row)


@functools.lru_cache(maxsize=64)
def tap_table(w_shape: tuple[int, ...]) -> np.ndarray:
    """The ``(channel, td, th, tw)`` of every flat tap of a ``(K_o, I, kD, kH, kW)`` kernel.

    Row ``t`` is :func:`semiconv_nd._tap_math.unravel_tap` of ``t`` (read-only int64 array).

    Example:
        >>> tap_table((1, 2, 1, 1, 2)).tolist()
        [[0, 0, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0], [1, 0, 0, 1]]
    """
    _, n_in, k_d, k_h, k_w = w_shape
    table = np.array(
        [_tap_math.unravel_tap(t, k_d, k_h, k_w) for t in range(n_in * k_d * k_h * k_w)],
        dtype=np.int64,
    ).reshape(-1, 4)
    table.flags.writeable = False
    return table


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
