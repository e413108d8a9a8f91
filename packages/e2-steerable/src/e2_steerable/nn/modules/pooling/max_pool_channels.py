""":class:`MaxPoolChannels`: max over consecutive groups of channels, in plain PyTorch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch
from torch import nn

__all__ = ["MaxPoolChannels", "channel_group_runs", "max_over_channel_groups"]


def channel_group_runs(sizes: Sequence[int]) -> list[tuple[int, int, int]]:
    """``(first_channel, end_channel, group_size)`` for each run of equal consecutive sizes."""
    runs: list[tuple[int, int, int]] = []
    start = 0
    i = 0
    while i < len(sizes):
        j = i
        while j < len(sizes) and sizes[j] == sizes[i]:
            j += 1
        end = start + (j - i) * sizes[i]
        runs.append((start, end, sizes[i]))
        start = end
        i = j
    return runs


class MaxPoolChannels(nn.Module):
    """Max over consecutive groups of channels: ``C`` channels in, one channel per group out.

    This is the export target of :class:`~e2_steerable.nn.GroupPooling`. It depends on PyTorch
    only (it can be copied out of this library as it is).

    Args:
        kernel_size: the size of every group (an int), or the size of each group in order
            (a sequence of ints, for fields of different sizes).

    Shape:
        - input: :math:`(B, C, *)` with :math:`C` a multiple of ``kernel_size`` (or the sum of
          the sizes)
        - output: :math:`(B, C / \\text{kernel\\_size}, *)` (or one channel per group)

    Example:
        >>> import torch
        >>> from e2_steerable.nn import MaxPoolChannels
        >>> pool = MaxPoolChannels(kernel_size=4)
        >>> pool(torch.arange(8.0).reshape(1, 8, 1, 1)).flatten().tolist()
        [3.0, 7.0]
    """

    def __init__(self, kernel_size: int | Sequence[int]) -> None:
        super().__init__()
        if isinstance(kernel_size, int) and not isinstance(kernel_size, bool):
            sizes: tuple[int, ...] | None = None
            self.kernel_size: int | tuple[int, ...] = int(kernel_size)
            if kernel_size < 1:
                raise ValueError(
                    f"MaxPoolChannels: `kernel_size` must be positive, got {kernel_size}"
                )
        else:
            sizes = tuple(int(s) for s in cast(Sequence[int], kernel_size))
            if not sizes or min(sizes) < 1:
                raise ValueError(
                    "MaxPoolChannels: `kernel_size` must be a positive int or a non-empty "
                    f"sequence of positive ints, got {kernel_size!r}"
                )
            self.kernel_size = sizes
        self._runs = None if sizes is None else channel_group_runs(sizes)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Max over each group of channels."""
        if self._runs is None:
            k = int(self.kernel_size)  # type: ignore[arg-type]
            if input.dim() < 2 or input.shape[1] % k != 0:
                raise ValueError(
                    f"MaxPoolChannels: the input must have a multiple of {k} channels, got shape "
                    f"{input.shape}"
                )
            return input.unflatten(1, (input.shape[1] // k, k)).amax(dim=2)
        total = self._runs[-1][1]
        if input.dim() < 2 or input.shape[1] != total:
            raise ValueError(
                f"MaxPoolChannels: the input must have {total} channels, got shape {input.shape}"
            )
        return max_over_channel_groups(input, self._runs)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}"


def max_over_channel_groups(input: torch.Tensor, runs: list[tuple[int, int, int]]) -> torch.Tensor:
    """Max over channel groups laid out as in :func:`channel_group_runs` (no checks)."""
    pieces = [
        input[:, start:end].unflatten(1, ((end - start) // k, k)).amax(dim=2)
        for start, end, k in runs
    ]
    return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)
