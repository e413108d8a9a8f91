"""Forward pass: the formula sigma2(sigma1(F W1) W2) against an independent float64 reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from hourglass_layer import ACTIVATIONS, HourglassLayer

_ERF = np.vectorize(math.erf)
NUMPY_ACTIVATIONS = {
    "identity": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "gelu": lambda x: 0.5 * x * (1.0 + _ERF(x / math.sqrt(2.0))),
    "silu": lambda x: x / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
}
TOLERANCES = {
    torch.float64: {"atol": 1e-12, "rtol": 1e-12},
    torch.float32: {"atol": 1e-5, "rtol": 1e-5},
    torch.bfloat16: {"atol": 5e-2, "rtol": 5e-2},
}


def reference(F: torch.Tensor, W1: torch.Tensor, W2: torch.Tensor, act1: str, act2: str):
    """sigma2(sigma1(F W1) W2) in float64 numpy, one (m, Din) matrix at a time."""
    f = F.detach().cpu().double().numpy()
    w1 = W1.detach().cpu().double().numpy()
    w2 = W2.detach().cpu().double().numpy()
    flat = f.reshape(-1, *f.shape[-2:])
    out = np.stack([NUMPY_ACTIVATIONS[act2](NUMPY_ACTIVATIONS[act1](x @ w1) @ w2) for x in flat])
    return torch.from_numpy(out.reshape(*f.shape[:-1], w2.shape[1]))


@pytest.mark.parametrize("shape", [(7, 5), (3, 11, 5), (2, 3, 4, 5), (1, 1, 5)])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16])
def test_forward_matches_formula(shape, dtype, device):
    layer = HourglassLayer(3, 6, dtype=dtype, device=device)
    F = torch.randn(shape, dtype=dtype, device=device)
    out = layer(F)
    assert out.shape == (*shape[:-1], 6)
    assert out.dtype == dtype
    assert out.device.type == device.type
    expected = reference(F, layer.W1, layer.W2, "relu", "relu")
    torch.testing.assert_close(out.cpu().double(), expected, **TOLERANCES[dtype])


@pytest.mark.parametrize("act1", sorted(NUMPY_ACTIVATIONS))
@pytest.mark.parametrize("act2", ["identity", "tanh", "softplus"])
def test_every_activation_name(act1, act2):
    layer = HourglassLayer(4, 3, activation=act1.upper(), activation2=act2, dtype=torch.float64)
    F = 2.0 * torch.randn(2, 9, 6, dtype=torch.float64)
    torch.testing.assert_close(
        layer(F), reference(F, layer.W1, layer.W2, act1, act2), **TOLERANCES[torch.float64]
    )


def test_required_activation_names_are_accepted():
    required = {"identity", "relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid"}
    assert required | {"softplus"} <= set(ACTIVATIONS)


@pytest.mark.parametrize(
    "spec",
    [None, torch.tanh, nn.Tanh, nn.Tanh(), lambda x: torch.tanh(x)],
    ids=["None", "function", "module-class", "module", "lambda"],
)
def test_callable_and_module_activations(spec):
    layer = HourglassLayer(4, 3, activation=spec, activation2=spec, dtype=torch.float64)
    F = torch.randn(5, 6, dtype=torch.float64)
    name = "identity" if spec is None else "tanh"
    torch.testing.assert_close(layer(F), reference(F, layer.W1, layer.W2, name, name))


def test_sigma_overrides_activation():
    layer = HourglassLayer(4, 3, activation="relu", sigma="tanh", sigma2=torch.sigmoid)
    F = torch.randn(5, 6, dtype=torch.float32)
    torch.testing.assert_close(layer(F), torch.sigmoid(torch.tanh(F @ layer.W1) @ layer.W2))
    assert layer.activation == "tanh"


def test_weights_use_keras_orientation_and_copy_across():
    layer = HourglassLayer(Dh=4, Dout=2, activation=None, activation2=None, in_features=3)
    assert dict(layer.named_parameters()).keys() == {"W1", "W2"}
    keras_w1 = torch.arange(12.0).reshape(3, 4) / 10
    keras_w2 = torch.arange(8.0).reshape(4, 2) / 10
    with torch.no_grad():
        layer.W1.copy_(keras_w1)
        layer.W2.copy_(keras_w2)
    F = torch.ones(1, 3)
    torch.testing.assert_close(layer(F), F @ keras_w1 @ keras_w2)


def test_lazy_infers_din_and_eager_builds_now():
    lazy = HourglassLayer(4, 3)
    assert lazy.in_features is None
    assert not lazy.built_W1
    assert not lazy.built_W2
    lazy(torch.randn(2, 7))
    assert lazy.in_features == 7
    assert lazy.built_W1
    assert lazy.built_W2
    eager = HourglassLayer(4, 3, in_features=7, built_W1=True, built_W2=True)
    assert eager.W1.shape == (7, 4)
    assert eager.W2.shape == (4, 3)
    assert HourglassLayer(4, 3, input_shape=(None, 7)).in_features == 7


def test_build_method_like_keras():
    layer = HourglassLayer(4, 3)
    layer.build(9)
    assert layer.W1.shape == (9, 4)
    layer.build((2, 5, 9))  # same Din: nothing to do
    with pytest.raises(ValueError, match="already built with Din=9"):
        layer.build(8)


def test_call_alias_and_mask():
    layer = HourglassLayer(4, 3, in_features=5)
    F = torch.randn(2, 3, 5)
    torch.testing.assert_close(layer.call(F, training=True), layer(F))
    with pytest.raises(ValueError, match="mask"):
        layer.call(F, mask=torch.ones(2, 3, dtype=torch.bool))


def test_autocast_bfloat16_on_float32_weights():
    layer = HourglassLayer(4, 3, in_features=5)
    F = torch.randn(2, 8, 5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = layer(F)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), layer(F), **TOLERANCES[torch.bfloat16])


def test_gradients_flow_to_both_weights():
    layer = HourglassLayer(4, 3, activation="tanh", activation2="tanh")
    layer(torch.randn(2, 8, 5)).sum().backward()
    assert layer.W1.grad is not None
    assert layer.W1.grad.abs().sum() > 0
    assert layer.W2.grad is not None
    assert layer.W2.grad.abs().sum() > 0


def test_trainable_false_freezes_weights():
    layer = HourglassLayer(4, 3, in_features=5, trainable=False)
    assert not layer.W1.requires_grad
    assert not layer.W2.requires_grad


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cpu_and_cuda_agree():
    layer = HourglassLayer(8, 6, activation="gelu", in_features=5, dtype=torch.float64)
    F = torch.randn(3, 20, 5, dtype=torch.float64)
    cuda_layer = HourglassLayer.from_config(layer.get_config()).cuda()
    cuda_layer.load_state_dict(layer.state_dict())
    torch.testing.assert_close(cuda_layer(F.cuda()).cpu(), layer(F))
    torch.testing.assert_close(
        cuda_layer.regularization_loss().cpu(), layer.regularization_loss(), atol=1e-10, rtol=1e-8
    )


def test_lazy_layer_follows_module_dtype_conversion():
    layer = HourglassLayer(4, 3).double()
    out = layer(torch.randn(2, 5, dtype=torch.float64))
    assert out.dtype == torch.float64
    assert layer.W1.dtype == torch.float64
    assert layer.get_config()["dtype"] == "float64"
