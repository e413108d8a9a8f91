""":class:`NormMaxPool`: in every window, keep the field with the largest norm."""

from __future__ import annotations

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules._fields import E2cnnStateMixin, keyed_runs
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.export.pools import NormMaxPool2d, norm_max_pool2d
from e2_steerable.nn.modules.pooling._window import (
    check_pooling_window,
    pooled_shape,
    window_args,
    window_extent,
    window_repr,
)

__all__ = ["NormMaxPool"]


class NormMaxPool(E2cnnStateMixin, EquivariantModule):
    """Max pooling by norm: in each window, every field keeps its value at the pixel where its
    norm is largest (the whole vector, so the type is preserved).

    The arguments other than ``in_type`` are those of ``torch.nn.MaxPool2d``. Only
    representations supporting ``'norm'`` non-linearities (orthogonal ones) are accepted.

    Args:
        in_type: the input field type (also the output type).
        kernel_size: the pooling window.
        stride: the window's stride; defaults to ``kernel_size``.
        padding: implicit padding on both sides.
        dilation: spacing between the window's elements.
        ceil_mode: use ceil instead of floor for the output size.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, C, H_{out}, W_{out})` as for ``torch.nn.MaxPool2d``

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, NormMaxPool
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> pool = NormMaxPool(FieldType(gs, [gs.irrep(1), gs.irrep(2)]), 2)
        >>> pool(GeometricTensor(torch.randn(1, 4, 6, 6), pool.in_type)).shape
        torch.Size([1, 4, 3, 3])
    """

    def __init__(
        self,
        in_type: FieldType,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        name = "NormMaxPool"
        require_field_type(name, in_type)
        require_support(name, in_type, "norm")
        self.in_type = in_type
        self.out_type = in_type
        self.kernel_size, self.stride, self.padding, self.dilation = window_args(
            name, kernel_size, stride, padding, dilation
        )
        self.ceil_mode = bool(ceil_mode)
        sizes = list(in_type._sizes)
        self._runs = [
            (r.channel_start, r.channel_end, int(r.key))  # type: ignore[call-overload]
            for r in keyed_runs(in_type, sizes)
        ]
        self._legacy_keys = tuple(f"indices_{s}" for s in sorted(set(sizes)))

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Norm-based max pooling of every field of ``input``."""
        x = self._check_input(input)
        check_pooling_window(
            "NormMaxPool", x.tensor, window_extent(self.kernel_size, self.dilation), self.padding
        )
        out = norm_max_pool2d(
            x.tensor,
            self._runs,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
        )
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(B, C, H_out, W_out)`` with ``torch.nn.MaxPool2d``'s formula."""
        shape = self._check_input_shape(input_shape)
        return pooled_shape(
            "NormMaxPool",
            shape,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
        )

    def export(self) -> NormMaxPool2d:
        """Plain-torch :class:`~e2_steerable.nn.NormMaxPool2d`."""
        self.eval()
        return NormMaxPool2d(
            self._runs, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        ).eval()

    def extra_repr(self) -> str:
        return window_repr(
            self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
        )
