"""Plain-torch pooling by field norms: invariant norm pooling and norm-based max pooling."""

# TorchScript needs typing.List/Tuple/Dict/Optional in the scripted signatures.
# ruff: noqa: UP006, UP035
from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["FieldNormPool", "NormMaxPool2d", "field_norm_pool", "norm_max_pool2d"]


def field_norm_pool(input: torch.Tensor, runs: List[Tuple[int, int, int, int]]) -> torch.Tensor:
    """The computation of :class:`FieldNormPool`."""
    b, h, w = input.shape[0], input.shape[2], input.shape[3]
    pieces: List[torch.Tensor] = []
    for c0, c1, q, d in runs:
        n = (c1 - c0) // (q * d)
        fm = input[:, c0:c1].reshape(b, n, q, d, h, w)
        norms = torch.linalg.vector_norm(fm, dim=3)
        pieces.append(norms[:, :, 0] if q == 1 else norms.amax(dim=2))
    return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)


def norm_max_pool2d(
    input: torch.Tensor,
    runs: List[Tuple[int, int, int]],
    kernel_size: Tuple[int, int],
    stride: Tuple[int, int],
    padding: Tuple[int, int],
    dilation: Tuple[int, int],
    ceil_mode: bool,
) -> torch.Tensor:
    """The computation of :class:`NormMaxPool2d`."""
    b, h, w = input.shape[0], input.shape[2], input.shape[3]
    pieces: List[torch.Tensor] = []
    for c0, c1, d in runs:
        n = (c1 - c0) // d
        fm = input[:, c0:c1].reshape(b, n, d, h, w)
        norms = torch.linalg.vector_norm(fm, dim=2)
        _, idx = F.max_pool2d(
            norms,
            kernel_size,
            stride,
            padding,
            dilation,
            ceil_mode,
            return_indices=True,
        )
        ho, wo = idx.shape[2], idx.shape[3]
        idx = idx.reshape(b, n, 1, ho * wo).expand(b, n, d, ho * wo)
        out = torch.gather(fm.reshape(b, n, d, h * w), 3, idx)
        pieces.append(out.reshape(b, c1 - c0, ho, wo))
    return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)


class FieldNormPool(nn.Module):
    r"""Replace each group of channels by the largest norm of its sub-groups.

    Each entry of ``runs`` is ``(first_channel, end_channel, subgroups, subgroup_size)``: every
    group has ``subgroups * subgroup_size`` channels and becomes the single channel
    :math:`\max_j \|v_j\|` (the plain norm when ``subgroups`` is 1).

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, G, H, W)` with one channel per group

    Example:
        >>> import torch
        >>> pool = FieldNormPool([(0, 2, 1, 2)])
        >>> pool(torch.tensor([3.0, 4.0]).reshape(1, 2, 1, 1)).flatten().tolist()
        [5.0]
    """

    runs: List[Tuple[int, int, int, int]]

    def __init__(self, runs: List[Tuple[int, int, int, int]]) -> None:
        super().__init__()
        self.runs = [tuple(int(v) for v in r) for r in runs]  # type: ignore[misc]

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Norm pooling of every group."""
        return field_norm_pool(input, self.runs)

    def extra_repr(self) -> str:
        return f"runs={self.runs}"


class NormMaxPool2d(nn.Module):
    """Max pooling of groups of channels: in each window, keep the group with the largest norm.

    Each entry of ``runs`` is ``(first_channel, end_channel, group_size)``; the pooling arguments
    are those of ``torch.nn.MaxPool2d``.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, C, H_{out}, W_{out})` as for ``torch.nn.MaxPool2d``

    Example:
        >>> import torch
        >>> pool = NormMaxPool2d([(0, 2, 2)], (2, 1), (2, 1), (0, 0), (1, 1), False)
        >>> x = torch.tensor([[1.0, 0.0], [0.0, -2.0]]).reshape(1, 2, 2, 1)
        >>> pool(x).flatten().tolist()
        [0.0, -2.0]
    """

    runs: List[Tuple[int, int, int]]

    def __init__(
        self,
        runs: List[Tuple[int, int, int]],
        kernel_size: Tuple[int, int],
        stride: Tuple[int, int],
        padding: Tuple[int, int],
        dilation: Tuple[int, int],
        ceil_mode: bool,
    ) -> None:
        super().__init__()
        self.runs = [(int(a), int(b), int(d)) for a, b, d in runs]
        self.kernel_size = (int(kernel_size[0]), int(kernel_size[1]))
        self.stride = (int(stride[0]), int(stride[1]))
        self.padding = (int(padding[0]), int(padding[1]))
        self.dilation = (int(dilation[0]), int(dilation[1]))
        self.ceil_mode = bool(ceil_mode)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Norm-based max pooling of every group."""
        return norm_max_pool2d(
            input,
            self.runs,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}, runs={self.runs}"
        )
