"""Property: finite input gives a finite output, loss and gradients, or a clear error.

Over shapes (including empty batches and rank-deficient waists), dtypes, value scales of the
input and of the weights, activations, strategies and normalisations.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hourglass_layer import ACTIVATIONS, HourglassLayer

DTYPES = [torch.float32, torch.float64, torch.bfloat16, torch.float16]
# Bounded activations keep the output finite for any finite input; unbounded ones (relu, ...)
# may legitimately overflow the dtype for huge inputs, so their scales are limited below.
BOUNDED = {"sigmoid", "tanh", "softsign", "hard_sigmoid", "hard_tanh", "hardtanh", "hardsigmoid"}


def _log10_max(dtype: torch.dtype) -> float:
    return math.log10(torch.finfo(dtype).max)


@st.composite
def cases(draw):
    dtype = draw(st.sampled_from(DTYPES))
    batch = draw(st.lists(st.integers(0, 3), min_size=0, max_size=2))
    m, din, dh, dout = (draw(st.integers(1, 6)) for _ in range(4))
    activation = draw(st.sampled_from([*sorted(ACTIVATIONS), None]))
    activation2 = draw(st.sampled_from([*sorted(BOUNDED & set(ACTIVATIONS)), None]))
    # Keep |F W1 W2| (and the gradients, ~ 1 / |W1| for the scale-free loss) inside the dtype:
    # the input's and the weights' scales each get half of its decades.
    decades = _log10_max(dtype)
    log_input = draw(st.floats(-decades / 2, (decades - 3) / 2))
    log_weight = draw(st.floats(-decades / 2, (decades - 3) / 2))
    strategy = draw(st.sampled_from(["safe", "approx"]))  # "unsafe" may raise, by design
    normalization = draw(st.sampled_from(["squared", "vl3d"]))
    seed = draw(st.integers(0, 2**31 - 1))
    return {
        "dtype": dtype,
        "shape": (*batch, m, din),
        "dh": dh,
        "dout": dout,
        "activation": activation,
        "activation2": activation2,
        "input_scale": 10.0**log_input,
        "weight_scale": 10.0**log_weight,
        "strategy": strategy,
        "normalization": normalization,
        "seed": seed,
    }


@settings(max_examples=60, deadline=None)
@given(case=cases())
def test_finite_input_gives_finite_output_loss_and_gradients(case):
    dtype = case["dtype"]
    generator = torch.Generator().manual_seed(case["seed"])
    layer = HourglassLayer(
        case["dh"],
        case["dout"],
        activation=case["activation"],
        activation2=case["activation2"],
        spectral_strategy=case["strategy"],
        normalization=case["normalization"],
        dtype=dtype,
    )
    F = torch.randn(case["shape"], dtype=torch.float64, generator=generator)
    F = (F * case["input_scale"]).to(dtype).requires_grad_()
    out = layer(F)
    assert out.shape == (*case["shape"][:-1], case["dout"])
    assert out.dtype == dtype
    with torch.no_grad():
        layer.W1.mul_(case["weight_scale"])
    out = layer(F)
    loss = layer.regularization_loss()
    assert torch.isfinite(out).all()
    assert not torch.isnan(loss)
    if case["normalization"] == "squared":  # scale-free: bounded by sqrt(Dh)
        assert torch.isfinite(loss)
    (out.float().mean() + loss).backward()
    assert torch.isfinite(F.grad).all()
    assert torch.isfinite(layer.W1.grad).all()
    assert torch.isfinite(layer.W2.grad).all()


@settings(max_examples=25, deadline=None)
@given(
    strategy=st.sampled_from(["safe", "approx"]),  # "unsafe" is plain eigh, by design
    # float16's range is too narrow for the gradient (~ 1 / |W1|) of its tiny weights
    dtype=st.sampled_from([torch.float32, torch.float64, torch.bfloat16]),
    log_scale=st.floats(-30, 30),
    din=st.integers(1, 8),
    dh=st.integers(1, 8),
)
def test_default_and_safe_strategies_never_raise_on_finite_weights(
    strategy, dtype, log_scale, din, dh
):
    layer = HourglassLayer(dh, 3, spectral_strategy=strategy, in_features=din, dtype=dtype)
    with torch.no_grad():
        layer.W1.copy_((layer.W1.double() * 10.0**log_scale).to(dtype))
    if not torch.isfinite(layer.W1).all():
        return  # the scale left the dtype's range: not a finite-weights case
    loss = layer.hourglass_loss()
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(layer.W1.grad).all()


@settings(max_examples=20, deadline=None)
@given(
    bad=st.sampled_from(
        [
            torch.zeros(2, 0),  # zero input features
            torch.zeros(3),  # fewer than two dims
            torch.ones(2, 3, dtype=torch.int64),  # integer input
            torch.ones(2, 3, dtype=torch.bool),
            torch.ones(2, 3, dtype=torch.complex64),
            torch.empty(2, 3, device="meta"),  # another device
            [[1.0, 2.0, 3.0]],  # not a tensor
        ]
    ),
    lazy=st.booleans(),
)
def test_bad_input_gives_a_clear_error(bad, lazy):
    layer = HourglassLayer(4, 2) if lazy else HourglassLayer(4, 2, in_features=3)
    with pytest.raises((ValueError, TypeError), match=r"F (must|has|is)"):
        layer(bad)
