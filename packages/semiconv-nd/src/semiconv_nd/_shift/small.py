r"""Root and log broadcast semifields for small problems: all windows at once.

The chunked shift engine (:mod:`.accumulate`) issues a few tensor operations per kernel tap,
which dominates the time of tiny inputs. For problems with at most :data:`SMALL_PRODUCTS`
products ``x ⊗ g`` this engine gathers every window with one ``index_select`` (flat indices
cached per geometry), forms the whole product ``(B, G, O, I·T, out)``, as the original
package does, and reduces it:

* root: :math:`y = (\sum (x g)^p)^{1/p}`;
* log: :math:`y = \frac{1}{\mu}\log\sum e^{\mu (v - s)} + s` with :math:`v = x + g` and
  :math:`s` the window's finite extremum of :math:`v` (so it cannot overflow).

The backward pass uses the same derivatives as the shift engine (outputs equal to the semifield
zero pass no gradient) and scatters the window gradients back with one ``index_add_``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch

from semiconv_nd._geometry import ConvGeometry

__all__ = ["SMALL_PRODUCTS", "is_small", "small_sum"]

#: Problems with at most this many products ``x ⊗ g`` (``B * C_out * I * T * outputs``) use
#: :func:`small_sum`: 1 MiB of float32 per materialised tensor.
SMALL_PRODUCTS = 1 << 18


def is_small(padded: torch.Tensor, geo: ConvGeometry) -> bool:
    """Whether a float32/float64 root or log call is small enough for :func:`small_sum`."""
    taps = geo.in_per_group * math.prod(geo.kernel_size)
    products = geo.batch * geo.out_channels * taps * math.prod(geo.output_size)
    return padded.dtype in (torch.float32, torch.float64) and products <= SMALL_PRODUCTS


@functools.lru_cache(maxsize=64)
def _window_index(
    padded_size: tuple[int, ...],
    in_per_group: int,
    kernel_size: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    output_size: tuple[int, ...],
    device: torch.device,
) -> torch.Tensor:
    """Flat ``(I, *padded)`` index of every (channel, tap) and output, shape ``(I·T·N,)``."""
    tap_index = torch.arange(in_per_group, device=device) * math.prod(padded_size)
    out_index = torch.zeros(1, dtype=torch.int64, device=device)
    for axis in range(len(padded_size)):
        step = math.prod(padded_size[axis + 1 :])
        taps = torch.arange(kernel_size[axis], device=device) * dilation[axis] * step
        tap_index = (tap_index.unsqueeze(-1) + taps).reshape(-1)
        outs = torch.arange(output_size[axis], device=device) * stride[axis] * step
        out_index = (out_index.unsqueeze(-1) + outs).reshape(-1)
    return (tap_index.unsqueeze(1) + out_index).reshape(-1)


def small_sum(
    padded: torch.Tensor, kernel: torch.Tensor, geo: ConvGeometry, kind: str, power: float
) -> torch.Tensor:
    """Root or log semifield convolution of a padded image with an already mirrored kernel.

    Args:
        padded: ``(B, C_in, *padded)`` image, padded with the semifield zero.
        kernel: ``(K_o, I, *k)`` kernel, flipped for ``kind="conv"``.
        geo: The geometry of the call.
        kind: ``"root"`` or ``"log"``.
        power: ``p`` for root, ``mu`` for log.

    Returns:
        The ``(B, C_out, *out)`` output.
    """
    if kind not in ("linear", "root", "log"):
        raise ValueError(f"kind: expected 'linear', 'root' or 'log', got {kind!r}")
    return _SmallSum.apply(padded, kernel, geo, kind, float(power))


def _layout(
    padded: torch.Tensor, kernel: torch.Tensor, geo: ConvGeometry
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The windows ``(B, G, 1, I·T, N)``, the kernel ``(1, Gk, O, I·T, 1)`` and the index."""
    # Traced by torch.compile: build the index in the graph (dynamo refuses lru_cache).
    build = _window_index.__wrapped__ if torch.compiler.is_compiling() else _window_index
    index = build(
        tuple(padded.shape[2:]),
        geo.in_per_group,
        geo.kernel_size,
        geo.stride,
        geo.dilation,
        geo.output_size,
        padded.device,
    )
    flat = padded.reshape(geo.batch * geo.groups, -1)
    taps = geo.in_per_group * math.prod(geo.kernel_size)
    windows = flat.index_select(1, index).view(geo.batch, geo.groups, 1, taps, -1)
    weights = kernel.reshape(1, -1, geo.out_per_group, taps, 1)
    return windows, weights, index


def _values(windows: torch.Tensor, weights: torch.Tensor, kind: str) -> torch.Tensor:
    return windows + weights if kind == "log" else windows * weights


def _log_shift(values: torch.Tensor, mu: float) -> torch.Tensor:
    shift = values.amax(3) if mu > 0 else values.amin(3)
    return torch.where(torch.isfinite(shift), shift, 0.0)


class _SmallSum(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        padded: torch.Tensor,
        kernel: torch.Tensor,
        geo: ConvGeometry,
        kind: str,
        power: float,
    ) -> torch.Tensor:
        windows, weights, _ = _layout(padded, kernel, geo)
        values = _values(windows, weights, kind)
        if kind == "linear":
            y = values.sum(3)
        elif kind == "root":
            y = values.pow_(power).sum(3).pow_(1.0 / power)
        else:
            shift = _log_shift(values, power)
            y = values.sub_(shift.unsqueeze(3)).mul_(power).exp_().sum(3)
            y = y.log_().div_(power).add_(shift)
        ctx.geo, ctx.kind, ctx.power = geo, kind, power
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_for_backward(padded, kernel, y)
        return y.view(geo.batch, geo.out_channels, *geo.output_size)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        padded, kernel, y = ctx.saved_tensors
        geo, kind, power = ctx.geo, ctx.kind, ctx.power
        windows, weights, index = _layout(padded, kernel, geo)
        grad = grad.reshape(y.shape).unsqueeze(3)
        if kind == "linear":
            weight = grad
        else:
            values = _values(windows, weights, kind)
            # Outputs that are the semifield zero (0 for root, ±inf for log) pass no gradient.
            dead = ((y == 0) if kind == "root" else ~torch.isfinite(y)).unsqueeze(3)
            grad = torch.where(dead, 0.0, grad)
            y = torch.where(dead, 1.0 if kind == "root" else 0.0, y.unsqueeze(3))
            if kind == "root":
                weight = values.div_(y).pow_(power - 1.0).mul_(grad)
            else:
                weight = values.sub_(y).mul_(power).exp_().mul_(grad)
        grad_padded = grad_kernel = None
        if ctx.needs_input_grad[0]:
            to_input = weight.sum(2) if kind == "log" else (weight * weights).sum(2)
            grad_padded = torch.zeros_like(padded).view(geo.batch * geo.groups, -1)
            grad_padded.index_add_(1, index, to_input.reshape(grad_padded.shape[0], -1))
            grad_padded = grad_padded.view(padded.shape)
        if ctx.needs_input_grad[1]:
            to_kernel = weight if kind == "log" else weight * windows
            if kind == "root" and power < 0:
                # +inf padding (the zero of R_p, p < 0) meets a zero weight there.
                to_kernel = torch.where(weight == 0, 0.0, to_kernel)
            summed = to_kernel.sum((0, 4))
            if geo.group_broadcasting:
                summed = summed.sum(0, keepdim=True)
            grad_kernel = summed.reshape(kernel.shape)
        return grad_padded, grad_kernel, None, None, None
