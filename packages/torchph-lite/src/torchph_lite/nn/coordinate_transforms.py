r"""Coordinate transforms of persistence diagrams that stretch the region near the diagonal.

Points with a small lifetime :math:`\ell = d - b` are pushed away from the diagonal so that an
SLayer can give them less weight. Each transform maps a ``(k, 2)`` diagram of (birth, death)
pairs to a new ``(k, 2)`` tensor, differentiably, and returns an empty diagram unchanged.

Conventions (the same as the original torchph):

* a point on the diagonal (lifetime 0) is sent to :math:`-\infty` in its second coordinate, with
  a zero gradient there;
* an infinite death (an essential class) stays infinite;
* a NaN coordinate or a point below the diagonal (death < birth) raises :class:`ValueError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = [
    "LinearRationalStretchedBirthLifeTimeCoordinateTransform",
    "LogStretchedBirthLifeTimeCoordinateTransform",
    "UpperDiagonalThresholdedLogTransform",
]


def _check_nu(nu: float) -> float:
    if isinstance(nu, bool) or not isinstance(nu, (int, float)) or not math.isfinite(nu) or nu <= 0:
        raise ValueError(f"nu must be a positive finite number; got {nu!r}")
    return float(nu)


def _check_diagram(dgm: torch.Tensor, transform: str) -> bool:
    """Validate ``dgm``; return whether it is empty."""
    if not isinstance(dgm, torch.Tensor):
        raise TypeError(f"{transform}: dgm must be a torch.Tensor; got {type(dgm).__name__}")
    if dgm.shape[0:1] == (0,) and dgm.dim() <= 2:
        return True
    if dgm.dim() != 2 or dgm.shape[1] != 2:
        raise ValueError(
            f"{transform}: dgm must have shape (k, 2) of (birth, death); got {tuple(dgm.shape)}"
        )
    if not dgm.is_floating_point():
        raise TypeError(f"{transform}: dgm must be floating point; got {dgm.dtype}")
    if bool(torch.isnan(dgm).any()):
        raise ValueError(f"{transform}: dgm contains NaN")
    if bool((dgm[:, 1] < dgm[:, 0]).any()):
        raise ValueError(f"{transform}: dgm has points below the diagonal (death < birth)")
    return False


def _log_stretch(value: torch.Tensor, nu: float) -> torch.Tensor:
    r""":math:`v` if :math:`v > \nu`, else :math:`\nu \ln(v / \nu) + \nu` (C¹ at :math:`\nu`)."""
    return _stretch_small(value, nu, lambda small: nu * torch.log(small / nu) + nu)


def _stretch_small(
    value: torch.Tensor, nu: float, stretch: Callable[[torch.Tensor], torch.Tensor]
) -> torch.Tensor:
    """Apply ``stretch`` to values in ``(0, nu]``, keep larger ones, send 0 to ``-inf``.

    The stretch is evaluated only where it is taken, so neither large or infinite values nor
    diagonal points (value 0, a constant ``-inf`` output) produce NaN gradients.
    """
    dtype = value.dtype
    if dtype in (torch.float16, torch.bfloat16):
        # Evaluated in float32: the stretch of a small lifetime (and its derivative, ~ 1 / value
        # or 1 / value^2) leaves the half range long before the result does, and an overflow
        # inside would turn a zero upstream gradient into 0 * inf = NaN.
        value = value.float()
    small = value <= nu
    on_diagonal = value == 0
    safe = torch.where(small & ~on_diagonal, value, torch.full_like(value, nu))
    stretched = torch.where(small, stretch(safe), value)
    return stretched.masked_fill(on_diagonal, -math.inf).to(dtype)


class LinearRationalStretchedBirthLifeTimeCoordinateTransform:
    r"""Map :math:`(b, d) \mapsto (b, \ell')` with :math:`\ell = d - b` and

    .. math::

        \ell' = \begin{cases} \ell & \ell > \nu \\ -\nu^2 / \ell + 2\nu & \ell \le \nu \end{cases}

    The map is C¹ at :math:`\nu`, sends :math:`\nu / 2` to 0 and :math:`0^+` to :math:`-\infty`.

    Args:
        nu: The threshold :math:`\nu > 0`.

    Shape:
        Input: :math:`(k, 2)`
        Output: :math:`(k, 2)`

    Example:
        >>> import torch
        >>> from torchph_lite.nn.coordinate_transforms import (
        ...     LinearRationalStretchedBirthLifeTimeCoordinateTransform,
        ... )
        >>> transform = LinearRationalStretchedBirthLifeTimeCoordinateTransform(0.1)
        >>> transform(torch.tensor([[0.0, 0.05], [1.0, 2.0]]))
        tensor([[0., 0.],
                [1., 1.]])
    """

    def __init__(self, nu: float) -> None:
        self.nu = _check_nu(nu)

    def __call__(self, dgm: torch.Tensor) -> torch.Tensor:
        if _check_diagram(dgm, type(self).__name__):
            return dgm
        birth = dgm[:, 0]
        lifetime = dgm[:, 1] - birth
        nu = self.nu
        stretched = _stretch_small(lifetime, nu, lambda small: nu * (2.0 - nu / small))
        return torch.stack([birth, stretched], dim=1)


class LogStretchedBirthLifeTimeCoordinateTransform:
    r"""Map :math:`(b, d) \mapsto (b, \ell')` with :math:`\ell = d - b` and

    .. math::

        \ell' = \begin{cases} \ell & \ell > \nu \\
                              \nu \ln(\ell / \nu) + \nu & \ell \le \nu \end{cases}

    Args:
        nu: The threshold :math:`\nu > 0`.

    Shape:
        Input: :math:`(k, 2)`
        Output: :math:`(k, 2)`

    Example:
        >>> import torch
        >>> from torchph_lite.nn.coordinate_transforms import (
        ...     LogStretchedBirthLifeTimeCoordinateTransform,
        ... )
        >>> LogStretchedBirthLifeTimeCoordinateTransform(0.1)(torch.tensor([[0.0, 0.05]]))
        tensor([[0.0000, 0.0307]])
    """

    def __init__(self, nu: float) -> None:
        self.nu = _check_nu(nu)

    def __call__(self, dgm: torch.Tensor) -> torch.Tensor:
        if _check_diagram(dgm, type(self).__name__):
            return dgm
        birth = dgm[:, 0]
        return torch.stack([birth, _log_stretch(dgm[:, 1] - birth, self.nu)], dim=1)


class UpperDiagonalThresholdedLogTransform:
    r"""Rotate by 45° and log-stretch the distance to the diagonal.

    :math:`x = (b + d) / \sqrt{2}` and :math:`y = (d - b) / \sqrt{2}`, then :math:`y` is stretched
    like in :class:`LogStretchedBirthLifeTimeCoordinateTransform`. Unlike the original, diagrams
    with a single point work.

    Args:
        nu: The threshold :math:`\nu > 0`, applied to :math:`y`.

    Shape:
        Input: :math:`(k, 2)`
        Output: :math:`(k, 2)`

    Example:
        >>> import torch
        >>> from torchph_lite.nn.coordinate_transforms import UpperDiagonalThresholdedLogTransform
        >>> UpperDiagonalThresholdedLogTransform(0.1)(torch.tensor([[0.0, 1.0]]))
        tensor([[0.7071, 0.7071]])
    """

    def __init__(self, nu: float) -> None:
        self.nu = _check_nu(nu)

    def __call__(self, dgm: torch.Tensor) -> torch.Tensor:
        if _check_diagram(dgm, type(self).__name__):
            return dgm
        birth, death = dgm[:, 0], dgm[:, 1]
        # Each coordinate divided before the sum: no spurious overflow of b + d near the max.
        along = birth / math.sqrt(2.0) + death / math.sqrt(2.0)
        across = death / math.sqrt(2.0) - birth / math.sqrt(2.0)
        return torch.stack([along, _log_stretch(across, self.nu)], dim=1)
