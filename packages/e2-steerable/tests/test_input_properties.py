"""Property: finite input of any shape, dtype and scale gives finite output and gradients, or a
clear ValueError/TypeError (never a raw torch error, never NaN)."""

from __future__ import annotations

import copy

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2_steerable import gspaces, nn

_GS = gspaces.Rot2dOnR2(4)
_IN = nn.FieldType(_GS, [_GS.trivial_repr, _GS.regular_repr])
_OUT = nn.FieldType(_GS, [_GS.regular_repr] * 2)
_MODULES = {
    "conv": nn.R2Conv(_IN, _OUT, 3, padding=1),
    "conv_reflect": nn.R2Conv(_IN, _OUT, 3, padding=2, padding_mode="reflect"),
    "transposed": nn.R2ConvTransposed(_IN, _OUT, 3, stride=2),
    "batchnorm": nn.InnerBatchNorm(_IN),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(_MODULES)),
    ndim=st.sampled_from([3, 4, 4, 4, 5]),
    side=st.integers(1, 6),
    dtype=st.sampled_from([torch.float32, torch.float32, torch.float64, torch.int32]),
    scale_exp=st.integers(-30, 30),
    train=st.booleans(),
)
def test_finite_input_gives_finite_output_or_a_clear_error(
    name: str, ndim: int, side: int, dtype: torch.dtype, scale_exp: int, train: bool
) -> None:
    module = _MODULES[name].train(train)
    shape = (2, _IN.size) + (side,) * (ndim - 2)
    torch.manual_seed(0)
    data = torch.randn(shape, dtype=torch.float64) * 10.0**scale_exp
    data = data.to(dtype) if dtype.is_floating_point else data.round().clamp(-99, 99).to(dtype)
    x = data.requires_grad_(dtype.is_floating_point)
    try:
        y = module(nn.GeometricTensor(x, _IN)).tensor
    except (ValueError, TypeError) as err:
        message = str(err)
        assert type(module).__name__ in message
        assert any(word in message for word in ("shape", "dtype", "padding", "kernel", "output"))
        return
    assert ndim == 4
    assert dtype == torch.float32
    # a float32 input around 1e30 may overflow in the products: only finite outputs are promised
    # for inputs whose squares stay representable
    if abs(scale_exp) <= 15:
        assert torch.isfinite(y).all()
        y.square().mean().backward()
        assert x.grad is not None
        assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", sorted(_MODULES))
def test_float64_module_accepts_float64_input(name: str) -> None:
    m = copy.deepcopy(_MODULES[name]).double().eval()  # the shared modules stay float32
    y = m(nn.GeometricTensor(torch.randn(1, _IN.size, 6, 6, dtype=torch.float64), _IN))
    assert y.tensor.dtype == torch.float64
