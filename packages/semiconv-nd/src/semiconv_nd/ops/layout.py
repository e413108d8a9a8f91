"""Bring one validated convolution call to the 3-D layout of the compiled kernels.

Every compiled kernel (CPU and CUDA) handles 3 spatial axes. A 1-D or 2-D call is given leading
spatial axes of size one (views, no copies). For ``kind="conv"`` the kernel is mirrored here, in
differentiable torch code, so the kernels only ever correlate. The hyper-parameters travel as the
``geo`` list ``[sD, sH, sW, pD, pH, pW, dD, dH, dW, O, broadcast]``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from semiconv_nd._geometry import ConvGeometry
from semiconv_nd.ops.entries import provenance_dtype

__all__ = ["MAX_SPATIAL_DIMS", "KernelLayout", "provenance_dtype", "to_kernel_layout"]

MAX_SPATIAL_DIMS = 3


class KernelLayout(NamedTuple):
    """Tensors and integers passed to the compiled kernels.

    Attributes:
        image: ``(B, C_in, D, H, W)``, C-contiguous.
        kernel: ``(K_o, I, kD, kH, kW)``, C-contiguous, mirrored for ``kind="conv"``.
        geo: ``[sD, sH, sW, pD, pH, pW, dD, dH, dW, O, broadcast]``.
        output_size: ``[oD, oH, oW]``.
    """

    image: torch.Tensor
    kernel: torch.Tensor
    geo: list[int]
    output_size: list[int]


def _lead(values: tuple[int, ...], fill: int) -> list[int]:
    return [fill] * (MAX_SPATIAL_DIMS - len(values)) + list(values)


def to_kernel_layout(
    img: torch.Tensor, kernel: torch.Tensor, geometry: ConvGeometry
) -> KernelLayout:
    """Reshape, mirror and make contiguous for the compiled kernels.

    Args:
        img: The image, ``(B, C_in, *spatial)``.
        kernel: The kernel, ``(K_o, I, *kernel_size)``.
        geometry: The call's geometry from :func:`~semiconv_nd._geometry.resolve_geometry`.

    Returns:
        The :class:`KernelLayout`.

    Raises:
        ValueError: For more than 3 spatial dimensions.

    Example:
        >>> import torch
        >>> from semiconv_nd._geometry import resolve_geometry
        >>> img, krn = torch.zeros(2, 4, 10), torch.zeros(4, 1, 3)
        >>> lay = to_kernel_layout(img, krn, resolve_geometry(img, krn, groups=4, stride=2))
        >>> tuple(lay.image.shape), lay.geo, lay.output_size
        ((2, 4, 1, 1, 10), [1, 1, 2, 0, 0, 0, 1, 1, 1, 1, 0], [1, 1, 4])
    """
    n = geometry.ndim
    if n > MAX_SPATIAL_DIMS:
        raise ValueError(
            f"img: the compiled Select/Subtract semifields support 1, 2 or 3 spatial dimensions, "
            f"got {n} (shape {tuple(img.shape)}); use BroadcastSemifield for more"
        )
    if geometry.kind == "conv":
        kernel = kernel.flip(tuple(range(2, 2 + n)))
    image5 = img.contiguous().reshape(img.shape[0], img.shape[1], *_lead(geometry.input_size, 1))
    kernel5 = kernel.contiguous().reshape(
        kernel.shape[0], kernel.shape[1], *_lead(geometry.kernel_size, 1)
    )
    geo = (
        _lead(geometry.stride, 1)
        + _lead(tuple(b for b, _ in geometry.padding), 0)
        + _lead(geometry.dilation, 1)
        + [geometry.out_per_group, int(geometry.group_broadcasting)]
    )
    return KernelLayout(image5, kernel5, geo, _lead(geometry.output_size, 1))
