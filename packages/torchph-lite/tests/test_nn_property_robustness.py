"""Property: SLayers and coordinate transforms turn finite input into finite output and
gradients (never NaN), or raise a clear ValueError/TypeError.

Over batch sizes, diagram sizes (empty ones included), point dimensions, dtypes and value
scales of the points and of the layers' parameters.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from torchph_lite.nn import (
    LinearRationalStretchedBirthLifeTimeCoordinateTransform,
    LogStretchedBirthLifeTimeCoordinateTransform,
    SLayerExponential,
    SLayerRational,
    SLayerRationalHat,
    UpperDiagonalThresholdedLogTransform,
)

DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
TRANSFORMS = [
    LinearRationalStretchedBirthLifeTimeCoordinateTransform,
    LogStretchedBirthLifeTimeCoordinateTransform,
    UpperDiagonalThresholdedLogTransform,
]


def _decades(dtype: torch.dtype) -> float:
    return math.log10(torch.finfo(dtype).max)


@st.composite
def slayer_cases(draw):
    dtype = draw(st.sampled_from(DTYPES))
    decades = _decades(dtype) - 1  # a quarter of the range or less: sums of D terms stay finite
    return {
        "dtype": dtype,
        "kind": draw(st.sampled_from(["exponential", "rational", "rational_hat"])),
        "n_elements": draw(st.integers(1, 4)),
        "dim": draw(st.integers(1, 3)),
        "sizes": draw(st.lists(st.integers(0, 4), min_size=1, max_size=3)),
        "point_scale": 10.0 ** draw(st.floats(-decades, decades)),
        "parameter_scale": 10.0 ** draw(st.floats(-decades, decades)),
        "exponent": draw(st.floats(0.01, 5.0)),
        "threshold": draw(st.sampled_from([None, 1e-3])),
        "seed": draw(st.integers(0, 2**31 - 1)),
    }


def _make_layer(case: dict) -> torch.nn.Module:
    n, dim, dtype = case["n_elements"], case["dim"], case["dtype"]
    generator = torch.Generator().manual_seed(case["seed"])
    centers = (torch.randn(n, dim, dtype=torch.float64, generator=generator)).to(dtype)
    shape = torch.rand(n, dim, dtype=torch.float64, generator=generator) * case["parameter_scale"]
    shape = shape.to(dtype)
    if case["kind"] == "exponential":
        return SLayerExponential(n, dim, centers_init=centers, sharpness_init=shape)
    if case["kind"] == "rational":
        return SLayerRational(
            n,
            dim,
            centers_init=centers,
            sharpness_init=shape,
            exponent_init=torch.full((n,), case["exponent"], dtype=dtype),
            freeze_exponent=False,
            pointwise_activation_threshold=case["threshold"],
        )
    return SLayerRationalHat(n, dim, centers_init=centers, radius_init=shape[:, 0])


@settings(max_examples=80, deadline=None)
@given(case=slayer_cases())
def test_slayers_finite_input_gives_finite_output_and_gradients(case):
    layer = _make_layer(case)
    generator = torch.Generator().manual_seed(case["seed"] + 1)
    diagrams = [
        (torch.randn(size, case["dim"], dtype=torch.float64, generator=generator))
        .mul(case["point_scale"])
        .to(case["dtype"])
        .requires_grad_()
        for size in case["sizes"]
    ]
    out = layer(diagrams)
    assert out.dtype == case["dtype"]
    assert torch.isfinite(out).all()
    out.float().sum().backward()
    for name, parameter in layer.named_parameters():
        assert parameter.grad is None or torch.isfinite(parameter.grad).all(), name
    for diagram in diagrams:
        assert diagram.grad is None or torch.isfinite(diagram.grad).all()


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from([SLayerExponential, SLayerRational, SLayerRationalHat]),
    bad=st.sampled_from(
        [
            [torch.tensor([[0.0, math.inf]])],  # an essential class
            [torch.tensor([[math.nan, 1.0]])],
            [torch.zeros(2, 3)],  # wrong point dimension
            [torch.zeros(2, 2, dtype=torch.float64)],  # wrong dtype
            [torch.zeros(2, 2, device="meta")],  # wrong device
            [torch.zeros(2, 2, dtype=torch.int64)],
            "not a diagram",
        ]
    ),
)
def test_slayers_reject_bad_input_clearly(kind, bad):
    with pytest.raises((ValueError, TypeError)):
        kind(2)(bad)


@st.composite
def diagrams(draw):
    dtype = draw(st.sampled_from(DTYPES))
    decades = _decades(dtype) - 1
    size = draw(st.integers(0, 5))
    births = draw(st.lists(st.floats(-1, 1), min_size=size, max_size=size))
    # Lifetimes are 0 (on the diagonal, sent to -inf by convention) or well inside the range.
    lifetimes = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(-4, decades).map(lambda e: 10.0**e)),
            min_size=size,
            max_size=size,
        )
    )
    scale = 10.0 ** draw(st.floats(-2, decades / 2))
    nu = 10.0 ** draw(st.floats(-3, 1))
    return dtype, births, lifetimes, scale, nu


@settings(max_examples=80, deadline=None)
@given(case=diagrams(), transform=st.sampled_from(TRANSFORMS))
def test_transforms_never_give_nan_and_only_the_diagonal_goes_to_minus_inf(case, transform):
    dtype, births, lifetimes, scale, nu = case
    birth = torch.tensor(births, dtype=torch.float64) * scale
    death = birth + torch.tensor(lifetimes, dtype=torch.float64)
    dgm = torch.stack([birth, death], dim=1).reshape(-1, 2).to(dtype)
    if not torch.isfinite(dgm).all():
        return  # the draw left the dtype's range
    dgm.requires_grad_()
    out = transform(nu)(dgm)
    assert out.shape == dgm.shape
    assert not torch.isnan(out).any()
    on_diagonal = dgm[:, 1] == dgm[:, 0]
    assert (out[on_diagonal, 1] == -math.inf).all()
    # Off the diagonal: finite wherever the exact (float64) value fits the dtype.
    exact = transform(nu)(dgm.detach().double())
    representable = exact.abs() <= torch.finfo(dtype).max / 2
    representable[on_diagonal] = False
    assert torch.isfinite(out[representable]).all()
    if out.numel():
        out[torch.isfinite(out)].sum().backward()
        assert not torch.isnan(dgm.grad).any()
