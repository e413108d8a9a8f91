"""Finite differences: Fornberg's weights in float64 and the order/accuracy/size relations.

A stencil ``w`` approximates a derivative by cross-correlation: :math:`\\sum_j w_j f(x_j)
\\approx f^{(m)}(0)` for points ``x_j`` around the target 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "fornberg_weights",
    "guaranteed_accuracy",
    "largest_possible_order",
    "required_points",
    "symmetric_points",
]


def fornberg_weights(order: int, points: Sequence[float], target: float = 0.0) -> np.ndarray:
    """Weights of the ``order``-th derivative at ``target`` from values at ``points``.

    Fornberg's recursion (Math. Comp. 51, 1988) in float64, using every point: the most accurate
    stencil on these points (exact for polynomials of degree ``< len(points)``).

    Args:
        order: derivative order ``m``; requires ``m < len(points)``.
        points: distinct abscissae.
        target: where the derivative is taken.

    Returns:
        float64 array of ``len(points)`` weights.

    Example:
        >>> fornberg_weights(2, [-1.0, 0.0, 1.0]).tolist()
        [1.0, -2.0, 1.0]
    """
    x = np.asarray(points, dtype=np.float64).reshape(-1)
    n = x.shape[0]
    if not isinstance(order, (int, np.integer)) or order < 0:
        raise ValueError(f"order: expected an int >= 0, got {order!r}")
    if order >= n:
        raise ValueError(
            f"order: a derivative of order {order} needs at least {order + 1} points, got {n}"
        )
    if np.unique(x).shape[0] != n:
        raise ValueError(f"points: expected distinct points, got {x.tolist()}")
    m = int(order)
    # delta[k, j]: weight of point j for the k-th derivative using the first i+1 points
    delta = np.zeros((m + 1, n))
    delta[0, 0] = 1.0
    c1 = 1.0
    c4 = x[0] - target
    for i in range(1, n):
        c2 = 1.0
        c5 = c4
        c4 = x[i] - target
        top = min(i, m)
        for j in range(i):
            c3 = x[i] - x[j]
            c2 *= c3
            if j == i - 1:  # the new point, from the previous column before it is updated
                for k in range(top, 0, -1):
                    delta[k, i] = c1 * (k * delta[k - 1, i - 1] - c5 * delta[k, i - 1]) / c2
                delta[0, i] = -c1 * c5 * delta[0, i - 1] / c2
            for k in range(top, 0, -1):
                delta[k, j] = (c4 * delta[k, j] - k * delta[k - 1, j]) / c3
            delta[0, j] = c4 * delta[0, j] / c3
        c1 = c2
    return delta[m].copy()


def required_points(order: int, accuracy: int) -> int:
    """Points per axis needed for a derivative of ``order`` with the given ``accuracy``.

    ``order + accuracy`` points, one fewer when ``accuracy`` is even: a stencil symmetric about
    the target gains one order of accuracy when the number of points minus the order is odd.

    Example:
        >>> required_points(2, 2), required_points(4, 2), required_points(3, 1)
        (3, 5, 4)
    """
    n = order + accuracy
    return n - 1 if (accuracy - 1) % 2 else n


def largest_possible_order(num_points: int, accuracy: int) -> int:
    """The largest derivative order reachable with ``accuracy`` on ``num_points`` points.

    Example:
        >>> [largest_possible_order(k, 2) for k in (3, 5, 7)]
        [2, 4, 6]
    """
    order = num_points - accuracy
    if order < 0:
        raise ValueError(
            f"accuracy: {accuracy} cannot be reached on {num_points} points for any order"
        )
    if (num_points - (order + 1)) % 2:
        return order + 1
    return order


def guaranteed_accuracy(num_points: int, order: int) -> int:
    """The accuracy of the symmetric ``num_points`` stencil for a derivative of ``order``.

    Example:
        >>> guaranteed_accuracy(5, 4), guaranteed_accuracy(5, 3)
        (2, 2)
    """
    accuracy = num_points - order
    if accuracy < 1:
        raise ValueError(f"order: {order} needs more than {num_points} points")
    return accuracy + 1 if accuracy % 2 else accuracy


def symmetric_points(n: int, dilation: float = 1.0) -> list[float]:
    """``n`` points spaced by ``dilation`` and centred at 0.

    Example:
        >>> symmetric_points(3), symmetric_points(2)
        ([-1.0, 0.0, 1.0], [-0.5, 0.5])
    """
    offset = (n - 1) / 2
    return [(i - offset) * dilation for i in range(n)]
