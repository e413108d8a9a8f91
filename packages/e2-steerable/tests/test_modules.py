"""F's modules: equivariance, export, shapes, state dicts, compile, errors, e2cnn cross-checks."""

from __future__ import annotations

import pickle
from collections import OrderedDict

import pytest
import torch

from e2_steerable import gspaces
from e2_steerable.nn import (
    ELU,
    EquivariantModule,
    FieldType,
    GeometricTensor,
    GroupPooling,
    InnerBatchNorm,
    MaxPoolChannels,
    PointwiseMaxPool,
    PointwiseNonLinearity,
    ReLU,
    SequentialModule,
)
from e2_steerable.nn.modules.equivariant_module import is_exact_element

GSPACES = {
    "C4": lambda: gspaces.Rot2dOnR2(4),
    "C8": lambda: gspaces.Rot2dOnR2(8),
    "D4": lambda: gspaces.FlipRot2dOnR2(4),
    "SO2": lambda: gspaces.Rot2dOnR2(-1, maximum_frequency=3),
    "Flip": lambda: gspaces.Flip2dOnR2(),
    "Trivial": lambda: gspaces.TrivialOnR2(),
}


def pointwise_type(gs) -> FieldType:
    """Fields supporting pointwise maps, of mixed sizes and interleaved (regular if finite)."""
    if gs.fibergroup.order() > 1:
        return FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])
    return FieldType(gs, [gs.trivial_repr] * 3)


MODULES = {
    "ReLU": lambda ft: ReLU(ft),
    "ELU": lambda ft: ELU(ft, alpha=0.7),
    "p_sigmoid": lambda ft: PointwiseNonLinearity(ft, "p_sigmoid"),
    "p_tanh": lambda ft: PointwiseNonLinearity(ft, "p_tanh"),
    "MaxPool": lambda ft: PointwiseMaxPool(ft, 3, stride=2, padding=1),
    "GroupPooling": lambda ft: GroupPooling(ft),
    "InnerBatchNorm": lambda ft: InnerBatchNorm(ft),
}


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


@pytest.mark.parametrize("gs_name", list(GSPACES))
@pytest.mark.parametrize("mod_name", list(MODULES))
@pytest.mark.parametrize("training", [False, True])
def test_equivariance_exact_elements(gs_name: str, mod_name: str, training: bool) -> None:
    gs = GSPACES[gs_name]()
    ft = pointwise_type(gs)
    module = MODULES[mod_name](ft).train(training)
    if isinstance(module, InnerBatchNorm):  # non-trivial statistics in eval mode
        module.running_mean.uniform_(-1, 1)
        module.running_var.uniform_(0.5, 2)
        module.weight.data.uniform_(0.5, 2)
        module.bias.data.uniform_(-1, 1)
    x = GeometricTensor(torch.randn(4, ft.size, 9, 9), ft)
    elements = [g for g in gs.testing_elements if is_exact_element(gs, g)]
    assert elements
    with torch.no_grad():
        y = module(x)
        for g in elements:
            err = _relative(module(x.transform(g)).tensor, y.transform(g).tensor)
            assert err <= 1e-6, (g, err)


@pytest.mark.parametrize("mod_name", list(MODULES))
def test_export_shape_and_state_dict(mod_name: str) -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    ft = pointwise_type(gs)
    module = MODULES[mod_name](ft)
    x = GeometricTensor(torch.randn(3, ft.size, 11, 11), ft)
    keys_train = list(module.state_dict())
    module.train()
    module(x)  # a training step updates statistics
    module.eval()
    assert list(module.state_dict()) == keys_train
    y = module(x)
    assert tuple(y.shape) == module.evaluate_output_shape(tuple(x.shape))
    assert y.type == module.out_type
    exported = module.export()
    assert not exported.training
    assert not module.training
    assert not any(isinstance(m, EquivariantModule) for m in exported.modules())
    assert (exported(x.tensor) - y.tensor).abs().max() <= 1e-6
    back = pickle.loads(pickle.dumps(module))
    torch.testing.assert_close(back(x).tensor, y.tensor)


@pytest.mark.parametrize("mod_name", list(MODULES))
def test_compiles_fullgraph(mod_name: str) -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = pointwise_type(gs)
    module = MODULES[mod_name](ft)
    x = GeometricTensor(torch.randn(2, ft.size, 7, 7), ft)
    for training in (True, False):
        module.train(training)
        reference = MODULES[mod_name](ft).train(training)
        reference.load_state_dict(module.state_dict())
        compiled = torch.compile(module, fullgraph=True, backend="aot_eager")
        torch.testing.assert_close(compiled(x).tensor, reference(x).tensor)
        for key, value in reference.state_dict().items():  # statistics updated alike
            torch.testing.assert_close(module.state_dict()[key], value)
    torch._dynamo.reset()


def test_inner_batchnorm_statistics_are_per_field() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])
    bn = InnerBatchNorm(ft, momentum=0.25)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([2.0, 3.0, 0.5]))
        bn.bias.copy_(torch.tensor([1.0, -1.0, 0.0]))
    x = torch.randn(5, 9, 6, 6, dtype=torch.float32) * 3 + 1
    y = bn(GeometricTensor(x, ft)).tensor
    for f, (s, e) in enumerate(zip(ft.fields_start, ft.fields_end)):
        chunk = x[:, s:e].double()
        mean, var = chunk.mean(), chunk.var(unbiased=False)
        expected = (chunk - mean) / torch.sqrt(var + 1e-5) * bn.weight[f] + bn.bias[f]
        torch.testing.assert_close(y[:, s:e].double(), expected.detach(), atol=1e-5, rtol=1e-5)
        n = chunk.numel()
        torch.testing.assert_close(bn.running_mean[f].double(), 0.25 * mean, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(
            bn.running_var[f].double(), 0.75 + 0.25 * var * n / (n - 1), rtol=1e-5, atol=1e-6
        )
    assert int(bn.num_batches_tracked) == 1


def test_inner_batchnorm_options() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr] * 2)
    x = GeometricTensor(torch.randn(4, 8, 5, 5), ft)
    bare = InnerBatchNorm(ft, affine=False, track_running_stats=False)
    assert list(bare.state_dict()) == []
    out_train = bare(x).tensor
    out_eval = bare.eval()(x).tensor  # always batch statistics
    torch.testing.assert_close(out_train, out_eval)
    with pytest.raises(NotImplementedError, match="track_running_stats=False"):
        bare.export()
    cumulative = InnerBatchNorm(ft, momentum=None)
    batches = [torch.randn(4, 8, 5, 5) + i for i in range(3)]
    for b in batches:
        cumulative(GeometricTensor(b, ft))
    means = torch.stack([b.unflatten(1, (2, 4)).mean(dim=(0, 2, 3, 4)) for b in batches])
    torch.testing.assert_close(cumulative.running_mean, means.mean(0), atol=1e-5, rtol=1e-5)


def test_inner_batchnorm_matches_e2cnn() -> None:
    e2cnn = pytest.importorskip("e2cnn")
    egs = e2cnn.gspaces.Rot2dOnR2(4)
    eft = e2cnn.nn.FieldType(egs, [egs.regular_repr, egs.trivial_repr, egs.regular_repr])
    theirs = e2cnn.nn.InnerBatchNorm(eft)
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])
    ours = InnerBatchNorm(ft)
    w, b = torch.rand(3) + 0.5, torch.randn(3)
    order = {4: [0, 2], 1: [1]}  # e2cnn keeps one BatchNorm3d per field size
    with torch.no_grad():
        ours.weight.copy_(w)
        ours.bias.copy_(b)
        for size, fields in order.items():
            getattr(theirs, f"batch_norm_[{size}]").weight.copy_(w[fields])
            getattr(theirs, f"batch_norm_[{size}]").bias.copy_(b[fields])
    for _ in range(2):
        x = torch.randn(3, 9, 7, 7) * 2 + 0.5
        y_ours = ours(GeometricTensor(x, ft)).tensor
        y_theirs = theirs(e2cnn.nn.GeometricTensor(x, eft)).tensor
        torch.testing.assert_close(y_ours, y_theirs, atol=1e-5, rtol=1e-5)
    for size, fields in order.items():
        bn3d = getattr(theirs, f"batch_norm_[{size}]")
        torch.testing.assert_close(ours.running_mean[fields], bn3d.running_mean)
        torch.testing.assert_close(ours.running_var[fields], bn3d.running_var)
    ours.eval()
    theirs.eval()
    x = torch.randn(3, 9, 7, 7)
    torch.testing.assert_close(
        ours(GeometricTensor(x, ft)).tensor, theirs(e2cnn.nn.GeometricTensor(x, eft)).tensor
    )


def test_group_pooling_matches_e2cnn_and_mixed_sizes() -> None:
    e2cnn = pytest.importorskip("e2cnn")
    egs = e2cnn.gspaces.Rot2dOnR2(8)
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])
    eft = e2cnn.nn.FieldType(egs, [egs.regular_repr, egs.trivial_repr, egs.regular_repr])
    x = torch.randn(2, ft.size, 5, 5)
    ours = GroupPooling(ft)
    y = ours(GeometricTensor(x, ft))
    torch.testing.assert_close(
        y.tensor, e2cnn.nn.GroupPooling(eft)(e2cnn.nn.GeometricTensor(x, eft)).tensor
    )
    assert y.type == FieldType(gs, [gs.trivial_repr] * 3)
    exported = ours.export()
    assert isinstance(exported, MaxPoolChannels)
    assert exported.kernel_size == (8, 1, 8)
    torch.testing.assert_close(exported(x), y.tensor)


def test_max_pool_channels() -> None:
    pool = MaxPoolChannels(kernel_size=4)
    assert repr(pool) == "MaxPoolChannels(kernel_size=4)"
    x = torch.randn(2, 12, 3, 3)
    torch.testing.assert_close(pool(x), x.reshape(2, 3, 4, 3, 3).amax(2))
    with pytest.raises(ValueError, match="multiple of 4"):
        pool(torch.randn(2, 10, 3, 3))
    with pytest.raises(ValueError, match="positive"):
        MaxPoolChannels(0)
    mixed = MaxPoolChannels([2, 2, 1])
    with pytest.raises(ValueError, match="5 channels"):
        mixed(torch.randn(1, 4, 2, 2))
    program = torch.export.export(mixed, (torch.randn(1, 5, 2, 2),))
    y = torch.randn(1, 5, 2, 2)
    torch.testing.assert_close(program.module()(y), mixed(y))


def test_pointwise_max_pool_shapes_match_torch() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr])
    for k, s, p, d, ceil in [(3, 2, 1, 1, False), (2, None, 0, 1, True), (3, 3, 1, 2, True)]:
        pool = PointwiseMaxPool(ft, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
        for n in (7, 8, 10):
            x = GeometricTensor(torch.randn(1, 4, n, n + 1), ft)
            assert tuple(pool(x).shape) == pool.evaluate_output_shape(tuple(x.shape))
    with pytest.raises(TypeError, match="kernel_size"):
        PointwiseMaxPool(ft, (3, 3, 3))
    with pytest.raises(ValueError, match="positive"):
        PointwiseMaxPool(ft, 0)


def test_sequential_module() -> None:
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.regular_repr] * 2)
    seq = SequentialModule(
        OrderedDict([("bn", InnerBatchNorm(ft)), ("relu", ReLU(ft)), ("gp", GroupPooling(ft))])
    )
    assert seq.in_type == ft
    assert seq.out_type == FieldType(gs, [gs.trivial_repr] * 2)
    assert list(dict(seq.named_children())) == ["bn", "relu", "gp"]
    x = GeometricTensor(torch.randn(2, 16, 5, 5), ft)
    assert seq.evaluate_output_shape(tuple(x.shape)) == (2, 2, 5, 5)
    seq.add_module("pool", PointwiseMaxPool(seq.out_type, 2))
    assert seq(x).shape == torch.Size([2, 2, 2, 2])
    exported = seq.export()
    assert isinstance(exported, torch.nn.Sequential)
    assert list(dict(exported.named_children())) == [
        "bn",
        "relu",
        "gp",
        "pool",
    ]
    torch.testing.assert_close(exported(x.tensor), seq(x).tensor)
    with pytest.raises(ValueError, match="expects in_type"):
        seq.add_module("bad", ReLU(ft))
    with pytest.raises(TypeError, match="must be an EquivariantModule"):
        SequentialModule(torch.nn.ReLU())
    with pytest.raises(ValueError, match="at least one"):
        SequentialModule()


def test_bad_inputs_give_clear_errors() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr])
    relu = ReLU(ft)
    with pytest.raises(TypeError, match="expected a GeometricTensor"):
        relu(torch.randn(1, 4, 3, 3))
    other = FieldType(gs, [gs.trivial_repr] * 4)
    with pytest.raises(ValueError, match="differs from the module's in_type"):
        relu(GeometricTensor(torch.randn(1, 4, 3, 3), other))
    gs8 = gspaces.Rot2dOnR2(8)
    with pytest.raises(ValueError, match="differs from the module's in_type"):
        relu(GeometricTensor(torch.randn(1, 4, 3, 3), FieldType(gs8, [gs8.trivial_repr] * 4)))
    vector = FieldType(gs, [gs.irrep(1)])
    for build in (ReLU, ELU, GroupPooling, InnerBatchNorm, PointwiseNonLinearity):
        with pytest.raises(ValueError, match="'pointwise'"):
            build(vector)
    with pytest.raises(ValueError, match="'pointwise'"):
        PointwiseMaxPool(vector, 2)
    with pytest.raises(TypeError, match="FieldType"):
        ReLU([gs.regular_repr])
    with pytest.raises(ValueError, match="`function`"):
        PointwiseNonLinearity(ft, "relu")
    with pytest.raises(ValueError, match=r"input_shape"):
        relu.evaluate_output_shape((1, 3, 5, 5))
    with pytest.raises(TypeError, match="unexpected keyword"):
        GroupPooling(ft, foo=1)


def test_reprs_follow_the_seed_doc() -> None:
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.regular_repr] * 3)
    assert repr(ReLU(ft, inplace=True)) == f"ReLU(inplace=True, type={ft})"
    assert repr(ELU(ft, inplace=True)) == f"ELU(alpha=1.0, inplace=True, type={ft})"
    assert repr(InnerBatchNorm(ft)) == (
        f"InnerBatchNorm({ft}, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    )
    assert repr(GroupPooling(ft)).startswith(f"GroupPooling({ft}")


def test_export_not_implemented_message() -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr])

    class Identity(EquivariantModule):
        def __init__(self) -> None:
            super().__init__()
            self.in_type = self.out_type = ft

        def forward(self, x: GeometricTensor) -> GeometricTensor:
            return x

        def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
            return input_shape

    with pytest.raises(NotImplementedError, match="Identity does not implement export"):
        Identity().export()


@pytest.mark.parametrize("mod_name", list(MODULES))
def test_device_matches_cpu(mod_name: str, device: torch.device) -> None:
    gs = gspaces.FlipRot2dOnR2(4)
    ft = pointwise_type(gs)
    module = MODULES[mod_name](ft)
    x = torch.randn(3, ft.size, 9, 9)
    moved = MODULES[mod_name](ft).to(device)
    moved.load_state_dict(module.state_dict())
    for training in (True, False):
        module.train(training)
        moved.train(training)
        expected = module(GeometricTensor(x, ft)).tensor
        got = moved(GeometricTensor(x.to(device), ft)).tensor
        assert got.device.type == device.type
        torch.testing.assert_close(got.cpu(), expected, atol=1e-5, rtol=1e-5)
    exported = moved.export()
    torch.testing.assert_close(exported(x.to(device)).cpu(), expected, atol=1e-5, rtol=1e-5)
    assert moved.check_equivariance()  # runs on the module's device
