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
    default_tikhonov_lambda,
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
    result has the upcast dtype even under :class:`torch.autocast`. With
    ``"safe"`` and ``"approx"`` (the default), :math:`W_1` is first divided by :math:`\max|W_1|`
    (exact: the Tikhonov shift of ``"approx"`` is rescaled with it), so tiny or huge finite
    weights neither underflow nor overflow, the decomposition never raises, and the result is
    never NaN; non-finite weights give NaN. The
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
    if strategy == "unsafe":
        cov = weights.mT @ weights
        top = largest_eigenvalue(cov, "unsafe")[..., None, None]
        ratio = cov / top if normalization == "squared" else cov / torch.sqrt(top)
        return _frobenius_distance_to_identity(ratio)
    return _scaled_penalty(weights, strategy, normalization, tikhonov_lambda)


def _scaled_penalty(
    weights: torch.Tensor, strategy: str, normalization: str, tikhonov_lambda: float | None
) -> torch.Tensor:
    """L_h computed on W' = W / a with a = max|W|, so that nothing under- or overflows.

    With C' = W'ᵀW' and any constant a > 0 (treated as such by autograd):

    * ``"safe"``: ||W||² = a² s' with s' the top singular value of C';
    * ``"approx"``: λ_max(C + λI) = a² λ_max(C' + (λ / a²) I) exactly, so the Tikhonov shift
      is applied to the scaled matrix as λ / a² (capped where it dwarfs C' anyway);

    then C / ||W||^p is C' / s' (``"squared"``) or a C' / sqrt(s') (``"vl3d"``). The entries of
    W' lie in [-1, 1], so C' is finite and its top eigenvalue is at least 1 unless W = 0: the
    eigen/singular value routines never see inf and never fail on finite weights. Non-finite
    weights are replaced by zeros before the decomposition and the result is made NaN after.
    """
    magnitude = weights.detach().abs().amax(dim=(-2, -1))  # NaN/inf iff W is not finite
    finite = torch.isfinite(magnitude)
    magnitude = torch.where(finite, magnitude, 1.0).clamp_min(torch.finfo(weights.dtype).tiny)
    scale = magnitude[..., None, None]
    scaled = torch.where(finite[..., None, None], weights / scale, 0.0)
    cov = scaled.mT @ scaled
    if strategy == "safe":
        top = svd_top(cov)[..., None, None]
    else:
        lam = default_tikhonov_lambda(cov.dtype) if tikhonov_lambda is None else tikhonov_lambda
        # Beyond sqrt(max) the shift dominates C' (entries <= Din) far below the dtype's eps.
        shift = (lam / scale.square()).clamp_max(torch.finfo(cov.dtype).max ** 0.5)
        eye = torch.eye(cov.shape[-1], dtype=cov.dtype, device=cov.device)
        top = torch.linalg.eigvalsh(cov + shift * eye)[..., -1:, None]
    ratio = cov / top if normalization == "squared" else cov * (scale / torch.sqrt(top))
    value = _frobenius_distance_to_identity(ratio)
    return torch.where(finite, value, float("nan"))


def _frobenius_distance_to_identity(ratio: torch.Tensor) -> torch.Tensor:
    """||ratio - I||_F without overflowing when the entries are near the dtype's maximum.

    The difference is divided by its largest magnitude (a constant for autograd) before
    :func:`torch.linalg.matrix_norm`, whose zero subgradient at the optimum is kept.
    """
    eye = torch.eye(ratio.shape[-1], dtype=ratio.dtype, device=ratio.device)
    difference = ratio - eye
    peak = difference.detach().abs().amax(dim=(-2, -1), keepdim=True)
    peak = torch.where(torch.isfinite(peak) & (peak > 0), peak, 1.0)
    return peak[..., 0, 0] * torch.linalg.matrix_norm(difference / peak, ord="fro")
