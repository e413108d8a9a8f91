"""Argument checks and random initialisations shared by the kernel modules."""

from __future__ import annotations

import math

import torch
from torch import nn

from semiconv_nd._vendor import grid

__all__ = [
    "check_channels",
    "init_angles",
    "init_variances",
    "kernel_positions",
    "resolve_init",
    "scale_space_max",
]


def check_channels(in_channels: int, out_channels: int) -> None:
    """Raise a ``ValueError`` unless both channel counts are positive ints."""
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: expected a positive int, got {value!r}")


def kernel_positions(kernel_size: int | tuple[int, ...], ndim: int) -> torch.Tensor:
    """Offsets of every tap from the kernel origin ``(k - 1) // 2``, per tensor axis.

    For odd ``k`` the offsets are symmetric; for even ``k`` they run ``-(k/2 - 1) ... k/2``, the
    origin that ``padding="same"`` aligns with the output pixel.

    Returns:
        A float32 tensor of shape ``(prod(kernel_size), ndim)`` in row-major tap order.

    Example:
        >>> kernel_positions(4, 1).ravel().tolist()
        [-1.0, 0.0, 1.0, 2.0]
    """
    sizes = grid.to_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    offsets = grid.kernel_offsets(sizes, origin="same", ndim=ndim)
    return torch.from_numpy(offsets).to(torch.get_default_dtype())


def scale_space_max(kernel_size: tuple[int, ...]) -> float:
    """Largest variance of the scale-space initialisations: ``N * (max(k) // 2) ** 2``.

    In 2-D this is the original's ``2 * (k // 2) ** 2``. It is at least 1, so a ``1``-sized
    kernel no longer gets a zero variance (which made the original's kernels NaN).
    """
    return max(1.0, float(len(kernel_size) * (max(kernel_size) // 2) ** 2))


def resolve_init(
    init: dict[str, str | float] | None, defaults: dict[str, str | float], cls: str
) -> dict[str, str | float]:
    """Merge a user ``init`` dictionary with ``defaults`` and reject unknown keys."""
    if init is None:
        return dict(defaults)
    if not isinstance(init, dict):
        raise TypeError(f"init: expected a dict or None for {cls}, got {init!r}")
    unknown = set(init) - set(defaults)
    if unknown:
        raise ValueError(
            f"init: unknown keys {sorted(unknown)} for {cls}; expected keys {sorted(defaults)}"
        )
    return {**defaults, **init}


def _spaced(low: float, high: float, count: int, log: bool) -> torch.Tensor:
    if log:
        values = torch.logspace(math.log10(low), math.log10(high), steps=count)
    else:
        values = torch.linspace(low, high, steps=count)
    return values[torch.randperm(count)]


def init_variances(
    option: str | float,
    shape: tuple[int, ...],
    kernel_size: tuple[int, ...],
    cls: str,
    normal_std: float = 4.0,
) -> torch.Tensor:
    """Initial variances of shape ``shape`` (``(O, I)`` or ``(O, I, D)``) for ``option``.

    Options: a positive number (constant), ``"uniform"`` (U(1, 16) per axis), ``"normal"``
    (truncated normal, mean 8, on [1, 16]), ``"skewed"`` (axis 0 U(1, 8), the other axes
    U(20, 24)), ``"uniform-iso"`` (one U(1, 16) value for all axes), ``"ss"``/``"ss-iso"``
    (evenly spaced scale-space variances in ``[1, scale_space_max]``, shuffled), and
    ``"log-ss"``/``"log-ss-iso"`` (the same, log-spaced).
    """
    count = shape[0] * shape[1]
    variances = torch.empty(shape)
    if isinstance(option, (int, float)) and not isinstance(option, bool):
        if not option > 0 or not math.isfinite(option):
            raise ValueError(f"init['var']: a constant variance must be positive, got {option}")
        return variances.fill_(float(option))
    if option == "uniform":
        return nn.init.uniform_(variances, 1.0, 16.0)
    if option == "normal":
        return nn.init.trunc_normal_(variances, mean=8.0, std=normal_std, a=1.0, b=16.0)
    per_axis = len(shape) == 3
    if per_axis and option == "skewed":
        nn.init.uniform_(variances[..., 0], 1.0, 8.0)
        nn.init.uniform_(variances[..., 1:], 20.0, 24.0)
        return variances
    if per_axis and option == "uniform-iso":
        first = nn.init.uniform_(torch.empty(shape[:2]), 1.0, 16.0)
        return variances.copy_(first.unsqueeze(-1).expand(shape))
    scale_space = ("ss-iso", "log-ss-iso") if per_axis else ("ss", "log-ss")
    if option in scale_space:
        spaced = _spaced(1.0, scale_space_max(kernel_size), count, option.startswith("log"))
        spaced = spaced.reshape(shape[:2])
        return variances.copy_(spaced.unsqueeze(-1).expand(shape) if per_axis else spaced)
    options = (
        "a positive number, 'uniform', 'normal', 'skewed', 'uniform-iso', 'ss-iso', 'log-ss-iso'"
        if per_axis
        else "a positive number, 'uniform', 'normal', 'ss', 'log-ss'"
    )
    raise ValueError(f"init['var']: expected {options} for {cls}, got {option!r}")


def init_angles(option: str, shape: tuple[int, int], cls: str) -> torch.Tensor:
    """Initial rotation angles: ``"spin"`` (evenly spaced in [0, π), shuffled) or ``"uniform"``."""
    count = shape[0] * shape[1]
    if option == "uniform":
        return nn.init.uniform_(torch.empty(shape), 0.0, math.pi)
    if option == "spin":
        spaced = torch.linspace(0.0, math.pi, steps=count + 1)[:-1]
        return spaced[torch.randperm(count)].reshape(shape)
    raise ValueError(f"init['theta']: expected 'uniform' or 'spin' for {cls}, got {option!r}")
