"""Argument handling shared by the spatial pooling modules."""

from __future__ import annotations

import math

import torch

__all__ = ["check_pooling_window", "gaussian_filter", "pair", "pooled_size", "window_extent"]


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


def gaussian_filter(sigma: float, radius_in_sigmas: float, channels: int) -> torch.Tensor:
    """A normalised ``(channels, 1, k, k)`` Gaussian blur, ``k = 2 round(radius * sigma) + 1``."""
    size = 2 * round(radius_in_sigmas * sigma) + 1
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    sq = coords[:, None] ** 2 + coords[None, :] ** 2
    kernel = torch.exp(-sq / (2 * sigma**2))
    kernel = (kernel / kernel.sum()).to(torch.get_default_dtype())
    return kernel.expand(channels, 1, size, size).contiguous()
