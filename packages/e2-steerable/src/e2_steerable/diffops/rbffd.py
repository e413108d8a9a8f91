r"""RBF-FD stencils on numpy alone: radial basis functions with analytic derivatives.

The stencil of a derivative :math:`\partial_x^a \partial_y^b` at the origin from values at the
points :math:`s_i` solves the augmented system (Fornberg & Flyer, *A Primer on Radial Basis
Functions*, 2015)

.. math::
    \begin{pmatrix} A & P \\ P^T & 0 \end{pmatrix} \begin{pmatrix} w \\ \lambda \end{pmatrix}
    = \begin{pmatrix} \partial^{(a,b)} \phi(\lVert x - s_i \rVert)|_{x=0} \\
      \partial^{(a,b)} x^p y^q |_{x=0} \end{pmatrix},

with :math:`A_{ij} = \phi(\lVert s_i - s_j \rVert)` and :math:`P` the monomials of total degree at
most the polynomial order (by default the derivative order, capped by the number of points), so
the weights differentiate those polynomials exactly. The same defaults as
``rbf.pde.fd.weight_matrix`` of treverhines/RBF (shape parameter 1, same names and formulas), so
the stencils agree with it to rounding error wherever both are defined.

Every RBF is written :math:`\phi(r) = g(r^2)`; mixed derivatives follow from the derivatives of
``g`` by :math:`\partial_x^a g(x^2 + \dots) = \sum_k \frac{a!}{k!(a-2k)!}(2x)^{a-2k}
g^{(a-k)}`. Where a derivative does not exist at the stencil centre (a polyharmonic spline or a
Matérn/Wendland/exponential RBF that is not smooth enough there), a :class:`ValueError` says so
instead of returning the one-sided limit, ``nan`` or ``inf`` that treverhines/RBF gives. A
singular or non-finite system is a :class:`ValueError` too. e2cnn's warning for weights above 100
is not reproduced: high-order stencils legitimately have large weights (finite differences for
:math:`\partial_x^3 \partial_y^3` on 7x7 points reach 100, Gaussian RBF-FD of order 6 about 230).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["RBF_NAMES", "RadialFunction", "get_rbf", "max_poly_order", "rbf_fd_weights"]


def _falling(p: float, j: int) -> float:
    out = 1.0
    for i in range(j):
        out *= p - i
    return out


def _series_exp(c: float, j_max: int) -> np.ndarray:
    """Taylor coefficients of exp(c d) in d."""
    return np.array([c**j / math.factorial(j) for j in range(j_max + 1)])


def _mul(a: np.ndarray, b: np.ndarray, j_max: int) -> np.ndarray:
    """Truncated product of power series along the last axis."""
    out = np.zeros((*np.broadcast_shapes(a.shape[:-1], b.shape[:-1]), j_max + 1))
    for j in range(j_max + 1):
        for i in range(j + 1):
            out[..., j] += a[..., i] * b[..., j - i]
    return out


@dataclass(frozen=True)
class RadialFunction:
    """A radial basis function :math:`\\phi(r)` with shape parameter :math:`\\varepsilon`.

    Attributes:
        name: the treverhines/RBF abbreviation (``"ga"``, ``"phs3"``, ...).
        kind: ``"exp_s"`` (:math:`C e^{\\kappa \\varepsilon^q r^2}`), ``"pow_s"``
            (:math:`C (1 + \\varepsilon^2 r^2)^p`), ``"phs"`` (polyharmonic spline of degree
            ``k``) or ``"poly_exp_r"`` (:math:`Q(r/\\varepsilon) e^{-c r/\\varepsilon}`, cut off at
            :math:`r = \\varepsilon` when ``compact``).
        params: the constants of the formula.
        cpd_order: the order of conditional positive definiteness (as in treverhines/RBF).
    """

    name: str
    kind: str
    params: tuple
    cpd_order: int = 0

    # --------------------------------------------------------------- derivatives of g(s)
    def g_derivatives(self, s: np.ndarray, eps: float, j_max: int) -> np.ndarray:
        """:math:`g^{(j)}(s)` for ``j = 0..j_max`` at ``s = r^2 > 0``: array ``(j_max + 1, N)``."""
        s = np.asarray(s, dtype=np.float64)
        out = np.empty((j_max + 1, *s.shape))
        if self.kind == "exp_s":
            scale, kappa_fn = self.params
            kappa = kappa_fn(eps)
            base = scale * np.exp(kappa * s)
            for j in range(j_max + 1):
                out[j] = kappa**j * base
        elif self.kind == "pow_s":
            scale, p = self.params
            u = 1.0 + eps**2 * s
            for j in range(j_max + 1):
                out[j] = scale * _falling(p, j) * eps ** (2 * j) * u ** (p - j)
        elif self.kind == "phs":
            scale, k = self.params
            half = k / 2
            if k % 2:  # C (eps r)^k = C eps^k s^(k/2)
                for j in range(j_max + 1):
                    out[j] = scale * eps**k * _falling(half, j) * s ** (half - j)
            else:  # C eps^k s^m (log(s)/2 + log(eps))
                m = k // 2
                log_term = 0.5 * np.log(s) + math.log(eps)
                for j in range(j_max + 1):
                    total = _falling(m, j) * s ** (m - j) * log_term
                    for i in range(1, j + 1):
                        dv = 0.5 * (-1) ** (i - 1) * math.factorial(i - 1) * s ** (-float(i))
                        total = total + math.comb(j, i) * _falling(m, j - i) * s ** (m - j + i) * dv
                    out[j] = scale * eps**k * total
        else:  # poly_exp_r: f(r) = Q(r/eps) exp(-c r/eps), composed with r = sqrt(s)
            out[:] = self._poly_exp_g_derivatives(s, eps, j_max)
        return out

    def _r_taylor(self, r0: np.ndarray, eps: float, j_max: int) -> np.ndarray:
        """Taylor coefficients of f(r0 + d) in d: ``(N, j_max + 1)``."""
        q_coeffs, c, compact = self.params  # Q as ascending coefficients in u = r/eps
        q = np.polynomial.Polynomial(q_coeffs)
        u0 = r0 / eps
        derivs = [q]
        for _ in range(j_max):
            derivs.append(derivs[-1].deriv())
        q_series = np.stack(
            [derivs[j](u0) / math.factorial(j) / eps**j for j in range(j_max + 1)], axis=-1
        )
        e_series = _series_exp(-c / eps, j_max)[None, :] * np.exp(-c * u0)[:, None]
        f = _mul(q_series, e_series, j_max)
        if compact:
            f = f * (u0 < 1.0)[:, None]
        return f

    def _poly_exp_g_derivatives(self, s: np.ndarray, eps: float, j_max: int) -> np.ndarray:
        flat = s.reshape(-1)
        r0 = np.sqrt(flat)
        f = self._r_taylor(r0, eps, j_max)
        # d(t) = sqrt(s0 + t) - r0 = r0 * sum_{j>=1} binom(1/2, j) (t/s0)^j
        d = np.zeros((flat.shape[0], j_max + 1))
        for j in range(1, j_max + 1):
            d[:, j] = r0 * (_falling(0.5, j) / math.factorial(j)) * flat ** (-float(j))
        composed = np.zeros_like(d)
        composed[:, 0] = f[:, j_max]
        for m in range(j_max - 1, -1, -1):  # Horner: F = f_m + d * F
            composed = _mul(composed, d, j_max)
            composed[:, 0] += f[:, m]
        factorials = np.array([math.factorial(j) for j in range(j_max + 1)], dtype=np.float64)
        return (composed * factorials).T.reshape((j_max + 1, *s.shape))

    # --------------------------------------------------------------- values and partials
    def _centre_taylor(self, eps: float, order: int) -> np.ndarray:
        """Taylor coefficients of f(r) at r = 0 up to ``order`` (``inf`` marks a log term)."""
        coeffs = np.zeros(order + 1)
        if self.kind in ("exp_s", "pow_s"):
            g = self.g_derivatives(np.zeros(1), eps, order // 2)[:, 0]
            for q in range(order // 2 + 1):
                coeffs[2 * q] = g[q] / math.factorial(q)
        elif self.kind == "phs":
            _scale, k = self.params
            if k <= order:
                coeffs[k] = np.inf  # r^k (log r): not differentiable k times at the centre
        else:
            coeffs[:] = self._r_taylor(np.zeros(1), eps, order)[0]
        return coeffs

    def partial(self, points: np.ndarray, a: int, b: int, eps: float = 1.0) -> np.ndarray:
        """:math:`\\partial_x^a \\partial_y^b \\phi(\\lVert p \\rVert)` at ``points`` ``(N, 2)``.

        Raises:
            ValueError: if the derivative does not exist at a point at the origin.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        x, y = pts[:, 0], pts[:, 1]
        s = x * x + y * y
        at_centre = s == 0.0
        out = np.zeros(pts.shape[0])
        n = a + b
        if (~at_centre).any():
            xs, ys, ss = x[~at_centre], y[~at_centre], s[~at_centre]
            g = self.g_derivatives(ss, eps, n)
            total = np.zeros(ss.shape)
            for k in range(a // 2 + 1):
                ck = math.factorial(a) / (math.factorial(k) * math.factorial(a - 2 * k))
                for m in range(b // 2 + 1):
                    cm = math.factorial(b) / (math.factorial(m) * math.factorial(b - 2 * m))
                    total += (
                        ck * cm * (2 * xs) ** (a - 2 * k) * (2 * ys) ** (b - 2 * m) * g[n - k - m]
                    )
            out[~at_centre] = total
        if at_centre.any():
            out[at_centre] = self._centre_partial(a, b, eps)
        return out

    def _centre_partial(self, a: int, b: int, eps: float) -> float:
        n = a + b
        taylor = self._centre_taylor(eps, n)
        scale = max(1.0, float(np.max(np.abs(taylor[np.isfinite(taylor)]), initial=0.0)))
        bad = [
            m
            for m in range(n + 1)
            if (not np.isfinite(taylor[m])) or (m % 2 == 1 and abs(taylor[m]) > 1e-12 * scale)
        ]
        if bad:
            raise ValueError(
                f"radial_basis_function: {self.name!r} has no derivative of order {n} at the "
                f"stencil centre (it is only {bad[0] - 1 if bad[0] > 0 else 0} times "
                "differentiable there); use a smoother RBF such as 'ga', 'imq', 'iq', 'mq' or a "
                f"polyharmonic spline of degree > {n} (e.g. 'phs{n + 1 if n % 2 == 0 else n + 2}')"
            )
        if n % 2 or a % 2:
            return 0.0
        q = n // 2
        return float(taylor[n] * math.factorial(a) * math.factorial(b) * math.comb(q, a // 2))

    def __call__(self, points: np.ndarray, eps: float = 1.0) -> np.ndarray:
        """:math:`\\phi(\\lVert p \\rVert)` at ``points`` ``(N, 2)``."""
        return self.partial(points, 0, 0, eps)


def _wendland(poly_in_one_minus_u: int, extra: list[float]) -> tuple:
    q = np.polynomial.Polynomial([1.0, -1.0]) ** poly_in_one_minus_u
    q = q * np.polynomial.Polynomial(extra)
    return (tuple(q.coef.tolist()), 0.0, True)


_S3, _S5 = math.sqrt(3.0), math.sqrt(5.0)
_RBFS: dict[str, RadialFunction] = {
    "ga": RadialFunction("ga", "exp_s", (1.0, lambda e: -(e**2))),
    "se": RadialFunction("se", "exp_s", (1.0, lambda e: -1.0 / (2.0 * e**2))),
    "iq": RadialFunction("iq", "pow_s", (1.0, -1.0)),
    "imq": RadialFunction("imq", "pow_s", (1.0, -0.5)),
    "mq": RadialFunction("mq", "pow_s", (-1.0, 0.5), cpd_order=1),
    "phs1": RadialFunction("phs1", "phs", (-1.0, 1), cpd_order=1),
    "phs2": RadialFunction("phs2", "phs", (1.0, 2), cpd_order=2),
    "phs3": RadialFunction("phs3", "phs", (1.0, 3), cpd_order=2),
    "phs4": RadialFunction("phs4", "phs", (-1.0, 4), cpd_order=3),
    "phs5": RadialFunction("phs5", "phs", (-1.0, 5), cpd_order=3),
    "phs6": RadialFunction("phs6", "phs", (1.0, 6), cpd_order=4),
    "phs7": RadialFunction("phs7", "phs", (1.0, 7), cpd_order=4),
    "phs8": RadialFunction("phs8", "phs", (-1.0, 8), cpd_order=5),
    "exp": RadialFunction("exp", "poly_exp_r", ((1.0,), 1.0, False)),
    "mat32": RadialFunction("mat32", "poly_exp_r", ((1.0, _S3), _S3, False)),
    "mat52": RadialFunction("mat52", "poly_exp_r", ((1.0, _S5, 5.0 / 3.0), _S5, False)),
    "wen10": RadialFunction("wen10", "poly_exp_r", _wendland(1, [1.0])),
    "wen11": RadialFunction("wen11", "poly_exp_r", _wendland(3, [1.0, 3.0])),
    "wen12": RadialFunction("wen12", "poly_exp_r", _wendland(5, [1.0, 5.0, 8.0])),
    "wen30": RadialFunction("wen30", "poly_exp_r", _wendland(2, [1.0])),
    "wen31": RadialFunction("wen31", "poly_exp_r", _wendland(4, [1.0, 4.0])),
    "wen32": RadialFunction("wen32", "poly_exp_r", _wendland(6, [1.0, 6.0, 35.0 / 3.0])),
}
# the sparse Wendland variants of treverhines/RBF differ only in their storage format
for _n in ("10", "11", "12", "30", "31", "32"):
    _base = _RBFS["wen" + _n]
    _RBFS["spwen" + _n] = RadialFunction("spwen" + _n, _base.kind, _base.params, _base.cpd_order)

#: Every RBF name accepted (those of treverhines/RBF's ``rbf.basis``).
RBF_NAMES: tuple[str, ...] = tuple(sorted(_RBFS))


def get_rbf(name: str) -> RadialFunction:
    """The radial basis function with this treverhines/RBF abbreviation.

    Example:
        >>> phi = get_rbf("ga")
        >>> float(phi(np.array([[1.0, 0.0]]))[0])  # exp(-1)
        0.36787944117144233
    """
    if not isinstance(name, str) or name not in _RBFS:
        raise ValueError(
            f"radial_basis_function: unknown RBF {name!r}; expected one of {', '.join(RBF_NAMES)}"
        )
    return _RBFS[name]


def max_poly_order(num_points: int) -> int:
    """The largest total degree whose 2-D monomials (``(d+1)(d+2)/2``) fit in ``num_points``.

    Example:
        >>> max_poly_order(9), max_poly_order(25)
        (2, 5)
    """
    order = -1
    while (order + 2) * (order + 3) // 2 <= num_points:
        order += 1
    return order


def rbf_fd_weights(
    points: np.ndarray,
    diffs: list[tuple[int, int]],
    phi: str = "ga",
    eps: float = 1.0,
    order: int | None = None,
    monomials: list[tuple[int, int]] | None = None,
) -> np.ndarray:
    """RBF-FD weights at the origin for each derivative in ``diffs`` (one row each).

    Args:
        points: ``(P, 2)`` stencil points.
        diffs: derivative orders ``(a, b)`` for :math:`\\partial_x^a \\partial_y^b`.
        phi: the RBF's name (see :data:`~e2_steerable.diffops.RBF_NAMES`).
        eps: its shape parameter.
        order: degree of the polynomial augmentation (default: the largest total derivative
            order in ``diffs``, capped by ``max_poly_order``).
        monomials: the exponents ``(a, b)`` of the augmenting monomials :math:`x^a y^b`
            (instead of all those of total degree ``<= order``).

    Returns:
        float64 array ``(len(diffs), P)``.

    Raises:
        ValueError: for an unknown RBF, a polynomial order the stencil cannot hold, a derivative
            the RBF does not have at the centre, or a singular system.

    Example:
        >>> from e2_steerable._vendor import grid
        >>> w = rbf_fd_weights(grid.kernel_grid(3), [(2, 0)], phi="phs3")
        >>> float(w[0] @ (grid.kernel_grid(3)[:, 0] ** 2))  # d^2/dx^2 x^2 = 2, exactly
        2.0
    """
    rbf = get_rbf(phi)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    p = pts.shape[0]
    cap = max_poly_order(p)
    if order is None:
        order = min(max(a + b for a, b in diffs), cap)
    if monomials is not None:
        powers = [(int(a), int(b)) for a, b in monomials]
        if len(powers) > p:
            raise ValueError(
                f"monomials: {len(powers)} augmenting monomials need as many points, the stencil "
                f"has {p}"
            )
    elif order > cap:
        raise ValueError(
            f"order: polynomial order {order} needs {(order + 1) * (order + 2) // 2} points, the "
            f"stencil has {p}"
        )
    else:
        powers = [(i - j, j) for i in range(order + 1) for j in range(i + 1)]
    diff_pts = pts[:, None, :] - pts[None, :, :]
    a_mat = rbf(diff_pts.reshape(-1, 2), eps).reshape(p, p)
    mono = np.stack([pts[:, 0] ** i * pts[:, 1] ** j for i, j in powers], axis=1)
    n_m = len(powers)
    lhs = np.block([[a_mat, mono], [mono.T, np.zeros((n_m, n_m))]])
    rhs = np.zeros((p + n_m, len(diffs)))
    for col, (a, b) in enumerate(diffs):
        rhs[:p, col] = rbf.partial(-pts, a, b, eps)
        for row, pw in enumerate(powers):
            if pw == (a, b):
                rhs[p + row, col] = math.factorial(a) * math.factorial(b)
    try:
        sol = np.linalg.solve(lhs, rhs)
    except np.linalg.LinAlgError as err:
        raise ValueError(
            f"radial_basis_function: the RBF-FD system for {phi!r} on {p} points is singular; "
            "use another RBF (e.g. 'ga' or 'phs3') or a larger kernel"
        ) from err
    weights = sol[:p].T
    if not np.isfinite(weights).all():
        raise ValueError(
            f"radial_basis_function: the RBF-FD stencil for {phi!r} on {p} points is not finite"
        )
    return np.ascontiguousarray(weights)
