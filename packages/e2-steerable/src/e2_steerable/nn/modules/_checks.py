"""Validation helpers shared by the modules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor

__all__ = [
    "field_runs",
    "require_field_type",
    "require_geometric_input",
    "require_support",
    "require_tensor_like",
]


def _autocast_on(device_type: str) -> bool:
    try:
        return bool(torch.is_autocast_enabled(device_type))
    except TypeError:  # torch < 2.4
        if device_type == "cpu":
            return bool(torch.is_autocast_cpu_enabled())
        return bool(torch.is_autocast_enabled())


def require_tensor_like(
    module: str, tensor: torch.Tensor, references: Iterable[torch.Tensor | None]
) -> None:
    """Raise unless ``tensor`` has the dtype and device of the module's floating tensors.

    Args:
        module: the module's name, for the message.
        tensor: the input data.
        references: the module's own parameters and buffers (``None`` entries are skipped);
            only floating ones fix the expected dtype, any of them fixes the device.

    Raises:
        ValueError: if the input is on another device than the module.
        TypeError: if the input is not floating while the module is, or its floating dtype
            differs from the module's (outside autocast).
    """
    for ref in references:
        if ref is None:
            continue
        if tensor.device != ref.device:
            raise ValueError(
                f"{module}: the input is on device {tensor.device} but the module's parameters "
                f"and buffers are on {ref.device}; move one of them (e.g. `module.to(device)`)"
            )
        if not ref.is_floating_point():
            continue
        if not tensor.is_floating_point() and not tensor.is_complex():
            raise TypeError(
                f"{module}: expected a floating-point input of dtype {ref.dtype} (the module's "
                f"dtype), got {tensor.dtype}"
            )
        if tensor.dtype != ref.dtype and not _autocast_on(tensor.device.type):
            raise TypeError(
                f"{module}: the input has dtype {tensor.dtype} but the module's parameters have "
                f"dtype {ref.dtype}; cast one of them (e.g. `module.to({tensor.dtype})`)"
            )
        return


def require_geometric_input(
    module: str,
    input: Any,
    in_type: FieldType,
    references: Iterable[torch.Tensor | None] = (),
) -> GeometricTensor:
    """Validate a module's input: type, field type, ``(B, C, H, W)`` shape, dtype and device.

    Args:
        module: the module's name, for the message.
        input: what the module received.
        in_type: the field type the module expects.
        references: the module's own parameters and buffers (for dtype and device).

    Returns:
        ``input``, checked.

    Raises:
        TypeError: if ``input`` is not a GeometricTensor, or its dtype does not match.
        ValueError: for another field type, the wrong number of axes or another device.

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> ft = FieldType(gs, [gs.regular_repr])
        >>> x = GeometricTensor(torch.zeros(2, 4, 5), ft)
        >>> try:
        ...     require_geometric_input("MyModule", x, ft)
        ... except ValueError as err:
        ...     print(str(err)[:58])
        MyModule: expected an input of shape (B, C, H, W) with C=4
    """
    if not isinstance(input, GeometricTensor):
        raise TypeError(f"{module}: expected a GeometricTensor input, got {type(input).__name__}")
    if input.type != in_type:
        raise ValueError(
            f"{module}: the input's field type {input.type} differs from the module's in_type "
            f"{in_type}"
        )
    dims = int(getattr(in_type.gspace, "dimensionality", 2))
    tensor = input.tensor
    if tensor.dim() != 2 + dims:
        axes = ("H", "W") if dims == 2 else tuple(f"X{i}" for i in range(dims))
        expected = ", ".join(("B", "C", *axes))
        raise ValueError(
            f"{module}: expected an input of shape ({expected}) with C={in_type.size}, got a "
            f"{tensor.dim()}-D tensor of shape {tuple(tensor.shape)}"
        )
    require_tensor_like(module, tensor, references)
    return input


def require_field_type(module: str, in_type: Any) -> FieldType:
    """Raise ``TypeError`` unless ``in_type`` is a :class:`FieldType`."""
    if not isinstance(in_type, FieldType):
        raise TypeError(f"{module}: `in_type` must be a FieldType, got {type(in_type).__name__}")
    return in_type


def require_support(module: str, in_type: FieldType, tag: str) -> None:
    """Raise ``ValueError`` unless every field's representation supports ``tag``.

    Args:
        module: the module's name, for the message.
        in_type: the field type to check.
        tag: a tag of ``Representation.supported_nonlinearities``, e.g. ``'pointwise'``.
    """
    for i, rep in enumerate(in_type.representations):
        if tag not in rep.supported_nonlinearities:
            raise ValueError(
                f"{module}: every field must support '{tag}' operations, but field {i} "
                f"('{rep.name}') supports only {sorted(rep.supported_nonlinearities)}"
            )


def field_runs(in_type: FieldType) -> list[tuple[int, int, int, int]]:
    """Maximal runs of consecutive fields of equal size, as Python ints.

    Returns:
        ``(first_field, end_field, first_channel, field_size)`` per run, in order.
    """
    return in_type.field_runs()
