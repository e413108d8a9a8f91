r"""The hourglass regularisation term :math:`\mathcal{L}_h` as a differentiable function.

.. math::

    \mathcal{L}_h = \left\lVert \frac{W_1^\intercal W_1}{\lVert W_1 \rVert_2^{p}} - I
    \right\rVert_F

with :math:`p = 2` (``normalization="squared"``, the formula of the published documentation:
scale invariant, zero for every :math:`c\,Q` with orthonormal-column :math:`Q`) or :math:`p = 1`
(``normalization="vl3d"``, what the VirtuaLearn3D source code computes: zero only for
orthonormal columns, :math:`|c - 1|\sqrt{D_h}` for :math:`c\,Q`).
"""

from __future__ import annotations

import torch

from hourglass_layer.spectral import (
    check_spectral_strategy,
    largest_eigenvalue,
    spectral_compute_dtype,
    svd_top,
)

__all__ = ["NORMALIZATIONS", "check_normalization", "hourglass_penalty"]

NORMALIZATIONS: tuple[str, ...] = ("squared", "vl3d")
"""The accepted values of ``normalization``."""


def check_normalization(normalization: str) -> str:
    """Validate a normalisation name and return its canonical (lower-case) form.

    >>> from hourglass_layer.penalty import check_normalization
    >>> check_normalization("VL3D")
    'vl3d'
    """
    if not isinstance(normalization, str):
        raise TypeError(
            f"normalization must be a str, got {type(normalization).__name__}: {normalization!r}"
        )
    canonical = normalization.strip().lower()
    if canonical not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    return canonical


def hourglass_penalty(
    W1: torch.Tensor,
    spectral_strategy: str = "approx",
    normalization: str = "squared",
    tikhonov_lambda: float | None = None,
) -> torch.Tensor:
    r"""The raw hourglass term :math:`\mathcal{L}_h` of a weight matrix (without :math:`\beta`).

    Half and bfloat16 weights are upcast to float32, and autocast is disabled inside, so the
    result has the upcast dtype even under :func:`torch.autocast`. With
    ``"safe"``, :math:`W_1` is first divided by :math:`\max|W_1|` (exact, as the expression is
    homogeneous), so tiny or huge weights neither underflow nor overflow. The
    Frobenius norm is :func:`torch.linalg.matrix_norm`, whose gradient at the optimum
    (:math:`\mathcal{L}_h = 0`) is zero, not NaN.

    Args:
        W1: The first weight matrix, in :math:`D_{in} \times D_h` orientation.
        spectral_strategy: ``"unsafe"``, ``"safe"`` or ``"approx"``
            (see :mod:`hourglass_layer.spectral`).
        normalization: ``"squared"`` (divide by :math:`\lVert W_1\rVert_2^2`, the documented
            formula) or ``"vl3d"`` (divide by :math:`\lVert W_1\rVert_2`, the VirtuaLearn3D code).
        tikhonov_lambda: The :math:`\lambda` of ``"approx"``; ``None`` for the dtype default.

    Returns:
        :math:`\mathcal{L}_h` for every matrix in the batch.

    Shape:
        - W1: :math:`(*, D_{in}, D_h)`.
        - output: :math:`(*)`.

    >>> import torch
    >>> from hourglass_layer import hourglass_penalty
    >>> q, _ = torch.linalg.qr(torch.randn(6, 4, dtype=torch.float64))
    >>> round(hourglass_penalty(3.0 * q, "safe").item(), 8)
    0.0
    >>> round(hourglass_penalty(3.0 * q, "safe", normalization="vl3d").item(), 8)  # |3-1|*sqrt(4)
    4.0
    """
    if not isinstance(W1, torch.Tensor):
        raise TypeError(f"W1 must be a torch.Tensor, got {type(W1).__name__}")
    if W1.dim() < 2:
        raise ValueError(f"W1 must have at least 2 dims (Din, Dh), got shape {tuple(W1.shape)}")
    strategy = check_spectral_strategy(spectral_strategy)
    normalization = check_normalization(normalization)
    weights = W1.to(spectral_compute_dtype(W1.dtype))
    if torch.is_autocast_enabled(weights.device.type):  # keep W1ᵀW1 out of low precision
        with torch.autocast(weights.device.type, enabled=False):
            return _penalty(weights, strategy, normalization, tikhonov_lambda)
    return _penalty(weights, strategy, normalization, tikhonov_lambda)


def _penalty(
    weights: torch.Tensor, strategy: str, normalization: str, tikhonov_lambda: float | None
) -> torch.Tensor:
    if strategy == "safe":
        return _safe_penalty(weights, normalization)
    cov = weights.mT @ weights
    top = largest_eigenvalue(cov, strategy, tikhonov_lambda)[..., None, None]
    ratio = cov / top if normalization == "squared" else cov / torch.sqrt(top)
    eye = torch.eye(cov.shape[-1], dtype=cov.dtype, device=cov.device)
    return torch.linalg.matrix_norm(ratio - eye, ord="fro")


def _safe_penalty(weights: torch.Tensor, normalization: str) -> torch.Tensor:
    """L_h by the SVD of C, computed on W / max|W| so that nothing under- or overflows.

    L_h(W) depends on W only through C / ||W||^2 (``"squared"``) or a * C' / ||W'|| with
    W' = W / a (``"vl3d"``), so dividing by a = max|W| (treated as a constant by autograd) is
    exact. Non-finite weights are replaced by zeros before the SVD (which then cannot fail) and
    the result is made NaN afterwards.
    """
    magnitude = weights.detach().abs().amax(dim=(-2, -1))  # NaN/inf iff W is not finite
    finite = torch.isfinite(magnitude)
    magnitude = torch.where(finite, magnitude, 1.0).clamp_min(torch.finfo(weights.dtype).tiny)
    scaled = torch.where(finite[..., None, None], weights / magnitude[..., None, None], 0.0)
    cov = scaled.mT @ scaled
    top = svd_top(cov)[..., None, None]
    if normalization == "squared":
        ratio = cov / top
    else:
        ratio = cov * (magnitude[..., None, None] / torch.sqrt(top))
    eye = torch.eye(cov.shape[-1], dtype=cov.dtype, device=cov.device)
    value = torch.linalg.matrix_norm(ratio - eye, ord="fro")
    return torch.where(finite, value, float("nan"))
