"""torch.compile(fullgraph=True): no graph breaks, same results as eager."""

from __future__ import annotations

import pytest
import torch

from hourglass_layer import HourglassLayer


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()
    # Inductor's C++ kernels from torch < 2.5 are built with -ffast-math, and loading one turns on
    # flush-to-zero for the whole process; later tests (hypothesis) need IEEE subnormals back.
    torch.set_flush_denormal(False)


def test_compiled_forward_and_loss_match_eager():
    layer = HourglassLayer(6, 4, activation="gelu", in_features=5)
    F = torch.randn(3, 16, 5)
    out = torch.compile(layer, fullgraph=True)(F)
    torch.testing.assert_close(out, layer(F), atol=1e-5, rtol=1e-5)
    loss = torch.compile(layer.regularization_loss, fullgraph=True)()
    torch.testing.assert_close(loss, layer.regularization_loss(), atol=1e-6, rtol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["unsafe", "safe", "approx"])
def test_compiled_lazy_layer_training_step(strategy):
    layer = HourglassLayer(6, 4, spectral_strategy=strategy)
    F = torch.randn(3, 16, 5)

    def step(F):
        return layer(F).square().mean() + layer.regularization_loss()

    compiled = torch.compile(step, fullgraph=True)
    loss = compiled(F)
    torch.testing.assert_close(loss, step(F), atol=1e-5, rtol=1e-5)
    loss.backward()
    assert torch.isfinite(layer.W1.grad).all()


@pytest.mark.slow
def test_compiled_bfloat16_forward():
    layer = HourglassLayer(6, 4, in_features=5, dtype=torch.bfloat16)
    F = torch.randn(3, 16, 5, dtype=torch.bfloat16)
    out = torch.compile(layer, fullgraph=True)(F)
    torch.testing.assert_close(out, layer(F), atol=5e-2, rtol=5e-2)
