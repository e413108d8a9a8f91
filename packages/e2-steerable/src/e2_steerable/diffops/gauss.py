r"""Gaussian-derivative stencils: derivatives of a Gaussian sampled on the kernel grid.

For :math:`G(p) = \exp(-\varepsilon^2 \lVert p \rVert^2)`,
:math:`\partial_x^a \partial_y^b G(x, y) = (-\varepsilon)^{a+b} H_a(\varepsilon x)
H_b(\varepsilon y) G(x, y)` with the physicists' Hermite polynomials :math:`H`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["gaussian_derivative_stencils", "hermite"]


def hermite(n: int, x: np.ndarray) -> np.ndarray:
    """Physicists' Hermite polynomial :math:`H_n(x)` (three-term recurrence).

    Example:
        >>> hermite(2, np.array([0.0, 1.0])).tolist()
        [-2.0, 2.0]
    """
    x = np.asarray(x, dtype=np.float64)
    prev, cur = np.ones_like(x), 2.0 * x
    if n == 0:
        return prev
    for k in range(1, n):
        prev, cur = cur, 2.0 * x * cur - 2.0 * k * prev
    return cur


def gaussian_derivative_stencils(
    points: np.ndarray, degree: int, eps: float, normalize: bool, sign: float
) -> np.ndarray:
    """Stencils of every monomial derivative :math:`\\partial_x^{n-k}\\partial_y^k`, ``k = 0..n``.

    Args:
        points: ``(P, 2)`` grid points.
        degree: the total order ``n``.
        eps: the Gaussian's :math:`\\varepsilon`.
        normalize: multiply by :math:`\\varepsilon^2 / \\pi` (the Gaussian then has unit mass).
        sign: overall factor (``(-1)^n`` turns the derivative of the Gaussian into the stencil
            of the derivative of the smoothed input).

    Returns:
        float64 array ``(n + 1, P)``.
    """
    pts = np.asarray(points, dtype=np.float64)
    x, y = eps * pts[:, 0], eps * pts[:, 1]
    g = np.exp(-(x * x + y * y))
    if normalize:
        g = g * (eps * eps / math.pi)
    factor = sign * (-eps) ** degree
    return np.stack(
        [factor * hermite(degree - k, x) * hermite(k, y) * g for k in range(degree + 1)]
    )
