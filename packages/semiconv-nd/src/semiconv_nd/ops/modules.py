"""The ``nn.Module`` s returned by ``.dynamic()`` and ``.lazy_fixed()`` of the compiled semifields.

Both validate every call with :func:`~semiconv_nd._geometry.resolve_geometry`, bring it to the
kernels' layout and call the custom ops of :mod:`semiconv_nd.ops.custom_ops` (under tracing) or
their eager twins in :mod:`semiconv_nd.ops.eager`. The compiled kernels are generic over shapes
(numba specialises them only per dtype), so ``dynamic`` never recompiles for new shapes;
``lazy_fixed`` additionally pins the geometry of its first call.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import torch
from torch import nn

from semiconv_nd._geometry import ConvGeometry, resolve_geometry
from semiconv_nd._vendor import grid
from semiconv_nd.ops import custom_ops, eager
from semiconv_nd.ops.entries import SemifieldSpec
from semiconv_nd.ops.layout import to_kernel_layout
from semiconv_nd.ops.registry import register

__all__ = ["CompiledConv", "CompiledConvFixedLazy", "compiled_conv"]

_COMPUTE_DTYPES = (torch.float32, torch.float64)
_FIXED_FIELDS = tuple(f.name for f in dataclasses.fields(ConvGeometry) if f.name != "batch")


def _check_options(
    thread_block_size: int | None, to_extension: bool, debug: bool, kernel_inflation: int
) -> None:
    if to_extension is not False:
        raise ValueError(
            "to_extension: building a C++ extension is not supported by semiconv_nd (and not "
            "needed: the kernels are torch.library custom ops, so per-call overhead is removed "
            f"by torch.compile); pass to_extension=False, got {to_extension!r}"
        )
    if thread_block_size is not None and (
        isinstance(thread_block_size, bool)
        or not isinstance(thread_block_size, int)
        or not 1 <= thread_block_size <= 1024
    ):
        raise ValueError(
            f"thread_block_size: expected None or an int in [1, 1024] (CUDA threads per block), "
            f"got {thread_block_size!r}"
        )
    if (
        isinstance(kernel_inflation, bool)
        or not isinstance(kernel_inflation, int)
        or kernel_inflation < 1
    ):
        raise ValueError(f"kernel_inflation: expected a positive int, got {kernel_inflation!r}")
    if not isinstance(debug, bool):
        raise TypeError(f"debug: expected a bool, got {debug!r}")


def compiled_conv(
    key: str,
    is_select: bool,
    img: torch.Tensor,
    kernel: torch.Tensor,
    geometry: ConvGeometry,
    thread_block_size: int,
    kernel_inflation: int,
) -> torch.Tensor:
    """Run one validated convolution through the custom ops.

    Args:
        key: The semifield's registry key.
        is_select: Whether it is a select (else a subtract) semifield.
        img: The image.
        kernel: The kernel.
        geometry: The validated geometry of the call.
        thread_block_size: CUDA threads per block.
        kernel_inflation: CUDA kernel-gradient inflation.

    Returns:
        The output, ``(B, C_out, *output_size)``, in the image's dtype.
    """
    dtype = img.dtype
    if dtype not in _COMPUTE_DTYPES:  # half precision: compute in float32
        img, kernel = img.float(), kernel.float()
    layout = to_kernel_layout(img, kernel, geometry)
    args = (
        layout.image,
        layout.kernel,
        key,
        layout.geo,
        layout.output_size,
        thread_block_size,
        kernel_inflation,
    )
    ops = custom_ops if eager.traced(layout.image, layout.kernel) else eager
    if is_select:
        out, _ = ops.select_conv(*args)
    else:
        out = ops.subtract_conv(*args)
    return out.reshape(geometry.output_shape).to(dtype)


class CompiledConv(nn.Module):
    """A convolution with a compiled select or subtract semifield, for any input geometry.

    The module pickles, deep-copies and survives ``torch.save``/``torch.load`` in a new process
    (and spawned workers) when the semifield's operators do (the built-ins' always do): the
    semifield is registered again when the module is unpickled.

    Args:
        spec: The semifield's :class:`~semiconv_nd.ops.entries.SemifieldSpec` (from
            ``semifield.compiled_spec()``).
        thread_block_size: CUDA threads per block; ``None`` for ``default_block``.
        to_extension: Must be ``False`` (see :meth:`SelectSemifield.dynamic`).
        debug: Print the geometry of every call and the implementation used.
        kernel_inflation: CUDA kernel-gradient inflation.
        default_block: The default CUDA block size.

    Example:
        >>> import torch
        >>> from semiconv_nd import SubtractSemifield
        >>> conv = CompiledConv(SubtractSemifield.linear().compiled_spec())
        >>> conv(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2)).shape
        torch.Size([1, 1, 3, 3])
    """

    def __init__(
        self,
        spec: SemifieldSpec,
        thread_block_size: int | None = None,
        to_extension: bool = False,
        debug: bool = False,
        kernel_inflation: int = 16,
        default_block: int = 128,
    ) -> None:
        super().__init__()
        _check_options(thread_block_size, to_extension, debug, kernel_inflation)
        if not isinstance(spec, SemifieldSpec):
            raise TypeError(
                "spec: expected the SemifieldSpec of a compiled semifield "
                f"(semifield.compiled_spec()), got {type(spec).__name__}"
            )
        self.spec = spec
        self.key = register(spec)
        self.is_select = spec.kind == "select"
        self.thread_block_size = default_block if thread_block_size is None else thread_block_size
        self.kernel_inflation = kernel_inflation
        self.debug = debug

    @property
    def semifield(self) -> object:
        """The semifield this module convolves with."""
        return self.spec.source

    def __setstate__(self, state: dict[str, object]) -> None:
        # Registry keys are per process: register the semifield again after unpickling.
        super().__setstate__(state)
        self.key = register(self.spec)

    def _geometry(
        self,
        img: torch.Tensor,
        kernel: torch.Tensor,
        stride: grid.IntOrTuple,
        padding: grid.Padding,
        dilation: grid.IntOrTuple,
        groups: int,
        group_broadcasting: bool,
        kind: Literal["conv", "corr"],
    ) -> ConvGeometry:
        return resolve_geometry(
            img, kernel, stride, padding, dilation, groups, group_broadcasting, kind
        )

    def forward(
        self,
        img: torch.Tensor,
        kernel: torch.Tensor,
        stride: grid.IntOrTuple = 1,
        padding: grid.Padding = 0,
        dilation: grid.IntOrTuple = 1,
        groups: int = 1,
        group_broadcasting: bool = False,
        kind: Literal["conv", "corr"] = "conv",
    ) -> torch.Tensor:
        """Convolve ``img`` with ``kernel`` in the semifield.

        Args:
            img: Image, ``(B, C_in, *spatial)`` with 1 to 3 spatial axes.
            kernel: Kernel, ``(K_o, C_in / groups, *kernel_size)``.
            stride: Stride, an int or one per spatial axis.
            padding: ``P``, ``(P0, ...)``, ``((b0, e0), ...)``, ``"valid"`` or ``"same"``.
            dilation: Dilation, an int or one per spatial axis.
            groups: Number of channel groups.
            group_broadcasting: Apply all kernels to every group.
            kind: ``"conv"`` (mirrored kernel) or ``"corr"``.

        Returns:
            The output, ``(B, C_out, *output_size)``.

        Shape:
            - img: :math:`(B, C_{in}, S_1, \\ldots, S_N)`
            - kernel: :math:`(K_o, C_{in} / G, k_1, \\ldots, k_N)`
            - output: :math:`(B, C_{out}, O_1, \\ldots, O_N)` with :math:`C_{out} = K_o`, or
              :math:`K_o G` with group broadcasting.
        """
        geometry = self._geometry(
            img, kernel, stride, padding, dilation, groups, group_broadcasting, kind
        )
        if self.debug:
            print(f"[semiconv_nd] {self.key} on {img.device}: {geometry}")
        return compiled_conv(
            self.key,
            self.is_select,
            img,
            kernel,
            geometry,
            self.thread_block_size,
            self.kernel_inflation,
        )

    def extra_repr(self) -> str:
        return f"{self.key!r}"


class CompiledConvFixedLazy(CompiledConv):
    """Like :class:`CompiledConv`, but the first call fixes everything except the batch size.

    Example:
        >>> import torch
        >>> from semiconv_nd import SelectSemifield
        >>> conv = CompiledConvFixedLazy(SelectSemifield.tropical_max().compiled_spec())
        >>> _ = conv(torch.zeros(1, 1, 6), torch.zeros(1, 1, 3))
        >>> conv(torch.zeros(4, 1, 6), torch.zeros(1, 1, 3)).shape
        torch.Size([4, 1, 4])
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fixed_geometry: ConvGeometry | None = None

    def _geometry(self, img: torch.Tensor, kernel: torch.Tensor, *args: object) -> ConvGeometry:
        geometry = super()._geometry(img, kernel, *args)  # type: ignore[arg-type]
        if self.fixed_geometry is None:
            self.fixed_geometry = geometry
            return geometry
        # Field by field, skipping the batch size (a symbolic int under torch.compile).
        changed = [
            f"{name}: {getattr(self.fixed_geometry, name)!r} -> {getattr(geometry, name)!r}"
            for name in _FIXED_FIELDS
            if getattr(self.fixed_geometry, name) != getattr(geometry, name)
        ]
        if changed:
            raise ValueError(
                "img: a lazy_fixed convolution only accepts a new batch size after its first "
                f"call, but {', '.join(changed)}; use .dynamic() for changing geometries"
            )
        return geometry
