"""Exact agreement of the diagrams with ripser (as multisets, relative 1e-6) on random clouds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from torchph_lite.pershom import vr_persistence, vr_persistence_l1, vr_persistence_l2


def distances(points: np.ndarray, metric: str) -> np.ndarray:
    """float64 distance matrix for ``metric`` in {"l1", "l2"}."""
    return cdist(points, points, "cityblock" if metric == "l1" else "euclidean")


def ripser_diagrams(dist: np.ndarray, max_dim: int, thresh: float = np.inf) -> list[np.ndarray]:
    """ripser's diagrams (finite and essential) per dimension, float64 ``(m, 2)``."""
    from ripser import ripser

    return ripser(dist, maxdim=max_dim, distance_matrix=True, thresh=thresh)["dgms"]


def as_full_diagrams(result: tuple[list[torch.Tensor], list[torch.Tensor]]) -> list[np.ndarray]:
    """Our ``(non_essential, essential)`` as ripser-style ``(m, 2)`` arrays with inf deaths."""
    non_essential, essential = result
    out = []
    for pairs, births in zip(non_essential, essential):
        ess = births.detach().cpu().double().numpy()
        full = np.concatenate(
            (
                pairs.detach().cpu().double().numpy().reshape(-1, 2),
                np.stack((ess, np.full_like(ess, np.inf)), 1),
            )
        )
        out.append(full)
    return out


def assert_same_multiset(
    ours: np.ndarray, ref: np.ndarray, rtol: float = 1e-6, msg: str = ""
) -> None:
    """Multiset equality of diagrams ``(m, 2)`` (inf allowed), relative tolerance ``rtol``."""
    assert ours.shape == ref.shape, (
        f"{msg}: {ours.shape[0]} pairs vs {ref.shape[0]} in the reference"
    )
    a = ours[np.lexsort((ours[:, 1], ours[:, 0]))]
    b = ref[np.lexsort((ref[:, 1], ref[:, 0]))]
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12, err_msg=msg)


_FUNCS = {"l1": vr_persistence_l1, "l2": vr_persistence_l2}

# 56 clouds: seeds 0..55 cycle through d in {2, 3}, L1/L2, sizes and (every 4th) a threshold;
# every 5th cloud is snapped to a coarse grid so that it has many exactly tied distances
_CASES = [
    (seed, [12, 25, 40, 60, 100][seed % 5], 2 + seed % 2, ("l1", "l2")[(seed // 2) % 2])
    for seed in range(56)
]


def _cloud(seed: int, n: int, d: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    points = rng.random((n, d))
    if seed % 5 == 3:
        points = np.round(points * 5) / 5
    return points


@pytest.mark.parametrize(("seed", "n", "d", "metric"), _CASES)
def test_random_clouds_dims_0_to_2(seed: int, n: int, d: int, metric: str) -> None:
    points = _cloud(seed, n, d)
    thresh = 0.35 if seed % 4 == 1 else np.inf
    t = 0.0 if np.isinf(thresh) else thresh
    dist = distances(points, metric)
    if seed % 5 == 3:
        # exact ties: ripser computes in float32, so give both the same float32 matrix
        dist = dist.astype(np.float32)
        ours = as_full_diagrams(vr_persistence(torch.from_numpy(dist), 2, t))
    else:
        ours = as_full_diagrams(_FUNCS[metric](torch.from_numpy(points), 2, t))
    ref = ripser_diagrams(dist, 2, thresh)
    for k in range(3):
        assert_same_multiset(ours[k], ref[k], msg=f"H{k}")


@pytest.mark.parametrize(("seed", "d", "metric"), [(0, 2, "l2"), (1, 3, "l1")])
def test_n500_dims_0_1(seed: int, d: int, metric: str) -> None:
    points = np.random.default_rng(100 + seed).random((500, d))
    ref = ripser_diagrams(distances(points, metric), 1)
    ours = as_full_diagrams(_FUNCS[metric](torch.from_numpy(points), 1))
    for k in range(2):
        assert_same_multiset(ours[k], ref[k], msg=f"H{k}")


@pytest.mark.parametrize("seed", range(8))
def test_n500_dims_0_1_sweep(seed: int) -> None:
    d = 2 + seed % 2
    metric = ("l1", "l2")[(seed // 2) % 2]
    points = np.random.default_rng(200 + seed).random((500, d))
    thresh = 0.2 if seed % 3 == 2 else np.inf
    ref = ripser_diagrams(distances(points, metric), 1, thresh)
    ours = as_full_diagrams(
        _FUNCS[metric](torch.from_numpy(points), 1, 0.0 if np.isinf(thresh) else thresh)
    )
    for k in range(2):
        assert_same_multiset(ours[k], ref[k], msg=f"H{k}")


@pytest.mark.parametrize("seed", range(3))
def test_distance_matrix_input_with_threshold(seed: int) -> None:
    points = np.random.default_rng(300 + seed).random((40, 3))
    dist = distances(points, "l2")
    ref = ripser_diagrams(dist, 2, 0.3)
    ours = as_full_diagrams(vr_persistence(torch.from_numpy(dist), 2, 0.3))
    for k in range(3):
        assert_same_multiset(ours[k], ref[k], msg=f"H{k}")


def test_dimension_3_octahedron_plus_cross_polytope() -> None:
    # the 4-dimensional cross-polytope (16-cell) boundary is a 3-sphere
    points = np.concatenate((np.eye(4), -np.eye(4)))
    points = points + 1e-3 * np.random.default_rng(0).random(points.shape)
    dist = distances(points, "l2")
    ref = ripser_diagrams(dist, 3)
    ours = as_full_diagrams(vr_persistence(torch.from_numpy(dist), 3))
    for k in range(4):
        assert_same_multiset(ours[k], ref[k], msg=f"H{k}")
    assert ours[3].shape[0] == 1
