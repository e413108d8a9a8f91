"""Exact grid transforms on non-square inputs: rotations by 90° turn H x W into W x H."""

from __future__ import annotations

import pytest
import torch

from e2_steerable import gspaces, nn


@pytest.mark.parametrize("k", range(4))
def test_rotation_by_k_quarter_turns_matches_rot90(k: int) -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = nn.FieldType(gs, [gs.trivial_repr] * 2)
    x = torch.randn(3, 2, 5, 8)
    out = nn.GeometricTensor(x, ft).transform(k).tensor
    torch.testing.assert_close(out, torch.rot90(x, k, dims=(2, 3)), atol=0, rtol=0)


def test_reflections_of_a_non_square_image_are_exact() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    ft = nn.FieldType(gs, [gs.trivial_repr])
    x = torch.randn(1, 1, 4, 7)
    torch.testing.assert_close(ft.transform(x, (1, 0)), torch.flip(x, dims=(3,)))
    torch.testing.assert_close(ft.transform(x, (1, 2)), torch.flip(x, dims=(2,)))
    # a reflection across a diagonal transposes the grid
    assert ft.transform(x, (1, 1)).shape == (1, 1, 7, 4)


def test_regular_field_on_non_square_input_round_trips() -> None:
    gs = gspaces.Rot2dOnR2(8)
    ft = nn.FieldType(gs, [gs.regular_repr])
    x = nn.GeometricTensor(torch.randn(2, 8, 6, 9), ft)
    y = x.transform(2).transform(6)  # two exact quarter turns that cancel
    torch.testing.assert_close(y.tensor, x.tensor)


@pytest.mark.parametrize("flip", [False, True], ids=["C4", "D4"])
def test_check_equivariance_on_non_square_inputs(flip: bool) -> None:
    gs = gspaces.FlipRot2dOnR2(4) if flip else gspaces.Rot2dOnR2(4)
    t_in = nn.FieldType(gs, [gs.trivial_repr, gs.regular_repr])
    t_out = nn.FieldType(gs, [gs.regular_repr] * 2)
    conv = nn.R2Conv(t_in, t_out, 3, padding=1)
    errors = conv.check_equivariance(spatial_size=(11, 16), atol=1e-6, rtol=1e-6)
    assert len(errors) == (8 if flip else 4)
    assert max(err for _, err in errors) < 1e-6


def test_check_equivariance_accepts_e2cnn_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = nn.FieldType(gs, [gs.regular_repr])
    relu = nn.ReLU(ft)
    errors = relu.check_equivariance(atol=1e-7, rtol=1e-5, assertion=True, verbose=True)
    assert len(errors) == 4
    assert capsys.readouterr().out.count("relative error") == 4
    with pytest.raises(ValueError, match="spatial_size"):
        relu.check_equivariance(spatial_size=(3, 4, 5))
