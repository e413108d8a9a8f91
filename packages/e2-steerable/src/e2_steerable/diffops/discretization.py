"""How a homogeneous differential operator becomes a stencil on the kernel grid.

Three methods, chosen by :class:`DiscretizationArgs`:

* ``"fd"``: tensor products of 1-D finite differences (Fornberg weights on all grid points of
  each axis). ``x`` acts along the image columns (to the right) and ``y`` along the rows
  (upwards), matching the grid convention of the kernels, so the stencils are equivariant for
  reflections as well (e2cnn 0.2.3 builds them rotated by 90 degrees).
* ``"gauss"``: derivatives of a Gaussian sampled on the grid (``smoothing`` > 0). With
  ``isotropic`` (the default, in both smoothing modes) the truncated stencils are corrected so
  that their low-order moments are exact and isotropic
  (:func:`~e2_steerable.diffops.isotropic_correction`).
* ``"rbffd"``: RBF-FD weights (all grid points, polynomial augmentation), in-house by default or
  from treverhines/RBF (``backend="rbf"``, the ``e2-steerable[rbf]`` extra). ``isotropic`` (the
  default with the in-house backend) picks a flatter Gaussian (``eps = 0.5`` per grid spacing)
  and polynomials of two more degrees than the derivative (at most ``s - 1`` for ``s`` points
  per axis) instead of e2cnn's ``eps = 1`` and polynomials of the derivative's degree.

``isotropic=False`` gives e2cnn's stencils exactly (weights trained with e2cnn's ``R2Diffop``
then give the same filters).

Every stencil ``w`` acts by cross-correlation: :math:`\\sum_p w(p) f(x + p) \\approx (Df)(x)`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from e2_steerable.diffops import cache as _cache
from e2_steerable.diffops.fd import fornberg_weights
from e2_steerable.diffops.gauss import gaussian_derivative_stencils
from e2_steerable.diffops.moments import grid_monomials, isotropic_correction
from e2_steerable.diffops.rbffd import get_rbf, max_poly_order, rbf_fd_weights

__all__ = ["DiscretizationArgs", "SmoothingTruncationWarning", "monomial_stencils"]


class SmoothingTruncationWarning(UserWarning):
    """The Gaussian of ``smoothing`` is wider than the kernel, which cuts it off.

    With the isotropic correction (the default) the stencils stay close to rotation invariant
    but smooth less than asked; without it they are far from isotropic. The fix is a larger
    ``kernel_size``: the message names one that holds three standard deviations. Make it an
    error with ``warnings.simplefilter("error", SmoothingTruncationWarning)``, or silence it
    with ``"ignore"``.
    """


_METHODS = ("fd", "gauss", "rbffd")
_SMOOTHING_MODES = ("std", "e2cnn")
_BACKENDS = ("numpy", "rbf")


@dataclass(frozen=True)
class DiscretizationArgs:
    """Parameters of the discretisation of differential operators.

    Attributes:
        method: ``"fd"`` (default), ``"gauss"`` or ``"rbffd"``.
        smoothing: width of the Gaussian for ``"gauss"`` (required there, ignored otherwise).
        angle_offset: rotate every operator by this angle (radians) before discretising.
        phi: the RBF for ``"rbffd"`` (any name of :data:`~e2_steerable.diffops.RBF_NAMES`).
        smoothing_mode: what ``smoothing`` means. ``"std"`` (default): the standard
            deviation :math:`\\sigma` in pixels of the unit-mass Gaussian
            :math:`G(p) = e^{-\\lVert p \\rVert^2 / 2\\sigma^2} / 2\\pi\\sigma^2`, and the
            stencil is that of :math:`D(G * f)`. ``"e2cnn"``: e2cnn's convention, the
            unnormalised :math:`\\partial^\\alpha e^{-\\lVert p \\rVert^2 / \\sigma^4}` (so
            :math:`\\sigma^2/\\sqrt 2` is the actual standard deviation, and odd orders have the
            opposite sign).
        backend: ``"numpy"`` (default, in-house RBF-FD) or ``"rbf"`` (treverhines/RBF, which
            gives e2cnn's ``rbffd`` stencils exactly; install ``e2-steerable[rbf]``).
        eps: shape parameter of the RBF for ``"rbffd"`` (default: 1 as in e2cnn, or 0.5 divided
            by the grid spacing when ``isotropic``).
        isotropic: make the stencils closer to rotation invariant where e2cnn's are not.
            ``None`` (default): on wherever an isotropic variant exists, i.e. for ``"gauss"``
            (both smoothing modes) and for ``"rbffd"`` with the ``"numpy"`` backend; off for
            ``"fd"`` (no variant) and for ``"rbffd"`` with the ``"rbf"`` backend (whose purpose
            is e2cnn's exact stencils). ``False``: e2cnn's stencils. ``"gauss"``: correct the
            truncated Gaussian derivatives of order ``n`` so that their moments of degree up
            to ``n + 1`` are exact and those of degree ``n + 2`` to ``n + 8`` those of one
            rotation-invariant smoothing shared by all derivatives of order ``n``
            (:func:`~e2_steerable.diffops.isotropic_correction`).
            ``"rbffd"``: a flatter RBF (see ``eps``) and polynomials up to two degrees beyond
            the derivative. ``True`` raises for ``"fd"`` and for the ``"rbf"`` backend.

    Example:
        >>> DiscretizationArgs("gauss", smoothing=1.0).method
        'gauss'
    """

    method: str = "fd"
    smoothing: float | None = None
    angle_offset: float | None = None
    phi: str = "ga"
    smoothing_mode: str = "std"
    backend: str = "numpy"
    eps: float | None = None
    isotropic: bool | None = None

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise ValueError(f"method: expected one of {_METHODS}, got {self.method!r}")
        if self.smoothing is not None:
            if isinstance(self.smoothing, bool) or not isinstance(self.smoothing, (int, float)):
                raise TypeError(
                    f"smoothing: expected None or a positive float, got "
                    f"{type(self.smoothing).__name__}"
                )
            if not math.isfinite(self.smoothing) or self.smoothing <= 0:
                raise ValueError(
                    f"smoothing: expected a positive width in pixels, got {self.smoothing}"
                )
        if self.method == "gauss" and self.smoothing is None:
            raise ValueError("smoothing: the 'gauss' discretisation needs a smoothing > 0")
        if self.smoothing_mode not in _SMOOTHING_MODES:
            raise ValueError(
                f"smoothing_mode: expected one of {_SMOOTHING_MODES}, got {self.smoothing_mode!r}"
            )
        if self.backend not in _BACKENDS:
            raise ValueError(f"backend: expected one of {_BACKENDS}, got {self.backend!r}")
        get_rbf(self.phi)  # validates the name
        if self.eps is not None and not (
            isinstance(self.eps, (int, float))
            and not isinstance(self.eps, bool)
            and math.isfinite(self.eps)
            and self.eps > 0
        ):
            raise ValueError(f"eps: expected None or a positive shape parameter, got {self.eps!r}")
        if self.isotropic is not None and not isinstance(self.isotropic, bool):
            raise TypeError(
                f"isotropic: expected None or a bool, got {type(self.isotropic).__name__}"
            )
        if self.isotropic and self.method == "rbffd" and self.backend != "numpy":
            raise ValueError(
                "isotropic: the isotropic RBF-FD stencils need backend 'numpy' (treverhines/RBF "
                "cannot augment with the monomials that a grid tells apart)"
            )
        if self.isotropic and self.method == "fd":
            raise ValueError(
                "isotropic: finite differences have no isotropic variant; use smoothing "
                "(method 'gauss') or RBF-FD (method 'rbffd') with isotropic=True"
            )
        if self.angle_offset is not None and not math.isfinite(float(self.angle_offset)):
            raise ValueError(f"angle_offset: expected a finite angle, got {self.angle_offset!r}")

    @property
    def is_isotropic(self) -> bool:
        """Whether the isotropic variant is used (``isotropic`` with its default resolved)."""
        if self.isotropic is not None:
            return self.isotropic
        return self.method == "gauss" or (self.method == "rbffd" and self.backend == "numpy")

    def stencil_key(self) -> tuple:
        """Every parameter the stencils depend on (``angle_offset`` acts on the operators)."""
        if self.method == "fd":
            return ("fd",)
        if self.method == "gauss":
            sigma = float(self.smoothing)  # type: ignore[arg-type]
            return ("gauss", sigma, self.smoothing_mode, self.is_isotropic)
        if self.eps is not None:
            eps: float | str = float(self.eps)
        else:
            eps = "per-spacing" if self.is_isotropic else 1.0
        return ("rbffd", self.phi, eps, self.backend, self.is_isotropic)

    def key(self) -> tuple:
        """Every parameter of the discretisation (for caching sampled bases)."""
        angle = None if self.angle_offset is None else float(self.angle_offset)
        return (*self.stencil_key(), angle)


def monomial_stencils(points: np.ndarray, degree: int, disc: DiscretizationArgs) -> np.ndarray:
    """Stencils of :math:`\\partial_x^{n-k} \\partial_y^k` for ``k = 0..n`` on ``points``.

    Cached (see :func:`~e2_steerable.diffops.load_cache`) under every discretisation parameter.

    Args:
        points: ``(P, 2)`` kernel points ``(x, y)``.
        degree: the total order ``n``.
        disc: the discretisation.

    Returns:
        Read-only float64 array ``(n + 1, P)``.
    """
    pts = np.ascontiguousarray(points, dtype=np.float64)
    key = _cache.digest((*disc.stencil_key(), pts.shape, pts.tobytes().hex(), int(degree)))
    hit = _cache.lookup(key)
    if hit is not None:
        return hit
    if disc.method == "fd":
        out = _fd_stencils(pts, degree)
    elif disc.method == "gauss":
        out = _gauss_stencils(pts, degree, disc)
    else:
        out = _rbffd_stencils(pts, degree, disc)
    _cache.remember(key, out)
    return _cache.lookup(key)  # type: ignore[return-value]


def _fd_stencils(points: np.ndarray, degree: int) -> np.ndarray:
    xs = np.unique(points[:, 0])
    ys = np.unique(points[:, 1])
    ix = np.searchsorted(xs, points[:, 0])
    iy = np.searchsorted(ys, points[:, 1])
    occupied = np.zeros((xs.size, ys.size), dtype=bool)
    occupied[ix, iy] = True
    if xs.size * ys.size != points.shape[0] or not occupied.all():
        raise ValueError(
            "points: finite differences need the points of a full rectangular grid (the kernel "
            "grid); use method 'gauss' or 'rbffd' for other point sets"
        )
    if degree >= min(xs.size, ys.size):
        raise ValueError(
            f"maximum_order: finite differences of order {degree} need at least {degree + 1} "
            f"points per axis, the kernel has {min(xs.size, ys.size)}; use a larger kernel_size "
            "or a smaller maximum_order"
        )
    rows = []
    for k in range(degree + 1):
        wx = fornberg_weights(degree - k, xs.tolist())
        wy = fornberg_weights(k, ys.tolist())
        rows.append(wx[ix] * wy[iy])
    return np.stack(rows)


def _gauss_stencils(points: np.ndarray, degree: int, disc: DiscretizationArgs) -> np.ndarray:
    sigma = float(disc.smoothing)  # type: ignore[arg-type]
    if disc.smoothing_mode == "e2cnn":
        eps = 1.0 / sigma**2
        # the unnormalised derivative of the Gaussian: -1^n pi / eps^2 times the std-mode stencil
        scale = (-1.0) ** degree * math.pi / eps**2
        out = gaussian_derivative_stencils(points, degree, eps, False, 1.0)
    else:
        eps = 1.0 / (sigma * math.sqrt(2.0))
        scale = 1.0
        out = gaussian_derivative_stencils(points, degree, eps, True, (-1.0) ** degree)
    _warn_if_truncated(points, 1.0 / (eps * math.sqrt(2.0)), disc)
    if disc.is_isotropic:
        # envelope: the Gaussian squared, so the correction stays where the Gaussian lives
        envelope = np.exp(-2.0 * eps**2 * np.einsum("pi,pi->p", points, points))
        out = isotropic_correction(out, points, degree, envelope, scale=scale)
    return out


def _warn_if_truncated(points: np.ndarray, std: float, disc: DiscretizationArgs) -> None:
    radius = float(np.abs(points).max(initial=0.0))
    if radius >= std:
        return
    spacing = _grid_spacing(points)
    needed = 2 * math.ceil(3.0 * std / spacing) + 1
    effect = (
        "the isotropic correction keeps them rotation invariant, but they smooth less than asked"
        if disc.is_isotropic
        else "they are far from rotation invariant (isotropic=True corrects that)"
    )
    warnings.warn(
        f"smoothing: the Gaussian (std {std:.3g} px) is wider than the kernel (radius "
        f"{radius:g} px), which cuts it off: {effect}; a kernel_size of {needed} (radius three "
        "std) holds it",
        SmoothingTruncationWarning,
        stacklevel=2,
    )


def _grid_spacing(points: np.ndarray) -> float:
    steps = [np.diff(np.unique(points[:, i])) for i in range(2)]
    positive = np.concatenate(steps)
    return float(positive.min()) if positive.size else 1.0


def _rbffd_stencils(points: np.ndarray, degree: int, disc: DiscretizationArgs) -> np.ndarray:
    diffs = [(degree - k, k) for k in range(degree + 1)]
    eps = 1.0 if disc.eps is None else float(disc.eps)
    if not disc.is_isotropic:
        if disc.backend == "numpy":
            return rbf_fd_weights(points, diffs, phi=disc.phi, eps=eps)
    else:
        if disc.eps is None:
            eps = 0.5 / _grid_spacing(points)
        monos = grid_monomials(points, degree + 2)
        if len(monos) > points.shape[0]:  # off-grid point sets: total degree only
            monos = grid_monomials(points, max(degree, max_poly_order(points.shape[0])))
        return rbf_fd_weights(points, diffs, phi=disc.phi, eps=eps, monomials=monos)
    try:
        from rbf.pde.fd import weight_matrix
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "backend 'rbf' needs treverhines/RBF: pip install 'e2-steerable[rbf]'"
        ) from err
    target = np.zeros((1, 2))
    rows = [
        weight_matrix(
            target, points, points.shape[0], [list(d)], [1.0], phi=disc.phi, eps=eps
        ).toarray()[0]
        for d in diffs
    ]
    return np.stack(rows)
