"""Quadratic kernels with extreme but finite parameters (issue 16).

The class: ``log_std``, ``theta``, ``corr`` and ``offdiag`` from -1e30 to 1e30, float32 and
float64. Every tap is 0 at the origin and finite-negative or ``-inf`` elsewhere, never NaN; the
gradients of any loss of the finite taps are finite; and the taps equal the closed form
(evaluated in float64) wherever it fits the dtype.
"""

from __future__ import annotations

import math

import pytest
import torch

from semiconv_nd.kernels import (
    QuadraticKernelCholesky2D,
    QuadraticKernelCholeskyND,
    QuadraticKernelIso2D,
    QuadraticKernelIsoND,
    QuadraticKernelSpectral2D,
)
from semiconv_nd.kernels._init import kernel_positions

VALUES = [-1e30, -1e4, -500.0, -100.0, -50.0, -20.0, -1.0, 0.0, 1.0, 20.0, 50.0, 100.0, 1e30]
KERNELS = {
    "spectral": (lambda: QuadraticKernelSpectral2D(2, 3, 5), ["log_std", "theta"]),
    "cholesky": (lambda: QuadraticKernelCholesky2D(2, 3, 4), ["log_std", "corr"]),
    "iso2d": (lambda: QuadraticKernelIso2D(2, 3, 5), ["log_std"]),
    "iso3d": (lambda: QuadraticKernelIsoND(1, 2, (3, 4, 3), ndim=3), ["log_std"]),
    "cholesky3d": (
        lambda: QuadraticKernelCholeskyND(1, 2, (3, 4, 3), ndim=3),
        ["log_std", "offdiag"],
    ),
}


def _origin_index(kernel) -> int:
    positions = kernel_positions(kernel._sizes, len(kernel._sizes))
    return int((positions.abs().sum(dim=-1) == 0).nonzero()[0, 0])


def _set(kernel, name: str, value: float, one_axis: bool) -> None:
    with torch.no_grad():
        parameter = getattr(kernel, name)
        if one_axis and name == "log_std" and parameter.dim() == 3:
            parameter[..., 0] = value  # one extreme axis, the others moderate
        else:
            parameter.fill_(value)


def _gradients(kernel, mask: torch.Tensor, weights: torch.Tensor) -> list[torch.Tensor]:
    kernel.zero_grad()
    (kernel().masked_fill(mask, 0.0) * weights.to(kernel.log_std.dtype)).sum().backward()
    return [p.grad for p in kernel.parameters()]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_taps_and_gradients_over_extreme_parameters(name, dtype):
    """Gradients are never NaN, and finite wherever the exact (float64) gradient fits the dtype.

    (A float32 gradient can truly exceed float32: e.g. d tap / d log_std with a huge ``corr``
    grows like e^corr times the square root of the tap.)
    """
    make, parameters = KERNELS[name]
    failures = []
    for parameter in parameters:
        for value in VALUES:
            for one_axis in (False, True) if parameter == "log_std" else (False,):
                torch.manual_seed(0)
                kernel = make().to(dtype)
                _set(kernel, parameter, value, one_axis)
                taps = kernel()
                origin = taps.flatten(2)[..., _origin_index(kernel)]
                mask = ~torch.isfinite(taps)
                weights = torch.randn(taps.shape, dtype=torch.float64)
                grads = _gradients(kernel, mask, weights)
                exact = _gradients(kernel.double(), mask, weights)
                representable = [e.abs() <= torch.finfo(dtype).max / 2 for e in exact]
                ok = (
                    not torch.isnan(taps).any()
                    and bool((taps <= 0).all())
                    and bool((origin == 0).all())
                    and not any(torch.isnan(g).any() for g in grads)
                    and all(torch.isfinite(g[r]).all() for g, r in zip(grads, representable))
                )
                if not ok:
                    failures.append((parameter, value, one_axis))
    assert not failures, failures


def _spectral_closed_form(kernel) -> torch.Tensor:
    positions = kernel_positions(kernel._sizes, 2).double()
    theta = kernel.theta.detach().double().unsqueeze(-1)
    log_std = kernel.log_std.detach().double()
    along = theta.cos() * positions[:, 0] + theta.sin() * positions[:, 1]
    across = theta.cos() * positions[:, 1] - theta.sin() * positions[:, 0]
    precision = (-2.0 * log_std).exp()
    form = along.square() * precision[..., 0:1] + across.square() * precision[..., 1:2]
    return -form.reshape(kernel().shape)


def _cholesky_closed_form(kernel) -> torch.Tensor:
    positions = kernel_positions(kernel._sizes, 2).double()
    std = kernel.log_std.detach().double().exp()
    r = kernel.corr.detach().double().tanh()
    s0, s1 = std[..., 0], std[..., 1]
    cov = torch.stack(
        [torch.stack([s0 * s0, r * s0 * s1], -1), torch.stack([r * s0 * s1, s1 * s1], -1)], -2
    )
    precision = torch.linalg.inv(cov)
    form = torch.einsum("ta,oiab,tb->oit", positions, precision, positions)
    return -form.reshape(kernel().shape)


@pytest.mark.parametrize(
    ("make", "closed_form", "parameter", "value"),
    [
        (lambda: QuadraticKernelSpectral2D(2, 3, 5), _spectral_closed_form, "log_std", -50.0),
        (lambda: QuadraticKernelSpectral2D(2, 3, 5), _spectral_closed_form, "log_std", -20.0),
        (lambda: QuadraticKernelSpectral2D(2, 3, 5), _spectral_closed_form, "log_std", 30.0),
        (lambda: QuadraticKernelCholesky2D(2, 3, 5), _cholesky_closed_form, "corr", 5.0),
        (lambda: QuadraticKernelCholesky2D(2, 3, 5), _cholesky_closed_form, "log_std", -40.0),
    ],
)
def test_float32_taps_equal_the_float64_closed_form_where_it_fits(
    make, closed_form, parameter, value
):
    torch.manual_seed(1)
    kernel = make()
    _set(kernel, parameter, value, one_axis=True)
    taps, exact = kernel().detach(), closed_form(kernel)
    fits = exact.abs() <= torch.finfo(torch.float32).max / 4
    torch.testing.assert_close(taps[fits].double(), exact[fits], rtol=1e-5, atol=1e-6)
    assert (taps[~fits] == -math.inf).all()


def test_issue_cases():
    """The issue's examples: Spectral2D, Iso2D with log_std = -50; Cholesky2D with a large corr."""
    for kernel, name, value in [
        (QuadraticKernelSpectral2D(1, 1, 3), "log_std", -50.0),
        (QuadraticKernelIso2D(1, 1, 3), "log_std", -50.0),
        (QuadraticKernelCholesky2D(1, 1, 3), "corr", 60.0),
    ]:
        _set(kernel, name, value, one_axis=False)
        taps = kernel()[0, 0]
        assert taps[1, 1] == 0
        assert not torch.isnan(taps).any()
        taps.masked_fill(~torch.isfinite(taps), 0.0).sum().backward()
        assert all(torch.isfinite(p.grad).all() for p in kernel.parameters())
