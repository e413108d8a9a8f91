"""Channel ranges of a selection of fields, merged where contiguous (Python ints only)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from e2_steerable.nn.field_type import FieldType

__all__ = ["field_channel_ranges", "gather_ranges"]


def field_channel_ranges(field_type: FieldType, fields: Sequence[int]) -> list[tuple[int, int]]:
    """The channel ranges of ``fields`` (in that order), adjacent ranges merged."""
    ranges: list[tuple[int, int]] = []
    for f in fields:
        start, end = field_type._starts[f], field_type._ends[f]
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return ranges


def gather_ranges(tensor: torch.Tensor, ranges: Sequence[tuple[int, int]]) -> torch.Tensor:
    """Concatenate ``tensor[:, a:b]`` over ``ranges``."""
    pieces = [tensor[:, a:b] for a, b in ranges]
    return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)
