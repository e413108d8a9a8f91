"""The float32/float64 CPU path (values and gradients from numba) against the torch gather path.

The general path is reached with ``backend="torch"`` (dimension 0) or by emptying
``api._CPU_VALUE_DTYPES`` (any dimension). Both compute the values from the input's own dtype with
the same single IEEE operations in the same order, so they agree bitwise, float32 included.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchph_lite.pershom import api, vr_persistence_l1, vr_persistence_l2
from torchph_lite.pershom.api import _drop_pairs


def _flat(out: list) -> list[torch.Tensor]:
    return [t for r in out for part in r for t in part]


def _run(monkeypatch, fn, x, max_dim: int, general: bool) -> tuple[list, torch.Tensor]:
    """Diagrams and the gradient of a weighted sum of all values, fast or general path."""
    calls = []
    fast = api._cpu_persistence
    with monkeypatch.context() as m:
        m.setattr(api, "_cpu_persistence", lambda *args: calls.append(1) or fast(*args))
        if general:
            m.setattr(api, "_CPU_VALUE_DTYPES", ())
        inputs = x if isinstance(x, list) else [x]
        for t in inputs:
            t.grad = None
        out = fn(x, max_dim)
    assert len(calls) == (0 if general else 1)
    out = out if isinstance(out, list) else [out]
    values = torch.cat([t.reshape(-1) for t in _flat(out)])
    weights = torch.linspace(-1.0, 2.0, values.shape[0], dtype=values.dtype)
    (values * weights).sum().backward()
    grad = torch.cat([t.grad.reshape(-1) for t in inputs])
    return [t.detach() for t in _flat(out)], grad


def _assert_same(fast: tuple, general: tuple, dtype: torch.dtype) -> None:
    (d1, g1), (d2, g2) = fast, general
    assert [t.shape for t in d1] == [t.shape for t in d2]  # identical pairing
    for a, b in zip(d1, d2):
        assert a.dtype == dtype
        torch.testing.assert_close(a, b, rtol=0.0, atol=0.0)
    assert g1.dtype == dtype
    torch.testing.assert_close(g1, g2, rtol=0.0, atol=0.0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("fn", [vr_persistence_l1, vr_persistence_l2])
def test_gradients_bitwise_equal_to_torch_backend(fn, dtype) -> None:
    x = torch.from_numpy(np.random.default_rng(3).normal(size=(5, 30, 3))).to(dtype)
    x.requires_grad_()
    grads = []
    for backend in ("numba", "torch"):
        x.grad = None
        out = fn(x, 0, backend=backend)
        values = torch.cat([r[0][0][:, 1] for r in out])
        assert values.dtype == dtype
        (values * torch.linspace(-1.0, 2.0, values.shape[0], dtype=dtype)).sum().backward()
        grads.append(x.grad.clone())
    assert grads[0].dtype == dtype
    torch.testing.assert_close(grads[0], grads[1], rtol=0.0, atol=0.0)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("max_dim", [0, 1])
@pytest.mark.parametrize("fn", [vr_persistence_l1, vr_persistence_l2])
def test_float32_batch_equals_general_path(monkeypatch, fn, max_dim, ties) -> None:
    data = np.random.default_rng(7 + max_dim).normal(size=(4, 25, 2))
    if ties:  # many equal lengths: the pairing then depends on the tie-breaking too
        data = np.round(data * 2) / 2
    x = torch.tensor(data, dtype=torch.float32, requires_grad=True)
    fast = _run(monkeypatch, fn, x, max_dim, general=False)
    _assert_same(fast, _run(monkeypatch, fn, x, max_dim, general=True), torch.float32)


@pytest.mark.parametrize("fn", [vr_persistence_l1, vr_persistence_l2])
def test_float32_list_of_clouds_equals_general_path(monkeypatch, fn) -> None:
    rng = np.random.default_rng(11)
    clouds = [
        torch.tensor(rng.normal(size=(n, 3)), dtype=torch.float32, requires_grad=True)
        for n in (6, 19, 1, 12)
    ]
    fast = _run(monkeypatch, fn, clouds, 1, general=False)
    _assert_same(fast, _run(monkeypatch, fn, clouds, 1, general=True), torch.float32)


def test_float32_single_cloud_takes_fast_path(monkeypatch) -> None:
    x = torch.rand(20, 2, requires_grad=True)  # torch's default dtype
    fast = _run(monkeypatch, vr_persistence_l2, x, 1, general=False)
    _assert_same(fast, _run(monkeypatch, vr_persistence_l2, x, 1, general=True), torch.float32)


def test_float32_tiny_edge_equals_general_path(monkeypatch) -> None:
    # the squared L2 length 1e-60 of the first edge underflows in float32: both paths scale it
    x = torch.tensor([[0.0, 0.0], [1e-30, 0.0], [3.0, 0.0]], requires_grad=True)
    fast = _run(monkeypatch, vr_persistence_l2, x, 1, general=False)
    _assert_same(fast, _run(monkeypatch, vr_persistence_l2, x, 1, general=True), torch.float32)
    torch.testing.assert_close(fast[0][0], torch.tensor([[0.0, 1e-30], [0.0, 3.0]]))


def test_float32_huge_cloud_equals_general_path(monkeypatch) -> None:
    x = (torch.rand(3, 15, 2) * 1e30).requires_grad_()  # squares overflow float32
    fast = _run(monkeypatch, vr_persistence_l2, x, 1, general=False)
    _assert_same(fast, _run(monkeypatch, vr_persistence_l2, x, 1, general=True), torch.float32)
    assert all(torch.isfinite(t).all() for t in fast[0])


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
