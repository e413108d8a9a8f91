"""Clear errors for bad SLayer inputs and bad initialisations."""

from __future__ import annotations

import pytest
import torch

from torchph_lite.nn import SLayerExponential, SLayerRational, SLayerRationalHat, prepare_batch

LAYERS = [SLayerExponential, SLayerRational, SLayerRationalHat]


@pytest.mark.parametrize("layer_type", LAYERS)
def test_wrong_point_dimension(layer_type):
    with pytest.raises(ValueError, match="dimension point_dim=2"):
        layer_type(3)([torch.rand(4, 3)])
    with pytest.raises(ValueError, match="point_dimension=2"):
        layer_type(3)(prepare_batch([torch.rand(4, 3)]))


@pytest.mark.parametrize("layer_type", LAYERS)
def test_non_2d_tensors(layer_type):
    with pytest.raises(ValueError, match="2-D tensor"):
        layer_type(3)([torch.rand(4, 2), torch.rand(2, 2, 2)])
    with pytest.raises(ValueError, match="2-D tensor"):
        layer_type(3)([torch.rand(4)])


@pytest.mark.parametrize("layer_type", LAYERS)
def test_mismatched_devices(layer_type):
    with pytest.raises(ValueError, match="one device"):
        layer_type(3)([torch.rand(4, 2), torch.rand(2, 2, device="meta")])
    with pytest.raises(ValueError, match="layer's parameters are on cpu"):
        layer_type(3)([torch.rand(4, 2, device="meta")])


@pytest.mark.parametrize("layer_type", LAYERS)
def test_dtype_mismatch_is_not_silent(layer_type):
    with pytest.raises(TypeError, match=r"dtype torch.float64 but the layer's parameters"):
        layer_type(3)([torch.rand(4, 2, dtype=torch.float64)])
    with pytest.raises(TypeError, match="floating point"):
        layer_type(3)([torch.ones(4, 2, dtype=torch.int64)])


@pytest.mark.parametrize("layer_type", LAYERS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_points(layer_type, bad):
    diagram = torch.tensor([[0.0, 1.0], [0.2, bad]])
    with pytest.raises(ValueError, match="finite"):
        layer_type(3)([diagram])


@pytest.mark.parametrize("layer_type", LAYERS)
def test_unknown_input_form(layer_type):
    with pytest.raises(ValueError, match="list of tensors"):
        layer_type(3)(torch.rand(4, 2))
    with pytest.raises(ValueError, match="list of tensors"):
        layer_type(3)([[0.0, 1.0]])


def test_exponential_rejects_scalar_inits():
    with pytest.raises(ValueError, match=r"sharpness_init must be a tensor of shape \(3, 2\)"):
        SLayerExponential(3, sharpness_init=3.0)
    with pytest.raises(ValueError, match="centers_init"):
        SLayerExponential(3, centers_init=torch.tensor(0.5))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"centers_init": torch.rand(2, 2)},
            r"centers_init must have shape \(3, 2\); got .*\(2, 2\)",
        ),
        ({"sharpness_init": torch.rand(3)}, r"sharpness_init must have shape \(3, 2\)"),
        ({"sharpness_init": torch.rand(3, 2), "share_sharpness": True}, r"shape \(1,\)"),
        ({"exponent_init": torch.rand(3, 1)}, r"exponent_init must have shape \(3,\)"),
        ({"sharpness_init": float("nan")}, "sharpness_init must be finite"),
        ({"centers_init": torch.tensor([[0.0, float("inf")]] * 3)}, "centers_init must be finite"),
    ],
)
def test_rational_bad_inits(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SLayerRational(3, **kwargs)


def test_rational_accepts_scalar_inits():
    layer = SLayerRational(3, sharpness_init=2, exponent_init=torch.tensor(1.5))
    torch.testing.assert_close(layer.sharpness.detach(), torch.full((3, 2), 2.0))
    torch.testing.assert_close(layer.exponent, torch.full((3,), 1.5))


def test_rational_hat_bad_arguments():
    with pytest.raises(ValueError, match=r"radius_init must have shape \(3,\)"):
        SLayerRationalHat(3, radius_init=torch.ones(3, 2))
    with pytest.raises(ValueError, match="exponent must be a positive int"):
        SLayerRationalHat(3, exponent=0)
    with pytest.raises(ValueError, match="exponent must be a positive int"):
        SLayerRationalHat(3, exponent=1.5)
    torch.testing.assert_close(
        SLayerRationalHat(3, radius_init=0.25).radius.detach(), torch.full((3,), 0.25)
    )


@pytest.mark.parametrize("layer_type", LAYERS)
def test_bad_sizes(layer_type):
    with pytest.raises(ValueError, match="n_elements must be a positive int"):
        layer_type(0)
    with pytest.raises(ValueError, match="point_dimension must be a positive int"):
        layer_type(3, 0)
    with pytest.raises(ValueError, match="n_elements must be a positive int"):
        layer_type(2.5)


def test_inits_of_mixed_dtype_or_bad_type():
    with pytest.raises(TypeError, match=r"sharpness_init has dtype torch\.float64"):
        SLayerExponential(
            2, centers_init=torch.rand(2, 2), sharpness_init=torch.rand(2, 2, dtype=torch.float64)
        )
    with pytest.raises(TypeError, match="floating point"):
        SLayerExponential(2, centers_init=torch.ones(2, 2, dtype=torch.int64))
    with pytest.raises(TypeError, match="centers_init must be None, a tensor"):
        SLayerExponential(2, centers_init=[[0.0, 0.0], [1.0, 1.0]])
