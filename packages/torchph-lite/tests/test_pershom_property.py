"""Property-based agreement with ripser on small random clouds (hypothesis)."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from ripser import ripser
from scipy.spatial.distance import cdist

from torchph_lite.pershom import vr_persistence


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 16),
    d=st.integers(1, 3),
    grid=st.sampled_from([0, 2, 4]),
    seed=st.integers(0, 2**32 - 1),
    thresh=st.sampled_from([0.0, 0.3, 0.6]),
)
def test_matches_ripser(n: int, d: int, grid: int, seed: int, thresh: float) -> None:
    points = np.random.default_rng(seed).random((n, d))
    if grid:  # snapped to a grid: many exactly tied distances
        points = np.round(points * grid) / grid
    dist = cdist(points, points).astype(np.float32)  # ripser works in float32
    ref = ripser(dist, maxdim=2, distance_matrix=True, thresh=thresh or np.inf)["dgms"]
    non_essential, essential = vr_persistence(torch.from_numpy(dist), 2, thresh)
    for k in range(3):
        ours = np.concatenate(
            (
                non_essential[k].numpy().reshape(-1, 2),
                np.stack((essential[k].numpy(), np.full(essential[k].shape[0], np.inf)), 1),
            )
        ).astype(np.float64)
        theirs = ref[k]
        assert ours.shape == theirs.shape, f"H{k}"
        ours = ours[np.lexsort((ours[:, 1], ours[:, 0]))]
        theirs = theirs[np.lexsort((theirs[:, 1], theirs[:, 0]))]
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
