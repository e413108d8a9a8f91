"""GeometricTensor: field-wise slicing, split, arithmetic, transforms, directsum, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from e2_steerable import gspaces
from e2_steerable.nn import FieldType, GeometricTensor, tensor_directsum


@pytest.fixture
def doc_tensor() -> GeometricTensor:
    """The seed doc's slicing example: 7 fields of sizes 4, 4, 2, 2, 1, 1, 1."""
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr] * 2 + [gs.irrep(1)] * 2 + [gs.trivial_repr] * 3)
    return GeometricTensor(torch.randn(10, ft.size, 9, 9), ft)


def test_doc_slicing_examples(doc_tensor: GeometricTensor) -> None:
    t = doc_tensor
    assert t.shape == torch.Size([10, 15, 9, 9])
    assert t[1:3, :, 2:5, 2:5].shape == torch.Size([2, 15, 3, 3])
    assert t[..., 2:5].shape == torch.Size([10, 15, 9, 3])
    assert t[:, 1:4, ...].shape == torch.Size([10, 8, 9, 9])
    assert t[:, 0:6:2].shape == torch.Size([10, 7, 9, 9])
    assert t[3, 2].shape == torch.Size([1, 2, 9, 9])


def test_slicing_values_and_types(doc_tensor: GeometricTensor) -> None:
    t = doc_tensor
    sub = t[:, 1:4]
    assert sub.type.representations == t.type.representations[1:4]
    torch.testing.assert_close(sub.tensor, t.tensor[:, 4:12])
    assert sub.tensor.data_ptr() == t.tensor[:, 4:].data_ptr()  # a view
    strided = t[:, 0:6:2]
    channels = [0, 1, 2, 3, 8, 9, 12]
    torch.testing.assert_close(strided.tensor, t.tensor[:, channels])
    rev = t[:, ::-1]
    assert rev.type.representations == t.type.representations[::-1]
    assert rev.tensor[:, :1].equal(t.tensor[:, 14:15])
    torch.testing.assert_close(rev.tensor[:, -4:], t.tensor[:, 0:4])
    last = t[-1, -1, -1]
    assert last.shape == torch.Size([1, 1, 1, 9])
    torch.testing.assert_close(last.tensor[0, 0, 0], t.tensor[-1, -1, -1])


def test_slicing_errors(doc_tensor: GeometricTensor) -> None:
    t = doc_tensor
    with pytest.raises(IndexError, match="out of range"):
        _ = t[10]
    with pytest.raises(IndexError, match="out of range"):
        _ = t[:, 7]
    with pytest.raises(IndexError, match="selects no field"):
        _ = t[:, 5:2]
    with pytest.raises(TypeError, match="basic indexing"):
        _ = t[[0, 1]]
    with pytest.raises(IndexError, match="too many indices"):
        _ = t[0, 0, 0, 0, 0]
    with pytest.raises(IndexError, match="one Ellipsis"):
        _ = t[..., 0, ...]
    with pytest.raises(TypeError):
        t[0] = 1.0  # item assignment is not supported


def test_split_doc_example() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr] * 2 + [gs.irrep(1)] * 2 + [gs.trivial_repr] * 3)
    t = GeometricTensor(torch.randn(10, ft.size, 7, 7), ft)
    parts = t.split([4, 6])
    assert [p.shape[1] for p in parts] == [12, 2, 1]
    assert len(t.split(None)) == 7
    torch.testing.assert_close(torch.cat([p.tensor for p in parts], 1), t.tensor)
    assert parts[0].type == ft.index_select([0, 1, 2, 3])
    with pytest.raises(ValueError, match="strictly increasing"):
        t.split([6, 4])
    with pytest.raises(ValueError, match="strictly increasing"):
        t.split([0, 3])
    with pytest.raises(ValueError, match="strictly increasing"):
        t.split([7])


def test_arithmetic() -> None:
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.regular_repr] * 3)
    a = torch.randn(1, 24, 3, 3)
    b = torch.randn(1, 24, 3, 3)
    t1, t2 = GeometricTensor(a.clone(), ft), GeometricTensor(b.clone(), ft)
    torch.testing.assert_close((t1 + t2).tensor, a + b)
    torch.testing.assert_close((t1 - t2).tensor, a - b)
    torch.testing.assert_close((t1 * 3.0).tensor, a * 3)
    torch.testing.assert_close((2 * t1).tensor, a * 2)
    torch.testing.assert_close((t1 * torch.tensor(3.0)).tensor, a * 3)
    torch.testing.assert_close(t1.tensor, a)  # out-of-place ops leave t1 alone
    t1 += t2
    torch.testing.assert_close(t1.tensor, a + b)
    t1 -= t2
    t2 *= 3.0
    torch.testing.assert_close(t1.tensor, a)
    torch.testing.assert_close(t2.tensor, b * 3)


def test_arithmetic_errors() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr])
    other = FieldType(gs, [gs.irrep(1)] * 2)
    t = GeometricTensor(torch.randn(1, 4, 3, 3), ft)
    with pytest.raises(ValueError, match="field types differ"):
        _ = t + GeometricTensor(torch.randn(1, 4, 3, 3), other)
    with pytest.raises(ValueError, match="shapes differ"):
        _ = t - GeometricTensor(torch.randn(2, 4, 3, 3), ft)
    with pytest.raises(TypeError, match="GeometricTensor"):
        _ = t + torch.randn(1, 4, 3, 3)
    with pytest.raises(ValueError, match="exactly one element"):
        _ = t * torch.ones(2)
    with pytest.raises(TypeError, match="number"):
        _ = t * "2"


def test_construction_errors() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr])
    with pytest.raises(ValueError, match=r"shape \(B, 4, \.\.\.\)"):
        GeometricTensor(torch.randn(1, 3, 5, 5), ft)
    with pytest.raises(ValueError, match=r"shape \(B, 4"):
        GeometricTensor(torch.randn(4), ft)
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        GeometricTensor(np.zeros((1, 4, 5, 5)), ft)
    with pytest.raises(TypeError, match="FieldType"):
        GeometricTensor(torch.randn(1, 4, 5, 5), [gs.regular_repr])


@pytest.mark.parametrize("n", [4, 8])
def test_transform_fibers_matches_representation(n: int) -> None:
    gs = gspaces.Rot2dOnR2(n)
    ft = FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.trivial_repr])
    x = torch.randn(2, ft.size, 4, 5, dtype=torch.float64)
    t = GeometricTensor(x, ft)
    for g in gs.testing_elements:
        rho = torch.as_tensor(np.asarray(ft.representation(g)))
        expected = torch.einsum("ij,bjhw->bihw", rho, x)
        torch.testing.assert_close(t.transform_fibers(g).tensor, expected)
    with pytest.raises(ValueError, match="not an element"):
        t.transform_fibers("not an element")


def test_transform_matches_field_type_transform() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    t = GeometricTensor(torch.randn(2, ft.size, 6, 6), ft)
    for g in gs.testing_elements:
        out = t.transform(g)
        assert out.type == ft
        torch.testing.assert_close(out.tensor, ft.transform(t.tensor, g))


def test_to_restrict_and_repr() -> None:
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.regular_repr])
    t = GeometricTensor(torch.randn(1, 8, 3, 3), ft)
    d = t.to(torch.float64)
    assert d.tensor.dtype == torch.float64
    assert d.type == ft
    r = t.restrict(4)
    assert r.tensor is t.tensor
    assert r.type.fibergroup.order() == 4
    assert "g_tensor(" in repr(t)


def test_tensor_directsum() -> None:
    gs = gspaces.Rot2dOnR2(4)
    a = GeometricTensor(torch.randn(2, 4, 3, 3), FieldType(gs, [gs.regular_repr]))
    b = GeometricTensor(torch.randn(2, 3, 3, 3), FieldType(gs, [gs.irrep(1), gs.trivial_repr]))
    s = tensor_directsum([a, b])
    assert s.type == a.type + b.type
    torch.testing.assert_close(s.tensor, torch.cat([a.tensor, b.tensor], 1))
    other = gspaces.Rot2dOnR2(8)
    c = GeometricTensor(torch.randn(2, 8, 3, 3), FieldType(other, [other.regular_repr]))
    with pytest.raises(ValueError, match="lives on"):
        tensor_directsum([a, c])
    with pytest.raises(ValueError, match="same batch and spatial shape"):
        tensor_directsum([a, GeometricTensor(torch.randn(2, 4, 4, 3), a.type)])
    with pytest.raises(ValueError, match="must not be empty"):
        tensor_directsum([])
    with pytest.raises(TypeError, match=r"tensors\[1\]"):
        tensor_directsum([a, b.tensor])


def test_pickle_round_trip() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    t = GeometricTensor(torch.randn(1, ft.size, 3, 3), ft)
    back = pickle.loads(pickle.dumps(t))
    assert back.type == ft
    torch.testing.assert_close(back.tensor, t.tensor)


def test_slicing_and_transforms_keep_the_device(device: torch.device) -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr, gs.irrep(1, 1), gs.trivial_repr])
    x = torch.randn(2, ft.size, 5, 5)
    t = GeometricTensor(x.to(device), ft)
    torch.testing.assert_close(t[:, ::2].tensor.cpu(), GeometricTensor(x, ft)[:, ::2].tensor)
    for g in gs.testing_elements:
        moved = t.transform(g)
        assert moved.tensor.device.type == device.type
        torch.testing.assert_close(moved.tensor.cpu(), GeometricTensor(x, ft).transform(g).tensor)
        fibers = t.transform_fibers(g).tensor
        torch.testing.assert_close(fibers.cpu(), GeometricTensor(x, ft).transform_fibers(g).tensor)


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.sampled_from([1, 2, 4]), min_size=1, max_size=7),
    start=st.one_of(st.none(), st.integers(-8, 8)),
    stop=st.one_of(st.none(), st.integers(-8, 8)),
    step=st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0)),
)
def test_fiber_slicing_selects_whole_fields(sizes, start, stop, step) -> None:
    gs = gspaces.Rot2dOnR2(4)
    by_size = {1: gs.trivial_repr, 2: gs.irrep(1), 4: gs.regular_repr}
    ft = FieldType(gs, [by_size[s] for s in sizes])
    x = torch.arange(ft.size, dtype=torch.float32).reshape(1, ft.size, 1, 1).expand(2, -1, 3, 3)
    t = GeometricTensor(x, ft)
    fields = list(range(len(sizes)))[start:stop:step]
    if not fields:
        with pytest.raises(IndexError):
            _ = t[:, start:stop:step]
        return
    out = t[:, start:stop:step]
    offsets = [sum(sizes[:i]) for i in range(len(sizes))]
    channels = [offsets[f] + c for f in fields for c in range(sizes[f])]
    assert out.tensor[0, :, 0, 0].tolist() == [float(c) for c in channels]
    assert out.type.representations == [ft.representations[f] for f in fields]
    assert out.shape == torch.Size([2, len(channels), 3, 3])
