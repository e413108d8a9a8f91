"""The 2-D cubical kernel (pixel grid, radix sort, union-find sweeps) against the general one.

``grid_pairs_2d`` (through ``pixel_grid_pairs``) must give exactly the pixel pairs of the
doubled-grid kernel ``grid_pairs`` (which still serves 3-D images), in the order
``assemble_diagrams`` would sort them into; the public function is cross-checked against gudhi
in ``test_pershom_complexes.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from torchph_lite.pershom import cubical_persistence
from torchph_lite.pershom._grid_kernels import grid_geometry, grid_pairs
from torchph_lite.pershom._pixel_grid_2d import _radix_argsort, pixel_grid_pairs


def _sorted_pairs(pairs: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Positive-length pairs in the diagram order: birth value, death value, birth pixel."""
    p = pairs.reshape(-1, 2)
    p = p[flat[p[:, 0]] < flat[p[:, 1]]]
    order = np.lexsort((p[:, 0], flat[p[:, 1]], flat[p[:, 0]]))
    return p[order]


def _fully_sorted(pairs: np.ndarray) -> np.ndarray:
    p = pairs.reshape(-1, 2)
    return p[np.lexsort((p[:, 1], p[:, 0]))]


def _by_item(pairs: np.ndarray, n_pix: int, n_items: int) -> list[np.ndarray]:
    p = pairs.reshape(-1, 2)
    return [p[p[:, 0] // n_pix == i] for i in range(n_items)]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    items=st.integers(1, 3),
    ties=st.booleans(),
    top_cells=st.booleans(),
)
def test_same_pairs_as_the_doubled_grid_kernel(seed, height, width, items, ties, top_cells):
    rng = np.random.default_rng(seed)
    if ties:
        img = rng.integers(-2, 3, (items, height * width)).astype(np.float64)
    else:
        img = rng.standard_normal((items, height * width))
    _check_against_the_doubled_grid_kernel(img, height, width, top_cells)


@pytest.mark.parametrize("levels", [2, 4, 11])
@pytest.mark.parametrize("top_cells", [False, True])
def test_many_ties_long_runs_of_one_birth_value(levels, top_cells) -> None:
    # few values on a larger image: many pairs share a birth value, so the kernel sorts them
    # by death value with its counting passes rather than by insertion
    rng = np.random.default_rng(levels)
    img = rng.integers(0, levels, (2, 30 * 41)).astype(np.float64)
    _check_against_the_doubled_grid_kernel(img, 30, 41, top_cells)


def _check_against_the_doubled_grid_kernel(
    img: np.ndarray, height: int, width: int, top_cells: bool
) -> None:
    items = img.shape[0]
    geometry = grid_geometry(np.array([height, width], dtype=np.int64), top_cells)
    ref = grid_pairs(img, top_cells, True, *geometry)
    got = pixel_grid_pairs(img, height, width, top_cells, True)
    flat = img.reshape(-1)
    n_pix = height * width
    for k in (0, 2):
        positive = [_sorted_pairs(p, flat) for p in _by_item(ref[k], n_pix, items)]
        for mine, theirs in zip(_by_item(got[k], n_pix, items), positive):
            # the kernel's order is already the diagram order; the same pairs (rows equal in
            # birth value, death value and birth pixel may come in another order)
            np.testing.assert_array_equal(mine, _sorted_pairs(mine, flat))
            np.testing.assert_array_equal(_fully_sorted(mine), _fully_sorted(theirs))
    np.testing.assert_array_equal(np.sort(got[1]), np.sort(ref[1]))
    # without the top dimension, dimension 0 is unchanged
    only0 = pixel_grid_pairs(img, height, width, top_cells, False)
    np.testing.assert_array_equal(only0[0], got[0])
    assert only0[2].shape == (0,)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_radix_argsort_is_numpys_stable_argsort(dtype) -> None:
    rng = np.random.default_rng(0)
    special = np.array([0.0, -0.0, np.inf, -np.inf, 1e-310, -1e-310, 1.0, -1.0, 3.0, 3.0])
    for values in (
        rng.standard_normal(5000).astype(dtype),
        rng.integers(-3, 4, 5000).astype(dtype),
        np.tile(special, 50).astype(dtype),
        np.zeros(7, dtype=dtype),
        np.array([2.5], dtype=dtype),
    ):
        v = values.astype(np.float64)
        idx = np.empty(v.shape[0], dtype=np.int32)
        n = v.shape[0]
        _radix_argsort(v, idx, np.empty_like(idx), np.empty(n, np.int64), np.empty(n, np.int64))
        np.testing.assert_array_equal(idx, np.argsort(v + 0.0, kind="stable"))


def test_public_function_batches_superlevel_and_gradients() -> None:
    rng = np.random.default_rng(3)
    batch = torch.tensor(rng.random((3, 12, 9)), requires_grad=True)
    for construction in ("V", "T"):
        for superlevel in (False, True):
            together = cubical_persistence(batch, 1, construction, superlevel, batched=True)
            for i in range(3):
                alone = cubical_persistence(batch[i], 1, construction, superlevel)
                for a, b in zip(together[i][0] + together[i][1], alone[0] + alone[1]):
                    torch.testing.assert_close(a, b, rtol=0, atol=0)
    x = torch.tensor(rng.random((7, 6)), requires_grad=True)

    def loss(img: torch.Tensor) -> torch.Tensor:
        non_essential, essential = cubical_persistence(img, 1, "T")
        return torch.cat([p.reshape(-1) for p in non_essential] + essential)

    assert torch.autograd.gradcheck(loss, (x,))


def test_scratch_memory_is_reused_without_stale_state() -> None:
    from torchph_lite.pershom import _pixel_grid_2d

    rng = np.random.default_rng(5)
    small = rng.random((2, 7 * 5))
    large = rng.random((1, 40 * 30))
    expected = [
        _pixel_grid_2d.grid_pairs_2d(
            img, h, w, top, True, *(np.zeros(n, dt) for n, dt in _scratch_sizes(h, w))
        )
        for img, h, w in ((small, 7, 5), (large, 40, 30))
        for top in (False, True)
    ]
    for _ in range(2):  # small, large, then small again in the large scratch
        got = [
            pixel_grid_pairs(img, h, w, top, True)
            for img, h, w in ((small, 7, 5), (large, 40, 30))
            for top in (False, True)
        ]
        for mine, fresh in zip(got, expected):
            for a, b in zip(mine, fresh):
                np.testing.assert_array_equal(a, b)
    kept = _pixel_grid_2d._workspace(7, 5)
    assert kept[0] is _pixel_grid_2d._workspace(40, 30)[0]  # one allocation, kept


def _scratch_sizes(h: int, w: int) -> list[tuple[int, type]]:
    return [(8 * h * w + 2 * (h + 2) * (w + 2), np.int32), (2 * h * w, np.int64)]
