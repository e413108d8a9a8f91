"""Generic convolution and closing modules: a kernel module plus a semifield convolution module."""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from semiconv_nd._vendor import grid

__all__ = ["GenericClosing", "GenericConv"]


def _check_module(value: object, name: str) -> None:
    if not callable(value):
        raise TypeError(f"{name}: expected a callable nn.Module, got {type(value).__name__}")


def _check_hyperparameters(
    stride: object, padding: object, dilation: object, groups: object
) -> None:
    """Reject arguments that are wrong for any number of spatial axes, at construction time."""
    for name, value in (("stride", stride), ("dilation", dilation)):
        values = value if isinstance(value, (tuple, list)) else (value,)
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name}: expected an int or a tuple of ints, got {value!r}")
            if v < 1:
                raise ValueError(f"{name}: every entry must be a positive int, got {value!r}")
    if isinstance(padding, str) and padding not in ("valid", "same"):
        raise ValueError(f"padding: expected 'valid' or 'same' as a string, got {padding!r}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups: expected a positive int, got {groups!r}")


def _check_img(img: object, kernel: torch.Tensor) -> bool:
    """Check ``img`` against the kernel it meets; return whether it is unbatched ``(C, *S)``.

    An unbatched image (one dim fewer than the kernel) is accepted like :class:`torch.nn.Conv2d`
    accepts one. Wrong rank, dtype or device is reported as the image's fault, naming what the
    kernel expects.
    """
    if not isinstance(img, torch.Tensor):
        raise TypeError(f"img: expected a torch.Tensor, got {type(img).__name__}")
    spatial = kernel.dim() - 2
    if img.dim() not in (kernel.dim(), kernel.dim() - 1):
        raise ValueError(
            f"img: expected a batched (B, C, *spatial) or unbatched (C, *spatial) tensor with "
            f"{spatial} spatial axes (the kernel has shape {tuple(kernel.shape)}), got shape "
            f"{tuple(img.shape)}"
        )
    if img.dtype != kernel.dtype:
        raise TypeError(
            f"img: expected dtype {kernel.dtype} (the kernel's dtype), got {img.dtype}; convert "
            f"the image (img.to({kernel.dtype})) or the module (module.to({img.dtype}))"
            if img.is_floating_point()
            else f"img: expected a floating-point tensor of dtype {kernel.dtype} (the kernel's "
            f"dtype), got dtype {img.dtype}"
        )
    if img.device != kernel.device:
        raise ValueError(
            f"img: expected a tensor on {kernel.device} (the kernel's device), got {img.device}"
        )
    return img.dim() == kernel.dim() - 1


def _extra_repr(module: GenericConv | GenericClosing) -> str:
    parts = []
    if module.padding:
        parts.append(f"padding={module.padding}")
    if module.stride != 1:
        parts.append(f"stride={module.stride}")
    if module.dilation != 1:
        parts.append(f"dilation={module.dilation}")
    if module.groups != 1:
        parts.append(f"groups={module.groups}")
    if module.group_broadcasting:
        parts.append("group_broadcasting=True")
    if module.kind == "corr":
        parts.append("kind=corr")
    return ", ".join(parts)


class GenericConv(nn.Module):
    """A convolution built from a kernel module and a semifield convolution module.

    ``forward(img)`` returns ``conv(img, kernel(), stride=..., padding=..., dilation=...,
    groups=...)``; ``group_broadcasting`` and ``kind`` are passed only when they differ from
    their defaults, so ``conv`` modules that do not know them still work.

    Args:
        kernel: A module whose ``forward()`` (no arguments) returns the ``(K_o, C_in / groups,
            *k)`` kernel, e.g. :class:`~semiconv_nd.QuadraticKernelSpectral2D` or
            :class:`~semiconv_nd.LearnedKernel2D`.
        conv: A module taking ``img, kernel`` and the keyword arguments above, e.g.
            ``BroadcastSemifield.tropical_max().dynamic()`` or
            ``SelectSemifield.tropical_max().lazy_fixed()``.
        stride: One int for all spatial axes, or one per axis.
        padding: ``P`` (both sides of every axis), ``(P0, ...)`` (both sides, per axis),
            ``((b0, e0), ...)`` (begin/end per axis), ``"valid"`` (none) or ``"same"`` (a
            stride-1 convolution keeps the size: ``d * ((k - 1) // 2)`` at the beginning, the
            rest at the end; higher strides keep this padding). The image is padded with the
            semifield's zero.
        dilation: One int for all spatial axes, or one per axis.
        groups: Number of groups; the kernel's second axis is the channels per group.
        group_broadcasting: Apply all ``K_o`` kernels to every group (``K_o * groups`` output
            channels, group-major). No effect with ``groups=1``.
        kind: ``"conv"`` mirrors the kernel (a true convolution); ``"corr"`` does not.

    Shape:
        - Input: :math:`(B, C_{in}, S_1, \\ldots, S_N)`, or unbatched
          :math:`(C_{in}, S_1, \\ldots, S_N)` (like :class:`torch.nn.Conv2d`); its dtype and
          device must be the kernel's (checked, with an error naming ``img``).
        - Output: :math:`(B, C_{out}, O_1, \\ldots, O_N)`, or :math:`(C_{out}, O_1, \\ldots, O_N)`

    Example:
        >>> import torch
        >>> import semiconv_nd as semiconv
        >>> root = semiconv.GenericConv(
        ...     semiconv.QuadraticKernelIso2D(5, 10, 3),
        ...     semiconv.BroadcastSemifield.root(3.0).dynamic(),
        ...     padding="same",
        ... )
        >>> root(torch.rand(2, 5, 8, 8) + 0.5).shape
        torch.Size([2, 10, 8, 8])
        >>> root.extra_repr()
        'padding=same'
    """

    def __init__(
        self,
        kernel: nn.Module,
        conv: nn.Module,
        stride: int | tuple[int, ...] = 1,
        padding: grid.Padding = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        group_broadcasting: bool = False,
        kind: Literal["conv", "corr"] = "conv",
    ) -> None:
        super().__init__()
        _check_module(kernel, "kernel")
        _check_module(conv, "conv")
        _check_hyperparameters(stride, padding, dilation, groups)
        if kind not in ("conv", "corr"):
            raise ValueError(f"kind: expected 'conv' or 'corr', got {kind!r}")
        self.kernel = kernel
        self.conv = conv
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.group_broadcasting = bool(group_broadcasting)
        self.kind = kind
        self.kwargs: dict[str, Any] = {}
        if self.group_broadcasting:
            self.kwargs["group_broadcasting"] = True
        if kind == "corr":
            self.kwargs["kind"] = "corr"

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        """Convolve ``img`` of shape ``(B, C, *spatial)`` (or unbatched ``(C, *spatial)``)."""
        kernel = self.kernel()
        unbatched = _check_img(img, kernel)
        out = self.conv(
            img.unsqueeze(0) if unbatched else img,
            kernel,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            **self.kwargs,
        )
        return out.squeeze(0) if unbatched else out

    def extra_repr(self) -> str:
        return _extra_repr(self)


class GenericClosing(nn.Module):
    """A morphological closing: a dilation (``kind="conv"``) then the adjoint erosion (``"corr"``).

    Both steps use the same kernel, padding, stride, dilation and groups. With the tropical
    max / min-negated semifields the result is extensive (``closing(x) >= x`` up to rounding,
    for stride 1 and ``"same"`` padding).

    Args:
        kernel: A module whose ``forward()`` returns the kernel.
        conv_dilation: The dilation module (e.g. ``BroadcastSemifield.tropical_max().dynamic()``).
        conv_erosion: The erosion module (e.g.
            ``BroadcastSemifield.tropical_min_negated().dynamic()``).
        stride: As for :class:`GenericConv`, applied in both steps.
        padding: As for :class:`GenericConv`, applied in both steps.
        dilation: As for :class:`GenericConv`.
        groups: As for :class:`GenericConv`.
        group_broadcasting: As for :class:`GenericConv`.

    Shape:
        - Input: :math:`(B, C_{in}, S_1, \\ldots, S_N)`, or unbatched
          :math:`(C_{in}, S_1, \\ldots, S_N)` (like :class:`torch.nn.Conv2d`); its dtype and
          device must be the kernel's (checked, with an error naming ``img``).
        - Output: :math:`(B, C_{out}, O_1, \\ldots, O_N)`, or :math:`(C_{out}, O_1, \\ldots, O_N)`

    Example:
        >>> import torch
        >>> import semiconv_nd as semiconv
        >>> closing = semiconv.GenericClosing(
        ...     semiconv.QuadraticKernelCholesky2D(1, 5, 3),
        ...     semiconv.BroadcastSemifield.tropical_max().dynamic(),
        ...     semiconv.BroadcastSemifield.tropical_min_negated().dynamic(),
        ...     padding="same",
        ...     groups=5,
        ... )
        >>> img = torch.randn(2, 5, 8, 8)
        >>> bool((closing(img) >= img - 1e-5).all())  # extensive, up to rounding
        True
    """

    def __init__(
        self,
        kernel: nn.Module,
        conv_dilation: nn.Module,
        conv_erosion: nn.Module,
        stride: int | tuple[int, ...] = 1,
        padding: grid.Padding = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        group_broadcasting: bool = False,
    ) -> None:
        super().__init__()
        _check_module(kernel, "kernel")
        _check_module(conv_dilation, "conv_dilation")
        _check_module(conv_erosion, "conv_erosion")
        _check_hyperparameters(stride, padding, dilation, groups)
        self.kernel = kernel
        self.conv_dilation = conv_dilation
        self.conv_erosion = conv_erosion
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.group_broadcasting = bool(group_broadcasting)
        self.kind = "closing"
        self.kwargs: dict[str, Any] = {}
        if self.group_broadcasting:
            self.kwargs["group_broadcasting"] = True

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        """Close ``img`` of shape ``(B, C, *spatial)`` (or unbatched ``(C, *spatial)``)."""
        kernel = self.kernel()
        if _check_img(img, kernel):
            return self.forward(img.unsqueeze(0)).squeeze(0)
        common = {
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
            **self.kwargs,
        }
        dilated = self.conv_dilation(img, kernel, kind="conv", **common)
        return self.conv_erosion(dilated, kernel, kind="corr", **common)

    def extra_repr(self) -> str:
        return _extra_repr(self)
