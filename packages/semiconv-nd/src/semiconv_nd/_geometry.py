r"""Validated geometry of one semifield convolution call, shared by every implementation.

Every convolution module (broadcast and compiled) calls :func:`resolve_geometry` first. It checks
the image, the kernel and all arguments, and returns a frozen :class:`ConvGeometry` describing the
call. The semantics of output channel ``o`` (group ``γ = o // O``, kernel row ``κ = o``, or
``o % O`` with group broadcasting) are

.. math::

    y[b, o, p] = \bigoplus_{c < I} \bigoplus_{t} \bar{x}[b, γI + c, p s - P_{beg} + t d]
    \otimes g[κ, c, m(t)],

with ``m(t) = k - 1 - t`` for ``kind="conv"`` and ``m(t) = t`` for ``kind="corr"``, where
:math:`\bar{x}` is the image padded with the semifield's zero.

Example:
    >>> import torch
    >>> geo = resolve_geometry(torch.zeros(2, 6, 9, 9), torch.zeros(3, 2, 3, 3), groups=3,
    ...                        padding="same", stride=2)
    >>> geo.output_size, geo.out_channels, geo.padding
    ((5, 5), 3, ((1, 1), (1, 1)))
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Literal

import torch

from semiconv_nd._vendor import grid

__all__ = ["ConvGeometry", "resolve_geometry"]


@dataclass(frozen=True)
class ConvGeometry:
    """Shapes and hyper-parameters of one validated convolution call.

    Attributes:
        ndim: Number of spatial dimensions ``N``.
        batch: Batch size ``B``.
        in_channels: Channels ``C_in`` of the image.
        groups: Number of groups ``G``.
        group_broadcasting: Whether every group uses all ``K_o`` kernels.
        kind: ``"conv"`` (mirrored kernel) or ``"corr"``.
        kernel_count: ``K_o = kernel.shape[0]``.
        in_per_group: ``I = kernel.shape[1] = C_in / G``.
        out_per_group: ``O = K_o / G``, or ``K_o`` with group broadcasting.
        out_channels: ``K_o``, or ``K_o * G`` with group broadcasting.
        input_size: Spatial size of the image.
        kernel_size: Spatial size of the kernel.
        stride: Stride per spatial axis.
        dilation: Dilation per spatial axis.
        padding: Resolved ``(begin, end)`` padding per spatial axis.
        output_size: Spatial size of the output.
    """

    ndim: int
    batch: int
    in_channels: int
    groups: int
    group_broadcasting: bool
    kind: Literal["conv", "corr"]
    kernel_count: int
    in_per_group: int
    out_per_group: int
    out_channels: int
    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    output_size: tuple[int, ...]

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The full output shape ``(B, C_out, *output_size)``."""
        return (self.batch, self.out_channels, *self.output_size)

    @property
    def padded_size(self) -> tuple[int, ...]:
        """Spatial size of the image after padding."""
        return tuple(s + b + e for s, (b, e) in zip(self.input_size, self.padding))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def resolve_geometry(
    img: torch.Tensor,
    kernel: torch.Tensor,
    stride: grid.IntOrTuple = 1,
    padding: grid.Padding = 0,
    dilation: grid.IntOrTuple = 1,
    groups: int = 1,
    group_broadcasting: bool = False,
    kind: Literal["conv", "corr"] = "conv",
) -> ConvGeometry:
    """Validate the arguments of a semifield convolution and compute its geometry.

    Args:
        img: Image of shape ``(B, C_in, *spatial)``, a floating-point tensor.
        kernel: Kernel of shape ``(K_o, C_in / groups, *kernel_size)`` on the image's device and
            with the image's dtype.
        stride: Positive stride, one int or one per spatial axis.
        padding: ``P``, ``(P0, ...)``, ``((b0, e0), ...)``, ``"valid"`` or ``"same"``.
        dilation: Positive dilation, one int or one per spatial axis.
        groups: Number of groups; must divide ``C_in`` (and ``K_o`` without broadcasting).
        group_broadcasting: Apply all ``K_o`` kernels to every group.
        kind: ``"conv"`` or ``"corr"``.

    Returns:
        The validated :class:`ConvGeometry`.

    Raises:
        TypeError: If ``img``/``kernel`` are not floating-point tensors, differ in dtype, or an
            argument has the wrong type.
        ValueError: For mismatched dimensions, channels, groups, devices, paddings, strides,
            dilations, or an empty output.

    Shape:
        - img: :math:`(B, C_{in}, S_1, \\ldots, S_N)`
        - kernel: :math:`(K_o, C_{in} / G, k_1, \\ldots, k_N)`

    Example:
        >>> import torch
        >>> geo = resolve_geometry(torch.zeros(1, 4, 10), torch.zeros(2, 4, 4), padding="same")
        >>> geo.padding, geo.output_size
        (((1, 2),), (10,))
    """
    if not isinstance(img, torch.Tensor):
        raise TypeError(f"img: expected a torch.Tensor, got {type(img).__name__}")
    if not isinstance(kernel, torch.Tensor):
        raise TypeError(f"kernel: expected a torch.Tensor, got {type(kernel).__name__}")
    if torch.compiler.is_compiling():
        return _resolve(img, kernel, stride, padding, dilation, groups, group_broadcasting, kind)
    key = (
        img.shape,
        kernel.shape,
        img.dtype,
        kernel.dtype,
        img.device,
        kernel.device,
        _hashable(stride),
        _hashable(padding),
        _hashable(dilation),
        _hashable(groups),
        _hashable(group_broadcasting),
        _hashable(kind),
    )
    try:
        return _RESOLVED[key]
    except (KeyError, TypeError):  # TypeError: unhashable (an unusual but valid argument)
        pass
    geometry = _resolve(img, kernel, stride, padding, dilation, groups, group_broadcasting, kind)
    if len(_RESOLVED) >= _RESOLVED_MAX:
        _RESOLVED.clear()
    with contextlib.suppress(TypeError):
        _RESOLVED[key] = geometry
    return geometry


# Valid calls repeat their geometry (a training loop): validated geometries are kept, keyed by
# the shapes, dtypes, devices and arguments, with the arguments' types (``True`` is not ``1``).
_RESOLVED: dict[tuple[object, ...], ConvGeometry] = {}
_RESOLVED_MAX = 256


def _hashable(value: object) -> object:
    """``value`` tagged with its type (and its items' types) for the geometry cache key."""
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_hashable(item) for item in value))
    return (type(value), value)


def _resolve(
    img: torch.Tensor,
    kernel: torch.Tensor,
    stride: grid.IntOrTuple,
    padding: grid.Padding,
    dilation: grid.IntOrTuple,
    groups: int,
    group_broadcasting: bool,
    kind: Literal["conv", "corr"],
) -> ConvGeometry:
    """:func:`resolve_geometry` without the cache."""
    if img.dim() < 3:
        raise ValueError(
            f"img: expected a (B, C, *spatial) tensor with at least one spatial axis, "
            f"got shape {tuple(img.shape)}"
        )
    ndim = img.dim() - 2
    if kernel.dim() != img.dim():
        raise ValueError(
            f"kernel: expected a (K_o, C_in/groups, *kernel_size) tensor with {ndim} spatial "
            f"axes to match img of shape {tuple(img.shape)}, got shape {tuple(kernel.shape)}"
        )
    if not img.is_floating_point():
        raise TypeError(f"img: expected a floating-point tensor, got dtype {img.dtype}")
    if kernel.dtype != img.dtype:
        raise TypeError(
            f"kernel: expected dtype {img.dtype} (the image's dtype), got {kernel.dtype}"
        )
    if kernel.device != img.device:
        raise ValueError(
            f"kernel: expected a tensor on the image's device {img.device}, got {kernel.device}"
        )
    if any(s == 0 for s in kernel.shape):
        raise ValueError(f"kernel: expected a non-empty kernel, got shape {tuple(kernel.shape)}")
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"img: expected non-empty batch and channels, got {tuple(img.shape)}")
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"groups: expected a positive int, got {groups!r}")
    if not isinstance(group_broadcasting, bool):
        raise TypeError(f"group_broadcasting: expected a bool, got {group_broadcasting!r}")
    if kind not in ("conv", "corr"):
        raise ValueError(f"kind: expected 'conv' or 'corr', got {kind!r}")

    batch, in_channels = int(img.shape[0]), int(img.shape[1])
    kernel_count, in_per_group = int(kernel.shape[0]), int(kernel.shape[1])
    if in_channels % groups != 0:
        raise ValueError(
            f"groups: the image's {in_channels} channels are not divisible by groups={groups}"
        )
    if in_per_group * groups != in_channels:
        raise ValueError(
            f"kernel: expected {in_channels // groups} input channels per group (img has "
            f"{in_channels} channels, groups={groups}) in kernel.shape[1], got {in_per_group}"
        )
    if group_broadcasting:
        out_per_group, out_channels = kernel_count, kernel_count * groups
    else:
        if kernel_count % groups != 0:
            raise ValueError(
                f"kernel: the {kernel_count} kernels (kernel.shape[0]) are not divisible by "
                f"groups={groups}; pass group_broadcasting=True to apply every kernel to "
                f"every group"
            )
        out_per_group, out_channels = kernel_count // groups, kernel_count

    kernel_size = tuple(int(k) for k in kernel.shape[2:])
    input_size = tuple(int(s) for s in img.shape[2:])
    strides = grid.to_tuple(stride, ndim, "stride", minimum=1)
    dilations = grid.to_tuple(dilation, ndim, "dilation", minimum=1)
    pads = grid.resolve_padding(padding, kernel_size, dilations, ndim=ndim)
    out_size = grid.output_size(input_size, kernel_size, strides, pads, dilations, ndim=ndim)
    return ConvGeometry(
        ndim=ndim,
        batch=batch,
        in_channels=in_channels,
        groups=groups,
        group_broadcasting=group_broadcasting,
        kind=kind,
        kernel_count=kernel_count,
        in_per_group=in_per_group,
        out_per_group=out_per_group,
        out_channels=out_channels,
        input_size=input_size,
        kernel_size=kernel_size,
        stride=strides,
        dilation=dilations,
        padding=pads,
        output_size=out_size,
    )
