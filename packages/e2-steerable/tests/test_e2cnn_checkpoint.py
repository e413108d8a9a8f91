"""e2cnn 0.2.3 checkpoints load into the same e2_steerable network with the same outputs."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch

from e2_steerable import gspaces, nn
from e2_steerable.group import cyclic_group, dihedral_group

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),  # e2cnn: uint8 masks, meshgrid indexing
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def _network(gs_module: Any, nn_module: Any, n: int, flip: bool) -> Any:
    gs = gs_module.FlipRot2dOnR2(n) if flip else gs_module.Rot2dOnR2(n)
    quotient = gs.quotient_repr((None, 2) if flip else 2)
    t0 = nn_module.FieldType(gs, [gs.trivial_repr] * 3)
    t1 = nn_module.FieldType(gs, [gs.regular_repr] * 2 + [quotient] * 2 + [gs.trivial_repr] * 2)
    t2 = nn_module.FieldType(gs, [gs.trivial_repr, quotient] + [gs.regular_repr] * 2)
    return nn_module.SequentialModule(
        nn_module.R2Conv(t0, t1, 5, padding=2),
        nn_module.InnerBatchNorm(t1),
        nn_module.ReLU(t1),
        nn_module.PointwiseMaxPool(t1, 2),
        nn_module.R2Conv(t1, t2, 3, padding=1),
        nn_module.InnerBatchNorm(t2),
        nn_module.ReLU(t2),
        nn_module.GroupPooling(t2),
    )


def _trained_e2cnn(e2cnn: ModuleType, n: int, flip: bool) -> Any:
    torch.manual_seed(0)
    net = _network(e2cnn.gspaces, e2cnn.nn, n, flip)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(3):
        x = e2cnn.nn.GeometricTensor(torch.randn(4, 3, 12, 12), net.in_type)
        loss = net(x).tensor.pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


@pytest.mark.parametrize(("n", "flip"), [(8, False), (4, True)], ids=["C8", "D4"])
@pytest.mark.parametrize("saved_in", ["train", "eval"])
def test_e2cnn_state_dict_loads_with_identical_eval_outputs(
    e2cnn: ModuleType, n: int, flip: bool, saved_in: str, tmp_path: Any
) -> None:
    ref = _trained_e2cnn(e2cnn, n, flip)
    ref.train(saved_in == "train")
    torch.save(ref.state_dict(), tmp_path / "e2cnn.pt")
    # eval mode also carries filter / expanded_bias
    state = torch.load(tmp_path / "e2cnn.pt", weights_only=True)
    assert any(k.endswith("filter") for k in state) == (saved_in == "eval")
    assert any("batch_norm_[" in k for k in state)
    ours = _network(gspaces, nn, n, flip)
    ours.load_state_dict(state)  # strict
    ref.eval()
    ours.eval()
    x = torch.randn(2, 3, 12, 12)
    with torch.no_grad():
        expected = ref(e2cnn.nn.GeometricTensor(x, ref.in_type)).tensor
        got = ours(nn.GeometricTensor(x, ours.in_type)).tensor
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    # our own state dict stays the native, mode-independent format
    assert not any("batch_norm_[" in k or k.endswith("filter") for k in ours.state_dict())


def test_inner_batchnorm_rejects_wrong_e2cnn_sizes() -> None:
    gs = gspaces.Rot2dOnR2(4)
    bn = nn.InnerBatchNorm(nn.FieldType(gs, [gs.regular_repr] * 2 + [gs.trivial_repr]))
    state = {
        "batch_norm_[4].weight": torch.ones(3),  # two fields of size 4, not three
        "batch_norm_[4].bias": torch.zeros(2),
        "batch_norm_[1].weight": torch.ones(1),
        "batch_norm_[1].bias": torch.zeros(1),
    }
    with pytest.raises(ValueError, match=r"batch_norm_\[4\]\.weight must hold 2 values"):
        bn.load_state_dict(state, strict=False)


def test_inner_batchnorm_e2cnn_keys_interleaved_fields() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = nn.FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])
    bn = nn.InnerBatchNorm(ft)
    state = {
        "batch_norm_[4].weight": torch.tensor([2.0, 3.0]),
        "batch_norm_[4].bias": torch.tensor([0.5, 0.25]),
        "batch_norm_[4].running_mean": torch.tensor([1.0, -1.0]),
        "batch_norm_[4].running_var": torch.tensor([4.0, 9.0]),
        "batch_norm_[4].num_batches_tracked": torch.tensor(7),
        "batch_norm_[1].weight": torch.tensor([5.0]),
        "batch_norm_[1].bias": torch.tensor([0.0]),
        "batch_norm_[1].running_mean": torch.tensor([0.0]),
        "batch_norm_[1].running_var": torch.tensor([1.0]),
        "batch_norm_[1].num_batches_tracked": torch.tensor(7),
        "indices_4": torch.arange(8),
    }
    bn.load_state_dict(state)
    assert bn.weight.tolist() == [2.0, 5.0, 3.0]
    assert bn.running_var.tolist() == [4.0, 1.0, 9.0]
    assert int(bn.num_batches_tracked) == 7


@pytest.mark.parametrize("n", [2, 4, 6, 8])
def test_quotient_and_induced_change_of_basis_match_e2cnn(e2cnn: ModuleType, n: int) -> None:
    for m in [d for d in range(1, n + 1) if n % d == 0]:
        ref = e2cnn.group.cyclic_group(n).quotient_representation(m)
        ours = cyclic_group(n).quotient_representation(m)
        assert ours.irreps == [i if isinstance(i, str) else i.name for i in ref.irreps]
        np.testing.assert_allclose(ours.change_of_basis, ref.change_of_basis, atol=1e-9)
        for t in [None, *range(n // m)]:
            ref_d = e2cnn.group.dihedral_group(n).quotient_representation((t, m))
            ours_d = dihedral_group(n).quotient_representation((t, m))
            np.testing.assert_allclose(ours_d.change_of_basis, ref_d.change_of_basis, atol=1e-9)
        g_ref, g_ours = e2cnn.group.dihedral_group(n), dihedral_group(n)
        sub_ref, sub_ours = g_ref.subgroup((0, m))[0], g_ours.subgroup((0, m))[0]
        for name, irrep in sub_ours.irreps.items():
            ref_i = g_ref.induced_representation((0, m), sub_ref.irreps[name])
            ours_i = g_ours.induced_representation((0, m), irrep)
            np.testing.assert_allclose(ours_i.change_of_basis, ref_i.change_of_basis, atol=1e-9)


def test_state_dict_loads_with_weights_only(tmp_path: Any) -> None:
    # the state-dict metadata must hold plain versions, not a bound method of the module
    net = _network(gspaces, nn, 4, True)
    path = tmp_path / "net.pt"
    torch.save(net.state_dict(), path)
    state = torch.load(path, weights_only=True)
    fresh = _network(gspaces, nn, 4, True)
    fresh.load_state_dict(state)
    for a, b in zip(net.state_dict().values(), fresh.state_dict().values()):
        torch.testing.assert_close(a, b)


def _mixed_types(gs_module: Any, nn_module: Any, flip: bool) -> tuple[Any, Any]:
    gs = gs_module.FlipRot2dOnR2(4) if flip else gs_module.Rot2dOnR2(4)
    quotient = gs.quotient_repr((0, 2) if flip else 2)
    # (e2cnn 0.2.3 fails on torch 2 whenever a sampled basis element vanishes, e.g. for D4's
    # 2-dimensional irreps on a 3x3 grid: so D4 sticks to permutation representations here)
    irrep = [] if flip else [gs.irrep(1)]
    t_in = nn_module.FieldType(gs, [gs.trivial_repr, *irrep, gs.regular_repr])
    t_out = nn_module.FieldType(gs, [quotient, gs.regular_repr, *irrep, gs.trivial_repr])
    return t_in, t_out


@pytest.mark.parametrize("flip", [False, True], ids=["C4", "D4"])
@pytest.mark.parametrize("transposed", [False, True], ids=["R2Conv", "R2ConvTransposed"])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv_weights_keep_e2cnn_meaning(
    e2cnn: ModuleType, flip: bool, transposed: bool, dilation: int
) -> None:
    torch.manual_seed(1)
    name = "R2ConvTransposed" if transposed else "R2Conv"
    ref = getattr(e2cnn.nn, name)(
        *_mixed_types(e2cnn.gspaces, e2cnn.nn, flip), 3, dilation=dilation
    )
    ours = getattr(nn, name)(*_mixed_types(gspaces, nn, flip), 3, dilation=dilation)
    assert ours.weights.shape == ref.weights.shape
    with torch.no_grad():
        ref.bias.normal_()
    ours.load_state_dict(ref.state_dict())
    ref.eval()
    ours.eval()
    x = torch.randn(2, ref.in_type.size, 9, 9)
    with torch.no_grad():
        expected = ref(e2cnn.nn.GeometricTensor(x, ref.in_type)).tensor
        got = ours(nn.GeometricTensor(x, ours.in_type)).tensor
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def _group_types(gs_module: Any, nn_module: Any, kind: str) -> tuple[Any, Any]:
    if kind == "SO2":
        gs = gs_module.Rot2dOnR2(-1, maximum_frequency=4)
        a, b = [gs.trivial_repr, gs.irrep(1), gs.irrep(2)], [gs.irrep(1), gs.irrep(3)]
    elif kind == "O2":
        gs = gs_module.FlipRot2dOnR2(-1, maximum_frequency=4)
        a = [gs.trivial_repr, gs.irrep(1, 1), gs.irrep(1, 0)]
        b = [gs.irrep(1, 2), gs.trivial_repr, gs.irrep(1, 1)]
    elif kind == "Flip":
        gs = gs_module.Flip2dOnR2()
        a, b = [gs.trivial_repr, gs.regular_repr], [gs.regular_repr, gs.irrep(1)]
    elif kind == "Trivial":
        gs = gs_module.TrivialOnR2()
        a, b = [gs.trivial_repr] * 2, [gs.trivial_repr] * 3
    elif kind == "C8":
        gs = gs_module.Rot2dOnR2(8)
        a = [gs.irrep(3), gs.regular_repr, gs.irrep(4)]
        b = [gs.irrep(2), gs.quotient_repr(4), gs.irrep(0)]
    else:
        gs = gs_module.FlipRot2dOnR2(4)
        a = [gs.irrep(1, 1), gs.regular_repr]
        b = [gs.irrep(0, 2), gs.irrep(1, 1), gs.irrep(1, 0)]
    return nn_module.FieldType(gs, a), nn_module.FieldType(gs, b)


@pytest.mark.parametrize("kind", ["SO2", "O2", "Flip", "Trivial", "C8", "D4"])
def test_irrep_fields_keep_e2cnn_meaning_in_every_group(e2cnn: ModuleType, kind: str) -> None:
    # kernel size 5: e2cnn 0.2.3 itself fails on torch 2 for some 3x3 bases (see above)
    torch.manual_seed(2)
    ref = e2cnn.nn.R2Conv(*_group_types(e2cnn.gspaces, e2cnn.nn, kind), 5)
    ours = nn.R2Conv(*_group_types(gspaces, nn, kind), 5)
    if ref.bias is not None:  # (no trivial output field: no bias)
        with torch.no_grad():
            ref.bias.normal_()
    ours.load_state_dict(ref.state_dict())
    ref.eval()
    ours.eval()
    x = torch.randn(2, ref.in_type.size, 9, 9)
    with torch.no_grad():
        expected = ref(e2cnn.nn.GeometricTensor(x, ref.in_type)).tensor
        got = ours(nn.GeometricTensor(x, ours.in_type)).tensor
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("n", [4, 6])
def test_restricted_representations_match_e2cnn(e2cnn: ModuleType, n: int) -> None:
    # explicit restrictions: the same irreps, order and change of basis as e2cnn (deterministic)
    for m in [d for d in range(1, n + 1) if n % d == 0]:
        c_ref, c_ours = e2cnn.group.cyclic_group(n), cyclic_group(n)
        for name in ("regular", "irrep_1"):
            ref = c_ref.restrict_representation(m, c_ref.representations[name])
            ours = c_ours.restrict_representation(m, c_ours.representations[name])
            assert ours.irreps == ref.irreps
            np.testing.assert_allclose(ours.change_of_basis, ref.change_of_basis, atol=1e-9)
        d_ref, d_ours = e2cnn.group.dihedral_group(n), dihedral_group(n)
        for t in [None, *range(n // m)]:
            for name in ("regular", "irrep_1,1"):
                ref = d_ref.restrict_representation((t, m), d_ref.representations[name])
                ours = d_ours.restrict_representation((t, m), d_ours.representations[name])
                assert ours.irreps == ref.irreps
                np.testing.assert_allclose(ours.change_of_basis, ref.change_of_basis, atol=1e-9)


def test_conv_on_restricted_fields_keeps_e2cnn_meaning(e2cnn: ModuleType) -> None:
    def types(gs_module: Any, nn_module: Any) -> tuple[Any, Any]:
        gs = gs_module.FlipRot2dOnR2(4)
        ft = nn_module.FieldType(gs, [gs.regular_repr, gs.quotient_repr((None, 2))])
        restricted = ft.restrict((None, 4))
        sub = restricted.gspace
        mixed = nn_module.FieldType(sub, [sub.trivial_repr, *restricted.representations])
        return mixed, nn_module.FieldType(sub, [sub.regular_repr, sub.irrep(1), sub.trivial_repr])

    torch.manual_seed(3)
    ref = e2cnn.nn.R2Conv(*types(e2cnn.gspaces, e2cnn.nn), 5)
    ours = nn.R2Conv(*types(gspaces, nn), 5)
    assert [r.name for r in ours.in_type] == [r.name for r in ref.in_type]
    with torch.no_grad():
        ref.bias.normal_()
    ours.load_state_dict(ref.state_dict())
    ref.eval()
    ours.eval()
    x = torch.randn(2, ref.in_type.size, 9, 9)
    with torch.no_grad():
        expected = ref(e2cnn.nn.GeometricTensor(x, ref.in_type)).tensor
        got = ours(nn.GeometricTensor(x, ours.in_type)).tensor
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
