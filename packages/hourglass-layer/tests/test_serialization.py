"""get_config/from_config, state_dict (also into a lazy layer), pickling, extra_repr."""

from __future__ import annotations

import copy
import io
import json
import pickle

import pytest
import torch
from torch import nn

from hourglass_layer import HourglassLayer


def roundtrip(layer: HourglassLayer) -> HourglassLayer:
    config = json.loads(json.dumps(layer.get_config()))
    clone = HourglassLayer.from_config(config)
    clone.load_state_dict(layer.state_dict())
    return clone


def test_config_roundtrip_gives_bitwise_equal_output():
    layer = HourglassLayer(
        6,
        5,
        activation="GELU",
        activation2=None,
        regularize=False,
        spectral_strategy="SAFE",
        beta=0.3,
        in_features=7,
        normalization="vl3d",
        tikhonov_lambda=1e-6,
        name="pre_hourglass",
        dtype="float64",
        W1_initializer="orthogonal",
        W1_regularizer="l2",
        W1_constraint={"class_name": "MaxNorm", "config": {"max_value": 3}},
        W2_initializer={"class_name": "RandomNormal", "config": {"stddev": 0.1, "seed": 3}},
        W2_regularizer={"l1": 0.2},
        W2_constraint="non_neg",
    )
    clone = roundtrip(layer)
    assert clone.get_config() == layer.get_config()
    F = torch.randn(3, 11, 7, dtype=torch.float64)
    assert torch.equal(clone(F), layer(F))
    assert torch.equal(clone.regularization_loss(), layer.regularization_loss())


def test_lazy_config_roundtrip():
    layer = HourglassLayer(4, 3, activation="tanh")
    config = layer.get_config()
    assert config["in_features"] is None
    clone = HourglassLayer.from_config(json.loads(json.dumps(config)))
    assert clone.in_features is None
    layer(torch.randn(2, 5))
    assert layer.get_config()["in_features"] == 5


def test_sigma_survives_serialization():
    layer = HourglassLayer(4, 3, sigma="tanh", sigma2="sigmoid", in_features=5)
    config = layer.get_config()
    assert (config["activation"], config["activation2"]) == ("tanh", "sigmoid")
    F = torch.randn(2, 5)
    assert torch.equal(roundtrip(layer)(F), layer(F))


def test_vl3d_style_keras_config_loads():
    keras_config = {
        "name": "hourglass_layer",
        "trainable": True,
        "dtype": "float32",
        "Dh": 16,
        "Dout": 8,
        "activation": "ReLU",
        "activation2": "identity",
        "regularize": True,
        "beta": 0.1,
        "spectral_strategy": "approx",
        "W1_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "W1_regularizer": None,
        "W1_constraint": None,
        "W2_initializer": {"class_name": "HeNormal", "config": {"seed": 1}},
        "W2_regularizer": {"class_name": "L2", "config": {"l2": 0.001}},
        "W2_constraint": None,
    }
    layer = HourglassLayer.from_config(keras_config)
    out = layer(torch.randn(2, 10, 32))
    assert out.shape == (2, 10, 8)
    assert layer.name == "hourglass_layer"
    assert layer.activation2 == "identity"


def test_callables_cannot_be_serialised():
    with pytest.raises(TypeError, match="activation is a module or callable"):
        HourglassLayer(4, 3, activation=torch.tanh).get_config()
    with pytest.raises(TypeError, match="W1_initializer is a callable"):
        HourglassLayer(4, 3, W1_initializer=nn.init.orthogonal_).get_config()


def test_state_dict_loads_into_lazy_layer_before_first_forward():
    eager = HourglassLayer(6, 4, in_features=9)
    lazy = HourglassLayer(6, 4)
    lazy.load_state_dict(eager.state_dict())
    assert lazy.in_features == 9
    F = torch.randn(2, 13, 9)
    assert torch.equal(lazy(F), eager(F))


def test_lazy_state_dict_loads_into_lazy_layer():
    target = HourglassLayer(6, 4)
    target.load_state_dict(HourglassLayer(6, 4).state_dict())
    assert target.in_features is None
    target(torch.randn(3, 5))
    assert target.in_features == 5


def test_loading_weights_of_the_wrong_shape_fails():
    lazy = HourglassLayer(6, 4)
    with pytest.raises(ValueError, match="expected"):
        lazy.load_state_dict(HourglassLayer(5, 4, in_features=9).state_dict())
    with pytest.raises(RuntimeError, match="size mismatch"):
        HourglassLayer(6, 4, in_features=8).load_state_dict(
            HourglassLayer(6, 4, in_features=9).state_dict()
        )


# torch 2.4.0 unpickles tensor storages through torch.load without weights_only, which warns
# (the min_versions session); later releases pass weights_only=False themselves.
@pytest.mark.filterwarnings("ignore:You are using `torch.load`:FutureWarning")
@pytest.mark.parametrize("built", [True, False])
def test_pickle_deepcopy_and_torch_save(built):
    layer = HourglassLayer(6, 4, activation="silu", in_features=9 if built else None)
    F = torch.randn(2, 9)
    copies = [pickle.loads(pickle.dumps(layer)), copy.deepcopy(layer)]
    buffer = io.BytesIO()
    torch.save(layer, buffer)
    buffer.seek(0)
    copies.append(torch.load(buffer, weights_only=False))
    for clone in copies:
        assert isinstance(clone, HourglassLayer)
        if built:
            assert torch.equal(clone(F), layer(F))
        else:
            assert clone(F).shape == (2, 4)


def test_extra_repr():
    text = repr(HourglassLayer(6, 4, in_features=9, spectral_strategy="unsafe"))
    for fragment in (
        "in_features=9",
        "Dh=6",
        "Dout=4",
        "spectral_strategy='unsafe'",
        "activation='relu'",
    ):
        assert fragment in text


def test_extra_repr_shows_module_and_callable_activations():
    text = repr(HourglassLayer(6, 4, activation=torch.nn.Tanh(), activation2=torch.sigmoid))
    assert "(sigma): Tanh()" in text
    assert "activation2=sigmoid" in text


def test_partial_state_dict_into_lazy_layer_builds_the_rest():
    source = HourglassLayer(6, 4, in_features=9)
    lazy = HourglassLayer(6, 4)
    result = lazy.load_state_dict({"W1": source.W1.detach()}, strict=False)
    assert result.missing_keys == ["W2"]
    assert lazy(torch.randn(2, 9)).shape == (2, 4)
    assert torch.equal(lazy.W1, source.W1)
    assert lazy.W2.shape == (6, 4)


def test_built_layer_replicates_for_data_parallel():
    replica = HourglassLayer(6, 4, in_features=9)._replicate_for_data_parallel()
    assert isinstance(replica, HourglassLayer)
    with pytest.raises(RuntimeError, match="uninitialized"):
        HourglassLayer(6, 4)._replicate_for_data_parallel()
