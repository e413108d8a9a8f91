"""The torch.library custom ops: opcheck, torch.compile and the registry."""

from __future__ import annotations

import pytest
import torch

from semiconv_nd._geometry import resolve_geometry
from semiconv_nd.ops import custom_ops
from semiconv_nd.ops.layout import to_kernel_layout
from semiconv_nd.ops.registry import lookup, register
from semiconv_nd.semifields.select import SelectSemifield
from semiconv_nd.semifields.subtract import SubtractSemifield


def _layout_args(semifield, img, krn, **kwargs):
    layout = to_kernel_layout(img, krn, resolve_geometry(img, krn, **kwargs))
    key = register(semifield.compiled_spec())
    # Leaf tensors, as opcheck reads their .grad.
    image = layout.image.detach().requires_grad_(img.requires_grad)
    kernel = layout.kernel.detach().requires_grad_(krn.requires_grad)
    return (image, kernel, key, layout.geo, layout.output_size, 128, 16)


@pytest.mark.parametrize(
    "semifield",
    [SelectSemifield.tropical_max(), SelectSemifield.tropical_min_negated()],
    ids=["tmax", "tmin"],
)
def test_opcheck_select(semifield):
    img = torch.randn(2, 4, 6, 7, dtype=torch.float64, requires_grad=True)
    krn = torch.randn(4, 2, 3, 2, dtype=torch.float64, requires_grad=True)
    args = _layout_args(semifield, img, krn, groups=2, padding=1, stride=(1, 2))
    torch.library.opcheck(torch.ops.semiconv_nd.select_conv.default, args)


@pytest.mark.parametrize(
    "semifield",
    [SubtractSemifield.linear(), SubtractSemifield.root(2.0), SubtractSemifield.log(-1.0)],
    ids=["linear", "root2", "log-1"],
)
def test_opcheck_subtract(semifield):
    img = (torch.rand(2, 2, 5, 6, dtype=torch.float64) + 0.5).requires_grad_()
    krn = (torch.rand(2, 1, 3, 3, dtype=torch.float64) + 0.5).requires_grad_()
    args = _layout_args(semifield, img, krn, groups=2, padding="same", kind="corr")
    torch.library.opcheck(torch.ops.semiconv_nd.subtract_conv.default, args)


def test_opcheck_backward_ops():
    img = torch.randn(1, 2, 7, dtype=torch.float64)
    krn = torch.randn(2, 1, 3, dtype=torch.float64)
    args = _layout_args(SelectSemifield.tropical_max(), img, krn, groups=2)
    out, prov = custom_ops.select_conv(*args)
    grad = torch.randn_like(out)
    torch.library.opcheck(
        torch.ops.semiconv_nd.select_conv_backward.default,
        (grad, prov, args[0], args[1], args[2], args[3], list(args[0].shape), 128, 16),
    )
    sub_args = _layout_args(SubtractSemifield.log(1.0), img, krn, groups=2)
    out = custom_ops.subtract_conv(*sub_args)
    torch.library.opcheck(
        torch.ops.semiconv_nd.subtract_conv_backward.default,
        (grad, sub_args[0], sub_args[1], out, sub_args[2], sub_args[3], 128, 16),
    )


def test_select_saves_only_the_provenance_and_kernel():
    img = torch.randn(2, 3, 16, 16, requires_grad=True)
    krn = torch.randn(3, 1, 5, 5, requires_grad=True)
    saved = []

    def pack(tensor):
        saved.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        SelectSemifield.tropical_max().dynamic()(img, krn, groups=3, padding="same")
    big = [t for t in saved if t.numel() > krn.numel()]
    assert len(big) == 1
    assert big[0].dtype == torch.uint8
    assert big[0].shape == (2, 3, 1, 16, 16)


class _Closing(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.kernel = torch.nn.Parameter(-torch.rand(3, 1, 3, 3))
        self.dilation = SelectSemifield.tropical_max().lazy_fixed()
        self.erosion = SelectSemifield.tropical_min_negated().lazy_fixed()
        self.log = SubtractSemifield.log(1.0).dynamic()

    def forward(self, x):
        y = self.dilation(x, self.kernel, groups=3, padding="same")
        y = self.erosion(y, self.kernel, groups=3, padding="same", kind="corr")
        return self.log(y, self.kernel, groups=3, padding="same")


def test_torch_compile_fullgraph_matches_eager():
    torch._dynamo.reset()
    model = _Closing()
    x = torch.randn(2, 3, 10, 9, requires_grad=True)
    eager = model(x)
    (eager_grad,) = torch.autograd.grad(eager.sum(), x)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    out = compiled(x)
    (grad,) = torch.autograd.grad(out.sum(), x)
    torch.testing.assert_close(out, eager)
    torch.testing.assert_close(grad, eager_grad)


def test_registry_shares_compiled_code_by_cache_name():
    first = SelectSemifield.tropical_max()
    key = register(first.compiled_spec())
    assert register(SelectSemifield.tropical_max().compiled_spec()) == key
    assert lookup(key).spec.source == first
    assert lookup(key).sign == 1
    root_key = register(SubtractSemifield.root(2).compiled_spec())
    assert root_key == "subtract/_root_2.0"
    assert (lookup(root_key).mode, lookup(root_key).param) == (1, 2.0)
    with pytest.raises(KeyError, match="not registered"):
        lookup("select/nothing")
    with pytest.raises(TypeError, match="semifield"):
        register(object())


def test_unsupported_device_is_rejected_clearly():
    img = torch.zeros(1, 1, 5, device="meta")
    krn = torch.zeros(1, 1, 3, device="meta")
    args = _layout_args(SelectSemifield.tropical_max(), img, krn)
    with pytest.raises(ValueError, match="device"):
        custom_ops._backend(args[0])


def test_torch_compile_dynamic_batch_does_not_recompile():
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    counters.clear()
    dilation = SelectSemifield.tropical_max().lazy_fixed()
    log = SubtractSemifield.log(1.0).dynamic()
    krn = torch.randn(3, 1, 3, 3, requires_grad=True)

    def model(x):
        return log(dilation(x, krn, groups=3, padding="same"), krn, groups=3)

    compiled = torch.compile(model, fullgraph=True, backend="aot_eager", dynamic=True)
    graphs = []
    for batch in (2, 3, 5):
        x = torch.randn(batch, 3, 8, 8, requires_grad=True)
        out = compiled(x)
        out.sum().backward()
        torch.testing.assert_close(out, model(x))
        graphs.append(counters["stats"]["unique_graphs"])
    # The lazy module's first call (which pins its geometry) may trace once more; after that,
    # new batch sizes reuse the graph.
    assert graphs[-1] == graphs[-2]


@pytest.mark.parametrize(
    "semifield",
    [
        SelectSemifield.tropical_max(),
        SubtractSemifield.linear(),
        SubtractSemifield.root(2.5),
        SubtractSemifield.log(-1.0),
    ],
    ids=["tmax", "linear", "root2.5", "log-1"],
)
def test_threaded_ranges_match_one_thread(monkeypatch, semifield):
    """The CPU kernels split into several threads' ranges give the one-thread results."""
    from semiconv_nd._cpu import threads

    img = (torch.rand(3, 4, 9, 10, dtype=torch.float64) + 0.5).requires_grad_()
    krn = (torch.rand(4, 2, 3, 2, dtype=torch.float64) + 0.5).requires_grad_()
    conv = semifield.dynamic()
    kwargs = {"groups": 2, "padding": "same", "stride": (1, 2)}

    def run():
        out = conv(img, krn, **kwargs)
        return (out, *torch.autograd.grad(out.square().sum(), (img, krn)))

    one = run()
    monkeypatch.setattr(threads, "MIN_WORK_PER_THREAD", 1)
    monkeypatch.setattr(threads.torch, "get_num_threads", lambda: 3)
    assert threads.thread_count(12, 1) == 3
    several = run()
    torch.testing.assert_close(several[0], one[0], rtol=0, atol=0)
    torch.testing.assert_close(several[1], one[1], rtol=0, atol=0)  # disjoint image ranges
    torch.testing.assert_close(several[2], one[2])  # kernel copies summed in another order
