"""Every equivariant module of the e2cnn.nn catalogue: equivariance, export, serialization, checks.

Each case builds a module and a matching random input; the tests sweep the cases.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from e2_steerable import gspaces
from e2_steerable.group import directsum
from e2_steerable.nn import (
    BranchingModule,
    ConcatenatedNonLinearity,
    DisentangleModule,
    EquivariantModule,
    FieldDropout,
    FieldType,
    GatedNonLinearity1,
    GatedNonLinearity2,
    GeometricTensor,
    GNormBatchNorm,
    GroupPooling,
    IdentityModule,
    InducedGatedNonLinearity1,
    InducedNormBatchNorm,
    InducedNormNonLinearity,
    InducedNormPool,
    InnerBatchNorm,
    MaskModule,
    MergeModule,
    ModuleList,
    MultipleModule,
    NormBatchNorm,
    NormMaxPool,
    NormNonLinearity,
    NormPool,
    PointwiseAdaptiveAvgPool,
    PointwiseAdaptiveMaxPool,
    PointwiseAvgPool,
    PointwiseAvgPoolAntialiased,
    PointwiseDropout,
    PointwiseMaxPool,
    PointwiseMaxPoolAntialiased,
    R2Upsampling,
    ReLU,
    ReshuffleModule,
    RestrictionModule,
    SequentialModule,
    VectorFieldNonLinearity,
)
from e2_steerable.nn.modules.equivariant_module import is_exact_element

Case = Callable[[], tuple[EquivariantModule, GeometricTensor, int]]


def so2() -> Any:
    return gspaces.Rot2dOnR2(-1, maximum_frequency=3)


def d4() -> Any:
    return gspaces.FlipRot2dOnR2(4)


def c8() -> Any:
    return gspaces.Rot2dOnR2(8)


def induced(gs: Any, frequency: int = 1) -> Any:
    sub = gs.fibergroup.subgroup((None, 4))[0]
    return gs.induced_repr((None, 4), sub.irrep(frequency))


def norm_type(gs: Any) -> FieldType:
    """Interleaved fields of different sizes without trivial irreps."""
    return FieldType(gs, [gs.irrep(1), gs.irrep(2), gs.irrep(1), gs.irrep(3), gs.irrep(2)])


def pointwise_type(gs: Any) -> FieldType:
    return FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])


def make(module: EquivariantModule, size: int = 9) -> tuple[EquivariantModule, Any, int]:
    return module, module.in_type, size


CASES: dict[str, Callable[[], tuple[EquivariantModule, Any, int]]] = {
    "NormNonLinearity-relu": lambda: make(NormNonLinearity(norm_type(so2()))),
    "NormNonLinearity-sigmoid-D4": lambda: make(
        NormNonLinearity(FieldType(d4(), [d4().regular_repr, d4().irrep(1, 1)]), "n_sigmoid")
    ),
    "NormNonLinearity-squash": lambda: make(
        NormNonLinearity(norm_type(so2()), "squash", bias=False)
    ),
    "InducedNormNonLinearity": lambda: make(
        InducedNormNonLinearity(FieldType(d4(), [induced(d4()), induced(d4(), 2), induced(d4())]))
    ),
    "GatedNonLinearity1": lambda: make(
        GatedNonLinearity1(
            FieldType(
                so2(),
                [
                    so2().trivial_repr,
                    so2().irrep(2),
                    so2().trivial_repr,
                    so2().irrep(1),
                    so2().irrep(2),
                    so2().trivial_repr,
                ],
            ),
            gates=["gate", "gated", "gate", "gated", "gated", "gate"],
        )
    ),
    "GatedNonLinearity1-keep": lambda: make(
        GatedNonLinearity1(
            FieldType(c8(), [c8().trivial_repr] * 2 + [c8().irrep(1), c8().regular_repr]),
            drop_gates=False,
        )
    ),
    "InducedGatedNonLinearity1": lambda: make(
        InducedGatedNonLinearity1(
            FieldType(d4(), [d4().quotient_repr((None, 4)), induced(d4())] * 2),
            gates=["gate", "gated", "gate", "gated"],
        )
    ),
    "ConcatenatedNonLinearity": lambda: make(
        ConcatenatedNonLinearity(pointwise_type(d4()), "c_tanh")
    ),
    "VectorFieldNonLinearity": lambda: make(
        VectorFieldNonLinearity(FieldType(c8(), [c8().regular_repr] * 2))
    ),
    "GroupPooling": lambda: make(GroupPooling(pointwise_type(d4()))),
    "NormPool": lambda: make(NormPool(norm_type(so2()))),
    "InducedNormPool": lambda: make(InducedNormPool(FieldType(d4(), [induced(d4())] * 2))),
    "NormMaxPool": lambda: make(NormMaxPool(norm_type(so2()), 3, stride=2)),
    "PointwiseMaxPool": lambda: make(PointwiseMaxPool(pointwise_type(d4()), 3, 2, padding=1)),
    "PointwiseMaxPoolAntialiased": lambda: make(
        PointwiseMaxPoolAntialiased(pointwise_type(d4()), 3, stride=2)
    ),
    "PointwiseAvgPool": lambda: make(PointwiseAvgPool(norm_type(so2()), 3, stride=2, padding=1)),
    "PointwiseAvgPoolAntialiased": lambda: make(
        PointwiseAvgPoolAntialiased(norm_type(so2()), 0.66, 2)
    ),
    "PointwiseAdaptiveAvgPool": lambda: make(PointwiseAdaptiveAvgPool(pointwise_type(d4()), 3)),
    "PointwiseAdaptiveMaxPool": lambda: make(PointwiseAdaptiveMaxPool(pointwise_type(d4()), 1)),
    "InnerBatchNorm": lambda: make(InnerBatchNorm(pointwise_type(d4()))),
    "NormBatchNorm": lambda: make(NormBatchNorm(norm_type(so2()))),
    "InducedNormBatchNorm": lambda: make(
        InducedNormBatchNorm(FieldType(d4(), [induced(d4()), induced(d4(), 2), induced(d4())]))
    ),
    "GNormBatchNorm": lambda: make(
        GNormBatchNorm(
            FieldType(
                d4(),
                [
                    d4().regular_repr,
                    d4().irrep(1, 1),
                    d4().trivial_repr,
                    d4().regular_repr,
                    d4().irrep(1, 0),
                ],
            )
        )
    ),
    "FieldDropout": lambda: make(FieldDropout(norm_type(so2()), 0.3)),
    "PointwiseDropout": lambda: make(PointwiseDropout(pointwise_type(d4()), 0.3)),
    "DisentangleModule": lambda: make(
        DisentangleModule(
            FieldType(c8(), [directsum([c8().irrep(1), c8().trivial_repr]), c8().regular_repr])
        )
    ),
    "R2Upsampling": lambda: make(R2Upsampling(norm_type(so2()), scale_factor=2)),
    "ReshuffleModule": lambda: make(ReshuffleModule(norm_type(so2()), [3, 0, 4, 1, 2])),
    "MaskModule": lambda: make(MaskModule(norm_type(so2()), 9, margin=10)),
    "IdentityModule": lambda: make(IdentityModule(norm_type(so2()))),
    "MultipleModule": lambda: make(
        MultipleModule(
            pointwise_type(c8()),
            ["r", "t", "r"],
            [
                (ReLU(FieldType(c8(), [c8().regular_repr] * 2)), "r"),
                (NormNonLinearity(FieldType(c8(), [c8().trivial_repr])), "t"),
            ],
            reshuffle=1,
        )
    ),
    "SequentialModule": lambda: make(
        SequentialModule(
            GNormBatchNorm(FieldType(c8(), [c8().trivial_repr] * 2 + [c8().irrep(1)] * 2)),
            GatedNonLinearity1(FieldType(c8(), [c8().trivial_repr] * 2 + [c8().irrep(1)] * 2)),
            NormBatchNorm(FieldType(c8(), [c8().irrep(1)] * 2)),
            NormMaxPool(FieldType(c8(), [c8().irrep(1)] * 2), 2),
        ),
        size=8,
    ),
}

STOCHASTIC = {"FieldDropout", "PointwiseDropout"}


def _input(in_type: FieldType, size: int, dtype: torch.dtype = torch.float32) -> GeometricTensor:
    return GeometricTensor(torch.randn(3, in_type.size, size, size, dtype=dtype), in_type)


def _randomize(module: nn.Module, x: GeometricTensor) -> None:
    """Non-trivial parameters and running statistics (a few training steps)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "weight" in name:
                p.uniform_(0.5, 1.5)
            else:
                p.uniform_(-0.5, 0.5)
    module.train()
    with torch.no_grad():
        for i in range(2):
            module(GeometricTensor(x.tensor * (1 + i) + 0.1 * i, x.type))


def script(module: nn.Module) -> Any:
    """``torch.jit.script``, silencing torch's own deprecation notice of TorchScript."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(module)


def trace(module: nn.Module, inputs: tuple[Any, ...]) -> Any:
    """``torch.jit.trace``, silencing torch's deprecation notice of TorchScript and its notes
    that shape checks are frozen into the trace."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return torch.jit.trace(module, inputs)


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("name", list(CASES))
def test_equivariance_float32(name: str, training: bool) -> None:
    if training and name in STOCHASTIC:
        pytest.skip("random masks are not equivariant sample by sample")
    module, in_type, size = CASES[name]()
    x = _input(in_type, size)
    _randomize(module, x)
    module.train(training)
    gs = in_type.gspace
    elements = [g for g in in_type.testing_elements if is_exact_element(gs, g)]
    assert len(elements) >= 2
    with torch.no_grad():
        y = module(x)
        for g in elements:
            err = _relative(module(x.transform(g)).tensor, y.transform(g).tensor)
            assert err <= 1e-6, (name, g, err)


@pytest.mark.parametrize("name", ["NormNonLinearity-relu", "GNormBatchNorm", "MultipleModule"])
def test_check_equivariance_method(name: str) -> None:
    module, _, _ = CASES[name]()
    errors = module.check_equivariance(spatial_size=9)
    assert errors
    assert max(e for _, e in errors) < 1e-10


@pytest.mark.parametrize("name", list(CASES))
def test_export_matches_and_is_plain(name: str) -> None:
    module, in_type, size = CASES[name]()
    x = _input(in_type, size)
    _randomize(module, x)
    keys = list(module.state_dict())
    module.eval()
    assert list(module.state_dict()) == keys  # identical in train and eval
    with torch.no_grad():
        y = module(x)
    assert tuple(y.shape) == module.evaluate_output_shape(tuple(x.shape))
    assert y.type == module.out_type
    exported = module.export()
    assert not exported.training
    assert not module.training
    assert not any(isinstance(m, EquivariantModule) for m in exported.modules())
    with torch.no_grad():
        assert (exported(x.tensor) - y.tensor).abs().max() <= 1e-6
    scripted = script(exported)
    traced = trace(exported, (x.tensor,))
    program = torch.export.export(exported, (x.tensor,))
    with torch.no_grad():
        for other in (scripted(x.tensor), traced(x.tensor), program.module()(x.tensor)):
            torch.testing.assert_close(other, exported(x.tensor), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_pickle_deepcopy_and_state_dict_roundtrip(name: str) -> None:
    module, in_type, size = CASES[name]()
    x = _input(in_type, size)
    _randomize(module, x)
    module.eval()
    with torch.no_grad():
        y = module(x).tensor
        for clone in (pickle.loads(pickle.dumps(module)), copy.deepcopy(module)):
            torch.testing.assert_close(clone(x).tensor, y)
        fresh, _, _ = CASES[name]()
        fresh.load_state_dict(module.state_dict())
        torch.testing.assert_close(fresh.eval()(x).tensor, y)


def test_gated2_export_takes_gates_and_input() -> None:
    gs = c8()
    gates, gated = (
        FieldType(gs, [gs.trivial_repr] * 3),
        FieldType(gs, [gs.irrep(1), gs.irrep(4), gs.irrep(1)]),
    )
    module = GatedNonLinearity2((gates, gated))
    g, x = _input(gates, 7), _input(gated, 7)
    y = module(g, x).tensor
    exported = module.export()
    torch.testing.assert_close(exported(g.tensor, x.tensor), y)
    torch.testing.assert_close(script(exported)(g.tensor, x.tensor), y)
    assert module.evaluate_output_shape((tuple(g.shape), tuple(x.shape))) == tuple(y.shape)
    errors = module.check_equivariance()
    assert len(errors) == 4
    assert max(e for _, e in errors) < 1e-10
    # the k-th gate drives the k-th gated field in size order: irrep(4), irrep(1), irrep(1)
    expected = torch.cat(
        [
            x.tensor[:, 0:2] * torch.sigmoid(g.tensor[:, 1:2] - module.bias[:, 1:2]),
            x.tensor[:, 2:3] * torch.sigmoid(g.tensor[:, 0:1] - module.bias[:, 0:1]),
            x.tensor[:, 3:5] * torch.sigmoid(g.tensor[:, 2:3] - module.bias[:, 2:3]),
        ],
        dim=1,
    )
    torch.testing.assert_close(y, expected)


def test_branching_and_merge_exports_use_dicts() -> None:
    gs = c8()
    ft = pointwise_type(gs)
    branch = BranchingModule(ft, ["a", "b", "a"])
    reg, triv = FieldType(gs, [gs.regular_repr] * 2), FieldType(gs, [gs.trivial_repr])
    gates = FieldType(gs, [gs.trivial_repr])
    merge = MergeModule([(ReLU(reg), "a"), (ReLU(triv), ["b"])])
    x = _input(ft, 5)
    parts = branch(x)
    assert set(parts) == {"a", "b"}
    assert parts["a"].type == reg
    exported_branch = script(branch.export())
    plain = exported_branch(x.tensor)
    for k in parts:
        torch.testing.assert_close(plain[k], parts[k].tensor)
    exported_merge = script(merge.export())
    torch.testing.assert_close(exported_merge(plain), merge(parts).tensor)
    two = MergeModule([(GatedNonLinearity2((gates, FieldType(gs, [gs.irrep(1)]))), ["g", "v"])])
    inputs = {"g": _input(gates, 5), "v": _input(FieldType(gs, [gs.irrep(1)]), 5)}
    torch.testing.assert_close(
        script(two.export())({k: v.tensor for k, v in inputs.items()}),
        two(inputs).tensor,
    )


def test_module_list_exports_a_module_list() -> None:
    ft = pointwise_type(d4())
    modules = ModuleList([ReLU(ft), InnerBatchNorm(ft)])
    modules.append(NormNonLinearity(ft))
    with pytest.raises(TypeError, match="EquivariantModule"):
        modules.append(nn.ReLU())  # type: ignore[arg-type]
    exported = modules.export()
    assert type(exported) is nn.ModuleList
    assert len(exported) == 3
    x = _input(ft, 5)
    for m, e in zip(modules, exported):
        torch.testing.assert_close(e(x.tensor), m(x).tensor)


def test_restriction_module() -> None:
    gs = d4()
    module = RestrictionModule(pointwise_type(gs), (None, 4))
    x = _input(module.in_type, 5)
    assert module(x).type == module.in_type.restrict((None, 4))
    clone = pickle.loads(pickle.dumps(module))
    torch.testing.assert_close(clone(x).tensor, module(x).tensor)
    assert clone(x).type == module(x).type
    assert module.check_equivariance()
    assert isinstance(module.export(), nn.Identity)


def test_gated1_pairs_gates_by_field_size_as_e2cnn() -> None:
    e2cnn = pytest.importorskip("e2cnn")
    gs, egs = c8(), e2cnn.gspaces.Rot2dOnR2(8)
    names = ["trivial", "irrep_2", "trivial", "irrep_1", "trivial", "regular", "irrep_1"]
    gates = ["gate", "gated", "gate", "gated", "gate", "gated", "gated"]
    gates[-1] = "gate"
    names[-1] = "trivial"
    names.append("irrep_1")
    gates.append("gated")
    ft = FieldType(
        gs, [gs.trivial_repr if n == "trivial" else gs.representations[n] for n in names]
    )
    eft = e2cnn.nn.FieldType(
        egs, [egs.trivial_repr if n == "trivial" else egs.representations[n] for n in names]
    )
    ours = GatedNonLinearity1(ft, gates=gates, drop_gates=False)
    theirs = e2cnn.nn.GatedNonLinearity1(eft, gates=gates, drop_gates=False)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, ft.size, 5, 5)
    torch.testing.assert_close(
        ours(GeometricTensor(x, ft)).tensor, theirs(e2cnn.nn.GeometricTensor(x, eft)).tensor
    )


class TestErrors:
    def test_unsupported_fields_are_named(self) -> None:
        gs = c8()
        with pytest.raises(ValueError, match=r"field 2 \('regular'\) contains a trivial"):
            NormBatchNorm(FieldType(gs, [gs.irrep(2), gs.irrep(1), gs.regular_repr]))
        with pytest.raises(ValueError, match=r"pointwise.*'irrep_1'"):
            PointwiseAdaptiveMaxPool(FieldType(gs, [gs.irrep(1)]), 1)
        with pytest.raises(ValueError, match=r"field 0 \('irrep_1'\) is a gate"):
            GatedNonLinearity1(FieldType(gs, [gs.irrep(1), gs.irrep(1)]))
        with pytest.raises(ValueError, match="induced"):
            InducedNormPool(FieldType(gs, [gs.irrep(1)]))
        with pytest.raises(ValueError, match="squash"):
            NormNonLinearity(FieldType(gs, [gs.irrep(1)]), "squash")
        with pytest.raises(ValueError, match=r"vectorfield.*field 0 \('irrep_0'\)"):
            VectorFieldNonLinearity(FieldType(gs, [gs.trivial_repr]))

    def test_bad_arguments(self) -> None:
        gs = c8()
        ft = FieldType(gs, [gs.regular_repr])
        with pytest.raises(ValueError, match="momentum"):
            GNormBatchNorm(ft, momentum=1.5)
        with pytest.raises(ValueError, match="eps"):
            NormBatchNorm(FieldType(gs, [gs.irrep(1)]), eps=-1)
        with pytest.raises(ValueError, match="`p`"):
            FieldDropout(ft, p=1.0)
        with pytest.raises(ValueError, match="sigma"):
            PointwiseAvgPoolAntialiased(ft, 0.0, 1)
        with pytest.raises(ValueError, match="padding"):
            NormMaxPool(FieldType(gs, [gs.irrep(1)]), 2, padding=2)
        with pytest.raises(ValueError, match="exactly one"):
            R2Upsampling(ft)
        with pytest.raises(ValueError, match="permutation"):
            ReshuffleModule(FieldType(gs, [gs.irrep(1)] * 2), [0, 0])
        with pytest.raises(ValueError, match="labels"):
            BranchingModule(ft, ["a", "b"])

    @pytest.mark.parametrize(
        "factory",
        [
            lambda ft: PointwiseMaxPool(ft, 5),
            lambda ft: PointwiseMaxPoolAntialiased(ft, 3, dilation=3),
            lambda ft: PointwiseAvgPool(ft, 4),
            lambda ft: NormMaxPool(ft, (2, 6)),
            lambda ft: PointwiseAvgPoolAntialiased(ft, 2.0, 1, padding=0),
        ],
    )
    def test_pooling_window_larger_than_input(self, factory: Callable[[FieldType], Any]) -> None:
        gs = c8()
        ft = FieldType(gs, [gs.regular_repr])
        module = factory(ft)
        with pytest.raises(ValueError, match=r"input's spatial size \(3, 4\).*window"):
            module(GeometricTensor(torch.randn(1, 8, 3, 4), ft))
        # the shape itself is checked by the core (EquivariantModule._check_input)
        with pytest.raises(ValueError, match=r"\(B, C, H, W\).*got a 3-D tensor"):
            module(GeometricTensor(torch.randn(1, 8, 9), ft))

    def test_mask_needs_its_size(self) -> None:
        gs = c8()
        mask = MaskModule(FieldType(gs, [gs.regular_repr]), 7)
        with pytest.raises(ValueError, match=r"\(B, 8, 7, 7\)"):
            mask(GeometricTensor(torch.randn(1, 8, 6, 6), mask.in_type))


def test_torch_save_loads_in_a_fresh_process(tmp_path: Any) -> None:
    """A network of the new modules survives ``torch.save(model)`` and a new interpreter."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    bn = CASES["GNormBatchNorm"]()[0]
    net = SequentialModule(bn, FieldDropout(bn.out_type, 0.3), NormPool(bn.out_type))
    gated, _, _ = CASES["InducedGatedNonLinearity1"]()
    x = _input(net.in_type, 7)
    _randomize(net, x)
    net.eval()
    torch.save(
        {"net": net, "gated": gated, "x": x.tensor, "y": net(x).tensor}, tmp_path / "model.pt"
    )
    script = (
        "import sys, torch\n"
        "from e2_steerable.nn import GeometricTensor\n"
        "d = torch.load(sys.argv[1], weights_only=False)\n"
        "y = d['net'](GeometricTensor(d['x'], d['net'].in_type)).tensor\n"
        "assert torch.equal(y, d['y']), (y - d['y']).abs().max()\n"
        "g = d['gated']\n"
        "g(GeometricTensor(torch.randn(1, g.in_type.size, 3, 3), g.in_type))\n"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script, str(tmp_path / "model.pt")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
