"""Weight initialisation: generalised He (matches e2cnn's variances) and delta-orthogonal."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e2_steerable import gspaces
from e2_steerable.nn import FieldType
from e2_steerable.nn.init import deltaorthonormal_init, generalized_he_init
from e2_steerable.nn.modules.r2_conv import R2Conv


def _mixed(gs):
    return (
        FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.trivial_repr] * 2),
        FieldType(gs, [gs.trivial_repr, gs.regular_repr, gs.irrep(1)] * 2),
    )


@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8:UserWarning")  # e2cnn
@pytest.mark.filterwarnings("ignore:torch.meshgrid:UserWarning")  # e2cnn
def test_he_std_matches_e2cnn_variances() -> None:
    e2cnn = pytest.importorskip("e2cnn")
    from e2cnn.nn.init import _generalized_he_init_variances

    from e2_steerable.nn.init import _he_std

    g1, g2 = e2cnn.gspaces.Rot2dOnR2(8), gspaces.Rot2dOnR2(8)
    ref = e2cnn.nn.R2Conv(
        e2cnn.nn.FieldType(g1, [g1.regular_repr, g1.irrep(1), g1.trivial_repr] * 2),
        e2cnn.nn.FieldType(g1, [g1.trivial_repr, g1.regular_repr, g1.irrep(1)] * 2),
        5,
        initialize=False,
    )
    tin, tout = _mixed(g2)
    ours = R2Conv(tin, tout, 5, initialize=False)
    expected = _generalized_he_init_variances(ref.basisexpansion).double()
    torch.testing.assert_close(_he_std(ours.basisexpansion), expected, atol=1e-6, rtol=1e-6)


def test_he_init_gives_unit_order_output_variance() -> None:
    gs = gspaces.Rot2dOnR2(8)
    tin = FieldType(gs, [gs.regular_repr] * 8)
    conv = R2Conv(tin, tin, 5, bias=False)
    filt = conv.expand_parameters()[0]
    assert tuple(filt.shape) == (64, 64, 5, 5)
    # He init: the per-output-channel filter energy is of order 1 (e2cnn's convention)
    energy = filt.detach().square().sum(dim=(1, 2, 3))
    assert 0.2 < float(energy.mean()) < 5.0
    std = conv.weights.detach().std()
    generalized_he_init(conv.weights.data, conv.basisexpansion, cache=True)
    generalized_he_init(conv.weights.data, conv.basisexpansion, cache=True)
    assert abs(float(conv.weights.detach().std() / std) - 1.0) < 0.2
    with pytest.raises(ValueError, match="shape"):
        generalized_he_init(torch.zeros(3), conv.basisexpansion)


@pytest.mark.parametrize(
    "make", [lambda: gspaces.Rot2dOnR2(8), lambda: gspaces.FlipRot2dOnR2(4)], ids=["C8", "D4"]
)
def test_deltaorthonormal_init_is_centre_only_and_equivariant(make) -> None:
    gs = make()
    ft = FieldType(gs, [gs.regular_repr] * 3)
    conv = R2Conv(ft, ft, 5, initialize=False)
    deltaorthonormal_init(conv.weights.data, conv.basisexpansion)
    filt = conv.expand_parameters()[0].detach()
    centre = filt[..., 2, 2].clone()
    filt[..., 2, 2] = 0
    assert filt.abs().max() < 1e-6
    assert centre.abs().sum() > 0
    # the centre map commutes with the group action
    rho = torch.from_numpy(ft.representation(gs.fibergroup.elements[1])).float()
    torch.testing.assert_close(rho @ centre, centre @ rho, atol=1e-5, rtol=1e-5)


def test_deltaorthonormal_init_checks_shape() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr])
    conv = R2Conv(ft, ft, 3)
    with pytest.raises(ValueError, match="shape"):
        deltaorthonormal_init(torch.zeros(2), conv.basisexpansion)


def test_weight_attributes_are_consistent_with_element_info() -> None:
    gs = gspaces.Rot2dOnR2(4)
    tin, tout = _mixed(gs)
    conv = R2Conv(tin, tout, 3, initialize=False)
    exp = conv.basisexpansion
    infos = list(exp.get_basis_info())
    assert len(infos) == exp.dimension() == conv.weights.numel()
    names = exp.get_basis_names()
    assert len(set(names)) == len(names)
    attrs = exp.weight_attributes()
    for idx in np.random.default_rng(0).integers(0, len(infos), 20):
        info = exp.get_element_info(int(idx))
        assert info["out_irreps_position"] == attrs["out_irreps_position"][idx]
        assert info["in_irreps_position"] == attrs["in_irreps_position"][idx]
        assert exp.get_element_info(info["id"])["idx"] == idx
