"""R2Conv and R2ConvTransposed: equivariance, caching, export, errors, e2cnn compatibility."""

from __future__ import annotations

import io
import math
import pickle

import numpy as np
import pytest
import torch

from e2_steerable import gspaces
from e2_steerable.group import directsum
from e2_steerable.kernels import EmptyBasisException
from e2_steerable.nn import FieldType, GeometricTensor
from e2_steerable.nn.modules.r2_conv import R2Conv, R2ConvTransposed

SPACES = {
    "C4": lambda: gspaces.Rot2dOnR2(4),
    "C8": lambda: gspaces.Rot2dOnR2(8),
    "D4": lambda: gspaces.FlipRot2dOnR2(4),
    "D8": lambda: gspaces.FlipRot2dOnR2(8),
    "SO2": lambda: gspaces.Rot2dOnR2(-1, maximum_frequency=4),
    "O2": lambda: gspaces.FlipRot2dOnR2(-1, maximum_frequency=4),
    "Flip": lambda: gspaces.Flip2dOnR2(),
    "Trivial": lambda: gspaces.TrivialOnR2(),
}


def field_types(gs, kind: str) -> tuple[FieldType, FieldType]:
    """Input and output types of a given flavour (regular, irreps, quotient, mixed)."""
    irreps = list(gs.irreps.values())[:4]
    finite = gs.fibergroup.order() > 0
    if kind == "regular":
        if not finite:
            pytest.skip("continuous groups have no regular representation")
        return FieldType(gs, [gs.regular_repr] * 2), FieldType(gs, [gs.regular_repr] * 3)
    if kind == "irreps":
        return FieldType(gs, irreps * 2), FieldType(gs, [*irreps[::-1], gs.trivial_repr])
    if kind == "quotient":
        sub = {"C4": 2, "C8": 2, "D4": (None, 2), "D8": (0, 4)}.get(gs_key(gs))
        if sub is None:
            pytest.skip("no proper quotient for this group")
        q = gs.quotient_repr(sub)
        return FieldType(gs, [q, gs.trivial_repr]), FieldType(gs, [gs.regular_repr, q])
    # mixed: interleaved fields, a direct sum with a non-trivial change of basis, repeats
    extra = directsum([irreps[-1], gs.trivial_repr])
    tin = [gs.trivial_repr, irreps[-1], extra, gs.trivial_repr]
    tout = [extra, irreps[-1], extra] + ([gs.regular_repr] if finite else [gs.trivial_repr])
    return FieldType(gs, tin), FieldType(gs, tout)


def gs_key(gs) -> str:
    return {
        "4-Rotations": "C4",
        "8-Rotations": "C8",
        "Flip_4-Rotations(f=1.57080)": "D4",
        "Flip_8-Rotations(f=1.57080)": "D8",
    }.get(gs.name, gs.name)


def exact_elements(gs) -> list:
    G = gs.fibergroup
    if G.order() > 0:
        candidates = G.elements
    else:
        angles = [0.0, math.pi / 2, math.pi, 3 * math.pi / 2]
        candidates = angles if G.name == "SO(2)" else [(f, a) for f in (0, 1) for a in angles]
    return [
        g for g in candidates if np.allclose(gs.element_matrix(g), np.round(gs.element_matrix(g)))
    ]


def relative_equivariance_errors(conv, size: int = 15, dtype=torch.float32) -> list[float]:
    gs = conv.in_type.gspace
    conv = conv.to(dtype).eval()
    x = GeometricTensor(torch.randn(2, conv.in_type.size, size, size, dtype=dtype), conv.in_type)
    errors = []
    with torch.no_grad():
        y = conv(x)
        for g in exact_elements(gs):
            expected = y.transform(g).tensor
            got = conv(x.transform(g)).tensor
            errors.append(float((got - expected).norm() / expected.norm()))
    return errors


CONTINUOUS = ("SO2", "O2")
CASES = (
    [(s, "irreps") for s in SPACES]
    + [(s, "mixed") for s in SPACES]
    + [(s, "regular") for s in SPACES if s not in CONTINUOUS]
    + [(s, "quotient") for s in ("C4", "C8", "D4", "D8")]
)


@pytest.mark.parametrize(("space", "kind"), CASES)
def test_r2conv_equivariance_exact_elements(space: str, kind: str) -> None:
    gs = SPACES[space]()
    tin, tout = field_types(gs, kind)
    conv = R2Conv(tin, tout, 5, padding=2)
    torch.nn.init.normal_(conv.bias) if conv.bias is not None else None
    assert max(relative_equivariance_errors(conv)) < 1e-6


@pytest.mark.parametrize(("space", "kind"), [(s, "mixed") for s in SPACES] + [("C8", "regular")])
def test_r2conv_transposed_equivariance_exact_elements(space: str, kind: str) -> None:
    gs = SPACES[space]()
    tin, tout = field_types(gs, kind)
    conv = R2ConvTransposed(tin, tout, 3, stride=2, padding=1)
    assert max(relative_equivariance_errors(conv, size=9)) < 1e-6


def test_state_dict_holds_only_parameters_and_is_mode_independent() -> None:
    gs = gspaces.Rot2dOnR2(8)
    conv = R2Conv(FieldType(gs, [gs.regular_repr] * 2), FieldType(gs, [gs.regular_repr] * 2), 3)
    keys_train = list(conv.state_dict())
    conv.eval()
    assert conv.filter is not None
    assert conv.expanded_bias is not None
    keys_eval = list(conv.state_dict())
    conv.train()
    assert conv.filter is None
    assert keys_train == keys_eval == list(conv.state_dict()) == ["weights", "bias"]
    other = R2Conv(conv.in_type, conv.out_type, 3).eval()
    other.load_state_dict(conv.state_dict())  # strict loading across modes works


def test_eval_cache_follows_loaded_or_edited_weights() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr] * 2)
    a, b = R2Conv(ft, ft, 3), R2Conv(ft, ft, 3)
    x = GeometricTensor(torch.randn(1, 8, 9, 9), ft)
    b.eval()
    stale = b(x).tensor
    b.load_state_dict(a.state_dict())
    a.eval()
    torch.testing.assert_close(b(x).tensor, a(x).tensor)
    assert not torch.allclose(stale, b(x).tensor)
    with torch.no_grad():
        b.weights.mul_(2.0)
        b.bias.zero_()
        a.weights.mul_(2.0)
        a.bias.zero_()
    a.train()
    torch.testing.assert_close(b(x).tensor, a(x).tensor)


def test_export_matches_and_shapes() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    tin, tout = field_types(gs, "mixed")
    for mode in ("zeros", "reflect", "circular", "replicate"):
        conv = R2Conv(tin, tout, 3, padding=(1, 2), stride=2, padding_mode=mode)
        torch.nn.init.normal_(conv.bias)
        x = torch.randn(2, tin.size, 11, 12)
        conv.eval()
        y = conv(GeometricTensor(x, tin)).tensor
        exported = conv.export()
        assert isinstance(exported, torch.nn.Conv2d)
        torch.testing.assert_close(exported(x), y, atol=1e-6, rtol=0)
        assert conv.evaluate_output_shape(tuple(x.shape)) == tuple(y.shape)
    up = R2ConvTransposed(tin, tout, 3, stride=2, padding=1, output_padding=1).eval()
    x = torch.randn(2, tin.size, 5, 6)
    y = up(GeometricTensor(x, tin)).tensor
    exported = up.export()
    assert isinstance(exported, torch.nn.ConvTranspose2d)
    torch.testing.assert_close(exported(x), y, atol=1e-6, rtol=0)
    assert up.evaluate_output_shape(tuple(x.shape)) == tuple(y.shape)


def test_groups_and_dilation() -> None:
    gs = gspaces.Rot2dOnR2(4)
    tin = FieldType(gs, [gs.regular_repr, gs.irrep(1)] * 2)
    tout = FieldType(gs, [gs.regular_repr] * 4)
    conv = R2Conv(tin, tout, 3, padding=2, dilation=2, groups=2)
    assert conv.expand_parameters()[0].shape == (16, 6, 3, 3)
    assert max(relative_equivariance_errors(conv)) < 1e-6
    with pytest.raises(ValueError, match="groups"):
        R2Conv(FieldType(gs, [gs.regular_repr, gs.irrep(1)]), tout, 3, groups=2)
    up = R2ConvTransposed(tout, tin, 3, groups=2)
    assert up.expand_parameters()[0].shape == (16, 6, 3, 3)
    assert max(relative_equivariance_errors(up, size=7)) < 1e-6


def test_bias_only_on_trivial_irreps() -> None:
    gs = gspaces.Rot2dOnR2(8)
    conv = R2Conv(FieldType(gs, [gs.regular_repr]), FieldType(gs, [gs.irrep(1), gs.irrep(2)]), 3)
    assert conv.bias is None
    conv = R2Conv(FieldType(gs, [gs.regular_repr]), FieldType(gs, [gs.regular_repr] * 3), 3)
    assert conv.bias.shape == (3,)
    with torch.no_grad():
        conv.bias.copy_(torch.tensor([1.0, 2.0, 3.0]))
    expanded = conv.expand_parameters()[1]
    torch.testing.assert_close(
        expanded, torch.tensor([1.0, 2.0, 3.0]).repeat_interleave(8) / math.sqrt(8)
    )


def test_bad_inputs_raise_clear_errors() -> None:
    c8, c4 = gspaces.Rot2dOnR2(8), gspaces.Rot2dOnR2(4)
    ft = FieldType(c8, [c8.regular_repr])
    with pytest.raises(ValueError, match="same gspace"):
        R2Conv(ft, FieldType(c4, [c4.regular_repr]), 3)
    with pytest.raises(TypeError, match="FieldType"):
        R2Conv([c8.regular_repr], ft, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        R2Conv(ft, ft, 0)
    with pytest.raises(ValueError, match="padding_mode"):
        R2Conv(ft, ft, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="basisexpansion"):
        R2Conv(ft, ft, 3, basisexpansion="single")
    with pytest.raises(EmptyBasisException, match="frequencies_cutoff"):
        R2Conv(ft, ft, 2)
    so2 = gspaces.Rot2dOnR2(-1, maximum_frequency=4)
    with pytest.raises(EmptyBasisException, match="rings"):
        R2Conv(FieldType(so2, [so2.trivial_repr]), FieldType(so2, [so2.irrep(3)]), 5)
    conv = R2Conv(ft, ft, 3)
    with pytest.raises(TypeError, match="GeometricTensor"):
        conv(torch.randn(1, 8, 5, 5))
    with pytest.raises(ValueError, match="type"):
        conv(GeometricTensor(torch.randn(1, 8, 5, 5), FieldType(c8, [c8.irrep(1)] * 4)))
    with pytest.raises(ValueError, match="input_shape"):
        conv.evaluate_output_shape((1, 7, 5, 5))


def test_frequencies_cutoff_rings_sigma_and_basis_filter() -> None:
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.regular_repr])
    base = R2Conv(ft, ft, 5).weights.numel()
    assert base == 88
    assert R2Conv(ft, ft, 5, frequencies_cutoff=3.0).weights.numel() > base
    assert R2Conv(ft, ft, 5, rings=[0.0, 2.0]).weights.numel() < base
    assert R2Conv(ft, ft, 5, sigma=0.5).weights.numel() == base
    assert R2Conv(ft, ft, 5, maximum_offset=0).weights.numel() <= base
    only_centre = R2Conv(ft, ft, 5, basis_filter=lambda attr: attr["radius"] == 0.0)
    filt = only_centre.expand_parameters()[0]
    assert filt[..., 2, 2].abs().sum() > 0
    filt_off_centre = filt.clone()
    filt_off_centre[..., 2, 2] = 0
    assert filt_off_centre.abs().max() < 1e-6
    assert R2Conv(ft, ft, 3, dilation=2).weights.numel() == 64
    assert R2Conv(ft, ft, 3, dilation=2, frequencies_cutoff="dilated").weights.numel() == 48


def test_layers_share_bases_as_tensors_not_modules() -> None:
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.regular_repr] * 2)
    a, b = R2Conv(ft, ft, 3), R2Conv(ft, ft, 3)
    assert a.basisexpansion is not b.basisexpansion
    a.to(torch.bfloat16)
    x = GeometricTensor(torch.randn(1, 16, 7, 7), ft)
    assert b(x).tensor.dtype == torch.float32  # b is untouched by a.to()
    assert a(GeometricTensor(x.tensor.bfloat16(), ft)).tensor.dtype == torch.bfloat16
    fresh = R2Conv(ft, ft, 3, recompute=True)
    assert fresh.weights.numel() == b.weights.numel()


def test_pickle_torch_save_and_bf16() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    tin, tout = field_types(gs, "mixed")
    conv = R2Conv(tin, tout, 3, padding=1)
    x = GeometricTensor(torch.randn(2, tin.size, 8, 8), tin)
    y = conv(x).tensor.detach()
    clone = pickle.loads(pickle.dumps(conv))
    torch.testing.assert_close(clone(x).tensor, y)
    buffer = io.BytesIO()
    torch.save(conv, buffer)
    buffer.seek(0)
    torch.testing.assert_close(torch.load(buffer, weights_only=False)(x).tensor, y)
    half = pickle.loads(pickle.dumps(conv)).to(torch.bfloat16)
    out = half(GeometricTensor(x.tensor.bfloat16(), tin)).tensor.detach()
    assert out.dtype == torch.bfloat16
    assert float((out.float() - y).norm() / y.norm()) < 2e-2
    with torch.autocast("cpu", dtype=torch.bfloat16):
        auto = conv(x).tensor.detach()
    assert float((auto.float() - y).norm() / y.norm()) < 2e-2


def test_gradcheck_of_the_expansion() -> None:
    gs = gspaces.Rot2dOnR2(4)
    # interleaved and repeated fields: exercises the strided block copies of the expansion
    tin = FieldType(gs, [gs.trivial_repr, gs.irrep(1), gs.trivial_repr])
    tout = FieldType(gs, [gs.irrep(1), gs.irrep(2), gs.irrep(1)])
    conv = R2Conv(tin, tout, 3).double()
    w = conv.weights.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: conv.basisexpansion(v), (w,), fast_mode=True)


def test_train_step_runs_on_device(device: torch.device) -> None:
    gs = gspaces.Rot2dOnR2(8)
    tin = FieldType(gs, [gs.trivial_repr] * 3)
    tout = FieldType(gs, [gs.regular_repr] * 2)
    conv = R2Conv(tin, tout, 5, padding=2).to(device)
    x = GeometricTensor(torch.randn(2, 3, 9, 9, device=device), tin)
    conv(x).tensor.square().mean().backward()
    assert conv.weights.grad is not None
    assert torch.isfinite(conv.weights.grad).all()
    cpu = R2Conv(tin, tout, 5, padding=2)
    cpu.load_state_dict({k: v.cpu() for k, v in conv.state_dict().items()})
    torch.testing.assert_close(
        cpu(GeometricTensor(x.tensor.cpu(), tin)).tensor, conv(x).tensor.cpu()
    )


# e2cnn 0.2.3 on torch 2 warns about uint8 indexing and meshgrid (non-contiguous field types)
@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8:UserWarning")
@pytest.mark.filterwarnings("ignore:torch.meshgrid:UserWarning")
@pytest.mark.parametrize("n", [4, 8])
def test_matches_e2cnn_filters_bias_and_outputs(n: int) -> None:
    e2cnn = pytest.importorskip("e2cnn")
    g1, g2 = e2cnn.gspaces.Rot2dOnR2(n), gspaces.Rot2dOnR2(n)

    def reps(g):
        return (
            [g.regular_repr, g.irrep(1), g.trivial_repr, g.irrep(1)] * 2 + [g.irrep(2)],
            [g.trivial_repr, g.regular_repr, g.irrep(1)] * 2,
        )

    (a1, b1), (a2, b2) = reps(g1), reps(g2)
    ref = e2cnn.nn.R2Conv(e2cnn.nn.FieldType(g1, a1), e2cnn.nn.FieldType(g1, b1), 5, padding=2)
    ours = R2Conv(FieldType(g2, a2), FieldType(g2, b2), 5, padding=2)
    assert ours.weights.shape == ref.weights.shape
    assert ours.bias.shape == ref.bias.shape
    with torch.no_grad():
        ours.weights.copy_(ref.weights)
        ours.bias.copy_(torch.randn_like(ref.bias))
        ref.bias.copy_(ours.bias)
    x = torch.randn(2, ours.in_type.size, 9, 9)
    expected = ref(e2cnn.nn.GeometricTensor(x, ref.in_type)).tensor
    torch.testing.assert_close(
        ours(GeometricTensor(x, ours.in_type)).tensor, expected, atol=2e-5, rtol=1e-5
    )


@pytest.mark.parametrize("train", [True, False])
def test_torch_compile_fullgraph(train: bool) -> None:
    gs = gspaces.Rot2dOnR2(4)
    tin = FieldType(gs, [gs.trivial_repr, gs.irrep(1)] * 2)
    tout = FieldType(gs, [gs.regular_repr, gs.irrep(1)])
    conv = R2Conv(tin, tout, 3, padding=1).train(train)

    def run(t: torch.Tensor) -> torch.Tensor:
        return conv(GeometricTensor(t, tin)).tensor

    compiled = torch.compile(run, fullgraph=True, backend="aot_eager")
    x = torch.randn(2, tin.size, 8, 8)
    torch.testing.assert_close(compiled(x), run(x))
