"""Edge collapse (``collapse_edges``): the same diagrams, values and gradients as without it.

The collapsed filtration must give *identical* diagrams (bitwise: the outputs are sorted by birth
then death, so equal multisets are equal tensors) in every dimension, with ties, thresholds and
batches, and its critical edges must be input edges of the same length.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from torchph_lite.pershom import vr_persistence, vr_persistence_l1, vr_persistence_l2
from torchph_lite.pershom._batch import records_from_matrices
from torchph_lite.pershom._edge_collapse import (
    collapse_stack,
    collapsed_records_from_matrices,
    use_collapse,
)


def assert_same_result(a, b) -> None:
    """Equal diagrams, tensor by tensor (values and order)."""
    for ours, ref in zip(a, b):
        assert len(ours) == len(ref)
        for x, y in zip(ours, ref):
            torch.testing.assert_close(x, y, rtol=0, atol=0)


def tied_matrix(rng: np.random.Generator, n: int) -> np.ndarray:
    """A symmetric matrix of small integers: many exactly equal edge lengths."""
    d = rng.integers(1, 6, (n, n)).astype(np.float64)
    d = np.tril(d, -1)
    return d + d.T


def grid_cloud(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """Points on a coarse grid (many ties, duplicated points)."""
    return rng.integers(0, 4, (n, dim)).astype(np.float64)


def diagrams_of(rec, max_dim: int) -> list[list[tuple[float, float]]]:
    out = []
    for k in range(max_dim + 1):
        s = (rec.dim == k) & (rec.birth < rec.death)
        out.append(sorted(zip(rec.birth[s].tolist(), rec.death[s].tolist())))
    return out


# ---------------------------------------------------------------------------------------------
# the kernel
# ---------------------------------------------------------------------------------------------
def test_kept_values_are_lengths_of_their_source_edges() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((80, 3))
    d = cdist(x, x)[None]
    cap = np.array([np.inf])
    values, sources = collapse_stack(d, cap)
    kept = np.isfinite(values[0]) & ~np.eye(80, dtype=bool)
    src = sources[0][kept]
    assert (src >= 0).all()
    hi, lo = src // 80, src % 80
    np.testing.assert_array_equal(values[0][kept], d[0][hi, lo])
    # a value is never lowered, and most edges of a dense cloud are collapsed away
    assert (values[0][kept] >= d[0][kept]).all()
    assert kept.sum() < 0.2 * 80 * 79
    np.testing.assert_array_equal(values[0], values[0].T)


def test_a_square_keeps_its_cycle_and_loses_a_diagonal() -> None:
    # a 4-cycle with unit sides and diagonals 2 (as in gudhi's example): one diagonal is dominated
    d = np.array([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]], dtype=np.float64)
    values, _ = collapse_stack(d[None], np.array([np.inf]))
    sides = [(0, 1), (1, 2), (2, 3), (0, 3)]
    assert all(values[0][i, j] == 1.0 for i, j in sides)
    diagonals = [values[0][0, 2], values[0][1, 3]]
    assert sorted(diagonals)[0] == 2.0
    assert sorted(diagonals)[1] == np.inf


def test_records_match_the_uncollapsed_engine_on_many_inputs() -> None:
    rng = np.random.default_rng(0)
    for trial in range(150):
        n = int(rng.integers(3, 22))
        max_dim = 1 + trial % 3
        kind = trial % 3
        if kind == 0:
            pts = grid_cloud(rng, n, 2)
            d = cdist(pts, pts, "cityblock")
        elif kind == 1:
            d = tied_matrix(rng, n)
        else:
            pts = rng.random((n, 3))
            d = cdist(pts, pts)
        threshold = float(np.median(d)) if trial % 4 == 0 else np.inf
        plain = records_from_matrices(d[None].copy(), max_dim, threshold)
        collapsed = collapsed_records_from_matrices(d[None].copy(), max_dim, threshold)
        assert diagrams_of(collapsed, max_dim) == diagrams_of(plain, max_dim), trial
        for u, v, value in (
            (collapsed.birth_u, collapsed.birth_v, collapsed.birth),
            (collapsed.death_u, collapsed.death_v, collapsed.death),
        ):
            ok = u >= 0
            np.testing.assert_array_equal(d[u[ok], v[ok]], value[ok])


# ---------------------------------------------------------------------------------------------
# the public functions
# ---------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 30),
    max_dim=st.integers(1, 3),
    ties=st.booleans(),
    thresholded=st.booleans(),
)
def test_matrices_collapsed_equal_uncollapsed(seed, n, max_dim, ties, thresholded) -> None:
    rng = np.random.default_rng(seed)
    d = tied_matrix(rng, n) if ties else cdist(*(2 * [rng.random((n, 2))]))
    threshold = float(np.quantile(d, 0.4)) if thresholded else 0.0
    dt = torch.from_numpy(d)
    a = vr_persistence(dt, max_dim, threshold, collapse_edges=False)
    b = vr_persistence(dt, max_dim, threshold, collapse_edges=True)
    assert_same_result(a, b)


@pytest.mark.parametrize("metric", ["l1", "l2"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_clouds_collapsed_equal_uncollapsed_with_gradients(metric, dtype) -> None:
    fn = vr_persistence_l1 if metric == "l1" else vr_persistence_l2
    rng = np.random.default_rng(3)
    for generic, pts in ((True, rng.random((70, 3))), (False, grid_cloud(rng, 40, 3))):
        x = torch.tensor(pts, dtype=dtype, requires_grad=True)
        a = fn(x, 2, collapse_edges=False)
        b = fn(x, 2, collapse_edges=True)
        assert_same_result(a, b)
        loss_a = sum(p.sum() for p in a[0]) + sum(e.sum() for e in a[1])
        loss_b = sum(p.sum() for p in b[0]) + sum(e.sum() for e in b[1])
        (ga,) = torch.autograd.grad(loss_a, x)
        (gb,) = torch.autograd.grad(loss_b, x)
        if generic:  # every critical edge is the unique edge of its length
            torch.testing.assert_close(ga, gb)
        assert torch.isfinite(gb).all()


def test_gradcheck_through_the_collapsed_filtration() -> None:
    rng = np.random.default_rng(5)
    x = torch.tensor(rng.random((14, 3)), dtype=torch.float64, requires_grad=True)

    def loss(points: torch.Tensor) -> torch.Tensor:
        non_essential, _ = vr_persistence_l2(points, 2, collapse_edges=True)
        return torch.cat([p.reshape(-1) for p in non_essential])

    assert torch.autograd.gradcheck(loss, (x,))


def test_generic_dtype_path_and_matrices_agree() -> None:
    rng = np.random.default_rng(6)
    pts = rng.random((40, 3))
    x16 = torch.tensor(pts, dtype=torch.bfloat16)
    assert_same_result(vr_persistence_l2(x16, 2, collapse_edges=False), vr_persistence_l2(x16, 2))
    d = torch.cdist(torch.from_numpy(pts), torch.from_numpy(pts))
    assert_same_result(vr_persistence(d, 2, collapse_edges=False), vr_persistence(d, 2))


def test_batches_and_lists_of_different_sizes() -> None:
    rng = np.random.default_rng(7)
    batch = torch.tensor(rng.random((6, 25, 2)))
    clouds = [torch.tensor(rng.random((n, 3))) for n in (5, 30, 17)]
    for inputs, threshold in ((batch, 0.0), (batch, 0.4), (clouds, 0.0)):
        a = vr_persistence_l1(inputs, 2, threshold, collapse_edges=False)
        b = vr_persistence_l1(inputs, 2, threshold, collapse_edges=True)
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_result(x, y)
    mats = [torch.cdist(c, c) for c in clouds]
    for x, y in zip(vr_persistence(mats, 2, collapse_edges=False), vr_persistence(mats, 2)):
        assert_same_result(x, y)


def test_against_gudhi_collapse() -> None:
    gudhi = pytest.importorskip("gudhi")
    rng = np.random.default_rng(8)
    pts = rng.random((60, 3))
    ours = vr_persistence_l2(torch.from_numpy(pts), 2, collapse_edges=True)
    st_ = gudhi.RipsComplex(points=pts).create_simplex_tree(max_dimension=1)
    st_.collapse_edges()
    st_.expansion(3)
    st_.compute_persistence()
    for k in (1, 2):
        ref = st_.persistence_intervals_in_dimension(k)
        ref = ref[ref[:, 1] > ref[:, 0]]
        got = ours[0][k].numpy()
        np.testing.assert_allclose(
            got[np.lexsort((got[:, 1], got[:, 0]))],
            ref[np.lexsort((ref[:, 1], ref[:, 0]))],
            rtol=1e-12,
        )


def test_small_and_degenerate_inputs() -> None:
    for pts in ([[0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], [[0.0], [1.0]]):
        x = torch.tensor(pts, dtype=torch.float64)
        assert_same_result(
            vr_persistence_l2(x, 2, collapse_edges=False),
            vr_persistence_l2(x, 2, collapse_edges=True),
        )


def test_default_and_bad_values() -> None:
    assert use_collapse(None, 2)
    assert use_collapse(None, 3)
    assert not use_collapse(None, 1)
    assert not use_collapse(None, 0)
    assert use_collapse(True, 1)
    assert not use_collapse(True, 0)
    assert not use_collapse(False, 2)
    x = torch.rand(5, 2)
    with pytest.raises(TypeError, match="collapse_edges must be None, True or False, got str"):
        vr_persistence_l2(x, 2, collapse_edges="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="collapse_edges"):
        vr_persistence(torch.cdist(x, x), 1, collapse_edges=1)  # type: ignore[arg-type]
