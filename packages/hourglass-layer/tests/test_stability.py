"""Stability matrix: which spectral strategy gives a finite, accurate loss and gradient.

Outcomes, float32 weights on the CPU (the README's table is this dict):

* ``exact``: finite loss within 1e-4 relative of the float64 value, finite gradient;
* ``biased``: finite loss and gradient, but the Tikhonov lambda visibly moves the value;
* ``nan``: NaN loss (no exception);
* ``raises``: ``torch.linalg.LinAlgError`` (CPU LAPACK refuses non-finite input).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hourglass_layer import SPECTRAL_STRATEGIES, hourglass_penalty, largest_eigenvalue
from hourglass_layer.spectral import default_tikhonov_lambda

DIN, DH = 12, 6

EXPECTED = {
    # case:            (unsafe,   safe,    approx)
    "glorot": ("exact", "exact", "exact"),
    "rank_deficient": ("exact", "exact", "exact"),
    "repeated_sv": ("exact", "exact", "exact"),
    "cond_1e8": ("exact", "exact", "exact"),
    "tiny_1e-4": ("exact", "exact", "biased"),
    "underflow_1e-30": ("nan", "exact", "biased"),
    "huge_1e20": ("raises", "exact", "exact"),
    "zero": ("nan", "exact", "exact"),
    "nan_entry": ("raises", "nan", "nan"),
}


def make_weights(case: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    generator = torch.Generator().manual_seed(7)
    glorot = torch.empty(DIN, DH, dtype=torch.float64)
    torch.nn.init.xavier_uniform_(glorot, generator=generator)
    if case == "rank_deficient":
        weights = torch.randn(DH // 2, DH, dtype=torch.float64, generator=generator)
    elif case == "repeated_sv":
        weights, _ = torch.linalg.qr(glorot)
    elif case == "cond_1e8":
        u, _ = torch.linalg.qr(torch.randn(DIN, DH, dtype=torch.float64, generator=generator))
        v, _ = torch.linalg.qr(torch.randn(DH, DH, dtype=torch.float64, generator=generator))
        weights = u @ torch.diag(torch.logspace(0, -8, DH, dtype=torch.float64)) @ v.T
    elif case == "zero":
        weights = torch.zeros_like(glorot)
    else:
        factor = {"glorot": 1.0, "tiny_1e-4": 1e-4, "underflow_1e-30": 1e-30, "huge_1e20": 1e20}
        weights = glorot * factor.get(case, 1.0)
        if case == "nan_entry":
            weights[0, 0] = float("nan")
    return weights.to(dtype)


def exact_value(weights: torch.Tensor) -> float:
    """L_h in float64 numpy; scale invariant, so the weights are normalised first."""
    w = weights.double().numpy()
    if not np.any(w):
        return math.sqrt(DH)  # the limit value returned for W1 = 0
    w = w / np.abs(w).max()
    cov = w.T @ w
    return float(np.linalg.norm(cov / np.linalg.eigvalsh(cov).max() - np.eye(DH), "fro"))


def outcome(case: str, strategy: str, dtype: torch.dtype) -> str:
    weights = make_weights(case, dtype).requires_grad_()
    try:
        loss = hourglass_penalty(weights, strategy)
    except torch.linalg.LinAlgError:
        return "raises"
    if torch.isnan(loss):
        return "nan"
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(weights.grad).all(), "finite loss but non-finite gradient"
    exact = exact_value(weights.detach())
    return "exact" if abs(loss.item() - exact) <= 1e-4 * max(1.0, exact) else "biased"


@pytest.mark.parametrize("case", sorted(EXPECTED))
@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
def test_stability_matrix_float32(case, strategy):
    expected = EXPECTED[case][SPECTRAL_STRATEGIES.index(strategy)]
    assert outcome(case, strategy, torch.float32) == expected


@pytest.mark.parametrize("case", ["glorot", "rank_deficient", "repeated_sv", "cond_1e8"])
@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
def test_well_posed_cases_are_exact_in_float64(case, strategy):
    assert outcome(case, strategy, torch.float64) == "exact"


@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
def test_finite_cases_on_every_device(strategy, device):
    for case in ("glorot", "rank_deficient", "repeated_sv", "cond_1e8", "tiny_1e-4"):
        weights = make_weights(case).to(device).requires_grad_()
        loss = hourglass_penalty(weights, strategy)
        loss.backward()
        assert torch.isfinite(loss)
        assert torch.isfinite(weights.grad).all()


def test_zero_weights_have_finite_zero_gradient_with_safe_and_approx():
    for strategy in ("safe", "approx"):
        weights = torch.zeros(DIN, DH, requires_grad=True)
        loss = hourglass_penalty(weights, strategy)
        assert loss.item() == pytest.approx(math.sqrt(DH))
        loss.backward()
        assert torch.equal(weights.grad, torch.zeros_like(weights))


SWEEP_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


def _scales(dtype: torch.dtype) -> list[float]:
    """Powers of ten spanning the dtype's finite range (with headroom for the Glorot factor)."""
    info = torch.finfo(dtype)
    low, high = math.ceil(math.log10(info.tiny)), math.floor(math.log10(info.max)) - 1
    return [0.0] + [10.0**k for k in range(low, high + 1, max(1, (high - low) // 24))]


@pytest.mark.parametrize("dtype", SWEEP_DTYPES, ids=str)
@pytest.mark.parametrize("normalization", ["squared", "vl3d"])
@pytest.mark.parametrize("shape", [(DIN, DH), (DH // 2, DH)], ids=["full", "rank_deficient"])
def test_default_strategy_never_raises_nor_gives_nan_on_finite_weights(dtype, normalization, shape):
    """The class of the issue's 1e20 case: every finite scale, every dtype, both formulas."""
    generator = torch.Generator().manual_seed(3)
    base = torch.empty(shape, dtype=torch.float64)
    torch.nn.init.xavier_uniform_(base, generator=generator)
    for scale in _scales(dtype):
        weights = (base * scale).to(dtype)
        assert torch.isfinite(weights).all()
        weights.requires_grad_()
        loss = hourglass_penalty(weights, normalization=normalization)  # default: "approx"
        loss.backward()
        assert not torch.isnan(loss), (scale, loss)
        assert torch.isfinite(weights.grad).all(), scale
        if normalization == "squared":  # bounded: sqrt(Dh - rank) <= L_h <= sqrt(Dh)
            assert torch.isfinite(loss), scale
            assert loss.item() <= math.sqrt(DH) + 1e-5, (scale, loss)
        if normalization == "squared" and scale >= 1.0:
            # lambda / ||W1||^2 is negligible here: the value is the exact, scale-free one
            exact = exact_value(weights.detach())
            assert loss.item() == pytest.approx(exact, rel=1e-4, abs=1e-4), scale


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_largest_eigenvalue_approx_is_finite_over_scales(dtype):
    base = torch.diag(torch.tensor([1.0, 4.0, 2.0], dtype=dtype))
    for scale in _scales(dtype):
        top = largest_eigenvalue(base * scale)
        assert torch.isfinite(top)
        expected = 4.0 * scale + default_tikhonov_lambda(dtype)
        assert top.item() == pytest.approx(expected, rel=1e-5)
    bad = base.clone()
    bad[0, 0] = float("inf")
    assert torch.isnan(largest_eigenvalue(bad))
