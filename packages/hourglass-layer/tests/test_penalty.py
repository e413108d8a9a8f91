"""The hourglass term L_h: closed forms, the VL3D reference formula, strategies and dtypes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hourglass_layer import SPECTRAL_STRATEGIES, HourglassLayer, hourglass_penalty
from hourglass_layer.spectral import default_tikhonov_lambda


def orthonormal_columns(rows: int, cols: int, dtype=torch.float64) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(rows, cols, dtype=torch.float64))
    return q.to(dtype)


def numpy_reference(w1: np.ndarray, power: int) -> float:
    """|| W1^T W1 / sqrt(lambda_max)^power - I ||_F in float64 numpy (power 1 = VL3D test)."""
    cov = w1.T @ w1
    spectral_norm = math.sqrt(np.linalg.eigvalsh(cov).max())
    return float(np.linalg.norm(cov / spectral_norm**power - np.eye(cov.shape[0]), "fro"))


@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
@pytest.mark.parametrize("c", [1e-2, 0.5, 1.0, 7.0])
def test_scaled_orthonormal_is_optimal_under_doc_formula(strategy, c):
    W1 = c * orthonormal_columns(12, 5)
    # approx: C / (c^2 + lam) - I = -lam / (c^2 + lam) I exactly
    lam = default_tikhonov_lambda(torch.float64) if strategy == "approx" else 0.0
    expected = math.sqrt(5) * lam / (c * c + lam)
    assert hourglass_penalty(W1, strategy).item() == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
@pytest.mark.parametrize("c", [1e-2, 0.5, 1.0, 7.0])
def test_scaled_orthonormal_under_vl3d_normalization(strategy, c):
    Dh = 5
    W1 = c * orthonormal_columns(12, Dh)
    value = hourglass_penalty(W1, strategy, normalization="vl3d").item()
    assert value == pytest.approx(abs(c - 1.0) * math.sqrt(Dh), abs=1e-12 + 1e-9 / c)
    # approx: C / sqrt(c^2 + lam) - I = (c^2 / sqrt(c^2 + lam) - 1) I exactly
    lam = default_tikhonov_lambda(torch.float64) if strategy == "approx" else 0.0
    exact = math.sqrt(Dh) * abs(c * c / math.sqrt(c * c + lam) - 1.0)
    assert value == pytest.approx(exact, abs=1e-12)


@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
@pytest.mark.parametrize(("Din", "Dh"), [(5, 8), (16, 32), (1, 4)])
def test_rank_deficient_bound(strategy, Din, Dh):
    rows = orthonormal_columns(Dh, Din).T  # orthonormal rows: all nonzero singular values 1
    expected = math.sqrt(Dh - Din)
    tol = 1e-6 if strategy == "approx" else 1e-12
    for normalization in ("squared", "vl3d"):
        assert hourglass_penalty(rows, strategy, normalization).item() == pytest.approx(
            expected, abs=tol
        )
    # scale-invariant under the doc formula: 3 * rows reaches the bound too
    assert hourglass_penalty(3.0 * rows, strategy).item() == pytest.approx(expected, abs=tol)
    # and it is a lower bound: random rank-deficient weights are above it
    assert hourglass_penalty(torch.randn(Din, Dh, dtype=torch.float64), strategy) >= expected - tol


@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
@pytest.mark.parametrize(("normalization", "power"), [("squared", 2), ("vl3d", 1)])
@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (64, 32)])
def test_matches_numpy_reference_float64(strategy, normalization, power, shape):
    W1 = torch.randn(shape, dtype=torch.float64) / math.sqrt(shape[0])
    expected = numpy_reference(W1.numpy(), power)
    tol = 1e-8 if strategy == "approx" else 1e-10
    assert hourglass_penalty(W1, strategy, normalization).item() == pytest.approx(expected, abs=tol)


def test_doc_and_vl3d_formulas_differ_as_documented():
    W1 = torch.randn(8, 5, dtype=torch.float64)
    doc = hourglass_penalty(W1, "unsafe").item()
    vl3d = hourglass_penalty(W1, "unsafe", "vl3d").item()
    assert doc == pytest.approx(numpy_reference(W1.numpy(), 2), abs=1e-12)
    assert vl3d == pytest.approx(numpy_reference(W1.numpy(), 1), abs=1e-12)
    assert abs(doc - vl3d) > 1e-3


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("normalization", ["squared", "vl3d"])
def test_strategies_agree_on_well_conditioned_weights(dtype, normalization):
    W1 = torch.empty(64, 32, dtype=dtype)
    torch.nn.init.xavier_uniform_(W1)
    values = {s: hourglass_penalty(W1, s, normalization) for s in SPECTRAL_STRATEGIES}
    rtol = 1e-5 if dtype == torch.float32 else 1e-9
    torch.testing.assert_close(values["safe"], values["unsafe"], rtol=rtol, atol=0.0)
    torch.testing.assert_close(values["approx"], values["unsafe"], rtol=rtol, atol=0.0)


def test_approx_uses_documented_lambda():
    W1 = torch.randn(6, 4, dtype=torch.float64)
    cov = W1.T @ W1
    top = torch.linalg.eigvalsh(cov)[-1]
    for lam in (default_tikhonov_lambda(torch.float64), 0.5):
        expected = torch.linalg.matrix_norm(cov / (top + lam) - torch.eye(4, dtype=torch.float64))
        torch.testing.assert_close(hourglass_penalty(W1, "approx", tikhonov_lambda=lam), expected)
    assert default_tikhonov_lambda(torch.float32) == 1e-5
    assert default_tikhonov_lambda(torch.float64) == 1e-10


@pytest.mark.parametrize("strategy", ["unsafe", "safe"])
@pytest.mark.parametrize("c", [1.0, 2.5])
def test_frobenius_gradient_is_finite_at_the_optimum(strategy, c):
    W1 = (c * torch.eye(4, dtype=torch.float64)).requires_grad_()
    loss = hourglass_penalty(W1, strategy)
    assert loss.item() == 0.0
    loss.backward()
    assert torch.isfinite(W1.grad).all()
    torch.testing.assert_close(W1.grad, torch.zeros_like(W1))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
def test_low_precision_weights_are_upcast(dtype, strategy):
    W1 = torch.randn(16, 8).to(dtype).requires_grad_()
    loss = hourglass_penalty(W1, strategy)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, hourglass_penalty(W1.detach().float(), strategy))
    loss.backward()
    assert W1.grad.dtype == dtype
    assert torch.isfinite(W1.grad.float()).all()


def test_bfloat16_layer_regularization_loss_is_float32():
    layer = HourglassLayer(8, 4, in_features=16, dtype=torch.bfloat16)
    assert layer.regularization_loss().dtype == torch.float32
    torch.testing.assert_close(
        layer.regularization_loss(), 0.1 * hourglass_penalty(layer.W1.detach().float())
    )


def test_batched_weights():
    W = torch.randn(3, 7, 4, dtype=torch.float64)
    batched = hourglass_penalty(W, "safe")
    assert batched.shape == (3,)
    for i in range(3):
        torch.testing.assert_close(batched[i], hourglass_penalty(W[i], "safe"))


@pytest.mark.parametrize("normalization", ["squared", "vl3d"])
def test_minimising_the_penalty_equalises_singular_values(normalization):
    W1 = torch.randn(32, 8, dtype=torch.float64) / math.sqrt(32)
    W1[:, 0] *= 5.0  # one dominant direction
    W1.requires_grad_()
    optimizer = torch.optim.Adam([W1], lr=1e-2)
    start = hourglass_penalty(W1, normalization=normalization).item()
    for _ in range(300):
        optimizer.zero_grad()
        hourglass_penalty(W1, normalization=normalization).backward()
        optimizer.step()
    assert hourglass_penalty(W1, normalization=normalization).item() < 0.05 * start
    s = torch.linalg.svdvals(W1.detach())
    assert (s.max() / s.min()).item() < 1.05
    if normalization == "vl3d":  # this one also pins the scale
        assert s.max().item() == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
def test_autocast_does_not_lower_the_regulariser_precision(strategy):
    layer = HourglassLayer(8, 4, in_features=16, spectral_strategy=strategy)
    expected = layer.regularization_loss()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = layer.regularization_loss()
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, expected)
