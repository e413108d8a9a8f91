"""Argument handling shared by the spatial pooling modules."""

from __future__ import annotations

import math

import torch

__all__ = [
    "check_pooling_window",
    "gaussian_filter",
    "pair",
    "pooled_shape",
    "pooled_size",
    "window_args",
    "window_extent",
    "window_repr",
]


def pair(module: str, value: object, name: str, minimum: int = 1) -> tuple[int, int]:
    """``value`` as a pair of ints (an int is repeated), each at least ``minimum``.

    Raises:
        TypeError: if ``value`` is not an int or a pair of ints.
        ValueError: if an entry is below ``minimum``.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        result = (value, value)
    else:
        items = tuple(value) if isinstance(value, (tuple, list)) else ()
        if len(items) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in items
        ):
            raise TypeError(f"{module}: `{name}` must be an int or a pair of ints, got {value!r}")
        result = (items[0], items[1])
    if min(result) < minimum:
        kind = "positive" if minimum == 1 else f"at least {minimum}"
        raise ValueError(f"{module}: `{name}` must be {kind}, got {value!r}")
    return result


Pair = tuple[int, int]


def window_args(
    module: str, kernel_size: object, stride: object, padding: object, dilation: object = 1
) -> tuple[Pair, Pair, Pair, Pair]:
    """``(kernel_size, stride, padding, dilation)`` of a pooling window, as pairs.

    ``stride`` defaults (``None``) to ``kernel_size``; ``padding`` may be zero.

    Raises:
        TypeError: if an argument is not an int or a pair of ints.
        ValueError: if an entry is out of range, or ``padding`` exceeds half of ``kernel_size``.
    """
    kernel = pair(module, kernel_size, "kernel_size")
    step = kernel if stride is None else pair(module, stride, "stride")
    pad = pair(module, padding, "padding", minimum=0)
    dil = pair(module, dilation, "dilation")
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ValueError(
            f"{module}: `padding` must be at most half of `kernel_size`, got padding "
            f"{pad} for kernel_size {kernel}"
        )
    return kernel, step, pad, dil


def window_repr(
    kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair | None, ceil_mode: bool
) -> str:
    """The ``extra_repr`` of a pooling module (``dilation`` left out when ``None``)."""
    dil = "" if dilation is None else f"dilation={dilation}, "
    return (
        f"kernel_size={kernel_size}, stride={stride}, padding={padding}, {dil}ceil_mode={ceil_mode}"
    )


def window_extent(kernel_size: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    """The span ``dilation * (kernel_size - 1) + 1`` of a pooling window per axis."""
    return (
        dilation[0] * (kernel_size[0] - 1) + 1,
        dilation[1] * (kernel_size[1] - 1) + 1,
    )


def check_pooling_window(
    module: str,
    tensor: torch.Tensor,
    window: tuple[int, int],
    padding: tuple[int, int] = (0, 0),
) -> None:
    """Raise ``ValueError`` unless the (dilated) pooling ``window`` fits into the padded input.

    The input's shape ``(B, C, H, W)`` is checked before, by
    :meth:`~e2_steerable.nn.EquivariantModule._check_input`.

    Args:
        module: the module's name, for the message.
        tensor: the ``(B, C, H, W)`` input tensor.
        window: the effective window extent ``dilation * (kernel - 1) + 1`` per spatial axis.
        padding: the implicit padding per spatial axis.
    """
    h, w = int(tensor.shape[2]), int(tensor.shape[3])
    if h + 2 * padding[0] < window[0] or w + 2 * padding[1] < window[1]:
        raise ValueError(
            f"{module}: the input's spatial size ({h}, {w}) plus padding {padding} is smaller "
            f"than the pooling window {window}; expected an input of at least "
            f"({max(window[0] - 2 * padding[0], 1)}, {max(window[1] - 2 * padding[1], 1)})"
        )


def pooled_size(
    n: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """Output length of ``torch.nn.MaxPool2d``/``AvgPool2d`` along one axis."""
    span = n + 2 * padding - dilation * (kernel - 1) - 1
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def pooled_shape(
    module: str,
    shape: tuple[int, ...],
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
    show_shape: bool = True,
) -> tuple[int, ...]:
    """``(B, C, H_out, W_out)`` of pooling the checked ``(B, C, H, W)`` ``shape``.

    Raises:
        ValueError: if ``shape`` is not 4-dimensional.
    """
    if len(shape) != 4:
        got = f", got {shape}" if show_shape else ""
        raise ValueError(f"{module}: `input_shape` must be (B, C, H, W){got}")
    spatial = [
        pooled_size(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(shape[2:], kernel_size, stride, padding, dilation)
    ]
    return (shape[0], shape[1], *spatial)


def gaussian_filter(sigma: float, radius_in_sigmas: float, channels: int) -> torch.Tensor:
    """A normalised ``(channels, 1, k, k)`` Gaussian blur, ``k = 2 round(radius * sigma) + 1``."""
    size = 2 * round(radius_in_sigmas * sigma) + 1
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    sq = coords[:, None] ** 2 + coords[None, :] ** 2
    kernel = torch.exp(-sq / (2 * sigma**2))
    kernel = (kernel / kernel.sum()).to(torch.get_default_dtype())
    return kernel.expand(channels, 1, size, size).contiguous()
