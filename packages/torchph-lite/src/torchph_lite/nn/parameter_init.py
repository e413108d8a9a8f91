"""Initial values of SLayer parameters from user arguments (tensor, scalar or ``None``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

__all__ = ["parameter_init_from_arg", "resolve_factory_kwargs"]


def resolve_factory_kwargs(**inits: Any) -> dict[str, Any]:
    """The dtype and device of a layer: those of its tensor inits, else the torch defaults.

    Args:
        **inits: The layer's init arguments by name; non-tensors are ignored.

    Returns:
        ``{"dtype": ..., "device": ...}`` for creating the remaining parameters.

    Raises:
        TypeError: If a tensor init is not floating point or two tensor inits disagree in dtype.
        ValueError: If two tensor inits are on different devices.

    Example:
        >>> import torch
        >>> from torchph_lite.nn.parameter_init import resolve_factory_kwargs
        >>> centers = torch.zeros(3, 2, dtype=torch.float64)
        >>> resolve_factory_kwargs(centers_init=centers, radius_init=1)
        {'dtype': torch.float64, 'device': device(type='cpu')}
    """
    dtype: torch.dtype | None = None
    device: torch.device | None = None
    first = ""
    for name, value in inits.items():
        if not isinstance(value, torch.Tensor):
            continue
        if not value.is_floating_point():
            raise TypeError(f"{name} must be a floating point tensor; got dtype {value.dtype}")
        if dtype is None:
            dtype, device, first = value.dtype, value.device, name
        elif value.dtype != dtype:
            raise TypeError(
                f"{name} has dtype {value.dtype} but {first} has dtype {dtype}; use one dtype"
            )
        elif value.device != device:
            raise ValueError(
                f"{name} is on {value.device} but {first} is on {device}; use one device"
            )
    return {
        "dtype": dtype if dtype is not None else torch.get_default_dtype(),
        "device": device if device is not None else torch.device("cpu"),
    }


def parameter_init_from_arg(
    arg: torch.Tensor | float | None,
    size: tuple[int, ...],
    default: Callable[[tuple[int, ...]], torch.Tensor],
    scalar_is_valid: bool = False,
    *,
    name: str = "arg",
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Build the initial value of a parameter of shape ``size``.

    Args:
        arg: ``None`` (use ``default``), a tensor of exactly shape ``size`` (copied, so the layer
            never aliases the caller's tensor), or, if ``scalar_is_valid``, a Python number or a
            0-d tensor that fills the whole shape.
        size: The required shape.
        default: Called as ``default(size)`` when ``arg`` is ``None``, e.g. :func:`torch.rand`.
        scalar_is_valid: Whether a scalar ``arg`` is accepted.
        name: The argument's name, used in error messages.
        dtype: The dtype of the result (default: that of a tensor ``arg``, else torch's default).
        device: The device of the result (default: that of a tensor ``arg``, else the CPU).

    Returns:
        A new tensor of shape ``size``, not requiring grad.

    Raises:
        ValueError: If ``arg`` has the wrong shape, is a scalar where none is allowed, or holds
            NaN or infinite values.
        TypeError: If ``arg`` is of an unsupported type or a non-floating point tensor.

    Example:
        >>> import torch
        >>> from torchph_lite.nn.parameter_init import parameter_init_from_arg
        >>> parameter_init_from_arg(2.0, (2,), torch.ones, scalar_is_valid=True, name="radius_init")
        tensor([2., 2.])
        >>> parameter_init_from_arg(None, (1, 2), torch.ones)
        tensor([[1., 1.]])
    """
    size = tuple(int(s) for s in size)
    if arg is None:
        value = default(size)
        return value.to(dtype=dtype or value.dtype, device=device or value.device)

    is_number = isinstance(arg, (int, float)) and not isinstance(arg, bool)
    is_scalar_tensor = isinstance(arg, torch.Tensor) and arg.dim() == 0
    if is_number or is_scalar_tensor:
        if not scalar_is_valid:
            raise ValueError(
                f"{name} must be a tensor of shape {size}; got the scalar {arg!r} "
                "(scalars are not accepted for this argument)"
            )
        if is_number:
            value = torch.full(size, float(arg), dtype=dtype, device=device)
        else:
            value = _checked_tensor(arg, name).expand(size)
    elif isinstance(arg, torch.Tensor):
        value = _checked_tensor(arg, name)
        if tuple(value.shape) != size:
            raise ValueError(f"{name} must have shape {size}; got shape {tuple(value.shape)}")
    else:
        raise TypeError(
            f"{name} must be None, a tensor of shape {size}"
            + (" or a number" if scalar_is_valid else "")
            + f"; got {type(arg).__name__}"
        )
    if not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} must be finite; got {arg!r}")
    return value.detach().to(dtype=dtype or value.dtype, device=device or value.device).clone()


def _checked_tensor(arg: torch.Tensor, name: str) -> torch.Tensor:
    if not arg.is_floating_point():
        raise TypeError(f"{name} must be a floating point tensor; got dtype {arg.dtype}")
    return arg
