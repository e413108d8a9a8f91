r"""Largest eigenvalue of :math:`W_1^\intercal W_1` by the three spectral strategies.

The hourglass regulariser normalises :math:`C = W_1^\intercal W_1` by the squared spectral
norm :math:`\lVert W_1 \rVert_2^2 = \lambda_{\max}(C)`. This module computes that eigenvalue
in the three ways the original layer offers:

* ``"unsafe"``: :func:`torch.linalg.eigvalsh` of :math:`C`. Fastest; gives NaN when
  :math:`W_1 = 0` and raises (CPU) on non-finite weights.
* ``"safe"``: :func:`torch.linalg.svdvals` of :math:`C`, guarded so that it never raises:
  non-finite weights give NaN, and the eigenvalue is clamped below by the smallest normal
  number of the dtype, so :math:`W_1 = 0` gives a finite loss and gradient.
* ``"approx"`` (the default): :func:`torch.linalg.eigvalsh` of :math:`C + \lambda I` with a
  tiny dtype-dependent Tikhonov :math:`\lambda` (``1e-5`` for float32, ``1e-10`` for float64,
  the values of VirtuaLearn3D), computed as :math:`m\,\lambda_{\max}(C / m) + \lambda` with
  :math:`m = \max|C|` (exact), so it never raises: positive and finite for every finite
  :math:`C`, NaN for non-finite :math:`C`. As fast as ``"unsafe"``.
"""

from __future__ import annotations

import torch

__all__ = [
    "SPECTRAL_STRATEGIES",
    "check_spectral_strategy",
    "default_tikhonov_lambda",
    "largest_eigenvalue",
    "spectral_compute_dtype",
]

SPECTRAL_STRATEGIES: tuple[str, ...] = ("unsafe", "safe", "approx")
"""The accepted values of ``spectral_strategy``."""

_TIKHONOV_FLOAT64 = 1e-10
_TIKHONOV_FLOAT32 = 1e-5


def check_spectral_strategy(strategy: str | None) -> str:
    """Validate a spectral strategy name and return its canonical (lower-case) form.

    ``None`` maps to ``"approx"``, as in the original layer.

    Args:
        strategy: ``"unsafe"``, ``"safe"``, ``"approx"`` (any case) or ``None``.

    Returns:
        The canonical strategy name.

    Raises:
        ValueError: If the name is unknown.
        TypeError: If ``strategy`` is neither a string nor ``None``.

    >>> from hourglass_layer.spectral import check_spectral_strategy
    >>> check_spectral_strategy("SAFE")
    'safe'
    >>> check_spectral_strategy(None)
    'approx'
    """
    if strategy is None:
        return "approx"
    if not isinstance(strategy, str):
        raise TypeError(
            f"spectral_strategy must be a str or None, got {type(strategy).__name__}: {strategy!r}"
        )
    canonical = strategy.strip().lower()
    if canonical not in SPECTRAL_STRATEGIES:
        raise ValueError(
            f"spectral_strategy must be one of {SPECTRAL_STRATEGIES}, got {strategy!r}"
        )
    return canonical


def spectral_compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype in which the spectral part is computed for weights of ``dtype``.

    Half and bfloat16 are upcast to float32 (LAPACK and cuSOLVER have no low-precision
    eigen/singular value kernels); float32 and float64 are kept.

    >>> import torch
    >>> from hourglass_layer.spectral import spectral_compute_dtype
    >>> spectral_compute_dtype(torch.bfloat16)
    torch.float32
    >>> spectral_compute_dtype(torch.float64)
    torch.float64
    """
    if not dtype.is_floating_point:
        raise TypeError(f"the weights must have a floating dtype, got {dtype}")
    if dtype in (torch.float16, torch.bfloat16):
        return torch.float32
    return dtype


def default_tikhonov_lambda(dtype: torch.dtype) -> float:
    r"""The default :math:`\lambda` of the ``"approx"`` strategy for a compute dtype.

    ``1e-10`` for float64 and ``1e-5`` otherwise (float32 and upcast half/bfloat16), the values
    VirtuaLearn3D uses, so that ported models see the same regulariser.

    >>> import torch
    >>> from hourglass_layer.spectral import default_tikhonov_lambda
    >>> default_tikhonov_lambda(torch.float32)
    1e-05
    """
    return _TIKHONOV_FLOAT64 if dtype == torch.float64 else _TIKHONOV_FLOAT32


def largest_eigenvalue(
    cov: torch.Tensor, strategy: str = "approx", tikhonov_lambda: float | None = None
) -> torch.Tensor:
    r"""Largest eigenvalue of a symmetric positive semi-definite matrix by ``strategy``.

    For :math:`C = W_1^\intercal W_1` this is :math:`\lVert W_1 \rVert_2^2` (plus
    :math:`\lambda` for ``"approx"``).

    Args:
        cov: Symmetric PSD matrices, float32 or float64.
        strategy: ``"unsafe"``, ``"safe"`` or ``"approx"`` (see the module docstring).
        tikhonov_lambda: The :math:`\lambda` of ``"approx"``; ``None`` picks
            :func:`~hourglass_layer.spectral.default_tikhonov_lambda` for ``cov.dtype``. Ignored
            by the other strategies.

    Returns:
        The largest eigenvalue of every matrix.

    Shape:
        - cov: :math:`(*, D_h, D_h)`.
        - output: :math:`(*)`.

    >>> import torch
    >>> from hourglass_layer import largest_eigenvalue
    >>> cov = torch.diag(torch.tensor([1.0, 4.0, 2.0], dtype=torch.float64))
    >>> [round(largest_eigenvalue(cov, s).item(), 6) for s in ("unsafe", "safe", "approx")]
    [4.0, 4.0, 4.0]
    """
    strategy = check_spectral_strategy(strategy)
    if strategy == "unsafe":
        return torch.linalg.eigvalsh(cov)[..., -1]
    if strategy == "approx":
        lam = default_tikhonov_lambda(cov.dtype) if tikhonov_lambda is None else tikhonov_lambda
        return _guarded_shifted_eigh_top(cov, lam)
    return _guarded_svd_top(cov)


def _guarded_shifted_eigh_top(cov: torch.Tensor, lam: float) -> torch.Tensor:
    """Top eigenvalue of ``cov + lam I`` that never raises.

    Computed as ``m * eigvalsh(cov / m)[-1] + lam`` with ``m = max|cov|`` (exact: the shift
    moves every eigenvalue by ``lam``), so ``eigh`` only sees entries in [-1, 1]; huge or tiny
    finite matrices neither overflow nor underflow, non-finite ones give NaN.
    """
    magnitude = cov.detach().abs().amax(dim=(-2, -1), keepdim=True)
    finite = torch.isfinite(magnitude)
    magnitude = torch.where(finite & (magnitude > 0), magnitude, 1.0)
    scaled = torch.where(finite, cov / magnitude, 0.0)
    top = torch.linalg.eigvalsh(scaled)[..., -1] * magnitude[..., 0, 0] + lam
    return torch.where(finite[..., 0, 0], top, float("nan"))


def _guarded_svd_top(cov: torch.Tensor) -> torch.Tensor:
    """Top singular value of ``cov`` that never raises and never returns zero."""
    finite = torch.isfinite(cov).all(dim=(-2, -1), keepdim=True)
    top = svd_top(torch.where(finite, cov, torch.zeros_like(cov)))
    return torch.where(finite[..., 0, 0], top, torch.full_like(top, float("nan")))


def svd_top(cov: torch.Tensor) -> torch.Tensor:
    """Top singular value of finite ``cov``, clamped below by the dtype's smallest normal."""
    return torch.linalg.svdvals(cov)[..., 0].clamp_min(torch.finfo(cov.dtype).tiny)
