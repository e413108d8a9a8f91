"""Coordinate transforms of persistence diagrams."""

from __future__ import annotations

import math

import pytest
import torch

from torchph_lite.nn.slayer import (
    LinearRationalStretchedBirthLifeTimeCoordinateTransform as Linear,
)
from torchph_lite.nn.slayer import (
    LogStretchedBirthLifeTimeCoordinateTransform as Log,
)
from torchph_lite.nn.slayer import (
    UpperDiagonalThresholdedLogTransform as UpperDiagonal,
)

TRANSFORMS = [Linear, Log, UpperDiagonal]
NU = 0.1


def reference(kind, b, d, nu=NU):
    if kind is UpperDiagonal:
        x, y = (b + d) / math.sqrt(2), (d - b) / math.sqrt(2)
        return x, (y if y > nu else nu * math.log(y / nu) + nu)
    lifetime = d - b
    if lifetime > nu:
        return b, lifetime
    if kind is Linear:
        return b, -(nu**2) / lifetime + 2 * nu
    return b, nu * math.log(lifetime / nu) + nu


def test_check_values_of_the_original():
    point = torch.tensor([[0.0, 0.05]])
    torch.testing.assert_close(Linear(NU)(point), torch.tensor([[0.0, 0.0]]))
    torch.testing.assert_close(Log(NU)(point), torch.tensor([[0.0, 0.0306853]]))
    torch.testing.assert_close(
        UpperDiagonal(NU)(torch.tensor([[0.0, 1.0]])), torch.tensor([[0.70711, 0.70711]])
    )


def test_log_gradient_of_the_original():
    point = torch.tensor([[0.0, 0.05]], dtype=torch.float64, requires_grad=True)
    Log(NU)(point).sum().backward()
    torch.testing.assert_close(point.grad, torch.tensor([[-1.0, 2.0]], dtype=torch.float64))


@pytest.mark.parametrize("kind", TRANSFORMS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_reference_on_both_sides_of_nu(kind, dtype, device):
    g = torch.Generator().manual_seed(0)
    births = torch.rand(50, generator=g, dtype=torch.float64)
    deaths = births + torch.rand(50, generator=g, dtype=torch.float64) * 0.3 + 1e-3
    dgm = torch.stack([births, deaths], 1)
    expected = torch.tensor([reference(kind, b, d) for b, d in dgm.tolist()], dtype=dtype)
    output = kind(NU)(dgm.to(dtype=dtype, device=device))
    assert output.dtype == dtype
    assert output.shape == (50, 2)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-12}
    torch.testing.assert_close(output.cpu(), expected, **tol)


@pytest.mark.parametrize("kind", TRANSFORMS)
def test_single_point_and_empty_diagrams(kind):
    single = torch.tensor([[0.2, 0.9]])
    assert kind(NU)(single).shape == (1, 2)
    torch.testing.assert_close(kind(NU)(single)[0], torch.tensor(reference(kind, 0.2, 0.9)))
    for empty in (torch.zeros(0, 2), torch.Tensor([])):
        assert kind(NU)(empty) is empty


@pytest.mark.parametrize("kind", TRANSFORMS)
def test_input_is_not_modified(kind):
    dgm = torch.tensor([[0.0, 0.01], [0.0, 1.0]])
    before = dgm.clone()
    kind(NU)(dgm)
    assert torch.equal(dgm, before)


@pytest.mark.parametrize("kind", TRANSFORMS)
def test_gradcheck(kind):
    g = torch.Generator().manual_seed(1)
    births = torch.rand(6, generator=g, dtype=torch.float64)
    lifetimes = torch.tensor([0.01, 0.04, 0.09, 0.3, 0.7, 1.5], dtype=torch.float64)
    dgm = torch.stack([births, births + lifetimes], 1).requires_grad_(True)
    assert torch.autograd.gradcheck(kind(NU), (dgm,))


@pytest.mark.parametrize("kind", TRANSFORMS)
def test_diagonal_and_infinite_points(kind):
    dgm = torch.tensor([[0.3, 0.3], [0.0, math.inf]], requires_grad=True)
    output = kind(NU)(dgm)
    assert output[0, 1] == -math.inf
    assert output[1, 1] == math.inf
    output[:, 0].sum().backward()  # the first coordinate stays differentiable
    assert not torch.isnan(dgm.grad[0]).any()


@pytest.mark.parametrize("kind", TRANSFORMS)
def test_bad_input(kind):
    with pytest.raises(ValueError, match="NaN"):
        kind(NU)(torch.tensor([[0.0, math.nan]]))
    with pytest.raises(ValueError, match="below the diagonal"):
        kind(NU)(torch.tensor([[0.5, 0.2]]))
    with pytest.raises(ValueError, match=r"shape \(k, 2\)"):
        kind(NU)(torch.rand(3, 3))
    with pytest.raises(ValueError, match=r"shape \(k, 2\)"):
        kind(NU)(torch.rand(2))
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        kind(NU)([[0.0, 1.0]])
    with pytest.raises(ValueError, match="nu must be a positive"):
        kind(0.0)
    with pytest.raises(ValueError, match="nu must be a positive"):
        kind(math.inf)
