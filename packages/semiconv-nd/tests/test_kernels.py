"""Kernel modules: closed forms, agreement with the original, initialisations, gradcheck."""

from __future__ import annotations

import math

import pytest
import torch

from semiconv_nd import (
    LearnedKernel1D,
    LearnedKernel2D,
    LearnedKernel3D,
    LearnedKernelND,
    QuadraticKernelCholesky2D,
    QuadraticKernelCholeskyND,
    QuadraticKernelIso1D,
    QuadraticKernelIso2D,
    QuadraticKernelIso3D,
    QuadraticKernelIsoND,
    QuadraticKernelSpectral2D,
)


def _original():
    return pytest.importorskip("pytorch_nd_semiconv")


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_spectral_matches_original_with_the_same_parameters(k: int) -> None:
    original = _original()
    ref = original.QuadraticKernelSpectral2D(3, 4, k)
    ours = QuadraticKernelSpectral2D(3, 4, k)
    with torch.no_grad():
        ours.log_std.copy_(ref.covs.log_std)
        ours.theta.copy_(ref.covs.theta)
    torch.testing.assert_close(ours(), ref(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_cholesky_matches_original_with_the_same_parameters(k: int) -> None:
    original = _original()
    ref = original.QuadraticKernelCholesky2D(3, 4, k)
    ours = QuadraticKernelCholesky2D(3, 4, k)
    with torch.no_grad():
        ours.log_std.copy_(ref.covs.log_std.moveaxis(0, 2))
        ours.corr.copy_(ref.covs.corr)
    torch.testing.assert_close(ours(), ref(), rtol=1e-5, atol=1e-5)
    log_std, r = ours.inspect_parameters()
    assert log_std.shape == (4, 3, 2)
    torch.testing.assert_close(r, ref.covs.corr.tanh())


@pytest.mark.parametrize("k", [2, 3, 5])
def test_iso_matches_original_with_the_same_parameters(k: int) -> None:
    original = _original()
    ref = original.QuadraticKernelIso2D(3, 4, k)
    ours = QuadraticKernelIso2D(3, 4, k)
    with torch.no_grad():
        ours.log_std.copy_(ref.log_std)
    torch.testing.assert_close(ours(), ref(), rtol=1e-5, atol=1e-5)


def test_spectral_axis_convention() -> None:
    # theta = 0: the first principal axis (small std) runs along the rows (tensor axis 0).
    kernel = QuadraticKernelSpectral2D(1, 1, 5, {"var": 1.0})
    with torch.no_grad():
        kernel.theta.zero_()
        kernel.log_std.copy_(torch.tensor([[[0.0, math.log(4.0)]]]))
    values = kernel()[0, 0]
    assert values[2, 2].item() == 0.0
    torch.testing.assert_close(values[0, 2], torch.tensor(-4.0))  # two rows up: -2^2 / 1
    torch.testing.assert_close(values[2, 0], torch.tensor(-0.25))  # two columns left: -4 / 16
    log_std, theta = kernel.inspect_parameters()
    assert log_std.shape == (1, 1, 2)
    assert theta.shape == (1, 1)


def test_cholesky_covariance_closed_form() -> None:
    kernel = QuadraticKernelCholesky2D(1, 1, 3, {"var": 2.0})
    with torch.no_grad():
        kernel.corr.fill_(0.4)
    std = math.sqrt(2.0)
    r = math.tanh(0.4)
    cov = torch.tensor([[std**2, r * std**2], [r * std**2, std**2]], dtype=torch.float64)
    precision = torch.linalg.inv(cov)
    offsets = torch.tensor([[i, j] for i in (-1, 0, 1) for j in (-1, 0, 1)], dtype=torch.float64)
    expected = -torch.einsum("ti,ij,tj->t", offsets, precision, offsets).reshape(3, 3)
    torch.testing.assert_close(kernel()[0, 0].double(), expected, rtol=1e-5, atol=1e-6)


def test_even_kernels_use_the_same_padding_origin() -> None:
    values = QuadraticKernelIso1D(1, 1, 4, {"var": 1.0})()[0, 0]
    assert values.tolist() == [-1.0, 0.0, -1.0, -4.0]  # offsets -1, 0, 1, 2


@pytest.mark.parametrize(
    "module",
    [
        lambda: QuadraticKernelSpectral2D(2, 3, 3),
        lambda: QuadraticKernelCholesky2D(2, 3, 3),
        lambda: QuadraticKernelIso2D(2, 3, 3),
        lambda: QuadraticKernelIsoND(2, 3, (3, 2, 4), 3),
        lambda: QuadraticKernelCholeskyND(2, 3, (3, 2, 4), 3),
    ],
)
def test_kernel_parameters_pass_gradcheck_in_float64(module) -> None:
    # The original's Cholesky kernel silently computed in float32 after .double().
    kernel = module().double()
    out = kernel()
    assert out.dtype == torch.float64
    params = list(kernel.parameters())
    names = [n for n, _ in kernel.named_parameters()]

    def evaluate(*values: torch.Tensor) -> torch.Tensor:
        state = dict(zip(names, values))
        return torch.func.functional_call(kernel, state, ())

    assert torch.autograd.gradcheck(evaluate, tuple(p.detach().requires_grad_() for p in params))


@pytest.mark.parametrize(
    ("cls", "options"),
    [
        (
            QuadraticKernelSpectral2D,
            ["normal", "uniform", "uniform-iso", "ss-iso", "log-ss-iso", "skewed", 3.0],
        ),
        (
            QuadraticKernelCholesky2D,
            ["normal", "uniform", "uniform-iso", "ss-iso", "log-ss-iso", "skewed", 2],
        ),
        (QuadraticKernelIso2D, ["normal", "uniform", "ss", "log-ss", 5.0]),
    ],
)
def test_every_documented_initialisation(cls, options) -> None:
    for option in options:
        for k in (1, 3, 6):  # k = 1 gave the original a zero variance (NaN kernels)
            kernel = cls(2, 5, k, {"var": option})
            values = kernel()
            assert values.shape == (5, 2, k, k)
            assert torch.isfinite(values).all()
            assert (values <= 0).all()
            variances = kernel.log_std.detach().mul(2).exp()
            assert (variances >= 1 - 1e-5).all()
            assert (variances <= 24 + 1e-4).all()


def test_default_initialisations() -> None:
    torch.manual_seed(1)
    spectral = QuadraticKernelSpectral2D(4, 8, 5)
    variances = spectral.log_std.detach().mul(2).exp()
    assert ((variances[..., 0] >= 1) & (variances[..., 0] <= 8)).all()  # "skewed"
    assert ((variances[..., 1] >= 20) & (variances[..., 1] <= 24)).all()
    spin = torch.sort(spectral.theta.detach().flatten()).values
    torch.testing.assert_close(spin, torch.linspace(0, math.pi, 33)[:-1])  # "spin"
    cholesky = QuadraticKernelCholesky2D(4, 8, 5)  # the documented default: "skewed"
    variances = cholesky.log_std.detach().mul(2).exp()
    assert (variances[..., 1] >= 20).all()
    assert (cholesky.corr.abs() <= 1).all()
    iso = QuadraticKernelIso2D(2, 3, 5)  # scale space: evenly spaced in [1, 2 * 2^2]
    variances = torch.sort(iso.log_std.detach().mul(2).exp().flatten()).values
    torch.testing.assert_close(variances, torch.linspace(1, 8, 6))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: QuadraticKernelSpectral2D(2, 3, 3, {"var": "skewd"}), ValueError, "var"),
        (lambda: QuadraticKernelSpectral2D(2, 3, 3, {"theta": "spun"}), ValueError, "theta"),
        (lambda: QuadraticKernelCholesky2D(2, 3, 3, {"theta": "spin"}), ValueError, "theta"),
        (lambda: QuadraticKernelIso2D(2, 3, 3, {"var": -1.0}), ValueError, "positive"),
        (lambda: QuadraticKernelIso2D(2, 3, 3, {"var": "skewed"}), ValueError, "var"),
        (lambda: QuadraticKernelIso2D(0, 3, 3), ValueError, "in_channels"),
        (lambda: QuadraticKernelIso2D(2, 3, 0), ValueError, "kernel_size"),
        (lambda: QuadraticKernelIsoND(2, 3, (3, 3), 3), ValueError, "kernel_size"),
        (lambda: QuadraticKernelIsoND(2, 3, 3, 0), ValueError, "ndim"),
        (lambda: LearnedKernel2D(2, -3, 3), ValueError, "out_channels"),
        (lambda: QuadraticKernelIso2D(2, 3, 3, ["ss"]), TypeError, "init"),
    ],
)
def test_bad_kernel_arguments(make, error, match) -> None:
    with pytest.raises(error, match=match):
        make()


def test_nd_kernels_shapes_and_values() -> None:
    assert QuadraticKernelIso1D(2, 3, 5)().shape == (3, 2, 5)
    assert QuadraticKernelIso3D(2, 3, (3, 5, 1))().shape == (3, 2, 3, 5, 1)
    iso3 = QuadraticKernelIso3D(1, 1, 3, {"var": 2.0})()[0, 0]
    assert iso3[0, 0, 0].item() == pytest.approx(-3.0 / 2.0)
    assert LearnedKernel1D(2, 3, 4)().shape == (3, 2, 4)
    assert LearnedKernel3D(2, 3, 2)().shape == (3, 2, 2, 2, 2)
    learned = LearnedKernelND(1, 2, (2, 3, 4, 5), 4)
    assert learned().shape == (2, 1, 2, 3, 4, 5)
    assert learned() is learned.kernel
    assert repr(QuadraticKernelIso2D(5, 6, 3)) == "QuadraticKernelIso2D(5, 6, kernel_size=3)"


def test_nd_cholesky_closed_form_in_3d() -> None:
    kernel = QuadraticKernelCholeskyND(1, 2, (3, 4, 3), 3).double()
    factor = kernel.cholesky().detach()
    assert torch.equal(factor, factor.tril())
    precision = torch.linalg.inv(factor @ factor.transpose(-1, -2))
    offsets = kernel._positions.double()
    expected = -torch.einsum("ta,oiab,tb->oit", offsets, precision, offsets)
    torch.testing.assert_close(kernel().detach(), expected.reshape(2, 1, 3, 4, 3))
    log_std, offdiag = kernel.inspect_parameters()
    assert log_std.shape == (2, 1, 3)
    assert offdiag.shape == (2, 1, 3)
    variances = QuadraticKernelCholeskyND(1, 4, 5, 2).log_std.detach().mul(2).exp()
    assert (variances[..., 1] >= 20).all()  # default "skewed"
    assert QuadraticKernelCholeskyND(1, 1, 5, 1, {"var": 1.0})().shape == (1, 1, 5)
