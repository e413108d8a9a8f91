"""SLayers on extreme but finite inputs: never a NaN value or gradient (issue 16).

The class: points, centres and shape parameters from 1e-30 to 1e30 (and beyond in float64), in
every floating dtype. ``SLayerExponential`` used to give ``0 * inf = NaN`` sharpness gradients once
``(c - p)^2`` overflowed; ``SLayerRational`` gave NaN exponent gradients (and a wrong 0 value)
once the weighted L1 distance overflowed.
"""

from __future__ import annotations

import math

import pytest
import torch

from torchph_lite.nn import SLayerExponential, SLayerRational, SLayerRationalHat
from torchph_lite.nn.distances import log1p_weighted_l1_distances, weighted_l1_distances

DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


def _scales(dtype: torch.dtype) -> list[float]:
    """0 and powers of ten from 1e-30 to 1e30, clipped to a quarter of the dtype's range."""
    info = torch.finfo(dtype)
    exponents = range(-30, 31, 3) if dtype != torch.float64 else range(-300, 301, 30)
    return [0.0] + [10.0**k for k in exponents if info.tiny <= 10.0**k <= info.max / 4]


def _layers(dtype: torch.dtype, parameter_scale: float) -> dict[str, torch.nn.Module]:
    generator = torch.Generator().manual_seed(1)
    centers = torch.randn(3, 2, dtype=torch.float64, generator=generator).to(dtype)
    shape = (torch.rand(3, 2, dtype=torch.float64, generator=generator) * parameter_scale).to(dtype)
    exponent = torch.tensor([1.0, 0.1, 3.0], dtype=dtype)
    return {
        "exponential": SLayerExponential(3, centers_init=centers, sharpness_init=shape),
        "rational": SLayerRational(
            3,
            centers_init=centers,
            sharpness_init=shape,
            exponent_init=exponent,
            freeze_exponent=False,
        ),
        "rational_threshold": SLayerRational(
            3, centers_init=centers, sharpness_init=shape, pointwise_activation_threshold=1e-3
        ),
        "rational_hat": SLayerRationalHat(3, centers_init=centers, radius_init=shape[:, 0]),
    }


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_no_nan_value_or_gradient_over_scales(dtype):
    points = torch.tensor([[0.2, 0.9], [-1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    failures = []
    for parameter_scale in [1.0, *_scales(dtype)[1::3]]:
        for point_scale in _scales(dtype):
            for name, layer in _layers(dtype, parameter_scale).items():
                diagram = (points * point_scale).to(dtype).requires_grad_()
                out = layer([diagram, diagram[:1]])
                out.sum().backward()
                grads = {n: p.grad for n, p in layer.named_parameters()} | {"points": diagram.grad}
                bad = [n for n, g in grads.items() if not torch.isfinite(g).all()]
                if not torch.isfinite(out).all() or bad:
                    failures.append((name, point_scale, parameter_scale, bad))
    assert not failures, failures[:10]


@pytest.mark.parametrize("point_scale", [1e20, 1e30])
def test_exponential_far_points_contribute_exactly_zero_with_zero_gradients(point_scale):
    """The issue's case: float32 points ~1e30 gave a NaN sharpness gradient."""
    layer = SLayerExponential(4)
    diagram = torch.full((5, 2), point_scale).requires_grad_()
    out = layer([diagram, torch.rand(3, 2)])
    out.sum().backward()
    assert torch.equal(out[0], torch.zeros(4))
    for grad in (layer.sharpness.grad, layer.centers.grad, diagram.grad):
        assert torch.isfinite(grad).all()
    assert torch.equal(diagram.grad, torch.zeros_like(diagram))


def test_exponential_values_and_gradients_match_float64_over_scales():
    for scale in [1e-30, 1e-10, 1.0, 1e10, 1e30]:
        layer64 = SLayerExponential(3, sharpness_init=torch.full((3, 2), 3.0, dtype=torch.float64))
        layer64.centers.data.mul_(scale)
        layer32 = SLayerExponential(3, centers_init=layer64.centers.detach().float())
        diagram = torch.rand(4, 2, dtype=torch.float64) * scale
        out64 = layer64([diagram])
        out32 = layer32([diagram.float()])
        torch.testing.assert_close(out32, out64.float(), rtol=1e-5, atol=1e-6)
        out64.sum().backward()
        out32.sum().backward()
        for p32, p64 in (
            (layer32.centers, layer64.centers),
            (layer32.sharpness, layer64.sharpness),
        ):
            torch.testing.assert_close(p32.grad, p64.grad.float(), rtol=1e-4, atol=1e-6 / scale)


def test_rational_overflowing_distance_keeps_its_value_and_gradients():
    """float32: 1e20 * 1e20 overflows; the result must equal the float64 one, not drop to 0."""
    kwargs = {"exponent_init": torch.tensor([1.0, 0.1, 0.01]), "freeze_exponent": False}
    layer32 = SLayerRational(3, sharpness_init=torch.full((3, 2), 1e20), **kwargs)
    layer64 = SLayerRational(
        3,
        centers_init=layer32.centers.detach().double(),
        sharpness_init=torch.full((3, 2), 1e20, dtype=torch.float64),
        exponent_init=kwargs["exponent_init"].double(),
        freeze_exponent=False,
    )
    diagram = torch.tensor([[1e20, 2e20], [0.5, 0.5]], dtype=torch.float64)
    out32, out64 = layer32([diagram.float()]), layer64([diagram])
    assert not torch.isfinite(
        weighted_l1_distances(
            diagram.float()[None], layer32.centers.detach(), layer32.sharpness.detach()
        )
    ).all()
    torch.testing.assert_close(out32, out64.float(), rtol=1e-4, atol=0.0)
    assert out32[0, 2] > 0.5  # (1 + 3e40)^-0.01 = 0.39...: not the overflowed 0
    out32.sum().backward()
    out64.sum().backward()
    torch.testing.assert_close(
        layer32.exponent.grad, layer64.exponent.grad.float(), rtol=1e-4, atol=0.0
    )
    assert torch.isfinite(layer32.sharpness.grad).all()
    assert torch.isfinite(layer32.centers.grad).all()


def test_log1p_distance_matches_the_direct_formula_and_gradchecks():
    generator = torch.Generator().manual_seed(2)
    points = torch.randn(2, 5, 3, dtype=torch.float64, generator=generator) * 10
    centers = torch.randn(4, 3, dtype=torch.float64, generator=generator)
    weights = torch.rand(4, 3, dtype=torch.float64, generator=generator) + 0.1
    direct = torch.log1p(weighted_l1_distances(points, centers, weights))
    torch.testing.assert_close(log1p_weighted_l1_distances(points, centers, weights), direct)
    inputs = tuple(t.clone().requires_grad_() for t in (points, centers, weights))
    assert torch.autograd.gradcheck(log1p_weighted_l1_distances, inputs)
    huge = log1p_weighted_l1_distances(points * 1e300, centers, weights * 1e300)
    assert torch.isfinite(huge).all()
    assert huge.min() > math.log(1e300)
