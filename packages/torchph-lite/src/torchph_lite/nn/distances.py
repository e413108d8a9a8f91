"""Distances from every padded point to every structure element centre, in O(B·M·N) memory.

The sum over the point dimension ``D`` is accumulated one coordinate at a time, so no
``(B, M, N, D)`` tensor is ever built.
"""

from __future__ import annotations

import torch

__all__ = ["weighted_l1_distances", "weighted_squared_distances"]


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
