"""Initialisers (Keras fan convention) and constraints applied after optimizer steps."""

from __future__ import annotations

import math
import pickle

import pytest
import torch

from hourglass_layer import HourglassLayer, apply_constraints


def test_default_is_glorot_uniform_with_keras_limits():
    layer = HourglassLayer(200, 300, in_features=400)
    assert layer.W1.abs().max() <= math.sqrt(6 / (400 + 200))
    assert layer.W2.abs().max() <= math.sqrt(6 / (200 + 300))
    assert layer.W1.abs().max() > 0.95 * math.sqrt(6 / (400 + 200))


@pytest.mark.parametrize(
    ("name", "expected_std"),
    [
        ("he_normal", math.sqrt(2 / 400)),  # fan_in = Din (Keras), not Dh
        ("lecun_normal", math.sqrt(1 / 400)),
        ("glorot_normal", math.sqrt(2 / (400 + 100))),
        ("he_uniform", math.sqrt(2 / 400)),
    ],
)
def test_variance_scaling_uses_din_as_fan_in(name, expected_std):
    layer = HourglassLayer(100, 5, in_features=400, W1_initializer=name)
    assert layer.W1.std().item() == pytest.approx(expected_std, rel=0.03)
    if name.endswith("normal"):  # truncated at two (corrected) standard deviations
        assert layer.W1.abs().max() <= 2 * expected_std / 0.87962566103423978 + 1e-7


def test_seeded_initializer_is_reproducible_and_orthogonal_works():
    spec = {"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0, "seed": 5}}
    a = HourglassLayer(4, 3, in_features=6, W1_initializer=spec)
    b = HourglassLayer(4, 3, in_features=6, W1_initializer=spec)
    assert torch.equal(a.W1, b.W1)
    assert a.W1.min() >= 0.0
    ortho = HourglassLayer(4, 3, in_features=6, W1_initializer="orthogonal", W2_initializer="ones")
    torch.testing.assert_close(ortho.W1.T @ ortho.W1, torch.eye(4), atol=1e-5, rtol=0)
    assert torch.equal(ortho.W2, torch.ones(4, 3))


def test_callable_initializer_like_torch_nn_init():
    layer = HourglassLayer(4, 3, in_features=6, W1_initializer=torch.nn.init.zeros_)
    assert torch.equal(layer.W1, torch.zeros(6, 4))
    returning = HourglassLayer(4, 3, in_features=6, W2_initializer=lambda w: torch.full_like(w, 2))
    assert torch.equal(returning.W2, torch.full((4, 3), 2.0))


def test_reset_parameters_redraws():
    layer = HourglassLayer(4, 3, in_features=6)
    before = layer.W1.detach().clone()
    layer.reset_parameters()
    assert not torch.equal(before, layer.W1)


def _step(layer: HourglassLayer, optimizer: torch.optim.Optimizer) -> None:
    optimizer.zero_grad()
    (layer(torch.randn(8, layer.in_features)).sum() + layer.W1.sum() * 5).backward()
    optimizer.step()


def test_constraint_is_applied_after_each_optimizer_step():
    layer = HourglassLayer(4, 3, in_features=6, activation=None, W1_constraint="non_neg")
    with torch.no_grad():
        layer.W1.fill_(0.1)
    optimizer = torch.optim.SGD(layer.parameters(), lr=1.0)
    _step(layer, optimizer)
    assert layer.W1.min() >= 0.0
    assert (layer.W1 == 0).any()  # the projection actually did something


def test_constraint_only_follows_optimizers_that_own_the_weight():
    layer = HourglassLayer(4, 3, in_features=6, activation=None, W1_constraint="non_neg")
    other = torch.nn.Parameter(torch.ones(1))
    with torch.no_grad():
        layer.W1.fill_(-1.0)
    torch.optim.SGD([other], lr=0.1).step()
    assert (layer.W1 == -1.0).all()
    apply_constraints(layer)
    assert (layer.W1 == 0.0).all()


@pytest.mark.parametrize(
    ("spec", "check"),
    [
        ("unit_norm", lambda w: torch.allclose(w.norm(dim=0), torch.ones(w.shape[1]), atol=1e-5)),
        (
            {"class_name": "MaxNorm", "config": {"max_value": 0.5}},
            lambda w: bool((w.norm(dim=0) <= 0.5 + 1e-6).all()),
        ),
        (
            {"class_name": "MinMaxNorm", "config": {"min_value": 2.0, "max_value": 3.0}},
            lambda w: bool(((w.norm(dim=0) >= 2 - 1e-5) & (w.norm(dim=0) <= 3 + 1e-5)).all()),
        ),
        (lambda w: w.clamp(-0.01, 0.01), lambda w: bool((w.abs() <= 0.01).all())),
    ],
)
def test_norm_and_callable_constraints(spec, check):
    layer = HourglassLayer(4, 3, in_features=6, W2_constraint=spec)
    optimizer = torch.optim.Adam(layer.parameters(), lr=0.5)
    _step(layer, optimizer)
    assert check(layer.W2.detach())


# torch 2.4.0 unpickles tensor storages through torch.load without weights_only, which warns
# (the min_versions session); later releases pass weights_only=False themselves.
@pytest.mark.filterwarnings("ignore:You are using `torch.load`:FutureWarning")
def test_unpickled_layer_is_still_constrained():
    layer = pickle.loads(pickle.dumps(HourglassLayer(4, 3, in_features=6, W1_constraint="non_neg")))
    optimizer = torch.optim.SGD(layer.parameters(), lr=10.0)
    _step(layer, optimizer)
    assert layer.W1.min() >= 0.0
