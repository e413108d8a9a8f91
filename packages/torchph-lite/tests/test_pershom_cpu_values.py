"""The float64 CPU path (values and gradients from numba) against the torch gather path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchph_lite.pershom import vr_persistence_l1, vr_persistence_l2
from torchph_lite.pershom.api import _drop_pairs


@pytest.mark.parametrize("fn", [vr_persistence_l1, vr_persistence_l2])
def test_gradients_bitwise_equal_to_torch_backend(fn) -> None:
    x = torch.from_numpy(np.random.default_rng(3).normal(size=(5, 30, 3))).requires_grad_()
    grads = []
    for backend in ("numba", "torch"):
        x.grad = None
        out = fn(x, 0, backend=backend)
        values = torch.cat([r[0][0][:, 1] for r in out])
        assert values.dtype == torch.float64
        (values * torch.linspace(-1.0, 2.0, values.shape[0], dtype=torch.float64)).sum().backward()
        grads.append(x.grad.clone())
    torch.testing.assert_close(grads[0], grads[1], rtol=0.0, atol=0.0)


def test_unused_outputs_get_no_gradient() -> None:
    x = torch.rand(3, 12, 2, dtype=torch.float64, requires_grad=True)
    out = vr_persistence_l2(x, 1)
    out[1][0][1][:, 0].sum().backward()  # only the H1 births of the second cloud
    assert torch.isfinite(x.grad).all()
    assert (x.grad[0] == 0).all()
    assert (x.grad[2] == 0).all()


def test_drop_pairs_keeps_order_and_counts() -> None:
    # three finite pairs in groups (0, 0, 2), then two essential births
    a = np.arange(8)
    b = a + 10
    values = np.array([0.0, 1.0, 2.0, 2.0, 0.5, 3.0, 0.0, 0.0])
    counts = np.array([2, 0, 1])
    equal = np.array([False, True, False])
    a2, b2, v2, c2, m = _drop_pairs(a, b, values, counts, equal)
    assert m == 2
    assert c2.tolist() == [1, 0, 1]
    assert a2.tolist() == [0, 1, 4, 5, 6, 7]
    assert b2.tolist() == [10, 11, 14, 15, 16, 17]
    assert v2.tolist() == [0.0, 1.0, 0.5, 3.0, 0.0, 0.0]
