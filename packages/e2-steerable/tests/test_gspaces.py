"""Gspaces: names, representations, restriction ids and the action on images and fields."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch

from e2_steerable import gspaces
from e2_steerable.group import cyclic_group, dihedral_group

SPACES = {
    "C8": lambda: gspaces.Rot2dOnR2(8),
    "C4": lambda: gspaces.Rot2dOnR2(4),
    "D4": lambda: gspaces.FlipRot2dOnR2(4),
    "D8": lambda: gspaces.FlipRot2dOnR2(8),
    "SO2": lambda: gspaces.Rot2dOnR2(-1, maximum_frequency=4),
    "O2": lambda: gspaces.FlipRot2dOnR2(-1, maximum_frequency=4),
    "Flip": lambda: gspaces.Flip2dOnR2(),
    "Trivial": lambda: gspaces.TrivialOnR2(),
}


def test_names_and_groups_match_e2cnn() -> None:
    assert gspaces.Rot2dOnR2(8).name == "8-Rotations"
    assert gspaces.Rot2dOnR2(-1, 3).name == "Continuous-Rotations"
    assert gspaces.FlipRot2dOnR2(4).name == "Flip_4-Rotations(f=1.57080)"
    assert gspaces.FlipRot2dOnR2(-1, 3).name == "Flip_Continuous-Rotations(f=1.57080)"
    assert gspaces.Flip2dOnR2().name == "Flips"
    assert gspaces.TrivialOnR2().name == "Trivial"
    assert gspaces.Flip2dOnR2().fibergroup is cyclic_group(2)
    assert gspaces.FlipRot2dOnR2(4).fibergroup is dihedral_group(4)
    gs = gspaces.Rot2dOnR2(8)
    assert gs.dimensionality == 2
    assert gs.trivial_repr.name == "irrep_0"
    assert gs.regular_repr.name == "regular"
    assert gs.irrep(2).size == 2
    assert gs.quotient_repr(2).size == 4
    assert gs.induced_repr(4, gs.restrict(4)[0].irrep(1)).size == 4
    assert len(gs.testing_elements) == 8
    assert len(gspaces.FlipRot2dOnR2(-1, 3).testing_elements) == 104
    assert gspaces.Rot2dOnR2(8) == gspaces.Rot2dOnR2(8) != gspaces.Rot2dOnR2(4)


@pytest.mark.parametrize(
    "bad",
    [
        lambda: gspaces.Rot2dOnR2(0),
        lambda: gspaces.Rot2dOnR2(-2),
        lambda: gspaces.FlipRot2dOnR2(0),
        lambda: gspaces.FlipRot2dOnR2(4, axis="x"),
    ],
)
def test_invalid_gspace_arguments(bad) -> None:
    with pytest.raises((ValueError, TypeError)):
        bad()


RESTRICTIONS = [
    ("C8", 4, "4-Rotations"),
    ("C8", 1, "Trivial"),
    ("SO2", 6, "6-Rotations"),
    ("SO2", -1, "Continuous-Rotations"),
    ("D8", (None, 4), "4-Rotations"),
    ("D8", (None, 1), "Trivial"),
    ("D8", (0, 4), "Flip_4-Rotations(f=1.57080)"),
    ("D8", (1, 4), "Flip_4-Rotations(f=1.96350)"),
    ("D8", (0, 1), "Flips"),
    ("D8", (3, 1), "Flips(f=2.74889)"),
    ("O2", (None, -1), "Continuous-Rotations"),
    ("O2", (None, 4), "4-Rotations"),
    ("O2", (0.0, 4), "Flip_4-Rotations(f=1.57080)"),
    ("O2", (1.0, -1), "Flip_Continuous-Rotations(f=2.07080)"),
    ("O2", (0.5, 1), "Flips(f=1.82080)"),
    ("Flip", 1, "Trivial"),
    ("Flip", 2, "Flips"),
    ("Trivial", 1, "Trivial"),
]


@pytest.mark.parametrize(("space", "sub_id", "name"), RESTRICTIONS)
def test_restrict_ids_and_geometry(space: str, sub_id, name: str) -> None:
    gs = SPACES[space]()
    sub, parent_map, child_map = gs.restrict(sub_id)
    assert sub.name == name
    elements = sub.testing_elements[:: max(1, len(sub.testing_elements) // 12)]
    for h in elements:
        g = parent_map(h)
        # the subgroup element moves the plane exactly like its image in the parent
        assert np.allclose(sub.element_matrix(h), gs.element_matrix(g), atol=1e-12)
        assert sub.fibergroup.equal(child_map(g), h, atol=1e-7)


@pytest.mark.parametrize(
    ("space", "bad"),
    [
        ("C8", 3),
        ("D8", (None, 3)),
        ("D8", (4, 2)),
        ("D8", 2),
        ("Flip", 3),
        ("Trivial", 2),
        ("O2", (None, 0)),
    ],
)
def test_restrict_unknown_ids_raise(space: str, bad) -> None:
    with pytest.raises(ValueError, match="id"):
        SPACES[space]().restrict(bad)


def test_basespace_action_exact_rotations_and_flips() -> None:
    x = torch.randn(2, 3, 7, 7)
    c4 = gspaces.Rot2dOnR2(4)
    for k in range(4):
        assert torch.equal(c4.basespace_action(x, k), torch.rot90(x, k, dims=(-2, -1)))
    flip = gspaces.Flip2dOnR2()
    assert torch.equal(flip.basespace_action(x, 1), torch.flip(x, dims=(-1,)))
    vflip = gspaces.Flip2dOnR2(axis=0.0)
    assert torch.equal(vflip.basespace_action(x, 1), torch.flip(x, dims=(-2,)))
    d4 = gspaces.FlipRot2dOnR2(4)
    assert torch.equal(
        d4.basespace_action(x, (1, 1)), torch.rot90(torch.flip(x, (-1,)), 1, (-2, -1))
    )
    # numpy in, numpy out
    arr = np.arange(9.0).reshape(1, 3, 3)
    out = c4.basespace_action(arr, 1)
    assert isinstance(out, np.ndarray)
    assert np.array_equal(out, np.rot90(arr, 1, axes=(-2, -1)))


@pytest.mark.parametrize("space", list(SPACES))
def test_featurefield_action_is_a_group_action(space: str) -> None:
    gs = SPACES[space]()
    G = gs.fibergroup
    rep = gs.regular_repr if G.order() > 0 else list(gs.irreps.values())[-1]
    exact = [
        g
        for g in gs.testing_elements
        if np.allclose(gs.element_matrix(g), np.round(gs.element_matrix(g)))
    ]
    x = torch.randn(2, rep.size, 9, 9, dtype=torch.float64)
    for a in exact:
        for b in exact[:4]:
            two_steps = gs.featurefield_action(gs.featurefield_action(x, rep, b), rep, a)
            one_step = gs.featurefield_action(x, rep, G.combine(a, b))
            torch.testing.assert_close(two_steps, one_step)


def test_interpolated_rotation_is_close_on_smooth_images() -> None:
    gs = gspaces.Rot2dOnR2(8)
    yy, xx = torch.meshgrid(torch.arange(33.0), torch.arange(33.0), indexing="ij")
    img = torch.exp(-((xx - 20) ** 2 + (yy - 14) ** 2) / 30.0)[None, None]
    twice = gs.basespace_action(gs.basespace_action(img, 1), 1)
    exact = gs.basespace_action(img, 2)
    assert float((twice - exact).norm() / exact.norm()) < 0.02


def test_featurefield_action_checks_its_inputs() -> None:
    gs = gspaces.Rot2dOnR2(4)
    with pytest.raises(ValueError, match="channels"):
        gs.featurefield_action(torch.randn(1, 3, 5, 5), gs.regular_repr, 1)
    with pytest.raises(ValueError, match="element"):
        gs.featurefield_action(torch.randn(1, 4, 5, 5), gs.regular_repr, 7)
    with pytest.raises(ValueError, match="representation"):
        gs.featurefield_action(torch.randn(1, 2, 5, 5), gspaces.Rot2dOnR2(8).irrep(1), 1)


def test_featurefield_action_applies_the_fiber_representation() -> None:
    gs = gspaces.Rot2dOnR2(4)
    vec = torch.zeros(1, 2, 3, 3)
    vec[0, 0, 1, 1] = 1.0  # a vector pointing right at the centre
    out = gs.featurefield_action(vec, gs.irrep(1), 1)
    assert torch.allclose(out[0, :, 1, 1], torch.tensor([0.0, 1.0]), atol=1e-7)  # now up


@pytest.mark.parametrize("space", list(SPACES))
def test_gspaces_pickle(space: str) -> None:
    gs = SPACES[space]()
    copy = pickle.loads(pickle.dumps(gs))
    assert copy == gs
    assert copy.fibergroup is gs.fibergroup
    assert math.isclose(getattr(copy, "axis", 0.0), getattr(gs, "axis", 0.0))
