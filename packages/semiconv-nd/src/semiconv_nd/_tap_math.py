"""Index arithmetic shared by the CPU and CUDA kernels: taps, windows and borders.

These are plain Python functions of integers. :mod:`semiconv_nd._cpu.taps` compiles them with
``numba.njit`` and :mod:`semiconv_nd._cuda.kernels` as ``cuda.jit(device=True)`` functions, so
both backends walk the same flat tap order and clip windows at the border identically (LLVM
inlines them into every kernel).

The layouts are those of :mod:`semiconv_nd.ops.layout`: kernels ``(K_o, I, kD, kH, kW)``, so a
tap ``t`` of one output channel is the flat index ``((c * kD + td) * kH + th) * kW + tw``, which
is also the (channel, axis 0, axis 1, axis 2) window order in which ties are resolved.
"""

from __future__ import annotations

__all__ = ["column_span", "input_index", "kernel_row", "unravel_output", "unravel_tap"]


def unravel_tap(t: int, k_d: int, k_h: int, k_w: int) -> tuple[int, int, int, int]:
    """The ``(channel, td, th, tw)`` of flat tap ``t`` of a ``(I, kD, kH, kW)`` kernel.

    Example:
        >>> unravel_tap(23, 1, 3, 4)  # channel 1, row 2, column 3 of 3x4 taps
        (1, 0, 2, 3)
    """
    tw = t % k_w
    rest = t // k_w
    th = rest % k_h
    rest = rest // k_h
    return rest // k_d, rest % k_d, th, tw


def input_index(out_index: int, stride: int, pad: int, tap: int, dilation: int) -> int:
    """The input index one tap of one output reads, along one axis (may be outside).

    Example:
        >>> input_index(0, 1, 1, 0, 1)  # first output, first tap, padding 1: the border
        -1
    """
    return out_index * stride - pad + tap * dilation


def column_span(
    n_out: int, stride: int, pad: int, tap: int, dilation: int, size: int
) -> tuple[int, int, int]:
    """The outputs ``[lo, hi)`` along one axis whose tap reads inside the input, and the input
    index ``first`` that output ``lo`` reads (``hi == lo`` when none does).

    Example:
        >>> column_span(8, 1, 2, 0, 1, 8)  # first tap with two columns of padding
        (2, 8, 0)
    """
    offset = tap * dilation - pad
    lo = 0 if offset >= 0 else (stride - 1 - offset) // stride
    hi = (size - 1 - offset) // stride + 1
    hi = n_out if hi > n_out else hi
    hi = lo if hi < lo else hi
    return lo, hi, lo * stride + offset


def kernel_row(o: int, per_group: int, broadcast: int) -> tuple[int, int]:
    """The group of output channel ``o`` and the kernel row (``K_o`` index) it applies.

    Example:
        >>> kernel_row(5, 2, 1)  # group broadcasting: every group applies kernels 0 and 1
        (2, 1)
    """
    return o // per_group, (o % per_group if broadcast else o)


def unravel_output(
    idx: int, channels: int, o_d: int, o_h: int, o_w: int
) -> tuple[int, int, int, int, int]:
    """The ``(b, o, od, oh, ow)`` of flat index ``idx`` of a ``(B, C, oD, oH, oW)`` output.

    Example:
        >>> unravel_output(17, 2, 1, 3, 4)
        (0, 1, 0, 1, 1)
    """
    ow = idx % o_w
    rest = idx // o_w
    oh = rest % o_h
    rest = rest // o_h
    od = rest % o_d
    rest = rest // o_d
    return rest // channels, rest % channels, od, oh, ow
