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

from hourglass_layer import SPECTRAL_STRATEGIES, hourglass_penalty

DIN, DH = 12, 6

EXPECTED = {
    # case:            (unsafe,   safe,    approx)
    "glorot": ("exact", "exact", "exact"),
    "rank_deficient": ("exact", "exact", "exact"),
    "repeated_sv": ("exact", "exact", "exact"),
    "cond_1e8": ("exact", "exact", "exact"),
    "tiny_1e-4": ("exact", "exact", "biased"),
    "underflow_1e-30": ("nan", "exact", "biased"),
    "huge_1e20": ("raises", "exact", "raises"),
    "zero": ("nan", "exact", "exact"),
    "nan_entry": ("raises", "nan", "raises"),
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
