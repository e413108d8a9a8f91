"""e2cnn 0.2.3 state dicts load into the e2-steerable modules and give the same eval outputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from e2_steerable import gspaces
from e2_steerable import nn as ours_nn

e2cnn = pytest.importorskip("e2cnn")

pytestmark = [
    pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8:UserWarning"),  # e2cnn
    pytest.mark.filterwarnings("ignore:torch.meshgrid:UserWarning"),  # e2cnn
]


def induced(gs: Any, frequency: int) -> Any:
    sub = gs.fibergroup.subgroup(4)[0]
    return gs.induced_repr(4, sub.irrep(frequency))


def vectors(gs: Any) -> list[Any]:
    return [gs.irrep(1), gs.irrep(4), gs.irrep(2), gs.irrep(1), gs.irrep(3)]


# build(nn, gs): the same constructor call works with e2cnn.nn and e2_steerable.nn
BUILDERS: dict[str, Callable[[Any, Any], Any]] = {
    "NormNonLinearity": lambda nn, gs: nn.NormNonLinearity(nn.FieldType(gs, vectors(gs))),
    "InducedNormNonLinearity": lambda nn, gs: nn.InducedNormNonLinearity(
        nn.FieldType(gs, [induced(gs, 1), induced(gs, 2), induced(gs, 1)]), "n_sigmoid"
    ),
    "GatedNonLinearity1": lambda nn, gs: nn.GatedNonLinearity1(
        nn.FieldType(gs, [gs.trivial_repr] * 4 + [gs.regular_repr, gs.irrep(1)] * 2)
    ),
    "InducedGatedNonLinearity1": lambda nn, gs: nn.InducedGatedNonLinearity1(
        nn.FieldType(gs, [gs.quotient_repr(4)] * 2 + [induced(gs, 1), induced(gs, 2)])
    ),
    "GroupPooling": lambda nn, gs: nn.GroupPooling(
        nn.FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])
    ),
    "NormPool": lambda nn, gs: nn.NormPool(nn.FieldType(gs, vectors(gs))),
    "InducedNormPool": lambda nn, gs: nn.InducedNormPool(
        nn.FieldType(gs, [induced(gs, 1), induced(gs, 2)])
    ),
    "NormMaxPool": lambda nn, gs: nn.NormMaxPool(nn.FieldType(gs, vectors(gs)), 3, 2, 1),
    "PointwiseMaxPoolAntialiased": lambda nn, gs: nn.PointwiseMaxPoolAntialiased(
        nn.FieldType(gs, [gs.regular_repr] * 2), 3, 2, sigma=0.8
    ),
    "PointwiseAvgPoolAntialiased": lambda nn, gs: nn.PointwiseAvgPoolAntialiased(
        nn.FieldType(gs, [gs.regular_repr] * 2), 0.7, 2
    ),
    "PointwiseAvgPool": lambda nn, gs: nn.PointwiseAvgPool(
        nn.FieldType(gs, [gs.regular_repr] * 2), 3, 2, 1
    ),
    "NormBatchNorm": lambda nn, gs: nn.NormBatchNorm(nn.FieldType(gs, vectors(gs))),
    "InducedNormBatchNorm": lambda nn, gs: nn.InducedNormBatchNorm(
        nn.FieldType(gs, [induced(gs, 1), induced(gs, 2), induced(gs, 1)])
    ),
    "GNormBatchNorm": lambda nn, gs: nn.GNormBatchNorm(nn.FieldType(gs, vectors(gs))),
    "FieldDropout": lambda nn, gs: nn.FieldDropout(nn.FieldType(gs, vectors(gs))),
    "MaskModule": lambda nn, gs: nn.MaskModule(nn.FieldType(gs, vectors(gs)), 9, margin=20),
    "ReshuffleModule": lambda nn, gs: nn.ReshuffleModule(
        nn.FieldType(gs, vectors(gs)), [2, 4, 0, 1, 3]
    ),
    "MultipleModule": lambda nn, gs: nn.MultipleModule(
        nn.FieldType(gs, [gs.irrep(1), gs.regular_repr, gs.irrep(2)]),
        ["n", "r", "n"],
        [
            (nn.NormNonLinearity(nn.FieldType(gs, [gs.irrep(1), gs.irrep(2)])), "n"),
            (nn.ReLU(nn.FieldType(gs, [gs.regular_repr])), "r"),
        ],
    ),
    "SequentialModule": lambda nn, gs: nn.SequentialModule(
        nn.NormBatchNorm(nn.FieldType(gs, [gs.irrep(1)] * 2)),
        nn.NormNonLinearity(nn.FieldType(gs, [gs.irrep(1)] * 2)),
        nn.NormMaxPool(nn.FieldType(gs, [gs.irrep(1)] * 2), 2),
    ),
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_e2cnn_state_dict_loads_and_matches(name: str) -> None:
    egs = e2cnn.gspaces.Rot2dOnR2(8)
    gs = gspaces.Rot2dOnR2(8)
    theirs = BUILDERS[name](e2cnn.nn, egs)
    ours = BUILDERS[name](ours_nn, gs)
    x = torch.randn(4, theirs.in_type.size, 9, 9)
    with torch.no_grad():
        for key, value in theirs.named_parameters():
            if not value.requires_grad:  # e2cnn's constant `eps` of the norm non-linearities
                continue
            value.copy_(
                torch.rand_like(value) + 0.5 if "weight" in key else torch.randn_like(value)
            )
        theirs.train()
        for i in range(2):
            theirs(e2cnn.nn.GeometricTensor(x * (i + 1) + 0.2, theirs.in_type))
    state = theirs.state_dict()
    ours.load_state_dict(state)  # strict: every e2cnn key is used or known to be redundant
    theirs.eval()
    ours.eval()
    with torch.no_grad():
        expected = theirs(e2cnn.nn.GeometricTensor(x, theirs.in_type)).tensor
        got = ours(ours_nn.GeometricTensor(x, ours.in_type)).tensor
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    with torch.no_grad():
        torch.testing.assert_close(ours.export()(x), expected, atol=1e-5, rtol=1e-5)


def test_gated2_state_dict_loads_and_matches() -> None:
    egs, gs = e2cnn.gspaces.Rot2dOnR2(8), gspaces.Rot2dOnR2(8)

    def types(nn: Any, s: Any) -> tuple[Any, Any]:
        return (
            nn.FieldType(s, [s.trivial_repr] * 3),
            nn.FieldType(s, [s.irrep(1), s.irrep(4), s.regular_repr]),
        )

    theirs = e2cnn.nn.GatedNonLinearity2(types(e2cnn.nn, egs))
    ours = ours_nn.GatedNonLinearity2(types(ours_nn, gs))
    ours.load_state_dict(theirs.state_dict())
    g, x = torch.randn(2, 3, 5, 5), torch.randn(2, 11, 5, 5)
    expected = theirs(
        e2cnn.nn.GeometricTensor(g, theirs.in_type[0]),
        e2cnn.nn.GeometricTensor(x, theirs.in_type[1]),
    ).tensor
    got = ours(
        ours_nn.GeometricTensor(g, ours.in_type[0]), ours_nn.GeometricTensor(x, ours.in_type[1])
    ).tensor
    torch.testing.assert_close(got, expected)


def d4_fields(gs: Any) -> list[Any]:
    return [gs.irrep(1, 1), gs.irrep(1, 0), gs.irrep(1, 1), gs.irrep(0, 2)]


D4_BUILDERS: dict[str, Callable[[Any, Any], Any]] = {
    "NormNonLinearity": lambda nn, gs: nn.NormNonLinearity(nn.FieldType(gs, d4_fields(gs))),
    "NormBatchNorm": lambda nn, gs: nn.NormBatchNorm(nn.FieldType(gs, d4_fields(gs))),
    "GNormBatchNorm": lambda nn, gs: nn.GNormBatchNorm(nn.FieldType(gs, d4_fields(gs))),
    "GatedNonLinearity1": lambda nn, gs: nn.GatedNonLinearity1(
        nn.FieldType(gs, [gs.trivial_repr] * 2 + [gs.regular_repr, gs.irrep(1, 1)])
    ),
    "NormMaxPool": lambda nn, gs: nn.NormMaxPool(nn.FieldType(gs, d4_fields(gs)), 2),
}


@pytest.mark.parametrize("name", list(D4_BUILDERS))
def test_e2cnn_state_dict_loads_and_matches_d4(name: str) -> None:
    """Reflection groups too (e2cnn builds these modules on numpy 2; only its kernels fail)."""
    egs = e2cnn.gspaces.FlipRot2dOnR2(4)
    gs = gspaces.FlipRot2dOnR2(4)
    theirs = D4_BUILDERS[name](e2cnn.nn, egs)
    ours = D4_BUILDERS[name](ours_nn, gs)
    x = torch.randn(4, theirs.in_type.size, 8, 8)
    with torch.no_grad():
        for key, value in theirs.named_parameters():
            if value.requires_grad:
                value.copy_(
                    torch.rand_like(value) + 0.5 if "weight" in key else torch.randn_like(value)
                )
        theirs.train()
        theirs(e2cnn.nn.GeometricTensor(x + 0.3, theirs.in_type))
    ours.load_state_dict(theirs.state_dict())
    theirs.eval()
    ours.eval()
    with torch.no_grad():
        expected = theirs(e2cnn.nn.GeometricTensor(x, theirs.in_type)).tensor
        got = ours(ours_nn.GeometricTensor(x, ours.in_type)).tensor
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
