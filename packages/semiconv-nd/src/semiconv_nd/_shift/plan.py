"""Index bookkeeping shared by the chunked shift engines.

A :class:`ShiftPlan` turns a :class:`~semiconv_nd._geometry.ConvGeometry` into everything the
engines need: the grouped views of the padded image and of the (already mirrored) kernel, the
tap enumeration, the strided input slice of every tap, and the chunks of the output that are
processed one at a time so that temporary memory stays bounded.

Layouts used by the engines:

* padded image ``xg``: ``(B, G, I, *padded)``;
* kernel per tap ``kt``: ``(I, T, Gk, O)`` with ``T = prod(kernel_size)`` taps in row-major order
  and ``Gk = 1`` with group broadcasting, else ``G``;
* output ``y``: ``(B, G, O, *out)``, which is ``(B, C_out, *out)`` in memory.

Example:
    >>> import torch
    >>> from semiconv_nd._geometry import resolve_geometry
    >>> geo = resolve_geometry(torch.zeros(2, 4, 8, 8), torch.zeros(4, 1, 3, 3), groups=4)
    >>> plan = ShiftPlan(geo, chunk_elements=100)
    >>> plan.taps, len(plan.chunks), plan.chunks[0]
    (9, 4, (0, 1, 0, 4))
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from semiconv_nd._geometry import ConvGeometry

__all__ = ["DEFAULT_CHUNK_ELEMENTS", "ShiftPlan", "pad_image"]

#: Default number of output elements processed per chunk by the shift engines (1 MiB of float32).
#: Chunks this small stay in the CPU's L2 cache while every kernel tap visits them.
DEFAULT_CHUNK_ELEMENTS = 1 << 18


def pad_image(img: torch.Tensor, geo: ConvGeometry, value: float) -> torch.Tensor:
    """Pad the spatial axes of ``img`` with ``value`` as resolved in ``geo`` (autograd-aware).

    Shape:
        - img: :math:`(B, C, S_1, \\ldots, S_N)`
        - Output: :math:`(B, C, S_1 + b_1 + e_1, \\ldots)`
    """
    if all(b == 0 and e == 0 for b, e in geo.padding):
        return img
    flat: list[int] = []
    for begin, end in reversed(geo.padding):
        flat += [begin, end]
    return torch.constant_pad_nd(img, flat, value)


class ShiftPlan:
    """Tap enumeration, strided slices and output chunks for one convolution geometry.

    Args:
        geo: The validated geometry of the call.
        chunk_elements: Upper bound on the output elements per chunk (at least one output row of
            one batch item is always taken).
    """

    def __init__(self, geo: ConvGeometry, chunk_elements: int = DEFAULT_CHUNK_ELEMENTS) -> None:
        self.geo = geo
        self.groups = geo.groups
        self.kernel_groups = 1 if geo.group_broadcasting else geo.groups
        self.in_per_group = geo.in_per_group
        self.out_per_group = geo.out_per_group
        self.taps = math.prod(geo.kernel_size)
        self.tap_positions: list[tuple[int, ...]] = [
            _unravel(t, geo.kernel_size) for t in range(self.taps)
        ]
        self.chunks = _make_chunks(geo, max(1, int(chunk_elements)))

    # ----------------------------------------------------------------------------- layouts
    def group_image(self, padded: torch.Tensor) -> torch.Tensor:
        """View a padded ``(B, C_in, *padded)`` image as ``(B, G, I, *padded)``."""
        geo = self.geo
        return padded.reshape(geo.batch, geo.groups, geo.in_per_group, *padded.shape[2:])

    def kernel_per_tap(self, kernel: torch.Tensor) -> torch.Tensor:
        """Rearrange a ``(K_o, I, *k)`` kernel into a contiguous ``(I, T, Gk, O)`` tensor."""
        grouped = kernel.reshape(self.kernel_groups, self.out_per_group, self.in_per_group, -1)
        return grouped.permute(2, 3, 0, 1).contiguous()

    def kernel_from_taps(self, kt: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`kernel_per_tap`: ``(I, T, Gk, O)`` back to ``(K_o, I, *k)``."""
        return kt.permute(2, 3, 0, 1).reshape(
            self.kernel_groups * self.out_per_group, self.in_per_group, *self.geo.kernel_size
        )

    def tap_value(self, kt: torch.Tensor, channel: int, tap: int) -> torch.Tensor:
        """The kernel value of one tap, shaped ``(1, Gk, O, 1, ..., 1)`` for broadcasting."""
        return kt[channel, tap].reshape(
            1, self.kernel_groups, self.out_per_group, *([1] * self.geo.ndim)
        )

    # ------------------------------------------------------------------------------ chunks
    def chunk_shape(self, chunk: tuple[int, int, int, int]) -> tuple[int, ...]:
        """Shape ``(nb, G, O, rows, *out[1:])`` of the output block of ``chunk``."""
        b0, b1, r0, r1 = chunk
        geo = self.geo
        return (b1 - b0, geo.groups, self.out_per_group, r1 - r0, *geo.output_size[1:])

    def output_block(self, y: torch.Tensor, chunk: tuple[int, int, int, int]) -> torch.Tensor:
        """The view of the ``(B, G, O, *out)`` tensor ``y`` that ``chunk`` covers."""
        b0, b1, r0, r1 = chunk
        return y[b0:b1, :, :, r0:r1]

    def tap_slice(
        self,
        xg: torch.Tensor,
        chunk: tuple[int, int, int, int],
        channel: int,
        tap: int,
    ) -> torch.Tensor:
        """The input values that ``tap`` of ``channel`` meets for every output of ``chunk``.

        Returns a strided view of shape ``(nb, G, rows, *out[1:])`` into ``xg``
        (``(B, G, I, *padded)``).
        """
        b0, b1, r0, r1 = chunk
        return xg[(slice(b0, b1), slice(None), channel, *self._spatial_slices(tap, r0, r1))]

    def _spatial_slices(self, tap: int, r0: int, r1: int) -> list[slice]:
        geo = self.geo
        position = self.tap_positions[tap]
        slices = []
        for axis in range(geo.ndim):
            stride, dil = geo.stride[axis], geo.dilation[axis]
            first, count = (r0, r1 - r0) if axis == 0 else (0, geo.output_size[axis])
            start = first * stride + position[axis] * dil
            slices.append(slice(start, start + (count - 1) * stride + 1, stride))
        return slices

    def iter_taps(self) -> Iterator[tuple[int, int, int]]:
        """Yield ``(flat_index, channel, tap)`` in the tie-breaking order (channel first)."""
        for channel in range(self.in_per_group):
            for tap in range(self.taps):
                yield channel * self.taps + tap, channel, tap

    # ----------------------------------------------------------------------- flat offsets
    def input_tap_offsets(self, device: torch.device) -> torch.Tensor:
        """Flat offset of every ``(channel, tap)`` inside one ``(I, *padded)`` block (int64)."""
        geo = self.geo
        padded = geo.padded_size
        strides = [math.prod(padded[axis + 1 :]) for axis in range(geo.ndim)]
        channel_stride = math.prod(padded)
        offsets = [
            channel * channel_stride
            + sum(p * d * s for p, d, s in zip(self.tap_positions[tap], geo.dilation, strides))
            for _, channel, tap in self.iter_taps()
        ]
        return torch.tensor(offsets, dtype=torch.int64, device=device)

    def input_base_offsets(
        self, chunk: tuple[int, int, int, int], device: torch.device
    ) -> torch.Tensor:
        """Flat offset in ``(B, G, I, *padded)`` of tap 0 for every output of ``chunk``.

        Returns an int64 tensor broadcastable to :meth:`chunk_shape` (one axis of size 1 for O).
        """
        geo = self.geo
        b0, b1, r0, r1 = chunk
        padded = geo.padded_size
        spatial = math.prod(padded)
        group_stride = geo.in_per_group * spatial
        batch_stride = geo.groups * group_stride
        nd = geo.ndim
        base = (torch.arange(b0, b1, device=device) * batch_stride).reshape(-1, 1, 1, *[1] * nd)
        base = base + (torch.arange(geo.groups, device=device) * group_stride).reshape(
            1, -1, 1, *[1] * nd
        )
        for axis in range(nd):
            first, count = (r0, r1 - r0) if axis == 0 else (0, geo.output_size[axis])
            stride = math.prod(padded[axis + 1 :])
            positions = torch.arange(first, first + count, device=device) * geo.stride[axis]
            shape = [1] * (3 + nd)
            shape[3 + axis] = count
            base = base + (positions * stride).reshape(shape)
        return base

    def kernel_base_offsets(self, device: torch.device) -> torch.Tensor:
        """Flat offset of kernel row ``(γ_k, o)`` in ``(Gk, O, I, T)``, shaped ``(1, G, O, 1...)``.

        With group broadcasting every group maps to kernel group 0.
        """
        geo = self.geo
        row = self.in_per_group * self.taps
        groups = torch.arange(geo.groups, device=device)
        if geo.group_broadcasting:
            groups = torch.zeros_like(groups)
        rows = groups.reshape(-1, 1) * self.out_per_group + torch.arange(
            self.out_per_group, device=device
        ).reshape(1, -1)
        return (rows * row).reshape(1, geo.groups, self.out_per_group, *[1] * geo.ndim)

    def reduce_to_kernel(self, values: torch.Tensor) -> torch.Tensor:
        """Sum a chunk-shaped tensor over batch and space (and groups when broadcasting).

        Returns a ``(Gk, O)`` tensor, the contribution to one tap of the kernel gradient.
        """
        dims = (0, *range(3, 3 + self.geo.ndim))
        summed = values.sum(dim=dims)
        if self.geo.group_broadcasting:
            summed = summed.sum(dim=0, keepdim=True)
        return summed


def _unravel(index: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    position = []
    for size in reversed(shape):
        index, rest = divmod(index, size)
        position.append(rest)
    return tuple(reversed(position))


def _make_chunks(geo: ConvGeometry, target: int) -> list[tuple[int, int, int, int]]:
    """Split the output into ``(b0, b1, r0, r1)`` blocks of at most ``target`` elements."""
    rows = geo.output_size[0]
    row_elements = geo.out_channels * math.prod(geo.output_size[1:])
    per_batch = row_elements * rows
    chunks: list[tuple[int, int, int, int]] = []
    if per_batch <= target:
        step = max(1, target // per_batch)
        for b0 in range(0, geo.batch, step):
            chunks.append((b0, min(geo.batch, b0 + step), 0, rows))
        return chunks
    step = max(1, target // row_elements)
    for b0 in range(geo.batch):
        for r0 in range(0, rows, step):
            chunks.append((b0, b0 + 1, r0, min(rows, r0 + step)))
    return chunks
