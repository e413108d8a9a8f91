"""Distances from every padded point to every structure element centre, in O(B·M·N) memory.

The sum over the point dimension ``D`` is accumulated one coordinate at a time, so no
``(B, M, N, D)`` tensor is ever built.
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "SATURATION",
    "log1p_weighted_l1_distances",
    "saturated_scaled_squared_distances",
    "weighted_l1_distances",
    "weighted_squared_distances",
]

SATURATION = 800.0
r"""Cap :math:`U^2` of each scaled squared coordinate difference.

:math:`e^{-800}` is exactly 0 in float16, bfloat16, float32 and float64 (their smallest
subnormals are :math:`e^{-17.3}`, :math:`e^{-92}`, :math:`e^{-103.3}`, :math:`e^{-744.4}`), so
capping changes no value of :math:`e^{-\text{distance}}` and no gradient."""


def weighted_squared_distances(
    points: torch.Tensor, centers: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    r"""Weighted squared Euclidean distances :math:`\sum_d w_{jd} (c_{jd} - p_{bmd})^2`.

    Args:
        points: Padded points.
        centers: The centres :math:`c_j`.
        weights: Per-centre, per-coordinate weights :math:`w_{jd}`.

    Returns:
        The distance of every point to every centre.

    Shape:
        points: :math:`(B, M, D)`
        centers, weights: :math:`(N, D)`
        Output: :math:`(B, M, N)`

    Example:
        >>> import torch
        >>> from torchph_lite.nn.distances import weighted_squared_distances
        >>> points = torch.tensor([[[1.0, 2.0]]])
        >>> weighted_squared_distances(points, torch.zeros(1, 2), torch.ones(1, 2))
        tensor([[[5.]]])
    """
    total = None
    for d in range(points.shape[-1]):
        term = (points[..., d, None] - centers[:, d]).square() * weights[:, d]
        total = term if total is None else total + term
    return total


def saturated_scaled_squared_distances(
    points: torch.Tensor, centers: torch.Tensor, scales: torch.Tensor
) -> torch.Tensor:
    r"""Squared distances :math:`\sum_d \min\big((s_{jd} (p_{bmd} - c_{jd}))^2, U^2\big)`.

    The building block of Gaussian structure elements :math:`e^{-\text{distance}}`. Each
    coordinate's scaled difference :math:`u = s (p - c)` is computed as
    :math:`2 s (p/2 - c/2)`, which is finite for all finite inputs except when the product
    itself overflows, and is replaced by the constant :math:`U = \sqrt{800}`
    (:data:`SATURATION`) wherever :math:`|u| > U` or :math:`u` is not finite. There
    :math:`e^{-\text{distance}}` is exactly 0 anyway, and the cap carries no gradient, so
    points or centres near the dtype's range (e.g. ``1e30`` in float32, where
    :math:`(p - c)^2` overflows) give an exact 0 and finite (zero) gradients instead of
    ``0 * inf = NaN``.

    Args:
        points: Padded points.
        centers: The centres :math:`c_j`.
        scales: Per-centre, per-coordinate scales :math:`s_{jd}` (any sign).

    Returns:
        The capped distance of every point to every centre.

    Shape:
        points: :math:`(B, M, D)`
        centers, scales: :math:`(N, D)`
        Output: :math:`(B, M, N)`

    Example:
        >>> import torch
        >>> from torchph_lite.nn.distances import saturated_scaled_squared_distances
        >>> points = torch.tensor([[[1.0, 2.0], [1e30, 0.0]]])
        >>> saturated_scaled_squared_distances(points, torch.zeros(1, 2), torch.ones(1, 2))
        tensor([[[  5.],
                 [800.]]])
    """
    cap = SATURATION**0.5
    total = None
    for d in range(points.shape[-1]):
        half_difference = points[..., d, None] * 0.5 - centers[:, d] * 0.5  # never overflows
        scaled = (half_difference * scales[:, d]) * 2.0
        within = scaled.detach().abs() <= cap  # False for inf and NaN
        term = torch.where(within, scaled, cap).square()
        total = term if total is None else total + term
    return total


def weighted_l1_distances(
    points: torch.Tensor, centers: torch.Tensor, weights: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Weighted L1 distances :math:`\sum_d w_{jd} |c_{jd} - p_{bmd}|` (unit weights if ``None``).

    Args:
        points: Padded points.
        centers: The centres :math:`c_j`.
        weights: Per-centre, per-coordinate weights :math:`w_{jd}`, or ``None`` for all ones.

    Returns:
        The distance of every point to every centre.

    Shape:
        points: :math:`(B, M, D)`
        centers, weights: :math:`(N, D)`
        Output: :math:`(B, M, N)`

    Example:
        >>> import torch
        >>> from torchph_lite.nn.distances import weighted_l1_distances
        >>> weighted_l1_distances(torch.tensor([[[1.0, -2.0]]]), torch.zeros(1, 2))
        tensor([[[3.]]])
    """
    total = None
    for d in range(points.shape[-1]):
        term = (points[..., d, None] - centers[:, d]).abs()
        if weights is not None:
            term = term * weights[:, d]
        total = term if total is None else total + term
    return total


def log1p_weighted_l1_distances(
    points: torch.Tensor, centers: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    r""":math:`\log\big(1 + \sum_d |w_{jd}|\,|c_{jd} - p_{bmd}|\big)`, finite for all finite inputs.

    The robust counterpart of ``log1p(weighted_l1_distances(...))`` for when the distance itself
    overflows (e.g. float32 points ``1e20`` with sharpness ``1e20``): every term is taken in log
    space, :math:`\log|w| + \log|p/2 - c/2| + \log 2`, and the sum by a streaming log-sum-exp
    (shifted by its detached maximum), so nothing overflows and the gradient is a softmax.
    Magnitudes below the dtype's smallest normal are clamped to it (an error far below the
    rounding of the sum; no gradient flows through the clamp).

    Args:
        points: Padded points.
        centers: The centres :math:`c_j`.
        weights: Per-centre, per-coordinate weights :math:`w_{jd}` (their sign is ignored).

    Returns:
        The log of one plus the distance of every point to every centre.

    Shape:
        points: :math:`(B, M, D)`
        centers, weights: :math:`(N, D)`
        Output: :math:`(B, M, N)`

    Example:
        >>> import torch
        >>> from torchph_lite.nn.distances import log1p_weighted_l1_distances
        >>> points = torch.tensor([[[1e20, 0.0], [1.0, -2.0]]])
        >>> log1p_weighted_l1_distances(points, torch.zeros(1, 2), torch.full((1, 2), 1e20))
        tensor([[[92.1034],
                 [47.1503]]])
    """
    tiny = torch.finfo(points.dtype).tiny
    log_two = math.log(2.0)

    def log_term(d: int) -> torch.Tensor:
        half_difference = (points[..., d, None] * 0.5 - centers[:, d] * 0.5).abs()
        return half_difference.clamp_min(tiny).log() + weights[:, d].abs().clamp_min(tiny).log()

    shift = points.new_zeros(points.shape[:-1] + centers.shape[:1])
    with torch.no_grad():
        for d in range(points.shape[-1]):
            shift = torch.maximum(shift, log_term(d) + log_two)
    total = torch.exp(-shift)  # the "1" of log(1 + ...)
    for d in range(points.shape[-1]):
        total = total + torch.exp(log_term(d) + log_two - shift)
    return shift + torch.log(total)
