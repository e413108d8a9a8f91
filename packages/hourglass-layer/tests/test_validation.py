"""Bad arguments and bad inputs give clear ValueError/TypeError messages."""

from __future__ import annotations

import pytest
import torch

from hourglass_layer import HourglassLayer, hourglass_penalty


@pytest.mark.parametrize("bad", [0, -3])
@pytest.mark.parametrize("argument", ["Dh", "Dout"])
def test_non_positive_dimensions(argument, bad):
    kwargs = {"Dh": 4, "Dout": 3, argument: bad}
    with pytest.raises(ValueError, match=rf"{argument} must be a positive int, got {bad}"):
        HourglassLayer(**kwargs)


@pytest.mark.parametrize("bad", [2.5, "4", True, None])
def test_non_integer_dimensions(bad):
    with pytest.raises(TypeError, match="Dh must be a positive int"):
        HourglassLayer(bad, 3)


def test_unknown_strategy():
    with pytest.raises(ValueError, match=r"spectral_strategy must be one of .*'exact'"):
        HourglassLayer(4, 3, spectral_strategy="exact")


def test_unknown_activation_lists_accepted_names():
    with pytest.raises(ValueError, match=r"activation2 must be one of .*'relu'.*got 'rleu'"):
        HourglassLayer(4, 3, activation2="rleu")
    with pytest.raises(TypeError, match="activation must be"):
        HourglassLayer(4, 3, activation=3)


def test_unknown_normalization_and_bad_floats():
    with pytest.raises(ValueError, match="normalization must be one of"):
        HourglassLayer(4, 3, normalization="cubed")
    with pytest.raises(ValueError, match="beta must be finite"):
        HourglassLayer(4, 3, beta=float("nan"))
    with pytest.raises(TypeError, match="beta must be a real number"):
        HourglassLayer(4, 3, beta="0.1")
    with pytest.raises(ValueError, match="tikhonov_lambda must be >= 0"):
        HourglassLayer(4, 3, tikhonov_lambda=-1.0)
    with pytest.raises(TypeError, match="regularize must be a bool"):
        HourglassLayer(4, 3, regularize="yes")


def test_wrong_last_dimension_after_build():
    layer = HourglassLayer(4, 3)
    layer(torch.randn(2, 5, 6))
    with pytest.raises(ValueError, match=r"last dimension Din=6 .* got shape \(2, 5, 7\)"):
        layer(torch.randn(2, 5, 7))


def test_fewer_than_two_dims():
    for layer in (HourglassLayer(4, 3), HourglassLayer(4, 3, in_features=5)):
        with pytest.raises(ValueError, match=r"at least 2 dims .* got shape \(5,\)"):
            layer(torch.randn(5))


def test_non_floating_input():
    for layer in (HourglassLayer(4, 3), HourglassLayer(4, 3, in_features=5)):
        with pytest.raises(TypeError, match=r"floating dtype, got torch.int64"):
            layer(torch.ones(2, 5, dtype=torch.long))
    with pytest.raises(TypeError, match=r"must be a torch.Tensor"):
        HourglassLayer(4, 3)([[1.0, 2.0]])


def test_dtype_mismatch_is_explained():
    layer = HourglassLayer(4, 3, in_features=5)
    with pytest.raises(TypeError, match=r"float64 but the weights are torch.float32"):
        layer(torch.randn(2, 5, dtype=torch.float64))


def test_zero_input_features_are_rejected_on_both_paths():
    with pytest.raises(ValueError, match="in_features must be a positive int, got 0"):
        HourglassLayer(4, 6, in_features=0)
    lazy = HourglassLayer(4, 6)
    with pytest.raises(ValueError, match=r"at least one input feature .* got shape \(2, 5, 0\)"):
        lazy(torch.zeros(2, 5, 0))
    assert not lazy.built_W1  # nothing was built from the bad input
    assert lazy(torch.zeros(2, 5, 3)).shape == (2, 5, 6)


@pytest.mark.parametrize("lazy", [True, False])
def test_device_mismatch_is_explained(lazy):
    layer = HourglassLayer(4, 3) if lazy else HourglassLayer(4, 3, in_features=5)
    with pytest.raises(ValueError, match=r"F is on device meta but the weights are on cpu"):
        layer(torch.empty(2, 5, device="meta"))


def test_built_flags_need_din():
    with pytest.raises(ValueError, match=r"built_W1=True .* needs Din"):
        HourglassLayer(4, 3, built_W1=True)
    with pytest.raises(ValueError, match="built_W2=True"):
        HourglassLayer(4, 3, built_W2=True)


def test_keras_only_keywords_are_rejected_not_ignored():
    with pytest.raises(TypeError, match="unexpected keyword argument 'dynamic'"):
        HourglassLayer(4, 3, dynamic=True)


def test_conflicting_input_dimensions():
    with pytest.raises(ValueError, match="conflicting input dimensions"):
        HourglassLayer(4, 3, in_features=5, input_shape=(None, 6))


def test_bad_dtype_argument():
    with pytest.raises(ValueError, match="dtype must be one of"):
        HourglassLayer(4, 3, dtype="mixed_float16")
    with pytest.raises(TypeError, match=r"floating torch.dtype"):
        HourglassLayer(4, 3, dtype=torch.int32)


@pytest.mark.parametrize(
    ("argument", "value", "error", "message"),
    [
        ("W1_initializer", "glorot", ValueError, "W1_initializer must be one of"),
        ("W2_initializer", {"config": {}}, ValueError, "needs a 'class_name'"),
        (
            "W1_initializer",
            {"class_name": "RandomNormal", "config": {"std": 1}},
            ValueError,
            "unknown",
        ),
        ("W1_regularizer", "l3", ValueError, "W1_regularizer must be one of"),
        ("W2_regularizer", {"l3": 1.0}, ValueError, "accepts the keys"),
        ("W1_constraint", "positive", ValueError, "W1_constraint must be one of"),
        ("W2_constraint", 3.0, TypeError, "W2_constraint must be None"),
    ],
)
def test_bad_initializer_regularizer_constraint(argument, value, error, message):
    with pytest.raises(error, match=message):
        HourglassLayer(4, 3, **{argument: value})


def test_penalty_input_checks():
    with pytest.raises(ValueError, match="at least 2 dims"):
        hourglass_penalty(torch.ones(3))
    with pytest.raises(TypeError, match="floating dtype"):
        hourglass_penalty(torch.ones(3, 2, dtype=torch.long))
