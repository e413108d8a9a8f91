"""First and second derivatives in float64 (torch.autograd.gradcheck / gradgradcheck)."""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from hourglass_layer import SPECTRAL_STRATEGIES, HourglassLayer, hourglass_penalty


@pytest.mark.parametrize(("act1", "act2"), [("tanh", "gelu"), ("softplus", None), ("silu", "elu")])
def test_forward_gradcheck(act1, act2):
    layer = HourglassLayer(3, 4, activation=act1, activation2=act2, dtype=torch.float64)
    F = torch.randn(2, 5, 6, dtype=torch.float64, requires_grad=True)
    layer(F)  # build
    W1 = layer.W1.detach().clone().requires_grad_()
    W2 = layer.W2.detach().clone().requires_grad_()

    def forward(F, W1, W2):
        return torch.func.functional_call(layer, {"W1": W1, "W2": W2}, (F,))

    assert gradcheck(forward, (F, W1, W2))
    assert gradgradcheck(forward, (F, W1, W2))


@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
@pytest.mark.parametrize("normalization", ["squared", "vl3d"])
@pytest.mark.parametrize("shape", [(8, 5), (5, 8)])
def test_penalty_gradcheck_and_gradgradcheck(strategy, normalization, shape):
    W1 = torch.randn(shape, dtype=torch.float64, requires_grad=True)

    def penalty(W1):
        return hourglass_penalty(W1, strategy, normalization)

    assert gradcheck(penalty, (W1,))
    assert gradgradcheck(penalty, (W1,))


class _RegularizationLossOf(torch.nn.Module):
    """Expose ``layer.regularization_loss()`` as a forward, for ``functional_call``."""

    def __init__(self, layer: HourglassLayer) -> None:
        super().__init__()
        self.layer = layer

    def forward(self) -> torch.Tensor:
        return self.layer.regularization_loss()


@pytest.mark.parametrize("strategy", SPECTRAL_STRATEGIES)
def test_layer_regularization_loss_gradcheck(strategy):
    layer = HourglassLayer(
        5,
        3,
        in_features=7,
        spectral_strategy=strategy,
        beta=0.3,
        W1_regularizer="l2",
        W2_regularizer="l1",
        dtype=torch.float64,
    )
    wrapper = _RegularizationLossOf(layer)
    W1 = layer.W1.detach().clone().requires_grad_()
    W2 = layer.W2.detach().clone().requires_grad_()

    def loss(W1, W2):
        return torch.func.functional_call(wrapper, {"layer.W1": W1, "layer.W2": W2}, ())

    assert gradcheck(loss, (W1, W2))
    assert gradgradcheck(loss, (W1, W2))
