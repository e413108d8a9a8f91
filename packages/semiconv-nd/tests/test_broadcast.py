"""BroadcastSemifield: agreement with torch ops, gradcheck, torch.compile, memory and bad input."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from reference_helpers import POSITIVE_DOMAIN, SEMIFIELDS, our_module, tie_free_inputs

from semiconv_nd import BroadcastSemifield, GenericConv, LearnedKernel2D
from semiconv_nd._geometry import resolve_geometry

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("kind", ["conv", "corr"])
def test_linear_matches_torch_conv(device, ndim: int, kind: str) -> None:
    img = torch.randn(2, 4, *[7] * ndim, device=device)
    kernel = torch.randn(6, 2, *[3] * ndim, device=device)
    ours = BroadcastSemifield.linear().dynamic()(
        img, kernel, stride=2, padding=1, dilation=2, groups=2, kind=kind
    )
    weight = kernel.flip(tuple(range(2, 2 + ndim))) if kind == "conv" else kernel
    expected = CONV[ndim](img, weight, stride=2, padding=1, dilation=2, groups=2)
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize(("k", "stride", "padding", "dilation"), [(3, 1, 1, 1), (2, 2, 0, 2)])
def test_flat_tropical_max_is_max_pooling(device, ndim, k, stride, padding, dilation) -> None:
    img = torch.randn(2, 3, *[8] * ndim, device=device)
    kernel = torch.zeros(3, 1, *[k] * ndim, device=device)
    ours = BroadcastSemifield.tropical_max().dynamic()(
        img, kernel, stride=stride, padding=padding, dilation=dilation, groups=3
    )
    expected = POOL[ndim](img, k, stride, padding, dilation)
    assert torch.equal(ours, expected)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_flat_tropical_min_is_min_pooling(ndim) -> None:
    img = torch.randn(1, 2, *[6] * ndim)
    kernel = torch.zeros(2, 1, *[3] * ndim)
    ours = BroadcastSemifield.tropical_min_negated().dynamic()(img, kernel, padding=1, groups=2)
    assert torch.equal(ours, -POOL[ndim](-img, 3, 1, 1))


GRADCHECK = [
    ((1, 2, 7), (2, 2, 3), {"padding": ((1, 2),), "stride": 2}),
    ((1, 4, 5, 6), (4, 2, 2, 3), {"groups": 2, "padding": "same", "kind": "corr"}),
    ((1, 2, 5, 4), (2, 1, 3, 2), {"groups": 2, "group_broadcasting": True, "dilation": (2, 1)}),
    ((1, 2, 4, 3, 4), (2, 2, 2, 2, 2), {"padding": (1, 0, 1)}),
]


@pytest.mark.parametrize("name", list(SEMIFIELDS))
@pytest.mark.parametrize(("img_shape", "kernel_shape", "kwargs"), GRADCHECK)
def test_gradcheck_float64(device, name, img_shape, kernel_shape, kwargs) -> None:
    img, kernel = tie_free_inputs(
        img_shape, kernel_shape, name in POSITIVE_DOMAIN, torch.float64, device
    )
    module = our_module(name)
    img.requires_grad_(True)
    kernel.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x, g: module(x, g, **kwargs), (img, kernel))


@pytest.mark.parametrize("name", ["tropical_max", "log_1", "root_3", "linear"])
def test_chunking_does_not_change_results(name) -> None:
    ctor, args, kw = SEMIFIELDS[name]
    semifield = getattr(BroadcastSemifield, ctor)(*args, **kw)
    img, kernel = tie_free_inputs((3, 4, 9, 8), (4, 2, 3, 3), name in POSITIVE_DOMAIN)
    kwargs = {"groups": 2, "padding": "same", "stride": (2, 1)}
    results = []
    for module in (semifield.dynamic(), semifield.dynamic(chunk_elements=5)):
        x, g = img.clone().requires_grad_(True), kernel.clone().requires_grad_(True)
        out = module(x, g, **kwargs)
        out.backward(torch.cos(torch.arange(out.numel(), dtype=out.dtype)).view(out.shape))
        results.append((out, x.grad, g.grad))
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_user_semifield_product_stays_within_the_byte_budget() -> None:
    largest = []

    def multiply(img: torch.Tensor, krn: torch.Tensor) -> torch.Tensor:
        product = img + krn
        largest.append(product.numel() * product.element_size())
        return product

    semifield = BroadcastSemifield(lambda a, d: torch.amax(a, dim=d), multiply, -math.inf)
    budget = 64 * 1024
    img = torch.randn(4, 8, 32, 32, requires_grad=True)
    kernel = torch.randn(8, 1, 5, 5, requires_grad=True)
    out = semifield.dynamic(chunk_bytes=budget)(img, kernel, padding="same", groups=8)
    out.sum().backward()
    full = 4 * 8 * 25 * 32 * 32 * 4
    assert len(largest) > 2  # several blocks, forward and backward
    assert max(largest) <= budget < full
    expected = BroadcastSemifield.tropical_max().dynamic()(img, kernel, padding="same", groups=8)
    assert torch.equal(out, expected)


def test_tropical_saves_only_small_indices_for_backward() -> None:
    saved: list[torch.Tensor] = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        saved.append(tensor)
        return tensor

    img = torch.randn(2, 8, 32, 32, requires_grad=True)
    kernel = torch.randn(8, 1, 7, 7, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = BroadcastSemifield.tropical_max().dynamic()(img, kernel, padding="same", groups=8)
    saved_bytes = sum(t.numel() * t.element_size() for t in saved)
    assert saved_bytes <= out.numel()  # one uint8 tap index per output
    out.sum().backward()
    assert torch.equal(kernel.grad.sum(dim=(1, 2, 3)), torch.full((8,), 2.0 * 32 * 32))


def test_log_with_windows_entirely_in_the_padding_has_no_nan() -> None:
    # The original's kernel gradient is NaN for such windows (logsumexp of -inf only).
    img = torch.randn(1, 1, 4, requires_grad=True)
    kernel = torch.randn(1, 1, 2, requires_grad=True)
    for mu in (1.0, -2.0):
        out = BroadcastSemifield.log(mu).dynamic()(img, kernel, padding=((3, 0),))
        assert out[0, 0, 0].item() == (-math.inf if mu > 0 else math.inf)
        out[..., 2:].sum().backward()
        assert torch.isfinite(img.grad).all()
        assert torch.isfinite(kernel.grad).all()
        img.grad = kernel.grad = None


def test_negative_root_pads_with_infinity() -> None:
    # R_p with p < 0 has zero +inf: border taps contribute nothing (the original padded with
    # float32 eps, collapsing every border output to about 7e-8).
    p = -2.0
    img = torch.rand(1, 1, 6, dtype=torch.float64) + 0.5
    kernel = torch.rand(1, 1, 3, dtype=torch.float64) + 0.5
    out = BroadcastSemifield.root(p).dynamic()(img, kernel, padding=1, kind="corr")
    x, g = img[0, 0], kernel[0, 0]
    expected = []
    for i in range(6):
        terms = [(x[i + t - 1] * g[t]) ** p for t in range(3) if 0 <= i + t - 1 < 6]
        expected.append(sum(terms) ** (1 / p))
    torch.testing.assert_close(out[0, 0], torch.stack(expected))


@pytest.mark.parametrize(
    ("ctor", "value", "error"),
    [
        ("root", 0.0, ValueError),
        ("root", math.nan, ValueError),
        ("root", math.inf, ValueError),
        ("log", 0, ValueError),
        ("log", -math.inf, ValueError),
        ("log", "1", TypeError),
    ],
)
def test_semifield_parameters_outside_their_domain_are_rejected(ctor, value, error) -> None:
    name = "p" if ctor == "root" else "mu"
    with pytest.raises(error, match=name):
        getattr(BroadcastSemifield, ctor)(value)


def test_bad_module_arguments() -> None:
    conv = BroadcastSemifield.tropical_max().dynamic(unfold_copy=True)
    with pytest.raises(ValueError, match="unfold_copy"):
        conv(torch.zeros(1, 1, 5), torch.zeros(1, 1, 3))
    with pytest.raises(ValueError, match="chunk_elements"):
        BroadcastSemifield.linear().dynamic(chunk_elements=0)
    with pytest.raises(TypeError, match="dtype"):
        BroadcastSemifield.linear().dynamic()(torch.zeros(1, 1, 5), torch.zeros(1, 1, 3).double())
    with pytest.raises(ValueError, match="kernel"):
        BroadcastSemifield.linear().dynamic()(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3))


def test_user_semifield_with_wrong_reduction_is_reported() -> None:
    semifield = BroadcastSemifield(lambda a, d: a.sum(dim=3), lambda x, g: x * g, 0.0)
    with pytest.raises(ValueError, match="add_reduce"):
        semifield.dynamic()(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3))


# Dynamo itself instantiates torch.autograd.Function inside warnings.catch_warnings(record=True)
# when it traces any autograd.Function; with filterwarnings=error that internal warning escapes.
DYNAMO_FUNCTION_WARNING = (
    "ignore:<class 'torch.autograd.function.Function'> should not be instantiated"
    ":DeprecationWarning"
)


COMPILED_SEMIFIELDS = {
    "tropical_max": BroadcastSemifield.tropical_max(),
    "log": BroadcastSemifield.log(1.5),
    "user_defined": BroadcastSemifield(lambda a, d: a.sum(dim=d), lambda x, g: x * g.exp(), 0.0),
}


@pytest.mark.filterwarnings(DYNAMO_FUNCTION_WARNING)
@pytest.mark.parametrize("name", list(COMPILED_SEMIFIELDS))
def test_torch_compile_fullgraph_matches_eager(name) -> None:
    # aot_eager traces the forward and the backward graphs without generating code.
    torch._dynamo.reset()
    model = GenericConv(
        LearnedKernel2D(1, 4, 3),
        COMPILED_SEMIFIELDS[name].dynamic(),
        padding="same",
        stride=2,
        groups=4,
    )
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    img = torch.randn(2, 4, 9, 9, requires_grad=True)
    out = compiled(img)
    torch.testing.assert_close(out, model(img))
    out.sum().backward()
    grads = (img.grad.clone(), model.kernel.kernel.grad.clone())
    img.grad = model.kernel.kernel.grad = None
    model(img).sum().backward()
    torch.testing.assert_close(grads[0], img.grad)
    torch.testing.assert_close(grads[1], model.kernel.kernel.grad)


@pytest.mark.slow
@pytest.mark.filterwarnings(DYNAMO_FUNCTION_WARNING)
# Inductor's CPU backend calls the deprecated torch.jit.script_method internally (torch 2.13).
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_torch_compile_inductor_fullgraph() -> None:
    torch._dynamo.reset()
    model = GenericConv(
        LearnedKernel2D(2, 4, 3), BroadcastSemifield.log(2.0).dynamic(), padding=1, groups=2
    )
    compiled = torch.compile(model, fullgraph=True)
    img = torch.randn(2, 4, 8, 8)
    torch.testing.assert_close(compiled(img), model(img))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", list(SEMIFIELDS))
def test_cuda_matches_cpu(name) -> None:
    img, kernel = tie_free_inputs((2, 4, 9, 8), (4, 2, 3, 3), name in POSITIVE_DOMAIN)
    module = our_module(name)
    kwargs = {"groups": 2, "padding": "same", "stride": (1, 2)}
    cpu = module(img, kernel, **kwargs)
    gpu = module(img.cuda(), kernel.cuda(), **kwargs)
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-5, atol=1e-5)


SMALL_CASES = {
    "2d-depthwise": ((2, 4, 16, 16), (4, 1, 3, 3), {"padding": "same", "groups": 4}),
    "2d-depthwise-k7": ((2, 4, 9, 9), (4, 1, 7, 7), {"padding": "same", "groups": 4}),
    "2d-broadcast": ((2, 4, 9, 11), (3, 2, 3, 2), {"groups": 2, "group_broadcasting": True}),
    "2d-stride": ((2, 4, 9, 11), (4, 2, 3, 2), {"groups": 2, "stride": (2, 3), "padding": 1}),
    "1d-corr": ((2, 3, 7), (2, 3, 3), {"padding": 1, "kind": "corr", "dilation": 2}),
    "3d": ((1, 3, 4, 5, 4), (2, 3, 2, 2, 2), {"padding": ((1, 0), (0, 1), (1, 1))}),
}
SMALL_SEMIFIELDS = {
    "linear": BroadcastSemifield.linear(),
    "root3": BroadcastSemifield.root(3.0),
    "root-1.5": BroadcastSemifield.root(-1.5),
    "log1": BroadcastSemifield.log(1.0),
    "log-2": BroadcastSemifield.log(-2.0),
}


@pytest.mark.parametrize("case", list(SMALL_CASES))
@pytest.mark.parametrize("name", list(SMALL_SEMIFIELDS))
def test_small_routes_equal_the_shift_engine(monkeypatch, name, case):
    """Small linear/root/log calls (all windows at once, or torch's conv) match the shift engine."""
    from semiconv_nd._shift import small

    img_shape, krn_shape, kwargs = SMALL_CASES[case]
    gen = torch.Generator().manual_seed(3)
    img = torch.rand(img_shape, dtype=torch.float64, generator=gen) + 0.25
    krn = torch.rand(krn_shape, dtype=torch.float64, generator=gen) + 0.25
    if name.startswith("log"):
        img, krn = 4 * img - 2, -krn
    img.requires_grad_()
    krn.requires_grad_()
    conv = SMALL_SEMIFIELDS[name].dynamic()
    assert small.is_small(img, resolve_geometry(img, krn, **kwargs))
    out = conv(img, krn, **kwargs)
    grads = torch.autograd.grad(out.square().sum(), (img, krn))
    monkeypatch.setattr(small, "SMALL_PRODUCTS", 0)  # force the shift engine
    shift_out = conv(img, krn, **kwargs)
    shift_grads = torch.autograd.grad(shift_out.square().sum(), (img, krn))
    torch.testing.assert_close(out, shift_out, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grads, shift_grads, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["linear", "root3", "log-2"])
def test_small_route_gradcheck(name):
    img = (torch.rand(1, 2, 5, 4, dtype=torch.float64) + 0.5).requires_grad_()
    krn = (torch.rand(2, 1, 3, 2, dtype=torch.float64) + 0.5).requires_grad_()
    conv = SMALL_SEMIFIELDS[name].dynamic()
    assert torch.autograd.gradcheck(
        lambda x, g: conv(x, g, padding="same", groups=2, stride=(1, 2)), (img, krn)
    )
