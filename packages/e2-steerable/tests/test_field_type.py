"""FieldType: sizes and offsets, algebra, restriction, change of basis, transform, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from e2_steerable import gspaces
from e2_steerable.nn import FieldType
from e2_steerable.nn.modules.equivariant_module import is_exact_element


def _gspace(name: str):
    return {
        "C4": lambda: gspaces.Rot2dOnR2(4),
        "C8": lambda: gspaces.Rot2dOnR2(8),
        "D4": lambda: gspaces.FlipRot2dOnR2(4),
        "SO2": lambda: gspaces.Rot2dOnR2(-1, maximum_frequency=3),
        "Flip": lambda: gspaces.Flip2dOnR2(),
        "Trivial": lambda: gspaces.TrivialOnR2(),
    }[name]()


GSPACES = ["C4", "C8", "D4", "SO2", "Flip", "Trivial"]


def _mixed_type(gs) -> FieldType:
    """A type with fields of several sizes: regular (if finite), an irrep of size > 1, trivial."""
    reps = []
    if gs.fibergroup.order() > 0:
        reps.append(gs.regular_repr)
    big = [irr for irr in gs.fibergroup.irreps.values() if irr.size > 1]
    if big:
        reps.append(big[0])
    reps += [gs.trivial_repr, gs.trivial_repr]
    return FieldType(gs, reps)


def test_doc_sizes_and_offsets() -> None:
    gs = gspaces.Rot2dOnR2(4)
    reps = [gs.regular_repr] * 2 + [gs.irrep(1)] * 2 + [gs.trivial_repr] * 3
    ft = FieldType(gs, reps)
    assert len(ft) == 7
    assert ft.size == 15
    assert ft.fields_start.tolist() == [0, 4, 8, 10, 12, 13, 14]
    assert ft.fields_end.tolist() == [4, 8, 10, 12, 13, 14, 15]
    assert list(ft) == reps
    assert ft.fields_names() == [r.name for r in reps]
    assert ft.fibergroup is gs.fibergroup
    assert list(ft.testing_elements) == list(gs.testing_elements)


def test_repr_matches_e2cnn_style() -> None:
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.trivial_repr] * 3)
    assert repr(ft) == f"[{gs.name}: {{irrep_0, irrep_0, irrep_0}}]"
    assert repr(FieldType(gs, [gs.regular_repr])) == f"[{gs.name}: {{regular}}]"


def test_equality_hash_and_add() -> None:
    gs = gspaces.Rot2dOnR2(4)
    a = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    b = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    c = FieldType(gs, [gs.trivial_repr, gs.regular_repr])
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    s = a + c
    assert len(s) == 4
    assert s.size == 10
    assert s.representations == a.representations + c.representations
    other = gspaces.Rot2dOnR2(8)
    assert a != FieldType(other, [other.regular_repr, other.trivial_repr])
    with pytest.raises(ValueError, match="different gspaces"):
        _ = a + FieldType(other, [other.trivial_repr])


def test_index_select_sorted_group_by_labels() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.irrep(1), gs.trivial_repr])
    assert ft.index_select([2, 0]).representations == [gs.irrep(1), gs.regular_repr]
    assert [r.size for r in ft.sorted()] == [1, 1, 2, 4]
    groups = ft.group_by_labels(["a", "b", "a", "b"])
    assert list(groups) == ["a", "b"]
    assert groups["a"].representations == [gs.regular_repr, gs.irrep(1)]
    assert groups["b"].size == 2
    with pytest.raises(IndexError, match="out of range"):
        ft.index_select([4])
    with pytest.raises(ValueError, match="expected 4 labels"):
        ft.group_by_labels(["a"])


@pytest.mark.parametrize("name", GSPACES)
def test_representation_is_block_diagonal_directsum(name: str) -> None:
    gs = _gspace(name)
    ft = _mixed_type(gs)
    rho = ft.representation
    assert rho.size == ft.size
    for g in list(gs.testing_elements)[:6]:
        full = np.asarray(rho(g))
        for rep, s, e in zip(ft, ft.fields_start, ft.fields_end):
            np.testing.assert_allclose(full[s:e, s:e], rep(g), atol=1e-10)
        mask = np.zeros_like(full, dtype=bool)
        for s, e in zip(ft.fields_start, ft.fields_end):
            mask[s:e, s:e] = True
        assert np.abs(full[~mask]).max(initial=0.0) < 1e-10


@pytest.mark.parametrize("name", GSPACES)
def test_change_of_basis_dense_and_sparse(name: str) -> None:
    gs = _gspace(name)
    ft = _mixed_type(gs)
    q = ft.get_dense_change_of_basis()
    q_inv = ft.get_dense_change_of_basis_inv()
    assert q.shape == (ft.size, ft.size)
    assert q.dtype == torch.float32
    torch.testing.assert_close(q @ q_inv, torch.eye(ft.size), atol=1e-5, rtol=0)
    np.testing.assert_allclose(ft.change_of_basis.toarray(), q.double().numpy(), atol=1e-6)
    np.testing.assert_allclose(ft.change_of_basis_inv.toarray(), q_inv.double().numpy(), atol=1e-6)
    assert len(ft.irreps) == sum(len(r.irreps) for r in ft)


@pytest.mark.parametrize("name", GSPACES)
def test_transform_is_a_group_action(name: str) -> None:
    gs = _gspace(name)
    ft = _mixed_type(gs)
    x = torch.randn(2, ft.size, 7, 7)
    group = gs.fibergroup
    torch.testing.assert_close(ft.transform(x, group.identity), x)
    exact = [g for g in gs.testing_elements if is_exact_element(gs, g)]
    assert len(exact) >= min(4, max(group.order(), 1))
    for g1 in exact[:4]:
        for g2 in exact[:4]:
            once = ft.transform(x, group.combine(g2, g1))
            twice = ft.transform(ft.transform(x, g1), g2)
            torch.testing.assert_close(once, twice, atol=1e-6, rtol=1e-6)


def test_exact_elements_are_the_grid_symmetries() -> None:
    c8 = gspaces.Rot2dOnR2(8)
    flags = [is_exact_element(c8, g) for g in c8.testing_elements]
    assert sum(flags) == 4  # 0, 90, 180, 270 degrees; the odd multiples of 45 interpolate
    d4 = gspaces.FlipRot2dOnR2(4)
    assert all(is_exact_element(d4, g) for g in d4.testing_elements)


@pytest.mark.parametrize("name", GSPACES)
def test_transform_on_a_single_pixel_is_the_fiber_action(name: str) -> None:
    gs = _gspace(name)
    ft = _mixed_type(gs)
    x = torch.randn(3, ft.size, 1, 1, dtype=torch.float64)
    for g in list(gs.testing_elements)[:8]:
        rho = torch.as_tensor(np.asarray(ft.representation(g)))
        expected = torch.einsum("ij,bjhw->bihw", rho, x)
        torch.testing.assert_close(ft.transform(x, g), expected)


def test_transform_keeps_dtype_and_detaches() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr])
    x = torch.randn(1, 4, 5, 5, requires_grad=True)
    y = ft.transform(x, gs.fibergroup.identity)
    assert y.dtype == x.dtype
    assert not y.requires_grad
    with pytest.raises(ValueError, match=r"shape \(B, 4"):
        ft.transform(torch.randn(1, 3, 5, 5), gs.fibergroup.identity)
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        ft.transform(np.zeros((1, 4, 5, 5)), gs.fibergroup.identity)


def test_restrict_to_subgroup() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    sub = ft.restrict((None, 4))
    assert sub.size == ft.size
    assert len(sub) == 2
    assert sub.fibergroup.order() == 4
    gs8 = gspaces.Rot2dOnR2(8)
    sub4 = FieldType(gs8, [gs8.regular_repr]).restrict(4)
    assert sub4.size == 8
    assert sub4.fibergroup.order() == 4


def test_errors() -> None:
    gs = gspaces.Rot2dOnR2(4)
    other = gspaces.Rot2dOnR2(8)
    with pytest.raises(TypeError, match="gspace"):
        FieldType("C4", [gs.trivial_repr])
    with pytest.raises(TypeError, match="list of representations"):
        FieldType(gs, gs.trivial_repr)
    with pytest.raises(ValueError, match="at least one field"):
        FieldType(gs, [])
    with pytest.raises(ValueError, match="fiber group"):
        FieldType(gs, [other.regular_repr])
    with pytest.raises(TypeError, match=r"representations\[0\]"):
        FieldType(gs, ["regular"])


@pytest.mark.parametrize("name", GSPACES)
def test_pickle_round_trip(name: str) -> None:
    gs = _gspace(name)
    ft = _mixed_type(gs)
    _ = ft.representation  # the cached direct sum must not break pickling
    back = pickle.loads(pickle.dumps(ft))
    assert back == ft
    assert back.size == ft.size
    assert back.fields_start.tolist() == ft.fields_start.tolist()
