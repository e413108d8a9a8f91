r"""Moment conditions on stencils, and the isotropic correction of truncated stencils.

The moment of a stencil :math:`w` for the monomial :math:`m(p) = x^a y^b` is
:math:`\sum_p w(p)\, m(p)`; a stencil of :math:`\partial^\alpha` (cross-correlation convention)
is consistent when every moment of degree :math:`\le |\alpha| + 1` equals
:math:`\partial^\alpha m(0)`. The moments of degree :math:`|\alpha| + 2j` are the Taylor
coefficients of the stencil's Fourier symbol at that order; the symbol is isotropic there (the
stencil acts as :math:`\partial^\alpha` times a rotation-invariant operator) exactly when those
moments are :math:`c_j\, \partial^\alpha \Delta^j m(0)` for some scalar :math:`c_j`. A family
of stencils, one per derivative :math:`\partial^\alpha` of order :math:`n`, commutes with
rotations at that order only if :math:`c_j` is the same for the whole family (the derivatives
of one rotation-invariant smoothing), since a rotation mixes the derivatives of order :math:`n`.

A Gaussian-derivative stencil cut off by the kernel loses the tails of the Gaussian, and with them
both properties: it is neither consistent nor isotropic, and a 45 degree rotation of the input no
longer commutes with it. :func:`isotropic_correction` restores them with the smallest change,
in the norm weighted by an envelope, that makes the low-order moments exact and the next ones
isotropic with shared :math:`c_j` (free: the effective smoothing stays rotation invariant, but
may be narrower than the Gaussian that was cut off).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "derivative_moments",
    "grid_monomials",
    "isotropic_correction",
    "laplacian_power_moments",
    "moments",
]


def grid_monomials(points: np.ndarray, max_degree: int) -> list[tuple[int, int]]:
    """Exponents ``(a, b)`` of the monomials :math:`x^a y^b` of degree ``<= max_degree`` that the
    points tell apart.

    On a grid with ``s`` distinct coordinates along an axis, :math:`x^s` is a combination of
    lower powers there, so its moment is not free; those monomials are left out.

    Example:
        >>> from e2_steerable._vendor import grid
        >>> grid_monomials(grid.kernel_grid(3), 3)
        [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (2, 1), (1, 2)]
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    sx, sy = (np.unique(pts[:, i]).size for i in range(2))
    return [
        (d - b, b) for d in range(max_degree + 1) for b in range(d + 1) if d - b < sx and b < sy
    ]


def moments(stencils: np.ndarray, points: np.ndarray, monos: list[tuple[int, int]]) -> np.ndarray:
    """Moments ``(..., len(monos))`` of stencils ``(..., P)`` on ``points`` ``(P, 2)``."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    basis = np.stack([pts[:, 0] ** a * pts[:, 1] ** b for a, b in monos], axis=1)
    return np.asarray(stencils) @ basis


def derivative_moments(alpha: tuple[int, int], monos: list[tuple[int, int]]) -> np.ndarray:
    """:math:`\\partial^\\alpha m(0)` for each monomial: ``a! b!`` for ``m = x^a y^b`` with
    ``(a, b) == alpha``, else 0.

    Example:
        >>> derivative_moments((2, 0), [(0, 0), (2, 0), (0, 2)]).tolist()
        [0.0, 2.0, 0.0]
    """
    return np.array(
        [math.factorial(a) * math.factorial(b) if (a, b) == tuple(alpha) else 0.0 for a, b in monos]
    )


def laplacian_power_moments(
    alpha: tuple[int, int], power: int, monos: list[tuple[int, int]]
) -> np.ndarray:
    """:math:`\\partial^\\alpha \\Delta^j m(0)` for each monomial (``j = power``).

    Example:
        >>> laplacian_power_moments((0, 0), 1, [(2, 0), (1, 1), (0, 2)]).tolist()
        [2.0, 0.0, 2.0]
    """
    a, b = alpha
    return sum(
        math.comb(power, q) * derivative_moments((a + 2 * q, b + 2 * (power - q)), monos)
        for q in range(power + 1)
    )  # type: ignore[return-value]


def isotropic_correction(
    stencils: np.ndarray,
    points: np.ndarray,
    degree: int,
    envelope: np.ndarray,
    scale: float = 1.0,
    extra_degree: int = 8,
) -> np.ndarray:
    r"""Correct the stencils of :math:`\partial_x^{n-k}\partial_y^k` (``k = 0..n``) to be
    consistent, and isotropic together, up to degree ``n + extra_degree``.

    Returns the family :math:`w_k` closest to the given :math:`w_{0,k}` in the norm
    :math:`\sum_k \sum_p (w_k - w_{0,k})^2 / e(p)` (``e`` = ``envelope``) such that, for every
    ``k`` with :math:`\alpha = (n - k, k)`:

    * the moments of degree :math:`\le n + 1` equal ``scale`` :math:`\cdot\,\partial^\alpha
      m(0)` (consistency), and
    * the moments of degree :math:`n + 2j \le n +` ``extra_degree`` equal
      :math:`c_j\, \partial^\alpha \Delta^j m(0)`, with one free :math:`c_j` **shared by the
      whole family**,

    among the monomials that the points tell apart (:func:`grid_monomials`). The shared
    :math:`c_j` make the family act as the derivatives of one rotation-invariant smoothing at
    those orders: a rotation mixes the derivatives of order ``n`` (e.g. 45 degrees turns
    :math:`\partial_x^2 - \partial_y^2` into a multiple of :math:`\partial_x\partial_y`), so
    stencils that are each isotropic but smooth by different amounts are still not equivariant.
    The correction is a linear map that commutes with every symmetry of the points that maps
    ``envelope`` to itself, so equivariance under those symmetries is kept.

    Args:
        stencils: ``(n + 1, P)`` stencils, row ``k`` for :math:`\partial_x^{n-k}\partial_y^k`.
        points: ``(P, 2)`` their points.
        degree: the derivative order ``n``.
        envelope: ``(P,)`` positive weights: where the correction may act.
        scale: the factor of the exact moments (e.g. ``-1`` for a sign convention).
        extra_degree: how far beyond ``n`` the moments are made isotropic (default 8: degrees
            ``n + 2`` to ``n + 8``, as far as the points tell them apart).

    Returns:
        float64 array ``(n + 1, P)``.

    Example:
        >>> from e2_steerable._vendor import grid
        >>> pts = grid.kernel_grid(5)
        >>> gauss = np.exp(-(pts**2).sum(1) / 8) / (8 * np.pi)  # sigma = 2, cut off at radius 2
        >>> round(float(gauss.sum()), 3)  # the cut-off Gaussian has lost mass
        0.63
        >>> w = isotropic_correction(gauss[None], pts, 0, gauss**2)
        >>> round(float(w[0].sum()), 12)  # a unit-mass smoothing again
        1.0
    """
    if isinstance(extra_degree, bool) or not isinstance(extra_degree, int) or extra_degree < 0:
        raise ValueError(f"extra_degree: expected an int >= 0, got {extra_degree!r}")
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    monos = grid_monomials(pts, degree + max(extra_degree, 1))
    h = float(np.abs(pts).max()) or 1.0  # rescale the monomials for conditioning
    row_scale = np.array([h ** -(a + b) for a, b in monos])
    basis = moments(np.eye(pts.shape[0]), pts, monos).T * row_scale[:, None]  # (M, P)
    env = np.asarray(envelope, dtype=np.float64)
    # floored: moments dominated by points where the envelope underflows stay reachable
    root = np.sqrt(np.maximum(env, 1e-12 * env.max()))
    out = np.array(stencils, dtype=np.float64, copy=True)
    family = [(degree - k, k) for k in range(degree + 1)]
    powers = range(1, extra_degree // 2 + 1)
    # stencil k moves by root * u_k with (basis root) u_k = residual_k + sum_j c_j free_kj
    residual = [
        scale * derivative_moments(a, monos) * row_scale - basis @ w for a, w in zip(family, out)
    ]
    free = [[laplacian_power_moments(a, j, monos) * row_scale for j in powers] for a in family]
    columns = np.stack([*residual, *(f for row in free for f in row)], axis=1)
    solved = np.linalg.lstsq(basis * root, columns, rcond=None)[0]  # min-norm u per column
    n_st, n_free = len(family), len(powers)
    base = solved[:, :n_st]  # (P, K): the steps for c = 0
    gain = solved[:, n_st:].reshape(pts.shape[0], n_st, n_free)  # (P, K, J): per unit c_j
    if n_free:
        # the shared c minimising the total squared step sum_k |u_k|^2
        shared = np.linalg.lstsq(
            gain.transpose(1, 0, 2).reshape(-1, n_free),
            -base.T.reshape(-1),
            rcond=None,
        )[0]
        base = base + gain @ shared
    out += (root[:, None] * base).T
    return out
