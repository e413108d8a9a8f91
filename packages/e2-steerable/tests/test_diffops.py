"""Steerable PDO bases and their discretisations: FD, Gaussian derivatives, RBF-FD, cache."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from e2_steerable import diffops, gspaces
from e2_steerable._vendor import grid
from e2_steerable.diffops import (
    RBF_NAMES,
    DiscretizationArgs,
    OrderFilter,
    fornberg_weights,
    get_rbf,
    monomial_stencils,
    rbf_fd_weights,
)
from e2_steerable.diffops.moments import (
    derivative_moments,
    grid_monomials,
    laplacian_power_moments,
    moments,
)
from e2_steerable.diffops.polynomials import rotated_power, transform_polynomial


# ----------------------------------------------------------------------------- polynomials
@pytest.mark.parametrize("mu", [-3, -1, 0, 2, 4])
@pytest.mark.parametrize("phase", [0.0, math.pi / 2, 0.3])
def test_rotated_power_is_polar_form(mu: int, phase: float) -> None:
    re, im = rotated_power(mu, phase)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 20))
    n = abs(mu)
    mono = np.stack([x ** (n - k) * y**k for k in range(n + 1)])
    r, theta = np.hypot(x, y), np.arctan2(y, x)
    np.testing.assert_allclose(re @ mono, r**n * np.cos(mu * theta + phase), atol=1e-12)
    np.testing.assert_allclose(im @ mono, r**n * np.sin(mu * theta + phase), atol=1e-12)


def test_transform_polynomial_rotates() -> None:
    c = np.array([1.0, 2.0, -0.5, 3.0])
    a = 0.7
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    rng = np.random.default_rng(1)
    v = rng.normal(size=(2, 10))
    w = rot.T @ v  # P(R(-a) v)

    def ev(coef: np.ndarray, pts: np.ndarray) -> np.ndarray:
        return sum(coef[k] * pts[0] ** (3 - k) * pts[1] ** k for k in range(4))

    np.testing.assert_allclose(ev(transform_polynomial(c, rot), v), ev(c, w), atol=1e-12)


# ----------------------------------------------------------------------------- FD
def test_fornberg_matches_sympy() -> None:
    sympy_fd = pytest.importorskip("sympy.calculus.finite_diff")
    for n in range(1, 8):
        pts = [i - (n - 1) / 2 for i in range(n)]
        for m in range(n):
            ref = np.array(sympy_fd.finite_diff_weights(m, pts, 0)[-1][-1], dtype=float)
            np.testing.assert_allclose(fornberg_weights(m, pts), ref, atol=1e-12, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=1, max_size=7, unique=True),
    st.data(),
)
def test_fornberg_exact_on_polynomials(points: list[float], data: st.DataObject) -> None:
    x = np.sort(np.array(points))
    assume(x.size == 1 or np.diff(x).min() > 0.1)
    m = data.draw(st.integers(0, x.size - 1))
    w = fornberg_weights(m, x)
    for q in range(x.size):
        exact = math.factorial(m) if q == m else 0.0
        scale = np.abs(w * x**q).sum() + 1.0
        assert abs(w @ x**q - exact) <= 1e-9 * scale


@pytest.mark.parametrize("k", [3, 5, 7])
def test_fd_stencils_exact_on_polynomials(k: int) -> None:
    pts = grid.kernel_grid(k, 2)  # dilated grid: spacing 2
    disc = DiscretizationArgs()
    for n in range(k):
        stencils = monomial_stencils(pts, n, disc)
        for a in range(k):  # every monomial x^a y^b with a, b < k is differentiated exactly
            for b in range(k):
                values = pts[:, 0] ** a * pts[:, 1] ** b
                for j in range(n + 1):
                    da, db = n - j, j
                    exact = math.factorial(a) * math.factorial(b) if (a, b) == (da, db) else 0.0
                    assert stencils[j] @ values == pytest.approx(exact, abs=1e-9)


def _smooth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sin(0.9 * x + 0.3) * np.cos(0.7 * y - 0.2) + 0.1 * np.exp(0.5 * x * y)


def _smooth_derivative(da: int, db: int) -> float:
    import sympy

    x, y = sympy.symbols("x y")
    f = sympy.sin(0.9 * x + 0.3) * sympy.cos(0.7 * y - 0.2) + 0.1 * sympy.exp(0.5 * x * y)
    return float(sympy.diff(f, x, da, y, db).subs({x: 0, y: 0}))


@pytest.mark.parametrize(
    ("disc", "k", "expected"),
    [
        (DiscretizationArgs(), 5, 2.0),  # order 2 derivatives on 5 points: accuracy 4
        (DiscretizationArgs(), 3, 2.0),
        (DiscretizationArgs("rbffd", phi="phs5"), 5, 2.0),
    ],
)
def test_convergence_order(disc: DiscretizationArgs, k: int, expected: float) -> None:
    pytest.importorskip("sympy")
    errors = []
    hs = [0.2, 0.1, 0.05]
    for h in hs:
        pts = grid.kernel_grid(k) * h
        st = monomial_stencils(pts, 2, disc)
        values = _smooth(pts[:, 0], pts[:, 1])
        err = max(abs(st[j] @ values - _smooth_derivative(2 - j, j)) for j in range(3))
        errors.append(err)
    rates = [math.log2(errors[i] / errors[i + 1]) for i in range(len(hs) - 1)]
    assert min(rates) >= expected - 0.3, (errors, rates)


def test_fd_rejects_bad_points_and_orders() -> None:
    with pytest.raises(ValueError, match="rectangular grid"):
        monomial_stencils(np.random.default_rng(0).normal(size=(9, 2)), 1, DiscretizationArgs())
    with pytest.raises(ValueError, match="maximum_order"):
        monomial_stencils(grid.kernel_grid(3), 3, DiscretizationArgs())
    with pytest.raises(ValueError, match="order 3 needs at least 4 points"):
        fornberg_weights(3, [0.0, 1.0, 2.0])


# ----------------------------------------------------------------------------- Gaussian
def test_gaussian_std_mode_is_derivative_of_smoothed_input() -> None:
    sigma = 1.0
    disc = DiscretizationArgs("gauss", smoothing=sigma)
    pts = grid.kernel_grid(17)
    st0 = monomial_stencils(pts, 0, disc)
    st2 = monomial_stencils(pts, 2, disc)
    assert st0[0].sum() == pytest.approx(1.0, abs=1e-6)  # unit mass
    # G * x^2 = x^2 + sigma^2: value at 0 is sigma^2, second x-derivative 2
    x2 = pts[:, 0] ** 2
    assert st0[0] @ x2 == pytest.approx(sigma**2, abs=1e-5)
    assert st2[0] @ x2 == pytest.approx(2.0, abs=1e-5)
    assert st2[1] @ (pts[:, 0] * pts[:, 1]) == pytest.approx(1.0, abs=1e-5)


def test_gaussian_e2cnn_mode_matches_rbf(rbf_lambdify: object) -> None:
    basis = rbf_lambdify
    phi = basis.get_rbf("ga")
    sigma = 1.3
    pts = grid.kernel_grid(5)
    for n in range(5):
        ours = monomial_stencils(
            pts, n, DiscretizationArgs("gauss", sigma, smoothing_mode="e2cnn", isotropic=False)
        )
        for j in range(n + 1):
            ref = phi(pts, np.zeros((1, 2)), eps=1 / sigma**2, diff=(n - j, j))[:, 0]
            np.testing.assert_allclose(ours[j], ref, atol=1e-12)


def _isotropy_defect(w: np.ndarray, pts: np.ndarray, alpha: tuple[int, int], deg: int) -> float:
    """Distance of the degree-``deg`` moments of ``w`` from the multiples of the moments of
    :math:`\\partial^\\alpha \\Delta^j` (relative to the moments' size)."""
    monos = [m for m in grid_monomials(pts, deg) if sum(m) == deg]
    if not monos:  # no moment of this degree on this grid
        return 0.0
    mom = moments(w, pts, monos)
    j = (deg - sum(alpha)) // 2
    v = laplacian_power_moments(alpha, j, monos)
    if not np.any(v):
        return float(np.abs(mom).max())
    coeff = (mom @ v) / (v @ v)
    return float(np.abs(mom - coeff * v).max() / max(1.0, np.abs(mom).max()))


def _shared_isotropy_defect(w: np.ndarray, pts: np.ndarray, deg: int) -> float:
    r"""Like :func:`_isotropy_defect`, for the family ``w`` of every derivative of order
    ``n = len(w) - 1`` at once: one multiple of :math:`\partial^\alpha \Delta^j` for all of them
    (the same rotation-invariant smoothing)."""
    n = len(w) - 1
    monos = [m for m in grid_monomials(pts, deg) if sum(m) == deg]
    if not monos:
        return 0.0
    mom = np.concatenate([moments(w[j], pts, monos) for j in range(n + 1)])
    v = np.concatenate(
        [laplacian_power_moments((n - j, j), (deg - n) // 2, monos) for j in range(n + 1)]
    )
    coeff = (mom @ v) / (v @ v) if np.any(v) else 0.0
    return float(np.abs(mom - coeff * v).max() / max(1.0, np.abs(mom).max()))


@pytest.mark.filterwarnings("ignore::e2_steerable.diffops.SmoothingTruncationWarning")
@pytest.mark.parametrize("k", [3, 5, 7])
@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_isotropic_gauss_moments_are_exact_then_isotropic(k: int, sigma: float) -> None:
    """The corrected stencils differentiate polynomials up to degree n + 1 exactly, and their
    moments of degree n + 2 and n + 4 are those of a rotation-invariant operator, the same for
    every derivative of order n."""
    pts = grid.kernel_grid(k)
    raw = DiscretizationArgs("gauss", sigma, isotropic=False)
    iso = DiscretizationArgs("gauss", sigma)
    assert iso.is_isotropic
    assert not raw.is_isotropic
    for n in range(k):
        w = monomial_stencils(pts, n, iso)
        monos = grid_monomials(pts, n + 1)
        for j in range(n + 1):
            alpha = (n - j, j)
            exact = derivative_moments(alpha, monos)
            tol = 1e-9 * (k // 2) ** (n + 1)  # moments of degree n + 1 reach (k // 2)^(n + 1)
            np.testing.assert_allclose(moments(w[j], pts, monos), exact, atol=tol)
            for extra in (2, 4, 6, 8):
                defect = _isotropy_defect(w[j], pts, alpha, n + extra)
                assert defect <= 1e-11 * (k // 2) ** (n + extra), (n, j, extra)
        for extra in (2, 4, 6, 8):  # one smoothing for every derivative of order n
            defect = _shared_isotropy_defect(w, pts, n + extra)
            assert defect <= 1e-11 * (k // 2) ** (n + extra), (n, extra)
    # the truncated Gaussian alone is neither (sigma = 2 on 5 x 5 loses a third of its mass)
    if k == 5 and sigma == 2.0:
        assert monomial_stencils(pts, 0, raw)[0].sum() < 0.7
        assert _shared_isotropy_defect(monomial_stencils(pts, 2, raw), pts, 4) > 0.01


def test_isotropic_gauss_changes_truncated_stencils_only() -> None:
    pts = grid.kernel_grid(17)
    for n in range(3):  # a Gaussian of std 1 on 17 x 17 is hardly truncated: little to correct
        raw = monomial_stencils(pts, n, DiscretizationArgs("gauss", 1.0, isotropic=False))
        iso = monomial_stencils(pts, n, DiscretizationArgs("gauss", 1.0))
        # n + 1 exact moments: only the tails and the aliasing of the sampled Gaussian, which the
        # moments of degree up to n + 8 see (0.003 % of the peak at n = 0, 1.2 % at n = 2)
        np.testing.assert_allclose(iso, raw, atol=10.0 ** (n - 4) * 2 * np.abs(raw).max())
    pts = grid.kernel_grid(5)  # on 5 x 5 it is: the correction is large
    raw = monomial_stencils(pts, 2, DiscretizationArgs("gauss", 1.0, isotropic=False))
    iso = monomial_stencils(pts, 2, DiscretizationArgs("gauss", 1.0))
    assert np.abs(iso - raw).max() > 0.1 * np.abs(raw).max()


@settings(max_examples=20, deadline=None)
@given(
    k=st.sampled_from([3, 5, 7]),
    extra_degree=st.sampled_from([0, 2, 4, 6, 8]),
    data=st.data(),
    seed=st.integers(0, 2**31 - 1),
)
def test_isotropic_correction_properties(
    k: int, extra_degree: int, data: st.DataObject, seed: int
) -> None:
    """For any stencils and symmetric envelope: constraints met (exact moments up to degree
    n + 1, one shared isotropic smoothing up to n + extra_degree), idempotent, and commuting with
    the diagonal reflection x <-> y (which maps d_x^(n-j) d_y^j to d_x^j d_y^(n-j))."""
    n = data.draw(st.integers(0, k - 1))
    rng = np.random.default_rng(seed)
    pts = grid.kernel_grid(k)
    w0 = rng.normal(size=(n + 1, pts.shape[0]))
    width = data.draw(st.floats(0.5, 3.0))
    env = np.exp(-(pts**2).sum(1) / width**2)
    w = diffops.isotropic_correction(w0, pts, n, env, extra_degree=extra_degree)
    monos = grid_monomials(pts, n + 1)
    tol = 1e-8 * (k // 2) ** (n + extra_degree)
    for j in range(n + 1):
        exact = derivative_moments((n - j, j), monos)
        np.testing.assert_allclose(moments(w[j], pts, monos), exact, atol=tol)
    for extra in range(2, extra_degree + 1, 2):
        assert _shared_isotropy_defect(w, pts, n + extra) <= tol, extra
    again = diffops.isotropic_correction(w, pts, n, env, extra_degree=extra_degree)
    np.testing.assert_allclose(again, w, atol=tol)
    swap = np.array([int(np.flatnonzero((pts == p[::-1]).all(1))[0]) for p in pts])
    swapped = diffops.isotropic_correction(
        w0[::-1][:, swap], pts, n, env, extra_degree=extra_degree
    )
    np.testing.assert_allclose(swapped, w[::-1][:, swap], atol=tol)


def test_isotropic_correction_default_reaches_degree_n_plus_8() -> None:
    """The default makes degrees n + 6 and n + 8 isotropic too, where the grid tells them
    apart (7 x 7: up to per-axis degree 6), and ``extra_degree=4`` leaves them alone."""
    pts = grid.kernel_grid(7)
    w0 = monomial_stencils(pts, 1, DiscretizationArgs("gauss", 2.0, isotropic=False))
    env = np.exp(-(pts**2).sum(1) / 4.0)
    w = diffops.isotropic_correction(w0, pts, 1, env)
    w4 = diffops.isotropic_correction(w0, pts, 1, env, extra_degree=4)
    for extra in (6, 8):
        assert _shared_isotropy_defect(w, pts, 1 + extra) <= 1e-9
        assert _shared_isotropy_defect(w4, pts, 1 + extra) > 1e-4
    with pytest.raises(ValueError, match="extra_degree: expected an int >= 0, got -2"):
        diffops.isotropic_correction(w0, pts, 1, env, extra_degree=-2)


def test_smoothing_wider_than_the_kernel_warns() -> None:
    pts = grid.kernel_grid(3, 2)  # radius 2 px
    with pytest.warns(diffops.SmoothingTruncationWarning, match=r"std 2\.5 px.*radius 2 px"):
        monomial_stencils(pts, 1, DiscretizationArgs("gauss", 2.5))
    with pytest.warns(diffops.SmoothingTruncationWarning, match="kernel_size of 9"):
        monomial_stencils(pts, 1, DiscretizationArgs("gauss", 2.5, isotropic=False))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monomial_stencils(pts, 1, DiscretizationArgs("gauss", 2.0))  # radius = std: fine


def test_isotropic_gauss_e2cnn_mode_keeps_its_sign_and_scale() -> None:
    """e2cnn's smoothing sigma is the std-mode sigma**2 / sqrt(2), with the factor
    (-1)^n pi sigma**4; the corrected stencils keep that relation."""
    pts = grid.kernel_grid(5)
    sigma = 1.2
    for n in range(5):
        e2 = monomial_stencils(
            pts, n, DiscretizationArgs("gauss", sigma, smoothing_mode="e2cnn", isotropic=True)
        )
        std = monomial_stencils(pts, n, DiscretizationArgs("gauss", sigma**2 / math.sqrt(2)))
        np.testing.assert_allclose(e2, (-1) ** n * math.pi * sigma**4 * std, atol=1e-9)


@pytest.mark.parametrize("k", [5, 7])
@pytest.mark.parametrize("name", ["ga", "imq", "phs7"])
def test_isotropic_rbffd_is_exact_two_degrees_further(k: int, name: str) -> None:
    pts = grid.kernel_grid(k)
    disc = DiscretizationArgs("rbffd", phi=name, isotropic=True)
    for n in range(k):
        if name == "phs7" and n >= 7:
            continue
        w = monomial_stencils(pts, n, disc)
        monos = grid_monomials(pts, n + 2)
        for j in range(n + 1):
            exact = derivative_moments((n - j, j), monos)
            tol = 1e-10 * (k // 2) ** (n + 2)
            np.testing.assert_allclose(moments(w[j], pts, monos), exact, atol=tol)
    # the shape parameter scales with the grid: a dilated grid gives the same stencils
    w1 = monomial_stencils(pts, 2, disc)
    w2 = monomial_stencils(2.0 * pts, 2, disc)
    np.testing.assert_allclose(w2, w1 / 4.0, atol=1e-10)


# ----------------------------------------------------------------------------- RBF-FD
@pytest.fixture
def rbf_lambdify(monkeypatch: pytest.MonkeyPatch) -> object:
    """treverhines/RBF, made to evaluate its sympy expressions with ``lambdify``.

    By default it compiles a C ufunc per RBF and derivative (seconds each); e2cnn switched it to
    ``lambdify`` too (``set_symbolic_to_numeric_method``, gone from current releases). The
    formulas are the same, only the evaluation differs.
    """
    basis = pytest.importorskip("rbf.basis")
    sympy = pytest.importorskip("sympy")

    def lambdify_ufunc(args: tuple, expr: object, **_: object) -> object:
        func = sympy.lambdify(args, expr, modules=["numpy"])

        def call(*values: np.ndarray) -> np.ndarray:
            shape = np.broadcast_shapes(*(np.shape(v) for v in values))
            return np.array(np.broadcast_to(func(*values), shape), dtype=float)

        return call

    monkeypatch.setattr(basis, "ufuncify", lambdify_ufunc)
    for phi in basis._PREDEFINED.values():
        monkeypatch.setattr(phi, "_cache", {})
    return basis


_NOT_TWICE_DIFFERENTIABLE = {"exp", "phs1", "phs2", "wen10", "spwen10", "wen30", "spwen30"}


@pytest.mark.parametrize("name", RBF_NAMES)
def test_every_rbf_name_is_accepted_and_exact_on_polynomials(name: str) -> None:
    pts = grid.kernel_grid(5)
    rbf = get_rbf(name)
    assert rbf(np.zeros((1, 2))).shape == (1,)
    # derivatives of order <= 1 everywhere but the centre; RBF-FD of order 2 where defined
    if name in _NOT_TWICE_DIFFERENTIABLE:
        with pytest.raises(ValueError, match="no derivative of order 2"):
            rbf_fd_weights(pts, [(2, 0), (1, 1)], phi=name)
        return
    w = rbf_fd_weights(pts, [(2, 0), (1, 1)], phi=name)
    for j, (a, b) in enumerate([(2, 0), (1, 1)]):
        for p in range(3):  # polynomial augmentation of order 2: exact up to degree 2
            for q in range(3 - p):
                exact = math.factorial(a) * math.factorial(b) if (p, q) == (a, b) else 0.0
                values = pts[:, 0] ** p * pts[:, 1] ** q
                assert w[j] @ values == pytest.approx(exact, abs=1e-7)


def test_rbf_errors() -> None:
    with pytest.raises(ValueError, match="unknown RBF 'gaussian'"):
        get_rbf("gaussian")
    with pytest.raises(ValueError, match="'phs3' has no derivative of order 3"):
        rbf_fd_weights(grid.kernel_grid(5), [(3, 0)], phi="phs3")
    with pytest.raises(ValueError, match="'exp' has no derivative of order 1"):
        rbf_fd_weights(grid.kernel_grid(3), [(1, 0)], phi="exp")
    with pytest.raises(ValueError, match="polynomial order 3"):
        rbf_fd_weights(grid.kernel_grid(3), [(1, 0)], order=3)


_SMOOTH_NAMES = ["ga", "se", "iq", "imq", "mq", "phs1", "phs2", "phs3", "phs4"]


@pytest.mark.parametrize(
    "name",
    [
        *_SMOOTH_NAMES,
        "exp",
        pytest.param("mat52", marks=pytest.mark.slow),  # sympy piecewise algebra in the reference
        pytest.param("wen12", marks=pytest.mark.slow),
    ],
)
def test_rbf_partials_match_treverhines_rbf_off_centre(name: str, rbf_lambdify: object) -> None:
    basis = rbf_lambdify
    pts = np.random.default_rng(0).normal(size=(25, 2)) * 1.3
    ref_phi, ours = basis.get_rbf(name), get_rbf(name)
    for d in [(0, 0), (1, 0), (0, 2), (1, 1), (3, 1), (2, 2)]:
        ref = ref_phi(pts, np.zeros((1, 2)), eps=0.8, diff=d)
        ref = np.asarray(ref.todense() if hasattr(ref, "todense") else ref)[:, 0]
        np.testing.assert_allclose(
            ours.partial(pts, *d, eps=0.8), ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max()
        )


@pytest.mark.parametrize("k", [3, 5, pytest.param(7, marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", ["ga", "imq"])
def test_rbffd_matches_treverhines_rbf(k: int, name: str, rbf_lambdify: object) -> None:
    """The stencils e2cnn requests (every monomial derivative up to order k - 1, all points)."""
    fd = pytest.importorskip("rbf.pde.fd")
    pts = grid.kernel_grid(k)
    for n in range(k):
        if name.startswith("phs") and n >= int(name[3:]):
            continue
        ours = monomial_stencils(pts, n, DiscretizationArgs("rbffd", phi=name, isotropic=False))
        for j in range(n + 1):
            ref = fd.weight_matrix(
                np.zeros((1, 2)), pts, k * k, [[n - j, j]], [1.0], phi=name
            ).toarray()[0]
            assert np.abs(ours[j] - ref).max() <= 1e-10 * max(1.0, np.abs(ref).max())


def test_rbf_backend_matches_in_house(rbf_lambdify: object) -> None:
    pytest.importorskip("rbf.pde.fd")
    pts = grid.kernel_grid(5)
    a = monomial_stencils(pts, 3, DiscretizationArgs("rbffd", backend="rbf"))
    b = monomial_stencils(pts, 3, DiscretizationArgs("rbffd", isotropic=False))
    np.testing.assert_allclose(a, b, atol=1e-10)


# ----------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "spline"}, "method"),
        ({"method": "gauss"}, "smoothing"),
        ({"method": "gauss", "smoothing": 0.0}, "smoothing"),
        ({"method": "gauss", "smoothing": -1.0}, "smoothing"),
        ({"phi": "gaussian"}, "unknown RBF"),
        ({"smoothing_mode": "variance", "smoothing": 1.0}, "smoothing_mode"),
        ({"backend": "scipy"}, "backend"),
        ({"isotropic": True}, "finite differences have no isotropic"),
        ({"method": "rbffd", "backend": "rbf", "isotropic": True}, "backend 'numpy'"),
        ({"method": "rbffd", "eps": 0.0}, "eps"),
        ({"method": "rbffd", "eps": True}, "eps"),
    ],
)
def test_discretization_args_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DiscretizationArgs(**kwargs)
    with pytest.raises(TypeError, match="isotropic: expected None or a bool"):
        DiscretizationArgs("rbffd", isotropic="yes")  # type: ignore[arg-type]


def test_keys_include_every_parameter() -> None:
    variants = [
        DiscretizationArgs(),
        DiscretizationArgs(angle_offset=0.1),
        DiscretizationArgs("gauss", 1.0),
        DiscretizationArgs("gauss", 1.5),
        DiscretizationArgs("gauss", 1.0, smoothing_mode="e2cnn"),
        DiscretizationArgs("gauss", 1.0, isotropic=False),
        DiscretizationArgs("gauss", 1.0, smoothing_mode="e2cnn", isotropic=False),
        DiscretizationArgs("rbffd"),
        DiscretizationArgs("rbffd", isotropic=False),
        DiscretizationArgs("rbffd", eps=0.5, isotropic=True),
        DiscretizationArgs("rbffd", phi="phs3"),
        DiscretizationArgs("rbffd", eps=2.0),
        DiscretizationArgs("rbffd", backend="rbf"),
    ]
    assert len({v.key() for v in variants}) == len(variants)
    gs = gspaces.Rot2dOnR2(4)
    bases = [
        gs.build_diffop_basis(gs.regular_repr, gs.regular_repr, p, v, maximum_frequency=2)
        for v in variants[:3]
        for p in (0, 1)
    ]
    assert len({b.key() for b in bases}) == len(bases)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, False),  # finite differences: no isotropic variant
        ({"method": "gauss", "smoothing": 1.0}, True),
        ({"method": "gauss", "smoothing": 1.0, "smoothing_mode": "e2cnn"}, True),
        ({"method": "rbffd"}, True),
        ({"method": "rbffd", "phi": "imq"}, True),
        ({"method": "rbffd", "backend": "rbf"}, False),  # treverhines/RBF: e2cnn's stencils
        ({"method": "gauss", "smoothing": 1.0, "isotropic": False}, False),
        (
            {"method": "gauss", "smoothing": 1.0, "smoothing_mode": "e2cnn", "isotropic": False},
            False,
        ),
        ({"method": "rbffd", "isotropic": False}, False),
        ({"method": "rbffd", "backend": "rbf", "isotropic": False}, False),
    ],
)
def test_isotropic_default_per_method_mode_and_backend(kwargs: dict, expected: bool) -> None:
    """``isotropic=None`` means on wherever an isotropic variant exists."""
    disc = DiscretizationArgs(**kwargs)
    assert disc.is_isotropic is expected
    if "isotropic" not in kwargs and disc.method != "fd" and disc.backend == "numpy":
        explicit = DiscretizationArgs(**kwargs, isotropic=True)
        assert explicit.key() == disc.key()  # the default is the isotropic variant itself
    if "isotropic" not in kwargs:
        assert DiscretizationArgs(**kwargs, isotropic=False).is_isotropic is False


@pytest.mark.parametrize(
    "kwargs", [{"method": "gauss", "smoothing": 1.0}, {"method": "rbffd", "phi": "imq"}]
)
def test_cache_never_serves_one_isotropy_for_the_other(
    kwargs: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk cache written with the isotropic stencils is not served for ``isotropic=False``,
    and vice versa."""
    monkeypatch.setattr(diffops.cache, "_STENCILS", {})
    pts = grid.kernel_grid(5)
    iso_disc = DiscretizationArgs(**kwargs)
    raw_disc = DiscretizationArgs(**kwargs, isotropic=False)
    diffops.set_cache_dir(tmp_path)
    try:
        for written, other in ((iso_disc, raw_disc), (raw_disc, iso_disc)):
            diffops.clear_cache()
            expected_other = monomial_stencils(pts, 2, other).copy()
            diffops.clear_cache()
            stored = monomial_stencils(pts, 2, written).copy()
            diffops.store_cache(tmp_path / f"{written.is_isotropic}.npz")
            diffops.clear_cache()
            assert diffops.load_cache(tmp_path / f"{written.is_isotropic}.npz") >= 1
            served = monomial_stencils(pts, 2, other)
            np.testing.assert_array_equal(served, expected_other)
            assert np.abs(served - stored).max() > 1e-3 * np.abs(stored).max()
            np.testing.assert_array_equal(monomial_stencils(pts, 2, written), stored)
    finally:
        diffops.set_cache_dir(None)
        diffops.clear_cache()


# ----------------------------------------------------------------------------- bases
def test_basis_attributes_and_order_filter() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    basis = gs.build_diffop_basis(gs.regular_repr, gs.irrep(1, 1), 1, maximum_frequency=2)
    arrays = basis.attribute_arrays()
    mask = OrderFilter(2).mask(arrays)
    assert mask.tolist() == [OrderFilter(2)(a) for a in basis]
    for attr in basis:
        assert attr["order"] == abs(attr["frequency"]) + 2 * attr["power"]
    assert "x" in basis.pretty_print()


def test_builders_match_gspace_method() -> None:
    gs = gspaces.Rot2dOnR2(6)
    a = diffops.diffops_CN_act_R2(gs.regular_repr, gs.irrep(2), 1, max_frequency=3)
    b = gs.build_diffop_basis(gs.regular_repr, gs.irrep(2), 1, maximum_frequency=3)
    assert a.key() == b.key()
    assert a.dim == b.dim > 0
    so2 = gspaces.Rot2dOnR2(-1, maximum_frequency=3)
    assert diffops.diffops_SO2_act_R2(so2.irrep(1), so2.irrep(2), 1).dim == 8
    with pytest.raises(ValueError, match="representation of"):
        diffops.diffops_DN_act_R2(gs.regular_repr, gs.regular_repr, 1, max_frequency=2)


# ----------------------------------------------------------------------------- cache
def test_cache_store_and_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diffops.cache, "_STENCILS", {})
    diffops.set_cache_dir(tmp_path)
    try:
        pts = grid.kernel_grid(5)
        disc = DiscretizationArgs("rbffd", phi="imq")
        first = monomial_stencils(pts, 3, disc).copy()
        path = diffops.store_cache()
        assert path.parent == tmp_path
        assert path.is_file()
        diffops.clear_cache()
        assert diffops.load_cache() >= 1
        np.testing.assert_array_equal(monomial_stencils(pts, 3, disc), first)
        assert diffops.load_cache(tmp_path / "missing.npz") == 0
        (tmp_path / "bad.npz").write_bytes(b"not a cache")
        with pytest.raises(ValueError, match="not a readable diffop stencil cache"):
            diffops.load_cache(tmp_path / "bad.npz")
    finally:
        diffops.set_cache_dir(None)


def test_default_cache_dir_is_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("E2_STEERABLE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = diffops.cache_dir()
    assert path.is_absolute()
    assert Path.cwd() not in (path, *path.parents)
    monkeypatch.setenv("E2_STEERABLE_CACHE_DIR", str(tmp_path / "env"))
    assert diffops.cache_dir() == tmp_path / "env"


_WRITER = """
import pathlib
import sys
import time
import numpy as np
from e2_steerable.diffops import cache
tag, target, lock = sys.argv[1:4]
if lock == "exclusive-file":
    cache._fcntl = None  # the portable fallback lock
folder = pathlib.Path(target).parent
(folder / f"{tag}.ready").touch()
deadline = time.monotonic() + 60
while len(list(folder.glob("*.ready"))) < 3 and time.monotonic() < deadline:
    time.sleep(0.001)  # start storing together
for i in range(15):
    cache.remember(f"{tag}-{i}", np.full(50, float(i)))
    cache.store_cache(target)
"""


@pytest.mark.parametrize(
    "lock",
    [
        pytest.param("flock", marks=pytest.mark.skipif(os.name != "posix", reason="POSIX only")),
        "exclusive-file",
    ],
)
def test_concurrent_stores_keep_every_entry(tmp_path: Path, lock: str) -> None:
    """Three processes store different entries into one file at once: all of them end up there
    (each store re-reads and merges the file under the writer lock)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(diffops.__file__).parents[2]), *sys.path])
    target = tmp_path / "shared.npz"
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, tag, str(target), lock], env=env)
        for tag in ("a", "b", "c")
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    with np.load(target, allow_pickle=False) as data:
        assert set(data.files) == {f"{t}-{i}" for t in "abc" for i in range(15)}
        np.testing.assert_array_equal(data["b-7"], np.full(50, 7.0))
    assert not list(tmp_path.glob(".diffops-*"))  # no temporary files left behind
    if lock == "exclusive-file":
        assert not (tmp_path / "shared.npz.lock").exists()


@pytest.mark.parametrize("fallback", [False, True])
def test_store_waits_for_the_lock_then_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fallback: bool
) -> None:
    if fallback:
        monkeypatch.setattr(diffops.cache, "_fcntl", None)
    elif diffops.cache._fcntl is None:
        pytest.skip("no fcntl on this platform")
    monkeypatch.setattr(diffops.cache, "_STENCILS", {})
    target = tmp_path / "c.npz"
    busy = pytest.raises(TimeoutError, match=r"timeout: could not lock .*c\.npz\.lock")
    with diffops.cache._locked(target, 1.0), busy:  # another writer holds the lock
        diffops.store_cache(target, timeout=0.05)
    assert diffops.store_cache(target, timeout=0.05) == target  # free again
    with pytest.raises(ValueError, match="timeout"):
        diffops.store_cache(target, timeout=-1.0)


def test_fallback_lock_left_by_a_dead_writer_is_taken_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diffops.cache, "_fcntl", None)
    monkeypatch.setattr(diffops.cache, "_STENCILS", {"k": np.zeros(3)})
    target = tmp_path / "c.npz"
    lock = tmp_path / "c.npz.lock"
    lock.write_bytes(b"")
    old = lock.stat().st_mtime - 2 * diffops.cache._STALE_LOCK_S
    os.utime(lock, (old, old))
    diffops.store_cache(target, timeout=1.0)
    assert diffops.load_cache(target) == 1
    assert not lock.exists()
