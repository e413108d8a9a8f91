"""torch.compile(fullgraph=True) of the equivariant modules and ONNX export of their exports.

One representative network runs by default; the sweeps over every catalogue case are ``slow``.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest
import torch

from e2_steerable import gspaces
from e2_steerable.nn import (
    FieldDropout,
    FieldType,
    GatedNonLinearity1,
    GeometricTensor,
    GNormBatchNorm,
    InducedNormBatchNorm,
    NormMaxPool,
    NormNonLinearity,
    PointwiseAvgPoolAntialiased,
    PointwiseDropout,
    SequentialModule,
)

from .test_modules_catalog import CASES, _input, _randomize


def representative() -> tuple[SequentialModule, FieldType]:
    gs = gspaces.Rot2dOnR2(8)
    mixed = FieldType(gs, [gs.trivial_repr] * 2 + [gs.irrep(1), gs.regular_repr])
    vec = FieldType(gs, [gs.irrep(1), gs.regular_repr])
    net = SequentialModule(
        GNormBatchNorm(mixed),
        GatedNonLinearity1(mixed),
        NormNonLinearity(vec),
        NormMaxPool(vec, 2),
        FieldDropout(vec, 0.2),
        PointwiseAvgPoolAntialiased(vec, 0.6, 1),
    )
    return net, mixed


def _compile_check(module: torch.nn.Module, x: Any, reference: torch.nn.Module) -> None:
    for training in (True, False):
        module.train(training)
        reference.train(training)
        compiled = torch.compile(module, fullgraph=True, backend="aot_eager")
        torch.manual_seed(1)
        got = compiled(x).tensor
        torch.manual_seed(1)
        expected = reference(x).tensor
        if not training or not any(
            isinstance(m, (FieldDropout, PointwiseDropout)) for m in module.modules()
        ):
            torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
        for key, value in reference.state_dict().items():  # statistics updated alike
            torch.testing.assert_close(module.state_dict()[key], value)
    torch._dynamo.reset()


def test_representative_network_compiles_fullgraph() -> None:
    net, ft = representative()
    reference, _ = representative()
    reference.load_state_dict(net.state_dict())
    _compile_check(net, GeometricTensor(torch.randn(2, ft.size, 8, 8), ft), reference)


def test_induced_norm_batchnorm_compiles_fullgraph() -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    sub = gs.fibergroup.subgroup((None, 4))[0]
    ft = FieldType(gs, [gs.induced_repr((None, 4), sub.irrep(1))] * 2 + [gs.irrep(1, 1)])
    with pytest.raises(ValueError, match="induced"):
        InducedNormBatchNorm(ft)
    ft = FieldType(gs, [gs.induced_repr((None, 4), sub.irrep(1))] * 2)
    bn, ref = InducedNormBatchNorm(ft), InducedNormBatchNorm(ft)
    _compile_check(bn, GeometricTensor(torch.randn(3, 8, 5, 5), ft), ref)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_every_case_compiles_fullgraph(name: str) -> None:
    module, in_type, size = CASES[name]()
    reference, _, _ = CASES[name]()
    x = _input(in_type, size)
    reference.load_state_dict(module.state_dict())
    _compile_check(module, x, reference)


def _onnx_roundtrip(exported: torch.nn.Module, x: torch.Tensor) -> None:
    """Export to ONNX, validate the graph and run it with onnx's reference evaluator."""
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    if "dynamo" not in inspect.signature(torch.onnx.export).parameters:
        # e.g. the min_versions session's torch 2.4: no dynamo-based exporter yet (torch 2.5)
        pytest.skip("torch.onnx.export(dynamo=True) needs torch >= 2.5")
    from onnx.reference import ReferenceEvaluator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.onnx's own progress notes and deprecations
        program = torch.onnx.export(exported, (x,), dynamo=True, verbose=False)
    model = program.model_proto
    onnx.checker.check_model(model)
    feed = {model.graph.input[0].name: x.numpy()}
    (got,) = ReferenceEvaluator(model).run(None, feed)
    with torch.no_grad():
        expected = exported(x)
    torch.testing.assert_close(torch.from_numpy(got), expected, atol=1e-5, rtol=1e-5)


def test_representative_export_to_onnx() -> None:
    net, ft = representative()
    _randomize(net, GeometricTensor(torch.randn(2, ft.size, 8, 8), ft))
    exported = net.export()
    # small maps: onnx's reference GatherElements uses numpy.choose, which takes at most 32
    # choices before numpy 2 (the min_versions session's numpy 1.24)
    _onnx_roundtrip(exported, torch.randn(1, ft.size, 5, 5))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_every_export_to_onnx(name: str) -> None:
    module, in_type, size = CASES[name]()
    if name != "MaskModule":  # onnx's reference GatherElements handles at most 63 positions
        size = 7
    _onnx_roundtrip(module.export(), _input(in_type, size).tensor)
