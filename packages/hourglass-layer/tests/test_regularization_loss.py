"""The loss API: layer.regularization_loss() and hourglass_layer.regularization_loss(model)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hourglass_layer import HourglassLayer, hourglass_layers, hourglass_penalty, regularization_loss


@pytest.mark.parametrize("strategy", ["unsafe", "safe", "approx"])
@pytest.mark.parametrize("normalization", ["squared", "vl3d"])
def test_layer_loss_is_beta_times_penalty(strategy, normalization, device):
    layer = HourglassLayer(
        6,
        4,
        in_features=10,
        beta=0.25,
        spectral_strategy=strategy,
        normalization=normalization,
        device=device,
    )
    expected = 0.25 * hourglass_penalty(layer.W1, strategy, normalization)
    torch.testing.assert_close(layer.regularization_loss(), expected)
    torch.testing.assert_close(layer.hourglass_loss(), expected / 0.25)
    assert layer.regularization_loss().device.type == device.type


def test_regularize_false_gives_zero():
    layer = HourglassLayer(6, 4, in_features=10, regularize=False)
    loss = layer.regularization_loss()
    assert loss.shape == ()
    assert loss.item() == 0.0
    assert layer.do_no_regularization().item() == 0.0
    assert layer.do_hourglass_regularization().item() > 0.0


def test_loss_follows_the_current_weights_and_is_differentiable():
    layer = HourglassLayer(6, 4, in_features=10)
    before = layer.regularization_loss().item()
    with torch.no_grad():
        layer.W1.copy_(torch.linalg.qr(torch.randn(10, 6))[0])
    assert layer.regularization_loss().item() < before
    layer.W1.data.mul_(torch.linspace(0.1, 2.0, 6))
    layer.regularization_loss().backward()
    assert layer.W1.grad is not None
    assert layer.W1.grad.abs().sum() > 0
    assert layer.W2.grad is None  # L_h only depends on W1


def test_weight_regularizers_are_added():
    layer = HourglassLayer(3, 2, in_features=4, W1_regularizer="l2", W2_regularizer={"l1": 0.5})
    expected = (
        layer.do_hourglass_regularization()
        + 0.01 * layer.W1.square().sum()
        + 0.5 * layer.W2.abs().sum()
    )
    torch.testing.assert_close(layer.regularization_loss(), expected)
    no_hourglass = HourglassLayer(3, 2, in_features=4, regularize=False, W1_regularizer="l1")
    torch.testing.assert_close(
        no_hourglass.regularization_loss(), 0.01 * no_hourglass.W1.abs().sum()
    )


def test_model_wide_sum_counts_each_layer_once():
    shared = HourglassLayer(4, 8, in_features=8, beta=0.5)

    class PointNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = nn.Sequential(HourglassLayer(16, 8), nn.LayerNorm(8), shared)
            self.head = nn.ModuleDict({"out": HourglassLayer(2, 3, regularize=False)})
            self.again = shared  # the same module registered twice

        def forward(self, x):
            return self.head["out"](self.again(self.block(x)))

    model = PointNet()
    model(torch.randn(2, 20, 5))
    layers = hourglass_layers(model)
    assert len(layers) == 3
    expected = sum(layer.regularization_loss() for layer in layers)
    torch.testing.assert_close(regularization_loss(model), expected)


def test_training_loop_pattern_reduces_the_regulariser():
    torch.manual_seed(0)
    model = nn.Sequential(HourglassLayer(8, 16, beta=1.0, activation="tanh"), nn.Linear(16, 2))
    x, y = torch.randn(64, 32), torch.randint(0, 2, (64,))
    model(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    start = regularization_loss(model).item()
    for _ in range(100):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y) + regularization_loss(model)
        loss.backward()
        optimizer.step()
    assert regularization_loss(model).item() < 0.5 * start


def test_model_without_hourglass_layers_gives_zero():
    assert regularization_loss(nn.Linear(2, 2)).item() == 0.0


def test_unbuilt_layer_raises_clear_error():
    with pytest.raises(RuntimeError, match="not built yet"):
        HourglassLayer(4, 3).regularization_loss()
    with pytest.raises(RuntimeError, match="not built yet"):
        regularization_loss(nn.Sequential(HourglassLayer(4, 3)))


def test_not_a_module_is_rejected():
    with pytest.raises(TypeError, match=r"torch.nn.Module"):
        regularization_loss([HourglassLayer(4, 3)])


def test_spectral_helper_methods_return_the_spectral_norm():
    layer = HourglassLayer(4, 3, in_features=6, dtype=torch.float64)
    cov = layer.W1.detach().T @ layer.W1.detach()
    norm = torch.linalg.matrix_norm(layer.W1.detach(), ord=2)
    torch.testing.assert_close(layer.compute_spectral_unsafe(cov), norm)
    torch.testing.assert_close(layer.compute_spectral_safe(cov), norm)
    torch.testing.assert_close(layer.compute_spectral_approx(cov), torch.sqrt(norm**2 + 1e-10))
