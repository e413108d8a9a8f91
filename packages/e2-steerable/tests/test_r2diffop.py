"""R2Diffop: e2cnn's basis dimensions and layout, equivariance for every group and discretisation,
export, serialisation and argument checking."""

from __future__ import annotations

import copy
import io
import pickle
import warnings

import numpy as np
import pytest
import torch

from e2_steerable import diffops, gspaces, nn
from e2_steerable.nn.modules.equivariant_module import is_exact_element

METHODS = {
    "fd": {},
    "gauss": {"smoothing": 1.0},  # isotropic correction (the default)
    "gauss-e2cnn": {"smoothing": 1.0, "smoothing_mode": "e2cnn"},  # isotropic too
    "gauss-e2cnn-exact": {"smoothing": 1.0, "smoothing_mode": "e2cnn", "isotropic": False},
    "rbffd": {"rbffd": True},  # isotropic (in-house backend)
    "rbffd-e2cnn-exact": {"rbffd": True, "isotropic": False},
}


def _field_types(gs: gspaces.GSpace) -> tuple[nn.FieldType, nn.FieldType]:
    if gs.fibergroup.order() > 0:
        return nn.FieldType(gs, [gs.regular_repr] * 2), nn.FieldType(gs, [gs.regular_repr] * 2)
    if gs.fibergroup.name.startswith("SO"):
        reps = [gs.trivial_repr, gs.irrep(1), gs.irrep(2)]
    else:
        reps = [gs.trivial_repr, gs.irrep(1, 0), gs.irrep(1, 1), gs.irrep(1, 2)]
    return nn.FieldType(gs, reps), nn.FieldType(gs, reps[::-1])


SPACES = {
    "C8": lambda: gspaces.Rot2dOnR2(8),
    "C6": lambda: gspaces.Rot2dOnR2(6),
    "D4": lambda: gspaces.FlipRot2dOnR2(4),
    "D2": lambda: gspaces.FlipRot2dOnR2(2),
    "Flip": lambda: gspaces.Flip2dOnR2(),
    "SO2": lambda: gspaces.Rot2dOnR2(-1, maximum_frequency=4),
    "O2": lambda: gspaces.FlipRot2dOnR2(-1, maximum_frequency=4),
    "Trivial": lambda: gspaces.TrivialOnR2(),
}


# every space for the three methods with their defaults; the other variants on one rotation and
# three reflection groups
_EQUIVARIANCE_CASES = [(space, m) for m in ("fd", "gauss", "rbffd") for space in SPACES] + [
    (space, m)
    for m in ("gauss-e2cnn", "gauss-e2cnn-exact", "rbffd-e2cnn-exact")
    for space in ("C8", "D4", "Flip", "O2")
]


@pytest.mark.parametrize(("space", "method"), _EQUIVARIANCE_CASES)
def test_exact_equivariance(space: str, method: str) -> None:
    """≤ 1e-6 relative error (float32) under every exact element, reflections included."""
    gs = SPACES[space]()
    fin, fout = _field_types(gs)
    pdo = nn.R2Diffop(fin, fout, kernel_size=5, **METHODS[method]).eval()
    x = torch.randn(2, fin.size, 13, 13)
    y = pdo(nn.GeometricTensor(x, fin)).tensor
    elements = [g for g in gs.testing_elements if is_exact_element(gs, g)]
    assert len(elements) >= (1 if space == "Trivial" else 2)
    for g in elements:
        gx = torch.as_tensor(gs.featurefield_action(x, fin.representation, g))
        lhs = pdo(nn.GeometricTensor(gx, fin)).tensor
        rhs = gs.featurefield_action(y, fout.representation, g)
        assert (torch.linalg.norm(lhs - rhs) / torch.linalg.norm(y)).item() <= 1e-6, g


@pytest.mark.parametrize(
    ("axis", "method"),
    [(a, "fd") for a in (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)]
    + [(np.pi / 4, "gauss"), (3 * np.pi / 4, "rbffd")],
)
def test_flip_axes(axis: float, method: str) -> None:
    gs = gspaces.Flip2dOnR2(axis=axis)
    ft = nn.FieldType(gs, [gs.regular_repr] * 2)
    assert is_exact_element(gs, 1)
    pdo = nn.R2Diffop(ft, ft, kernel_size=5, **METHODS[method]).eval()
    x = torch.randn(1, ft.size, 11, 11)
    y = pdo(nn.GeometricTensor(x, ft)).tensor
    gx = torch.as_tensor(gs.featurefield_action(x, ft.representation, 1))
    lhs = pdo(nn.GeometricTensor(gx, ft)).tensor
    rhs = gs.featurefield_action(y, ft.representation, 1)
    assert (torch.linalg.norm(lhs - rhs) / torch.linalg.norm(y)).item() <= 1e-6


def test_groups_and_dilation_stay_equivariant() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    ft = nn.FieldType(gs, [gs.regular_repr] * 4)
    pdo = nn.R2Diffop(ft, ft, kernel_size=3, groups=2, dilation=2, padding=2).eval()
    assert pdo.export().groups == 2
    x = torch.randn(1, ft.size, 11, 11)
    y = pdo(nn.GeometricTensor(x, ft)).tensor
    for g in gs.testing_elements:
        gx = torch.as_tensor(gs.featurefield_action(x, ft.representation, g))
        lhs = pdo(nn.GeometricTensor(gx, ft)).tensor
        rhs = gs.featurefield_action(y, ft.representation, g)
        assert (torch.linalg.norm(lhs - rhs) / torch.linalg.norm(y)).item() <= 1e-6


@pytest.mark.parametrize(("k", "dim"), [(3, 48), (5, 120), (7, 224)])
def test_reference_dimensions_c8(k: int, dim: int) -> None:
    gs = gspaces.Rot2dOnR2(8)
    ft = nn.FieldType(gs, [gs.regular_repr])
    assert nn.R2Diffop(ft, ft, kernel_size=k, initialize=False).weights.numel() == dim


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("k", [3, 5])
@pytest.mark.parametrize(
    ("fin", "fout"), [("regular", "regular"), ("trivial", "regular"), ("irrep1", "irrep2")]
)
def test_basis_matches_e2cnn_up_to_its_orientation_bug(fin: str, fout: str, k: int) -> None:
    """Same dimension, order, signs and normalisation as e2cnn 0.2.3 ('fd'), whose stencils are
    rotated by 90 degrees (notes §2.5): ours equal np.rot90 of its sampled basis."""
    e2cnn = pytest.importorskip("e2cnn")
    pytest.importorskip("sympy")
    g1, g2 = e2cnn.gspaces.Rot2dOnR2(8), gspaces.Rot2dOnR2(8)

    def rep(g: object, name: str) -> object:
        if name == "regular":
            return g.regular_repr  # type: ignore[attr-defined]
        if name == "trivial":
            return g.trivial_repr  # type: ignore[attr-defined]
        return g.irrep(int(name[-1]))  # type: ignore[attr-defined]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = e2cnn.nn.R2Diffop(
            e2cnn.nn.FieldType(g1, [rep(g1, fin)]),
            e2cnn.nn.FieldType(g1, [rep(g1, fout)]),
            kernel_size=k,
            initialize=False,
        )
    ours = nn.R2Diffop(
        nn.FieldType(g2, [rep(g2, fin)]),
        nn.FieldType(g2, [rep(g2, fout)]),
        kernel_size=k,
        initialize=False,
    )
    assert ours.weights.numel() == ref.weights.numel()

    def sampled(module: torch.nn.Module) -> np.ndarray:
        blocks = [m for m in module.modules() if hasattr(m, "sampled_basis")]
        assert len(blocks) == 1
        return blocks[0].sampled_basis.detach().numpy()

    theirs = sampled(ref.basisexpansion)
    theirs = theirs.reshape(*theirs.shape[:3], k, k)
    mine = sampled(ours.basisexpansion).reshape(theirs.shape)
    np.testing.assert_allclose(mine, np.rot90(theirs, 1, axes=(-2, -1)), atol=1e-6)


def _rel_error_45(pdo: nn.R2Diffop, gs: gspaces.GSpace, n: int = 65) -> float:
    import scipy.ndimage as ndi

    rng = np.random.default_rng(0)
    fin, fout = pdo.in_type, pdo.out_type
    x = ndi.gaussian_filter(rng.normal(size=(1, fin.size, n, n)), sigma=(0, 0, 2, 2))
    x = torch.tensor(x)
    xr = torch.as_tensor(gs.featurefield_action(x, fin.representation, 1))
    y = pdo(nn.GeometricTensor(x, fin)).tensor
    y1 = pdo(nn.GeometricTensor(xr, fin)).tensor
    y2 = torch.as_tensor(gs.featurefield_action(y, fout.representation, 1))
    yy, xx = np.mgrid[:n, :n] - (n - 1) / 2
    disk = torch.as_tensor(np.hypot(yy, xx) < (n - 1) / 4)
    return (torch.linalg.norm((y1 - y2)[..., disk]) / torch.linalg.norm(y2[..., disk])).item()


# the defaults of every discretisation (isotropic wherever that variant exists)
_CASES_45 = {
    "fd": {},
    "rbffd-ga": {"rbffd": True},
    "rbffd-phs5": {"rbffd": True, "radial_basis_function": "phs5"},
    "gauss-0.75": {"smoothing": 0.75},
    "gauss-1.25": {"smoothing": 1.25},
    "gauss-e2cnn-1": {"smoothing": 1.0, "smoothing_mode": "e2cnn"},
    "gauss-e2cnn-1.25": {"smoothing": 1.25, "smoothing_mode": "e2cnn"},
}


@pytest.mark.parametrize("case", list(_CASES_45))
def test_45_degrees_on_smoothed_input_c8(case: str) -> None:
    """<= 2.5 % at 45 degrees on a sigma = 2 smoothed input (C8, kernel size 5); e2cnn's
    Gaussian and RBF-FD ('ga') stencils reach 3-56 % here (see the next test)."""
    gs = gspaces.Rot2dOnR2(8)
    ft = nn.FieldType(gs, [gs.regular_repr])
    pdo = nn.R2Diffop(ft, ft, kernel_size=5, padding=2, **_CASES_45[case]).double().eval()
    assert _rel_error_45(pdo, gs) <= 0.025


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_45_degrees_wide_smoothing_c8(seed: int) -> None:
    """sigma = 2 on a 5 x 5 kernel (radius one sigma, wider than the kernel holds):
    1.4-1.6 % over weight seeds (before the family shared one smoothing: 2.2-2.8 %), e2cnn-style
    truncation 50-69 %."""
    gs = gspaces.Rot2dOnR2(8)
    ft = nn.FieldType(gs, [gs.regular_repr])
    torch.manual_seed(seed)
    pdo = nn.R2Diffop(ft, ft, kernel_size=5, padding=2, smoothing=2.0).double().eval()
    assert _rel_error_45(pdo, gs) <= 0.025


def test_45_degrees_e2cnn_stencils_are_what_the_isotropic_variants_fix() -> None:
    """``isotropic=False`` keeps e2cnn's stencils, anisotropy included."""
    gs = gspaces.Rot2dOnR2(8)
    ft = nn.FieldType(gs, [gs.regular_repr])
    for kwargs in (
        {"smoothing": 1.25, "isotropic": False},
        {"smoothing": 1.0, "smoothing_mode": "e2cnn", "isotropic": False},
        {"rbffd": True, "isotropic": False},
    ):
        pdo = nn.R2Diffop(ft, ft, kernel_size=5, padding=2, **kwargs).double().eval()
        assert _rel_error_45(pdo, gs) > 0.03, kwargs


# ----------------------------------------------------------------------------- module behaviour
def _c4_pdo(**kwargs: object) -> nn.R2Diffop:
    gs = gspaces.Rot2dOnR2(4)
    fin = nn.FieldType(gs, [gs.trivial_repr, gs.regular_repr])
    fout = nn.FieldType(gs, [gs.regular_repr, gs.irrep(1)])
    return nn.R2Diffop(fin, fout, kernel_size=3, padding=1, **kwargs)


@pytest.mark.parametrize("padding_mode", ["zeros", "circular"])
def test_export_matches(padding_mode: str) -> None:
    pdo = _c4_pdo(padding_mode=padding_mode)
    x = torch.randn(2, pdo.in_type.size, 8, 8)
    conv = pdo.export()
    assert type(conv) is torch.nn.Conv2d
    torch.testing.assert_close(conv(x), pdo(nn.GeometricTensor(x, pdo.in_type)).tensor)


def test_train_eval_state_dict_and_shapes() -> None:
    pdo = _c4_pdo(stride=2)
    x = torch.randn(1, pdo.in_type.size, 9, 9)
    y_train = pdo(nn.GeometricTensor(x, pdo.in_type)).tensor
    assert set(pdo.state_dict()) == {"weights", "bias"}
    pdo.eval()
    torch.testing.assert_close(pdo(nn.GeometricTensor(x, pdo.in_type)).tensor, y_train)
    assert set(pdo.state_dict()) == {"weights", "bias"}
    assert pdo.evaluate_output_shape(tuple(x.shape)) == tuple(y_train.shape)


def test_gradients_flow() -> None:
    gs = gspaces.Rot2dOnR2(4)
    pdo = nn.R2Diffop(
        nn.FieldType(gs, [gs.trivial_repr]), nn.FieldType(gs, [gs.irrep(1)]), kernel_size=3
    ).double()
    x = torch.randn(1, 1, 5, 5, dtype=torch.float64)
    torch.autograd.gradcheck(
        lambda w: (
            torch.func.functional_call(
                pdo, {"weights": w}, (nn.GeometricTensor(x, pdo.in_type),)
            ).tensor
        ),
        (pdo.weights.detach().clone().requires_grad_(),),
    )


def test_pickle_deepcopy_and_torch_save() -> None:
    pdo = _c4_pdo(smoothing=1.0).eval()
    x = torch.randn(1, pdo.in_type.size, 7, 7)
    ref = pdo(nn.GeometricTensor(x, pdo.in_type)).tensor
    for clone in (
        pickle.loads(pickle.dumps(pdo)),
        copy.deepcopy(pdo),
        torch.load(_saved(pdo), weights_only=False),
    ):
        torch.testing.assert_close(clone(nn.GeometricTensor(x, pdo.in_type)).tensor, ref)


def _saved(module: torch.nn.Module) -> io.BytesIO:
    buf = io.BytesIO()
    torch.save(module, buf)
    buf.seek(0)
    return buf


def test_discretisation_parameters_never_share_a_basis() -> None:
    """e2cnn reused the first basis for other maximum_power / angle_offset / methods."""
    variants = [
        {},
        {"maximum_power": 0},
        {"angle_offset": 0.3},
        {"smoothing": 1.0},
        {"smoothing": 1.5},
        {"smoothing": 1.0, "smoothing_mode": "e2cnn"},
        {"smoothing": 1.0, "isotropic": False},
        {"smoothing": 1.0, "smoothing_mode": "e2cnn", "isotropic": False},
        {"rbffd": True},
        {"rbffd": True, "isotropic": False},
        {"rbffd": True, "radial_basis_function": "imq"},
    ]
    gs = gspaces.Rot2dOnR2(4)
    ft = nn.FieldType(gs, [gs.regular_repr])
    filters = []
    for kwargs in variants:
        torch.manual_seed(0)
        pdo = nn.R2Diffop(ft, ft, kernel_size=5, initialize=False, **kwargs)
        block = next(m for m in pdo.modules() if hasattr(m, "sampled_basis"))
        filters.append(block.sampled_basis)
    for i in range(len(filters)):
        for j in range(i):
            assert filters[i].shape != filters[j].shape or not torch.allclose(
                filters[i], filters[j]
            ), (variants[i], variants[j])


def test_size_resolution() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = nn.FieldType(gs, [gs.regular_repr])
    assert nn.R2Diffop(ft, ft, maximum_order=2).kernel_size == 3
    assert nn.R2Diffop(ft, ft, maximum_order=2, accuracy=4).kernel_size == 5
    pdo = nn.R2Diffop(ft, ft, kernel_size=7, accuracy=4)
    assert (pdo.maximum_order, pdo.maximum_power) == (4, 2)
    assert nn.R2Diffop(ft, ft, kernel_size=4, maximum_order=3).maximum_power == 1
    with pytest.warns(UserWarning, match="small basis"):
        nn.R2Diffop(ft, ft, kernel_size=2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kernel_size": 5, "accuracy": 2, "maximum_order": 4}, ValueError, "at most two"),
        ({}, ValueError, "kernel_size` or `maximum_order"),
        ({"kernel_size": 3, "maximum_order": 3}, ValueError, "at least 4 points"),
        ({"kernel_size": 3, "accuracy": 5}, ValueError, "cannot be reached"),
        ({"kernel_size": 0}, ValueError, "kernel_size"),
        ({"kernel_size": 3, "smoothing": 0.0}, ValueError, "smoothing"),
        ({"kernel_size": 3, "smoothing": -2.0}, ValueError, "smoothing"),
        ({"kernel_size": 3, "smoothing": 1.0, "rbffd": True}, ValueError, "not both"),
        ({"kernel_size": 3, "rbffd": True, "radial_basis_function": "gau"}, ValueError, "RBF"),
        ({"kernel_size": 5, "rbffd": True, "radial_basis_function": "phs3"}, ValueError, "phs"),
        ({"kernel_size": 3, "cache": "yes"}, ValueError, "cache"),
        ({"kernel_size": 3, "padding_mode": "mirror"}, ValueError, "padding_mode"),
        ({"kernel_size": 3, "smoothing_mode": "var", "smoothing": 1.0}, ValueError, "mode"),
        ({"kernel_size": 3, "isotropic": True}, ValueError, "finite differences"),
        ({"kernel_size": 3, "rbffd": True, "isotropic": 1}, TypeError, "isotropic"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(error, match=match):
        nn.R2Diffop(ft, ft, **kwargs)


def test_cache_argument_writes_and_reads(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diffops.cache, "_STENCILS", {})
    diffops.set_cache_dir(tmp_path)  # type: ignore[arg-type]
    try:
        gs = gspaces.Rot2dOnR2(4)
        ft = nn.FieldType(gs, [gs.regular_repr])
        first = nn.R2Diffop(ft, ft, kernel_size=3, rbffd=True, cache="store", recompute=True)
        assert diffops.cache.cache_file().is_file()
        diffops.clear_cache()
        again = nn.R2Diffop(ft, ft, kernel_size=3, rbffd=True, cache="load", recompute=True)
        assert len(diffops.cache._STENCILS) > 0
        torch.testing.assert_close(
            next(m for m in first.modules() if hasattr(m, "sampled_basis")).sampled_basis,
            next(m for m in again.modules() if hasattr(m, "sampled_basis")).sampled_basis,
        )
    finally:
        diffops.set_cache_dir(None)


_LOADER = """
import sys
import torch
from e2_steerable import nn
module = torch.load(sys.argv[1], weights_only=False)
x = torch.load(sys.argv[2])
torch.save(module(nn.GeometricTensor(x, module.in_type)).tensor, sys.argv[3])
"""


@pytest.mark.slow  # starts a second interpreter that imports torch
def test_torch_load_in_a_fresh_process(tmp_path: object) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    tmp = Path(str(tmp_path))
    pdo = _c4_pdo(rbffd=True).eval()
    x = torch.randn(1, pdo.in_type.size, 7, 7)
    torch.save(pdo, tmp / "m.pt")
    torch.save(x, tmp / "x.pt")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(nn.__file__).parents[1]), *sys.path])
    subprocess.run(
        [sys.executable, "-c", _LOADER, str(tmp / "m.pt"), str(tmp / "x.pt"), str(tmp / "y.pt")],
        check=True,
        env=env,
        timeout=300,
    )
    expected = pdo(nn.GeometricTensor(x, pdo.in_type)).tensor
    torch.testing.assert_close(torch.load(tmp / "y.pt"), expected)


_E2CNN_CASES = {
    "D4": (lambda m: m.gspaces.FlipRot2dOnR2(4), lambda g: [g.regular_repr]),
    "Flip": (lambda m: m.gspaces.Flip2dOnR2(), lambda g: [g.regular_repr, g.trivial_repr]),
    "SO2": (
        lambda m: m.gspaces.Rot2dOnR2(-1, maximum_frequency=4),
        lambda g: [g.irrep(0), g.irrep(1), g.irrep(2)],
    ),
    "O2": (
        lambda m: m.gspaces.FlipRot2dOnR2(-1, maximum_frequency=4),
        lambda g: [g.irrep(0, 0), g.irrep(1, 0), g.irrep(1, 1), g.irrep(1, 2)],
    ),
    "Trivial": (lambda m: m.gspaces.TrivialOnR2(), lambda g: [g.trivial_repr] * 2),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("case", list(_E2CNN_CASES))
def test_dimensions_match_e2cnn_for_every_group(case: str) -> None:
    e2cnn = pytest.importorskip("e2cnn")
    pytest.importorskip("sympy")
    import e2_steerable

    make_space, make_reps = _E2CNN_CASES[case]
    g1, g2 = make_space(e2cnn), make_space(e2_steerable)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t1 = e2cnn.nn.FieldType(g1, make_reps(g1))
        ref = e2cnn.nn.R2Diffop(t1, t1, kernel_size=5, initialize=False)
    t2 = nn.FieldType(g2, make_reps(g2))
    ours = nn.R2Diffop(t2, t2, kernel_size=5, initialize=False)
    assert ours.weights.numel() == ref.weights.numel()
