"""Padding, output-size and kernel-grid arithmetic for N-dimensional convolutions.

This module is the single source of the helper that ``semiconv-nd`` and ``e2-steerable`` vendor
as ``<package>/_vendor/grid.py``. It depends on numpy only, so every package can ship a copy.

Conventions:
    * A *spatial* size, kernel size, stride or dilation is given per spatial axis, in the order
      of the tensor axes (``(H, W)`` for images, ``(D, H, W)`` for volumes).
    * Padding is returned as explicit ``(begin, end)`` pairs per spatial axis.
    * ``"same"`` pads ``dilation * (k - 1)`` in total on each axis, putting
      ``dilation * ((k - 1) // 2)`` at the beginning and the rest at the end. The kernel's origin is
      therefore the tap at index ``(k - 1) // 2``: for even ``k`` the extra tap sits at the end. A
      stride-1 convolution keeps the spatial size; a stride-``s`` one returns ``ceil(S / s)``.
    * Kernel grids enumerate the taps of a kernel tensor in row-major order (last axis fastest),
      exactly the order of ``kernel.reshape(-1)``.

Example:
    >>> resolve_padding("same", kernel_size=(3, 4))
    ((1, 1), (1, 2))
    >>> output_size((32, 32), kernel_size=3, stride=2, padding="same")
    (16, 16)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

__all__ = [
    "IntOrTuple",
    "Padding",
    "PaddingPairs",
    "kernel_grid",
    "kernel_offsets",
    "output_size",
    "resolve_padding",
    "to_tuple",
]

IntOrTuple = int | Sequence[int]
PaddingPairs = tuple[tuple[int, int], ...]
Padding = int | Sequence[int] | Sequence[Sequence[int]] | Literal["valid", "same"]


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def to_tuple(
    value: IntOrTuple, n: int, name: str, *, minimum: int | None = None
) -> tuple[int, ...]:
    """Normalise an int-or-sequence argument to an ``n``-tuple of ints.

    Args:
        value: One int used for every axis, or a sequence of ``n`` ints.
        n: The number of spatial axes.
        name: The argument's name, used in error messages.
        minimum: If given, every entry must be at least this value.

    Returns:
        A tuple of ``n`` Python ints.

    Raises:
        ValueError: If the sequence has the wrong length or an entry is below ``minimum``.
        TypeError: If ``value`` is neither an int nor a sequence of ints.

    Example:
        >>> to_tuple(3, 2, "kernel_size")
        (3, 3)
        >>> to_tuple((1, 2, 3), 3, "stride", minimum=1)
        (1, 2, 3)
    """
    if not _is_int(n) or n < 1:
        raise ValueError(f"n: expected a positive number of spatial axes, got {n!r}")
    if _is_int(value):
        result = (int(value),) * n
    elif isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != n:
            raise ValueError(
                f"{name}: expected an int or a sequence of {n} ints (one per spatial axis), "
                f"got {len(value)} values: {tuple(value)!r}"
            )
        if not all(_is_int(v) for v in value):
            raise TypeError(f"{name}: expected ints, got {tuple(value)!r}")
        result = tuple(int(v) for v in value)
    else:
        raise TypeError(f"{name}: expected an int or a sequence of {n} ints, got {value!r}")
    if minimum is not None and any(v < minimum for v in result):
        raise ValueError(f"{name}: every entry must be >= {minimum}, got {result!r}")
    return result


def _infer_ndim(*values: object) -> int | None:
    for value in values:
        if isinstance(value, Sequence) and not isinstance(value, str):
            return len(value)
    return None


def resolve_padding(
    padding: Padding,
    kernel_size: IntOrTuple,
    dilation: IntOrTuple = 1,
    *,
    ndim: int | None = None,
    name: str = "padding",
) -> PaddingPairs:
    """Resolve any accepted padding form to explicit ``(begin, end)`` pairs per spatial axis.

    Args:
        padding: ``P`` (the same on both sides of every axis), ``(P0, P1, ...)`` (symmetric per
            axis), ``((b0, e0), (b1, e1), ...)`` (asymmetric per axis), ``"valid"`` (none) or
            ``"same"`` (a stride-1 convolution keeps the spatial size; see the module docstring).
        kernel_size: Kernel size, an int or one int per axis.
        dilation: Dilation, an int or one int per axis.
        ndim: Number of spatial axes; inferred from the first sequence argument when omitted.
        name: The argument's name, used in error messages.

    Returns:
        One ``(begin, end)`` pair of non-negative ints per spatial axis.

    Raises:
        ValueError: For unknown strings, negative paddings or sequences of the wrong length.
        TypeError: For values of the wrong type.

    Example:
        >>> resolve_padding(2, 3, ndim=2)
        ((2, 2), (2, 2))
        >>> resolve_padding(((0, 1), (2, 3)), 3)
        ((0, 1), (2, 3))
        >>> resolve_padding("same", 4, dilation=2, ndim=1)
        ((2, 4),)
    """
    if ndim is None:
        ndim = _infer_ndim(padding, kernel_size, dilation)
        if isinstance(padding, Sequence) and not isinstance(padding, str):
            ndim = len(padding)
    if ndim is None:
        raise ValueError(
            f"{name}: cannot infer the number of spatial axes from scalar arguments; pass ndim="
        )
    kernel = to_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    dil = to_tuple(dilation, ndim, "dilation", minimum=1)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * ndim
        if padding == "same":
            return tuple(
                (d * ((k - 1) // 2), d * (k - 1 - (k - 1) // 2)) for k, d in zip(kernel, dil)
            )
        raise ValueError(f"{name}: expected 'valid' or 'same' as a string, got {padding!r}")
    if _is_int(padding):
        pairs = ((int(padding), int(padding)),) * ndim
    elif isinstance(padding, Sequence):
        if len(padding) != ndim:
            raise ValueError(
                f"{name}: expected {ndim} entries (one per spatial axis), got {len(padding)}: "
                f"{padding!r}"
            )
        pairs_list = []
        for entry in padding:
            if _is_int(entry):
                pairs_list.append((int(entry), int(entry)))
            elif (
                isinstance(entry, Sequence)
                and not isinstance(entry, str)
                and len(entry) == 2
                and all(_is_int(v) for v in entry)
            ):
                pairs_list.append((int(entry[0]), int(entry[1])))
            else:
                raise TypeError(
                    f"{name}: each per-axis entry must be an int or a (begin, end) pair of ints, "
                    f"got {entry!r}"
                )
        pairs = tuple(pairs_list)
    else:
        raise TypeError(
            f"{name}: expected an int, a sequence of ints, a sequence of (begin, end) pairs, "
            f"'valid' or 'same', got {padding!r}"
        )
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"{name}: paddings must be non-negative, got {pairs!r}")
    return pairs


def output_size(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    *,
    ndim: int | None = None,
) -> tuple[int, ...]:
    """Spatial output size of a convolution or pooling, per axis.

    ``out = floor((S + begin + end - dilation * (k - 1) - 1) / stride) + 1``.

    Args:
        input_size: Spatial input size, an int or one int per axis.
        kernel_size: Kernel size, an int or one int per axis.
        stride: Stride, an int or one int per axis.
        padding: Any form accepted by :func:`resolve_padding`.
        dilation: Dilation, an int or one int per axis.
        ndim: Number of spatial axes; inferred from the first sequence argument when omitted.

    Returns:
        The output size per spatial axis.

    Raises:
        ValueError: If an input size is not positive, or the padded input is smaller than the
            dilated kernel on some axis (the output would be empty).

    Example:
        >>> output_size((7, 8), kernel_size=3)
        (5, 6)
        >>> output_size(10, 4, stride=3, padding="same", ndim=1)
        (4,)
    """
    if ndim is None:
        ndim = _infer_ndim(input_size, kernel_size, stride, padding, dilation)
    if ndim is None:
        raise ValueError("output_size: cannot infer the number of spatial axes; pass ndim=")
    size = to_tuple(input_size, ndim, "input_size", minimum=1)
    kernel = to_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    strides = to_tuple(stride, ndim, "stride", minimum=1)
    dil = to_tuple(dilation, ndim, "dilation", minimum=1)
    pairs = resolve_padding(padding, kernel, dil, ndim=ndim)
    result = []
    for axis, (s, k, st, d, (b, e)) in enumerate(zip(size, kernel, strides, dil, pairs)):
        span = s + b + e - d * (k - 1)
        if span < 1:
            raise ValueError(
                f"input_size: spatial axis {axis} has size {s} with padding ({b}, {e}), smaller "
                f"than the dilated kernel extent {d * (k - 1) + 1}"
            )
        result.append((span - 1) // st + 1)
    return tuple(result)


def kernel_offsets(
    kernel_size: IntOrTuple,
    dilation: IntOrTuple = 1,
    *,
    origin: Literal["centre", "same"] = "centre",
    ndim: int | None = None,
) -> np.ndarray:
    """Offsets of every kernel tap from the kernel's origin, per tensor axis.

    Args:
        kernel_size: Kernel size, an int or one int per axis.
        dilation: Dilation, an int or one int per axis.
        origin: ``"centre"`` measures from the geometric centre ``(k - 1) / 2`` (half-integer
            offsets for even ``k``); ``"same"`` measures from the tap ``(k - 1) // 2`` that
            ``"same"`` padding aligns with the output pixel (integer offsets).
        ndim: Number of spatial axes; inferred from a sequence argument, else 1.

    Returns:
        A float64 array of shape ``(prod(kernel_size), ndim)``: row ``j`` is the tap at
        ``np.unravel_index(j, kernel_size)`` (row-major), column ``i`` its offset along tensor
        axis ``i`` (increasing with the index), multiplied by the dilation.

    Shape:
        - Output: :math:`(\\prod_i k_i, N)`.

    Example:
        >>> kernel_offsets(4, origin="same", ndim=1).ravel().tolist()
        [-1.0, 0.0, 1.0, 2.0]
        >>> kernel_offsets((2, 3)).tolist()[:2]
        [[-0.5, -1.0], [-0.5, 0.0]]
    """
    if ndim is None:
        ndim = _infer_ndim(kernel_size, dilation) or 1
    kernel = to_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    dil = to_tuple(dilation, ndim, "dilation", minimum=1)
    if origin == "centre":
        axes = [(np.arange(k) - (k - 1) / 2.0) * d for k, d in zip(kernel, dil)]
    elif origin == "same":
        axes = [(np.arange(k) - (k - 1) // 2).astype(np.float64) * d for k, d in zip(kernel, dil)]
    else:
        raise ValueError(f"origin: expected 'centre' or 'same', got {origin!r}")
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=1).astype(np.float64)


def kernel_grid(
    kernel_size: IntOrTuple,
    dilation: IntOrTuple = 1,
    *,
    origin: Literal["centre", "same"] = "centre",
    ndim: int | None = None,
) -> np.ndarray:
    """Cartesian coordinates of every kernel tap, in the toolkit's axis convention.

    The convention: the first coordinate ``x`` runs along the **last** tensor axis (to the right),
    the second ``y`` runs against the second-to-last tensor axis (**up**, so the top row of a 2-D
    kernel has the largest ``y``), and any further coordinate ``j >= 2`` runs along tensor axis
    ``ndim - 1 - j``. Taps are in row-major order, as in ``kernel.reshape(-1)``.

    Args:
        kernel_size: Kernel size, an int or one int per axis.
        dilation: Dilation, an int or one int per axis.
        origin: See :func:`kernel_offsets`.
        ndim: Number of spatial axes; inferred from a sequence argument, else 2.

    Returns:
        A float64 array of shape ``(prod(kernel_size), ndim)``.

    Shape:
        - Output: :math:`(\\prod_i k_i, N)`.

    Example:
        >>> kernel_grid(3)[:3].tolist()  # the top row: y = 1, x = -1, 0, 1
        [[-1.0, 1.0], [0.0, 1.0], [1.0, 1.0]]
    """
    if ndim is None:
        ndim = _infer_ndim(kernel_size, dilation) or 2
    offsets = kernel_offsets(kernel_size, dilation, origin=origin, ndim=ndim)
    coords = offsets[:, ::-1].copy()
    if ndim >= 2:
        coords[:, 1] = -coords[:, 1]
    coords[coords == 0.0] = 0.0  # no negative zeros
    return coords
