"""Hand-checkable point clouds with exactly known diagrams (float64, tolerance 1e-12)."""

from __future__ import annotations

import math

import pytest
import torch

from torchph_lite.pershom import vr_persistence, vr_persistence_l1, vr_persistence_l2

SQ2, SQ3 = math.sqrt(2.0), math.sqrt(3.0)


def _t(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def _pairs(expected: list[tuple[float, float]]) -> torch.Tensor:
    return torch.tensor(expected, dtype=torch.float64).reshape(-1, 2)


def _check(result: tuple, expected: list[list[tuple[float, float]]]) -> None:
    non_essential, essential = result
    assert len(non_essential) == len(expected)
    for k, exp in enumerate(expected):
        torch.testing.assert_close(non_essential[k], _pairs(exp), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(essential[0], torch.zeros(1, dtype=torch.float64))
    for births in essential[1:]:
        assert births.shape == (0,)


SQUARE = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]


def test_unit_square_l2() -> None:
    _check(vr_persistence_l2(_t(SQUARE), 2), [[(0, 1)] * 3, [(1, SQ2)], []])


def test_unit_square_l1() -> None:
    _check(vr_persistence_l1(_t(SQUARE), 1), [[(0, 1)] * 3, [(1, 2)]])


def test_equilateral_triangle_has_no_cycle() -> None:
    tri = [[0.0, 0.0], [1.0, 0.0], [0.5, SQ3 / 2]]
    res = vr_persistence_l2(_t(tri), 1)
    assert res[0][1].shape == (0, 2)
    torch.testing.assert_close(res[0][0][:, 1], torch.ones(2, dtype=torch.float64))


def test_regular_hexagon() -> None:
    hexagon = [[math.cos(k * math.pi / 3), math.sin(k * math.pi / 3)] for k in range(6)]
    _check(vr_persistence_l2(_t(hexagon), 2), [[(0, 1)] * 5, [(1, SQ3)], [(SQ3, 2)]])


def test_octahedron() -> None:
    octa = [[1.0, 0, 0], [-1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0], [0, 0, 1.0], [0, 0, -1.0]]
    _check(vr_persistence_l2(_t(octa), 2), [[(0, SQ2)] * 5, [], [(SQ2, 2)]])


@pytest.mark.parametrize("n", [5, 7, 9, 12, 15])
def test_evenly_spaced_circle(n: int) -> None:
    pts = [[math.cos(2 * math.pi * k / n), math.sin(2 * math.pi * k / n)] for k in range(n)]
    res = vr_persistence_l2(_t(pts), 2)
    step = 2 * math.sin(math.pi / n)
    h1_death = 2 * math.sin(math.pi * math.ceil(n / 3) / n)
    h2 = [(SQ3, 2 * math.sin(math.pi * (n / 3 + 1) / n))] * (n // 3 - 1) if n % 3 == 0 else []
    _check(res, [[(0, step)] * (n - 1), [(step, h1_death)], h2])


def test_circle_12_instance_values() -> None:
    pts = [[math.cos(2 * math.pi * k / 12), math.sin(2 * math.pi * k / 12)] for k in range(12)]
    non_essential, _ = vr_persistence_l2(_t(pts), 2)
    torch.testing.assert_close(non_essential[1], _pairs([(0.517638, 1.732051)]), atol=1e-6, rtol=0)
    torch.testing.assert_close(
        non_essential[2], _pairs([(1.732051, 1.931852)] * 3), atol=1e-6, rtol=0
    )


def test_two_clusters_on_a_line() -> None:
    line = [[0.0], [0.1], [10.0], [10.1]]
    non_essential, _ = vr_persistence_l2(_t(line), 0)
    torch.testing.assert_close(
        non_essential[0][:, 1], torch.tensor([0.1, 0.1, 9.9], dtype=torch.float64)
    )


def test_duplicate_point_drops_zero_bar() -> None:
    pts = _t([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    for fn in (vr_persistence_l1, vr_persistence_l2):
        _check(fn(pts, 1), [[(0, 1)], []])


def test_collinear_points() -> None:
    pts = _t([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    _check(vr_persistence_l2(pts, 2), [[(0, 1)] * 3, [], []])


def test_single_point() -> None:
    non_essential, essential = vr_persistence_l2(_t([[0.5, 0.5]]), 2)
    assert [t.shape for t in non_essential] == [(0, 2)] * 3
    torch.testing.assert_close(essential[0], torch.zeros(1, dtype=torch.float64))


def test_threshold_gives_essential_classes() -> None:
    # square of side 1 with threshold 1.2: the 4-cycle never dies; two far points stay apart
    pts = _t([*SQUARE, [10.0, 10.0], [20.0, 20.0]])
    non_essential, essential = vr_persistence_l2(pts, 1, 1.2)
    torch.testing.assert_close(non_essential[0][:, 1], torch.ones(3, dtype=torch.float64))
    torch.testing.assert_close(essential[0], torch.zeros(3, dtype=torch.float64))
    assert non_essential[1].shape == (0, 2)
    torch.testing.assert_close(essential[1], torch.ones(1, dtype=torch.float64))


def test_distance_matrix_reads_lower_triangle_only() -> None:
    d = _t([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    d[0, 1] += 1e-9  # upper triangle differs by rounding: accepted and ignored
    non_essential, _ = vr_persistence(d, 1)
    torch.testing.assert_close(non_essential[0][:, 1], torch.ones(2, dtype=torch.float64))


def test_tutorial_regression_numbers() -> None:
    # torchph's InputOptim notebook: seed 1234, 300 uniform points, L1
    import numpy as np

    pts = torch.tensor(np.random.RandomState(1234).rand(300, 2))  # the notebook's legacy stream
    deaths = vr_persistence_l1(pts, 0, 0)[0][0][:, 1]
    assert round(deaths.sum().item(), 2) == 14.74
    assert round((deaths - 0.1).abs().sum().item(), 2) == 15.35
