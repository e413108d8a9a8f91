"""Homogeneous polynomials in ``(x, y)``, stored as coefficient vectors.

A homogeneous polynomial of degree ``n`` is the vector ``c`` of length ``n + 1`` with
:math:`P(x, y) = \\sum_k c_k x^{n-k} y^k`. Replacing ``x, y`` by :math:`\\partial_x, \\partial_y`
turns it into a homogeneous partial differential operator. The functions accept a leading batch
of such vectors (``(..., n + 1)``).
"""

from __future__ import annotations

from math import comb

import numpy as np

__all__ = [
    "display_diffop",
    "homogenized_cheby",
    "laplacian_power",
    "multiply_polynomials",
    "rotated_power",
    "transform_polynomial",
]


def laplacian_power(power: int) -> np.ndarray:
    """Coefficients of :math:`(x^2 + y^2)^p` (the ``p``-th power of the Laplacian).

    Example:
        >>> laplacian_power(2).tolist()
        [1.0, 0.0, 2.0, 0.0, 1.0]
    """
    if power < 0:
        raise ValueError(f"power: expected an int >= 0, got {power}")
    out = np.zeros(2 * power + 1)
    out[::2] = [comb(power, q) for q in range(power + 1)]
    return out


def rotated_power(mu: int, phase: float) -> tuple[np.ndarray, np.ndarray]:
    """Real and imaginary parts of :math:`e^{i\\varphi} (x + i\\,\\mathrm{sign}(\\mu) y)^{|\\mu|}`.

    In polar coordinates these are :math:`r^{|\\mu|}\\cos(\\mu\\theta + \\varphi)` and
    :math:`r^{|\\mu|}\\sin(\\mu\\theta + \\varphi)`: the polynomial counterparts of the angular
    solutions of the kernel constraint.

    Example:
        >>> re, im = rotated_power(2, 0.0)  # x^2 - y^2 and 2xy
        >>> re.tolist(), im.tolist()
        ([1.0, 0.0, -1.0], [0.0, 2.0, 0.0])
    """
    m = abs(int(mu))
    sign = 1.0 if mu >= 0 else -1.0
    k = np.arange(m + 1)
    binom = np.array([comb(m, int(j)) for j in k], dtype=np.float64)
    # (i * sign)^k rotated by the phase: angle k*sign*pi/2 + phase
    angle = k * sign * (np.pi / 2) + phase
    re = binom * _clean(np.cos(angle))
    im = binom * _clean(np.sin(angle))
    return re, im


def _clean(values: np.ndarray) -> np.ndarray:
    """Snap values within 1e-15 of an integer multiple of 1/2 (exact angles) to it."""
    snapped = np.round(values * 2) / 2
    return np.where(np.abs(values - snapped) < 1e-14, snapped, values) + 0.0  # no -0.0


def homogenized_cheby(n: int, kind: str = "t") -> np.ndarray:
    """Homogenised Chebyshev polynomials: :math:`\\mathrm{Re}(x+iy)^n` (``"t"``) or the
    imaginary part (``"u"``, times ``sign(n)``), of degree ``|n|``.

    Example:
        >>> homogenized_cheby(3, "t").tolist(), homogenized_cheby(3, "u").tolist()
        ([1.0, 0.0, -3.0, 0.0], [0.0, 3.0, 0.0, -1.0])
    """
    kind = kind.lower()
    if kind not in ("t", "u"):
        raise ValueError(f"kind: expected 't' or 'u', got {kind!r}")
    re, im = rotated_power(n, 0.0)
    return re if kind == "t" else im


def multiply_polynomials(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product of two homogeneous polynomials (the convolution of their coefficients).

    Example:
        >>> multiply_polynomials(np.array([1.0, 1.0]), np.array([1.0, -1.0])).tolist()
        [1.0, 0.0, -1.0]
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.zeros((*a.shape[:-1], a.shape[-1] + b.shape[-1] - 1))
    for j in range(b.shape[-1]):
        out[..., j : j + a.shape[-1]] += a * b[..., j : j + 1]
    return out


def transform_polynomial(coefficients: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Coefficients of :math:`P(A^T v)` for ``v = (x, y)``, i.e. ``x -> A00 x + A10 y``,
    ``y -> A01 x + A11 y``. For a rotation :math:`A = R(\\alpha)` this rotates ``P`` by
    :math:`\\alpha` (:math:`P_\\alpha(v) = P(R(-\\alpha) v)`).

    Args:
        coefficients: ``(..., n + 1)``.
        matrix: ``(2, 2)``.

    Example:
        >>> R = np.array([[0.0, -1.0], [1.0, 0.0]])  # rotation by 90 degrees
        >>> transform_polynomial(np.array([1.0, 0.0]), R).round(12).tolist()  # x -> y
        [0.0, 1.0]
    """
    c = np.asarray(coefficients, dtype=np.float64)
    n = c.shape[-1] - 1
    a = np.asarray(matrix, dtype=np.float64)
    x_new = np.array([a[0, 0], a[1, 0]])
    y_new = np.array([a[0, 1], a[1, 1]])
    x_pows = [np.ones(1)]
    y_pows = [np.ones(1)]
    for _ in range(n):
        x_pows.append(multiply_polynomials(x_pows[-1], x_new))
        y_pows.append(multiply_polynomials(y_pows[-1], y_new))
    out = np.zeros_like(c)
    for k in range(n + 1):
        term = multiply_polynomials(x_pows[n - k], y_pows[k])
        out = out + c[..., k : k + 1] * term
    return out


def display_diffop(coefficients: np.ndarray, precision: int = 3) -> str:
    """A readable form of a homogeneous operator, with ``x``/``y`` standing for the partials.

    Example:
        >>> display_diffop(np.array([1.0, 0.0, 1.0]))
        'x^2 + y^2'
    """
    c = np.asarray(coefficients, dtype=np.float64)
    n = c.shape[-1] - 1
    terms = []
    for k, value in enumerate(c):
        if abs(value) < 10.0**-precision:
            continue
        mono = "".join(f"{v}^{e}" if e > 1 else v for v, e in (("x", n - k), ("y", k)) if e > 0)
        mag = abs(value)
        coeff = "" if (abs(mag - 1.0) < 1e-12 and mono) else f"{round(mag, precision):g}"
        sign = "-" if value < 0 else "+"
        terms.append((sign, coeff + mono))
    if not terms:
        return "0"
    text = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    for sign, body in terms[1:]:
        text += f" {sign} {body}"
    return text
