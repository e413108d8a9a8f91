"""The planar 2x2 matrices irreps and kernels are written with (e2cnn's helper names)."""

from __future__ import annotations

import numpy as np

__all__ = ["chi", "psi", "psichi"]


def psi(theta: float, k: int = 1, gamma: float = 0.0) -> np.ndarray:
    r"""The rotation matrix by the angle :math:`k\theta + \gamma`.

    Example:
        >>> psi(np.pi / 2).round(6).tolist()
        [[0.0, -1.0], [1.0, 0.0]]
    """
    angle = k * theta + gamma
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def chi(s: int) -> np.ndarray:
    r"""The reflection :math:`\operatorname{diag}(1, -1)` if ``s == 1``, the identity if ``s == 0``.

    Example:
        >>> chi(1).tolist()
        [[1, 0], [0, -1]]
    """
    if s not in (0, 1):
        raise ValueError(f"s: expected 0 or 1, got {s!r}")
    return np.array([[1, 0], [0, -1 if s else 1]])


def psichi(theta: float, s: int, k: int = 1, gamma: float = 0.0) -> np.ndarray:
    r"""``psi(theta, k, gamma) @ chi(s)``: a rotation (``s=0``) or a reflection (``s=1``).

    Example:
        >>> psichi(0.0, 1).tolist()
        [[1.0, 0.0], [0.0, -1.0]]
    """
    return psi(theta, k, gamma) @ chi(s)
