"""Validation helpers shared by the modules."""

from __future__ import annotations

from typing import Any

from e2_steerable.nn.field_type import FieldType

__all__ = ["field_runs", "require_field_type", "require_support"]


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
    runs: list[tuple[int, int, int, int]] = []
    sizes = in_type._sizes
    starts = in_type._starts
    f = 0
    while f < len(sizes):
        end = f
        while end < len(sizes) and sizes[end] == sizes[f]:
            end += 1
        runs.append((f, end, starts[f], sizes[f]))
        f = end
    return runs
