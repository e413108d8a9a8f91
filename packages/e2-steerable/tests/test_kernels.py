"""Steerable kernel bases: e2cnn's default dimensions, exact steerability, cut-off policies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from e2_steerable import gspaces
from e2_steerable.group import directsum
from e2_steerable.kernels import (
    EmptyBasisException,
    FrequencyCutoff,
    KernelBasis,
    filter_mask,
    kernels_CN_act_R2,
    kernels_DN_act_R2,
    kernels_Flip_act_R2,
    kernels_O2_act_R2,
    kernels_SO2_act_R2,
    kernels_Trivial_act_R2,
    make_frequency_cutoff,
)
from e2_steerable.nn.modules.r2_conv.basis_params import compute_basis_params


def sampled(gs, a, b, k, dilation=1, frequencies_cutoff=None):
    p = compute_basis_params(k, frequencies_cutoff=frequencies_cutoff, dilation=dilation)
    basis = gs.build_kernel_basis(a, b, p.sigma, p.rings, maximum_frequency=p.maximum_frequency)
    return basis.sample_normalized(p.points, filter_mask(basis, p.basis_filter)), p.points


def dimension(gs, a, b, k, **kwargs) -> int:
    (s, _), _ = sampled(gs, a, b, k, **kwargs)
    return s.shape[0]


# Appendix A of the research notes: (reg->reg, triv->reg, triv->triv) for k = 3, 5, 7, 9
REFERENCE = {
    "C4": (lambda: gspaces.Rot2dOnR2(4), [(24, 6, 2), (44, 11, 3), (72, 18, 4), (124, 31, 7)]),
    "C8": (lambda: gspaces.Rot2dOnR2(8), [(48, 6, 2), (88, 11, 3), (144, 18, 4), (248, 31, 5)]),
    "D4": (lambda: gspaces.FlipRot2dOnR2(4), [(48, 6, 2), (88, 11, 3), (144, 18, 4), (248, 31, 6)]),
    "D8": (
        lambda: gspaces.FlipRot2dOnR2(8),
        [(96, 6, 2), (176, 11, 3), (288, 18, 4), (496, 31, 5)],
    ),
    "C1": (lambda: gspaces.TrivialOnR2(), [(6, 6, 6), (11, 11, 11), (18, 18, 18), (31, 31, 31)]),
    "Flip": (lambda: gspaces.Flip2dOnR2(), [(12, 6, 4), (22, 11, 7), (36, 18, 11), (62, 31, 18)]),
}


@pytest.mark.parametrize("group", list(REFERENCE))
def test_reference_dimensions_finite_groups(group: str) -> None:
    make, table = REFERENCE[group]
    gs = make()
    reg, triv = gs.regular_repr, gs.trivial_repr
    for k, expected in zip((3, 5, 7, 9), table):
        got = (
            dimension(gs, reg, reg, k),
            dimension(gs, triv, reg, k),
            dimension(gs, triv, triv, k),
        )
        assert got == expected, (group, k)


def test_reference_dimensions_so2() -> None:
    gs = gspaces.Rot2dOnR2(-1, maximum_frequency=4)
    table = [[3, 4, 4, 0], [4, 10, 4, 4], [4, 4, 6, 4], [0, 4, 4, 6]]  # rows: in, cols: out
    for i in range(4):
        for o in range(4):
            assert dimension(gs, gs.irrep(i), gs.irrep(o), 5) == table[i][o], (i, o)
    assert dimension(gs, gs.irrep(0), gs.irrep(0), 7) == 4
    assert dimension(gs, gs.irrep(1), gs.irrep(1), 7) == 14
    assert dimension(gs, gs.irrep(0), gs.irrep(3), 7) == 2


def test_reference_dimensions_o2() -> None:
    gs = gspaces.FlipRot2dOnR2(-1, maximum_frequency=4)
    assert dimension(gs, gs.irrep(0, 0), gs.irrep(0, 0), 5) == 3
    assert dimension(gs, gs.irrep(0, 0), gs.irrep(1, 0), 5) == 0
    assert dimension(gs, gs.irrep(1, 1), gs.irrep(1, 1), 5) == 5
    assert dimension(gs, gs.irrep(1, 0), gs.irrep(1, 1), 5) == 2


def test_dilation_changes_the_default_basis_but_not_the_dilated_policy() -> None:
    gs = gspaces.Rot2dOnR2(8)
    reg = gs.regular_repr
    assert dimension(gs, reg, reg, 3) == 48
    assert dimension(gs, reg, reg, 3, dilation=2) == 64  # e2cnn issue #25, reproduced
    assert dimension(gs, reg, reg, 3, dilation=2, frequencies_cutoff="dilated") == 48
    assert dimension(gs, reg, reg, 5, dilation=3, frequencies_cutoff="dilated") == 88


def test_cutoff_policies() -> None:
    assert [FrequencyCutoff("default", 3)(r) for r in (0, 1, 2, 3)] == [0, 2, 3, 2]
    assert [FrequencyCutoff("default", 1)(r) for r in (0, 1)] == [0, 2]
    assert [FrequencyCutoff("policy2", 2)(r) for r in (0, 1, 2)] == [0, 2, 1]
    assert [FrequencyCutoff("policy3", 2)(r) for r in (0, 1, 2)] == [0, 2, 1]
    assert make_frequency_cutoff(-2.0, 5)(2.0) == 1.0
    assert make_frequency_cutoff(2.5, 5)(2.0) == 5.0
    assert make_frequency_cutoff(lambda r: 7.0, 5)(1.0) == 7.0
    with pytest.raises(ValueError, match="frequencies_cutoff"):
        make_frequency_cutoff("bogus", 5)
    with pytest.raises(TypeError, match="frequencies_cutoff"):
        make_frequency_cutoff([1, 2], 5)


def _grid_permutation(gs, g, points):
    moved = points @ gs.element_matrix(g).T
    dist = np.abs(moved[:, None, :] - points[None, :, :]).sum(-1)
    if dist.min(axis=1).max() > 1e-9:
        return None
    return dist.argmin(axis=1)


def _representations(gs):
    irreps = list(gs.irreps.values())
    reps = [gs.trivial_repr, *irreps[:5]]
    if gs.fibergroup.order() > 0:
        reps.append(gs.regular_repr)
    reps.append(directsum([irreps[-1], gs.trivial_repr, irreps[1 % len(irreps)]]))
    return reps


STEER = {
    "C8": lambda: gspaces.Rot2dOnR2(8),
    "C3": lambda: gspaces.Rot2dOnR2(3),
    "D4": lambda: gspaces.FlipRot2dOnR2(4),
    "D4-axis0": lambda: gspaces.FlipRot2dOnR2(4, axis=0.0),
    "D6": lambda: gspaces.FlipRot2dOnR2(6),
    "SO2": lambda: gspaces.Rot2dOnR2(-1, maximum_frequency=4),
    "O2": lambda: gspaces.FlipRot2dOnR2(-1, maximum_frequency=4),
    "O2-axis-diag": lambda: gspaces.FlipRot2dOnR2(-1, maximum_frequency=3, axis=math.pi / 4),
    "Flip": lambda: gspaces.Flip2dOnR2(),
    "Flip-diag": lambda: gspaces.Flip2dOnR2(axis=math.pi / 4),
    "Trivial": lambda: gspaces.TrivialOnR2(),
}


@pytest.mark.parametrize("space", list(STEER))
def test_sampled_basis_is_exactly_steerable(space: str) -> None:
    gs = STEER[space]()
    G = gs.fibergroup
    reps = _representations(gs)
    if G.order() > 0:
        elements = G.elements
    else:
        angles = [0.0, math.pi / 2, math.pi, 3 * math.pi / 2]
        elements = angles if G.name == "SO(2)" else [(f, a) for f in (0, 1) for a in angles]
    checked = 0
    for a in reps:
        for b in reps:
            (basis, _), points = sampled(gs, a, b, 5)
            for g in elements:
                perm = _grid_permutation(gs, g, points)
                if perm is None:
                    continue
                lhs = basis[..., perm]  # K(g p)
                rhs = np.einsum("ab,nbcp,cd->nadp", b(g), basis, a(G.inverse(g)))
                np.testing.assert_allclose(lhs, rhs, atol=1e-12)
                checked += 1
    assert checked > 0


def test_basis_elements_are_normalised() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    (basis, _kept), _ = sampled(gs, gs.regular_repr, gs.irrep(1, 1), 5)
    energy = (basis**2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(energy, 2.0, rtol=1e-12)  # = size of the output irrep


def test_empty_basis_and_error_message() -> None:
    gs = gspaces.Rot2dOnR2(-1, maximum_frequency=4)
    assert dimension(gs, gs.irrep(0), gs.irrep(3), 5) == 0
    assert str(EmptyBasisException()).count("frequencies_cutoff") == 1
    assert issubclass(EmptyBasisException, ValueError)


def test_kernel_basis_attributes() -> None:
    gs = gspaces.Rot2dOnR2(4)
    basis = gs.build_kernel_basis(gs.irrep(1), gs.irrep(1), [0.6], [1.0], maximum_frequency=4)
    assert isinstance(basis, KernelBasis)
    assert len(basis) == basis.dim == basis.dimension()
    first = basis[0]
    assert {"radius", "frequency", "gamma", "s", "offset", "in_irrep", "out_irrep"} <= set(first)
    assert [attr["idx"] for attr in basis] == list(range(len(basis)))
    # gamma outermost, then s, then the offset t in ascending order
    gammas = [attr["gamma"] for attr in basis]
    assert gammas == sorted(gammas)
    assert basis == gs.build_kernel_basis(
        gs.irrep(1), gs.irrep(1), [0.6], [1.0], maximum_frequency=4
    )
    with pytest.raises(IndexError):
        basis[len(basis)]


def test_kernel_basis_argument_errors() -> None:
    gs = gspaces.Rot2dOnR2(4)
    with pytest.raises(ValueError, match="sigma"):
        gs.build_kernel_basis(gs.irrep(1), gs.irrep(1), [0.6, 0.3], [1.0], maximum_frequency=2)
    with pytest.raises(ValueError, match="rings"):
        gs.build_kernel_basis(gs.irrep(1), gs.irrep(1), 0.6, [], maximum_frequency=2)
    with pytest.raises(ValueError, match="fiber group"):
        gs.build_kernel_basis(gspaces.Rot2dOnR2(8).irrep(1), gs.irrep(1), 0.6, [1.0])
    with pytest.raises(ValueError, match="points"):
        gs.build_kernel_basis(gs.irrep(1), gs.irrep(1), 0.6, [1.0]).sample(np.zeros((3, 3)))


def test_named_kernel_constructors() -> None:
    c4, d4 = gspaces.Rot2dOnR2(4), gspaces.FlipRot2dOnR2(4)
    so2, o2 = gspaces.Rot2dOnR2(-1, 3), gspaces.FlipRot2dOnR2(-1, 3)
    flip, triv = gspaces.Flip2dOnR2(), gspaces.TrivialOnR2()
    assert len(kernels_CN_act_R2(c4.irrep(1), c4.irrep(1), [1.0], 0.6, 2)) == 6  # mu 0, ±2
    assert len(kernels_DN_act_R2(d4.irrep(1, 1), d4.irrep(1, 1), [1.0], 0.6, max_frequency=2)) == 3
    assert len(kernels_SO2_act_R2(so2.irrep(1), so2.irrep(1), [1.0], 0.6, 2)) == 4
    assert len(kernels_O2_act_R2(o2.irrep(1, 1), o2.irrep(1, 1), [1.0], 0.6, max_frequency=2)) == 2
    assert len(kernels_Flip_act_R2(flip.irrep(0), flip.irrep(1), [1.0], 0.6, max_frequency=2)) == 2
    assert len(kernels_Trivial_act_R2(triv.trivial_repr, triv.trivial_repr, [1.0], 0.6, 2)) == 5
    with pytest.raises(ValueError, match="representation of"):
        kernels_DN_act_R2(c4.irrep(1), c4.irrep(1), [1.0], 0.6)


@pytest.mark.filterwarnings(
    "ignore:indexing with dtype torch.uint8:UserWarning"
)  # e2cnn on torch 2
@pytest.mark.parametrize("n", [1, 3, 4, 8])
def test_sampled_basis_matches_e2cnn(n: int) -> None:
    e2cnn = pytest.importorskip("e2cnn")
    gs1 = e2cnn.gspaces.Rot2dOnR2(n) if n > 1 else e2cnn.gspaces.TrivialOnR2()
    gs2 = gspaces.Rot2dOnR2(n) if n > 1 else gspaces.TrivialOnR2()
    names = ["regular", "irrep_0"] + (["irrep_1"] if n > 2 else [])
    for k in (3, 5):
        for a in names:
            for b in names:
                ft_in = e2cnn.nn.FieldType(gs1, [gs1.representations[a]])
                ft_out = e2cnn.nn.FieldType(gs1, [gs1.representations[b]])
                conv = e2cnn.nn.R2Conv(ft_in, ft_out, k, initialize=False)
                block = getattr(conv._basisexpansion, f"block_expansion_('{a}', '{b}')")
                ref = block.sampled_basis.numpy()
                (ours, _), _ = sampled(gs2, gs2.representations[a], gs2.representations[b], k)
                assert ours.shape == ref.shape
                np.testing.assert_allclose(ours, ref, atol=1e-6)
