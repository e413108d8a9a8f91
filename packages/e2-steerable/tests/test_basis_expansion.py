"""Basis expansion modules: layout against a naive reference, single blocks, caching, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e2_steerable import gspaces
from e2_steerable._vendor import grid
from e2_steerable.kernels import EmptyBasisException
from e2_steerable.nn import FieldType
from e2_steerable.nn.modules.r2_conv import (
    BasisExpansion,
    BlocksBasisExpansion,
    SingleBlockBasisExpansion,
    block_basisexpansion,
    compute_basis_params,
)
from e2_steerable.nn.modules.r2_conv._layout import FieldLayout


def _expansion(tin: FieldType, tout: FieldType, k: int = 3) -> BlocksBasisExpansion:
    p = compute_basis_params(k)
    return BlocksBasisExpansion(
        tin,
        tout,
        tin.gspace.build_kernel_basis,
        p.points,
        basis_filter=p.basis_filter,
        sigma=p.sigma,
        rings=p.rings,
        maximum_frequency=p.maximum_frequency,
    )


def _naive_filter(exp: BlocksBasisExpansion, weights: torch.Tensor) -> torch.Tensor:
    """Field-by-field reference assembly (e2cnn's layout, written the slow and obvious way)."""
    tin, tout = exp.in_type, exp.out_type
    out = torch.zeros(tout.size, tin.size, exp.S, dtype=weights.dtype)
    for pair in exp._pairs:
        basis = exp._block(pair).to(weights.dtype)
        w = weights[pair.offset : pair.offset + pair.size].reshape(pair.n_out, pair.n_in, pair.dim)
        outs = [i for i, r in enumerate(tout.representations) if r.name == pair.out_name]
        ins = [i for i, r in enumerate(tin.representations) if r.name == pair.in_name]
        for a, fo in enumerate(outs):
            for b, fi in enumerate(ins):
                so, eo = int(tout.fields_start[fo]), int(tout.fields_end[fo])
                si, ei = int(tin.fields_start[fi]), int(tin.fields_end[fi])
                out[so:eo, si:ei] = torch.einsum("n,nijp->ijp", w[a, b], basis)
    return out


LAYOUTS = {
    "regular": lambda gs: ([gs.regular_repr] * 3, [gs.regular_repr] * 2),
    "sorted": lambda gs: (
        [gs.regular_repr] * 2 + [gs.irrep(1)] * 2,
        [gs.trivial_repr] * 2 + [gs.regular_repr],
    ),
    "interleaved": lambda gs: (
        [gs.trivial_repr, gs.irrep(1), gs.irrep(2)] * 3,
        [gs.irrep(1), gs.regular_repr] * 2,
    ),
    "irregular": lambda gs: (
        [gs.irrep(1), gs.trivial_repr, gs.irrep(1), gs.irrep(1), gs.regular_repr, gs.trivial_repr],
        [gs.regular_repr, gs.irrep(2), gs.regular_repr, gs.regular_repr, gs.irrep(1)],
    ),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_blocks_expansion_matches_naive_assembly(layout: str) -> None:
    gs = gspaces.Rot2dOnR2(4)
    ins, outs = LAYOUTS[layout](gs)
    exp = _expansion(FieldType(gs, ins), FieldType(gs, outs))
    w = torch.randn(exp.dimension(), dtype=torch.float64)
    torch.testing.assert_close(exp(w), _naive_filter(exp, w))


def test_unpatterned_types_use_one_gather() -> None:
    gs = gspaces.Rot2dOnR2(-1, maximum_frequency=3)
    rng = np.random.default_rng(0)
    ins = [gs.irrep(int(k)) for k in rng.integers(0, 4, 24)]
    outs = [gs.irrep(int(k)) for k in rng.integers(0, 4, 20)]
    exp = _expansion(FieldType(gs, ins), FieldType(gs, outs), k=5)
    assert exp._channel_gather is not None  # too many runs for strided copies
    w = torch.randn(exp.dimension(), dtype=torch.float64)
    torch.testing.assert_close(exp(w), _naive_filter(exp, w))
    attrs = exp.weight_attributes()
    assert attrs["out_field"].max() == len(outs) - 1


def test_empty_pairs_leave_zero_blocks() -> None:
    gs = gspaces.Rot2dOnR2(-1, maximum_frequency=4)
    tin = FieldType(gs, [gs.trivial_repr, gs.irrep(3)])
    tout = FieldType(gs, [gs.irrep(3), gs.trivial_repr])
    exp = _expansion(tin, tout, k=5)
    w = torch.randn(exp.dimension(), dtype=torch.float64)
    filt = exp(w)
    assert filt[0:2, 0:1].abs().max() == 0  # irrep_0 -> irrep_3 has no kernel at k=5
    torch.testing.assert_close(filt, _naive_filter(exp, w))


def test_field_layout() -> None:
    gs = gspaces.Rot2dOnR2(4)
    lay = FieldLayout([gs.regular_repr, gs.regular_repr, gs.irrep(1)] * 2)
    assert lay.repetitions == 2
    assert lay.pattern_size == 10
    assert [(r.name, r.count, r.channel, r.rank) for r in lay.runs] == [
        ("regular", 2, 0, 0),
        ("irrep_1", 1, 8, 0),
    ]
    assert lay.fields_of["irrep_1"] == [2, 5]
    lay = FieldLayout([gs.irrep(1), gs.trivial_repr, gs.irrep(1)])
    assert lay.repetitions == 1
    assert [r.rank for r in lay.runs] == [0, 0, 1]


def test_single_block_expansion_and_cache() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    p = compute_basis_params(5)
    basis = gs.build_kernel_basis(
        gs.regular_repr, gs.irrep(1, 1), p.sigma, p.rings, maximum_frequency=p.maximum_frequency
    )
    a = block_basisexpansion(basis, p.points, p.basis_filter)
    b = block_basisexpansion(basis, p.points, p.basis_filter)
    assert isinstance(a, BasisExpansion)
    assert isinstance(a, SingleBlockBasisExpansion)
    assert a is not b
    assert a.sampled_basis is b.sampled_basis
    assert a == b
    c = block_basisexpansion(basis, p.points, p.basis_filter, recompute=True)
    assert c.sampled_basis is not a.sampled_basis
    torch.testing.assert_close(c.sampled_basis, a.sampled_basis)
    w = torch.randn(3, a.dimension())
    assert a(w).shape == (3, 2, 8, 25)
    assert len(a.get_basis_names()) == a.dimension()
    assert a.get_element_info(0)["radius"] == 0.0
    assert list(a.state_dict()) == []  # the sampled basis is a non-persistent buffer
    with pytest.raises(ValueError, match="weights"):
        a(torch.randn(a.dimension() + 1))


def test_single_block_empty_basis_raises() -> None:
    gs = gspaces.Rot2dOnR2(8)
    with pytest.raises(EmptyBasisException):
        SingleBlockBasisExpansion(
            gs.build_kernel_basis(
                gs.regular_repr, gs.regular_repr, 0.6, [0.0], maximum_frequency=2
            ),
            grid.kernel_grid(2),
            basis_filter=lambda attr: False,
        )


def test_blocks_expansion_errors() -> None:
    c4, c8 = gspaces.Rot2dOnR2(4), gspaces.Rot2dOnR2(8)
    with pytest.raises(ValueError, match="gspaces"):
        _expansion(FieldType(c4, [c4.regular_repr]), FieldType(c8, [c8.regular_repr]))
    exp = _expansion(FieldType(c4, [c4.regular_repr]), FieldType(c4, [c4.regular_repr]))
    with pytest.raises(ValueError, match="weights"):
        exp(torch.randn(exp.dimension() + 2))
    assert exp.S == 9
