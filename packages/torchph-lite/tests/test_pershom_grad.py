"""Gradients: H0 = minimum spanning tree, gradcheck in float64 for H0/H1/H2 losses, no NaN."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial.distance import cdist

from torchph_lite.pershom import vr_persistence, vr_persistence_l1, vr_persistence_l2


def _cloud(n: int, d: int, seed: int) -> torch.Tensor:
    pts = np.random.default_rng(seed).random((n, d))
    if d == 3:  # noisy sphere: it has H2
        pts = pts - 0.5
        pts = pts / np.linalg.norm(pts, axis=1, keepdims=True) + 0.05 * pts
    return torch.from_numpy(pts).requires_grad_()


@pytest.mark.parametrize(
    ("metric", "fn"), [("cityblock", vr_persistence_l1), ("euclidean", vr_persistence_l2)]
)
def test_h0_deaths_are_mst_edge_lengths(metric: str, fn) -> None:
    pts = np.random.default_rng(7).random((300, 3))
    mst = minimum_spanning_tree(cdist(pts, pts, metric)).data  # no duplicates: no zero edges
    deaths = fn(torch.from_numpy(pts), 0)[0][0][:, 1].numpy()
    np.testing.assert_allclose(np.sort(deaths), np.sort(mst), rtol=1e-12)


def _loss(fn, dim: int):
    def loss(x: torch.Tensor) -> torch.Tensor:
        pairs = fn(x, dim)[0][dim]
        return (pairs[:, 1] - pairs[:, 0]).pow(2).sum() + (pairs[:, 1] - 0.1).abs().sum()

    return loss


@pytest.mark.parametrize("fn", [vr_persistence_l1, vr_persistence_l2])
@pytest.mark.parametrize(("dim", "n", "d"), [(0, 40, 2), (1, 30, 2), (2, 16, 3)])
def test_gradcheck_point_cloud(fn, dim: int, n: int, d: int) -> None:
    x = _cloud(n, d, seed=dim)
    assert fn(x, dim)[0][dim].shape[0] > 0
    assert torch.autograd.gradcheck(_loss(fn, dim), (x,), eps=1e-7, atol=1e-6)


def test_gradcheck_distance_matrix_through_points() -> None:
    def loss(x: torch.Tensor) -> torch.Tensor:
        diff = x[:, None, :] - x[None, :, :]
        dist = (diff.pow(2).sum(-1) + torch.eye(x.shape[0], dtype=x.dtype)).sqrt()
        dist = dist * (1 - torch.eye(x.shape[0], dtype=x.dtype))
        non_essential, _ = vr_persistence(dist, 1)
        return (
            non_essential[0][:, 1].sum() + (non_essential[1][:, 1] - non_essential[1][:, 0]).sum()
        )

    assert torch.autograd.gradcheck(loss, (_cloud(25, 2, seed=3),), eps=1e-7, atol=1e-6)


def test_gradient_of_matrix_entries_is_lower_triangle_indicator() -> None:
    x = np.random.default_rng(0).random((10, 2))
    dist = torch.from_numpy(cdist(x, x)).requires_grad_()
    non_essential, _ = vr_persistence(dist, 0)
    non_essential[0][:, 1].sum().backward()
    grad = dist.grad
    assert torch.triu(grad).abs().sum() == 0  # only the lower triangle is read
    assert grad.sum() == 9  # one unit per MST edge


@pytest.mark.parametrize("fn", [vr_persistence_l1, vr_persistence_l2])
def test_no_nan_gradients_with_duplicate_points(fn) -> None:
    x = torch.tensor(
        [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], requires_grad=True
    )
    non_essential, essential = fn(x, 2)
    loss = sum(p.sum() for p in non_essential) + sum(b.sum() for b in essential)
    loss.backward()
    assert torch.isfinite(x.grad).all()


def test_batched_gradient_equals_single() -> None:
    batch = torch.from_numpy(np.random.default_rng(1).random((4, 20, 2))).requires_grad_()
    results = vr_persistence_l2(batch, 1)
    sum(r[0][0].sum() + r[0][1].sum() for r in results).backward()
    for b in range(4):
        single = batch[b].detach().clone().requires_grad_()
        ne, _ = vr_persistence_l2(single, 1)
        (ne[0].sum() + ne[1].sum()).backward()
        torch.testing.assert_close(batch.grad[b], single.grad)
