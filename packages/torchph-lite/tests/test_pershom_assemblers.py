"""The specialised column assemblers (edges, triangles) equal the general one, ties included."""

from __future__ import annotations

import numpy as np
import pytest

from torchph_lite.pershom._cohomology import (
    _assemble_edges,
    _assemble_general,
    _assemble_triangles,
    enclosing_radius,
)
from torchph_lite.pershom._combinatorics import binomial_table
from torchph_lite.pershom._containers import map_new, map_put
from torchph_lite.pershom._h0 import spanning_forest_matrix


def _matrix(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    points = rng.random((int(rng.integers(4, 22)), 2))
    if seed % 2:  # a coarse grid: many exactly tied diameters
        points = np.round(points * 4) / 4
    diff = points[:, None, :] - points[None, :, :]
    return np.ascontiguousarray(np.sqrt((diff * diff).sum(-1)))


def _cleared(keys: list[int]) -> tuple[np.ndarray, np.ndarray]:
    cleared_keys, cleared_vals = map_new(len(keys))
    size = 0
    for i, key in enumerate(keys):
        cleared_keys, cleared_vals, size = map_put(
            cleared_keys, cleared_vals, size, np.int64(key), np.int64(i)
        )
    return cleared_keys, cleared_vals


@pytest.mark.parametrize("seed", range(12))
def test_specialised_assemblers_equal_general(seed: int) -> None:
    dist = _matrix(seed)
    n = dist.shape[0]
    binom = binomial_table(n, 4)
    rng = np.random.default_rng(100 + seed)
    for threshold in (np.inf, enclosing_radius(dist), float(np.median(dist))):
        # dimension 1, cleared by the spanning forest as in the engine
        u, v, _, _ = spanning_forest_matrix(dist, threshold)
        hi, lo = np.maximum(u, v), np.minimum(u, v)
        keys, vals = _cleared((hi * (hi - 1) // 2 + lo).tolist())
        edges = _assemble_edges(dist, threshold, keys, vals)
        general = _assemble_general(dist, 1, threshold, binom, keys, vals)
        np.testing.assert_array_equal(edges[0], general[0])
        np.testing.assert_array_equal(edges[1], general[1])
        # dimension 2, with an arbitrary set of cleared triangles
        n_triangles = int(binom[n, 3])
        picked = rng.choice(n_triangles, size=n_triangles // 5, replace=False)
        keys, vals = _cleared(picked.tolist())
        triangles = _assemble_triangles(dist, threshold, keys, vals)
        general = _assemble_general(dist, 2, threshold, binom, keys, vals)
        np.testing.assert_array_equal(triangles[0], general[0])
        np.testing.assert_array_equal(triangles[1], general[1])
