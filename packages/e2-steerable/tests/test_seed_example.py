"""The seed doc's example network: runs unchanged, exports exactly, trains, pickles, runs in bf16
and compiles."""

from __future__ import annotations

import io
import pickle

import pytest
import torch

import e2_steerable
from e2_steerable.nn import *  # noqa: F403  (the seed example uses the bare names)
from e2_steerable.nn import EquivariantModule, GeometricTensor, SequentialModule


def build_seed_net() -> tuple[SequentialModule, object]:
    """The seed doc's network, verbatim except for the import name."""
    s = e2_steerable.gspaces.Rot2dOnR2(8)
    c_in = e2_steerable.nn.FieldType(s, [s.trivial_repr] * 3)
    c_hid = e2_steerable.nn.FieldType(s, [s.regular_repr] * 3)
    c_out = e2_steerable.nn.FieldType(s, [s.regular_repr] * 1)
    net = SequentialModule(
        R2Conv(c_in, c_hid, 5, bias=False),  # noqa: F405
        InnerBatchNorm(c_hid),  # noqa: F405
        ReLU(c_hid, inplace=True),  # noqa: F405
        PointwiseMaxPool(c_hid, kernel_size=3, stride=2, padding=1),  # noqa: F405
        R2Conv(c_hid, c_out, 3, bias=False),  # noqa: F405
        InnerBatchNorm(c_out),  # noqa: F405
        ELU(c_out, inplace=True),  # noqa: F405
        GroupPooling(c_out),  # noqa: F405
    )
    return net, c_in


def _train(net: SequentialModule, c_in: object, steps: int = 3) -> None:
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for _ in range(steps):
        x = GeometricTensor(torch.randn(6, 3, 31, 31), c_in)
        loss = net(x).tensor.pow(2).mean() - net(x).tensor.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_seed_example_as_written() -> None:
    net, c_in = build_seed_net()
    # train the model
    # ...
    # export the model
    net.eval()
    net_exported = net.export()
    assert [type(m).__name__ for m in net_exported] == [
        "Conv2d",
        "BatchNorm2d",
        "ReLU",
        "MaxPool2d",
        "Conv2d",
        "BatchNorm2d",
        "ELU",
        "MaxPoolChannels",
    ]
    assert repr(net_exported[7]) == "MaxPoolChannels(kernel_size=8)"
    # check that the two models are equivalent
    x = torch.randn(10, c_in.size, 31, 31)
    x = GeometricTensor(x, c_in)
    y1 = net(x).tensor
    y2 = net_exported(x.tensor)
    assert torch.allclose(y1, y2)
    assert y1.shape == (10, 1, 12, 12)


def test_export_after_training_and_plain_torch() -> None:
    net, c_in = build_seed_net()
    _train(net, c_in)
    net.eval()
    exported = net.export()
    assert not any(isinstance(m, EquivariantModule) for m in exported.modules())
    x = torch.randn(4, 3, 31, 31)
    with torch.no_grad():
        diff = (net(GeometricTensor(x, c_in)).tensor - exported(x)).abs().max()
    assert diff <= 1e-6
    bn = net[1] if hasattr(net, "__getitem__") else net._modules["1"]
    assert int(bn.num_batches_tracked) == 6  # two forwards per step
    program = torch.export.export(exported, (x,))
    torch.testing.assert_close(program.module()(x), exported(x))


def test_state_dict_same_in_train_and_eval() -> None:
    net, c_in = build_seed_net()
    fresh = net.state_dict()
    net.eval()
    evaluated = net.state_dict()
    net.train()
    back = net.state_dict()
    assert list(fresh) == list(evaluated) == list(back)
    for key, value in fresh.items():
        torch.testing.assert_close(value, evaluated[key])
    # only parameters and BN statistics
    params = {n for n, _ in net.named_parameters()}
    stats = {
        k
        for k in fresh
        if k.rsplit(".", 1)[-1] in ("running_mean", "running_var", "num_batches_tracked")
    }
    assert set(fresh) == params | stats
    # cross-mode strict loading works, and a loaded eval model uses the loaded weights
    other, _ = build_seed_net()
    other.eval()
    x = GeometricTensor(torch.randn(2, 3, 31, 31), c_in)
    _ = other(x)  # populate any eval-mode cache before loading
    net.eval()
    other.load_state_dict(net.state_dict(), strict=True)
    torch.testing.assert_close(other(x).tensor, net(x).tensor)


def test_pickle_and_torch_save_round_trip() -> None:
    net, c_in = build_seed_net()
    _train(net, c_in, steps=1)
    net.eval()
    x = GeometricTensor(torch.randn(2, 3, 31, 31), c_in)
    expected = net(x).tensor
    back = pickle.loads(pickle.dumps(net))
    torch.testing.assert_close(back(x).tensor, expected)
    buffer = io.BytesIO()
    torch.save(net, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    torch.testing.assert_close(loaded(x).tensor, expected)


def test_bf16_forward() -> None:
    net, c_in = build_seed_net()
    net.eval()
    x = torch.randn(2, 3, 31, 31)
    reference = net(GeometricTensor(x, c_in)).tensor
    low = net.to(torch.bfloat16)
    out = low(GeometricTensor(x.to(torch.bfloat16), c_in)).tensor
    assert out.dtype == torch.bfloat16
    assert torch.isfinite(out).all()
    rel = (out.float() - reference).norm() / reference.norm()
    assert rel < 5e-2
    exported = low.export()
    torch.testing.assert_close(exported(x.to(torch.bfloat16)), out)


@pytest.mark.parametrize("training", [True, False])
def test_compile_fullgraph(training: bool) -> None:
    net, c_in = build_seed_net()
    net.train(training)
    reference, _ = build_seed_net()
    reference.load_state_dict(net.state_dict())
    reference.train(training)
    x = GeometricTensor(torch.randn(2, 3, 31, 31), c_in)
    compiled = torch.compile(net, fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(x).tensor, reference(x).tensor, atol=1e-5, rtol=1e-5)
    torch._dynamo.reset()


def test_seed_net_equivariance_exact_elements() -> None:
    net, _c_in = build_seed_net()
    net.eval()
    results = net.check_equivariance(atol=1e-6, rtol=1e-5, dtype=torch.float32)
    assert len(results) == 4  # the multiples of 90 degrees in C8
    assert max(err for _, err in results) <= 1e-6


def test_seed_net_on_device_matches_cpu(device: torch.device) -> None:
    net, c_in = build_seed_net()
    _train(net, c_in, steps=1)
    net.eval()
    x = torch.randn(2, 3, 31, 31)
    expected = net(GeometricTensor(x, c_in)).tensor
    net.to(device)
    got = net(GeometricTensor(x.to(device), c_in)).tensor
    torch.testing.assert_close(got.cpu(), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(net.export()(x.to(device)).cpu(), expected, atol=1e-5, rtol=1e-5)
