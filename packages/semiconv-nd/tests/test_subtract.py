"""SubtractSemifield (compiled CPU kernels): exactness, gradients, stability and user semifields."""

from __future__ import annotations

import math

import pytest
import torch

from semiconv_nd._vendor import grid
from semiconv_nd.semifields.subtract import SubtractSemifield

reference = pytest.importorskip("pytorch_nd_semiconv")

CASES = [
    ((2, 4, 11), (4, 1, 3), {"groups": 4, "padding": "same"}),
    ((2, 4, 12), (6, 2, 4), {"groups": 2, "stride": 2, "padding": ((2, 1),), "kind": "corr"}),
    ((2, 3, 9, 10), (3, 1, 3, 3), {"groups": 3, "padding": "same"}),
    (
        (2, 4, 10, 11),
        (6, 2, 4, 3),
        {"groups": 2, "stride": (2, 1), "dilation": (1, 2), "padding": (1, 2)},
    ),
    ((2, 6, 9, 9), (2, 3, 3, 3), {"groups": 2, "group_broadcasting": True}),
    (
        (1, 2, 6, 7, 5),
        (2, 1, 3, 2, 3),
        {
            "groups": 2,
            "padding": ((1, 1), (0, 1), (2, 0)),
            "stride": (1, 2, 1),
            "dilation": (2, 1, 1),
        },
    ),
]
IDS = [f"{len(c[0]) - 2}d-{i}" for i, c in enumerate(CASES)]
# (constructor name, argument): positive inputs suit every one of them.
SEMIFIELDS = [("linear", None), ("root", 3.0), ("root", 1.5), ("log", 1.0), ("log", -4.0)]
SF_IDS = [f"{n}{'' if a is None else a}" for n, a in SEMIFIELDS]


def _make(cls: type, name: str, arg: float | None):
    return getattr(cls, name)() if arg is None else getattr(cls, name)(arg)


def _inputs(img_shape, krn_shape, dtype=torch.float64):
    img = (torch.rand(img_shape, dtype=dtype) + 0.5).requires_grad_()
    krn = (torch.rand(krn_shape, dtype=dtype) + 0.5).requires_grad_()
    return img, krn


def _run(conv, img, krn, kwargs):
    out = conv(img, krn, **kwargs)
    grad_out = torch.linspace(-1.0, 2.0, out.numel(), dtype=out.dtype).reshape(out.shape)
    return out, *torch.autograd.grad(out, (img, krn), grad_out)


class _ZeroPadded(torch.nn.Module):
    """Call a convolution on an explicitly zero-padded image.

    The original's broadcast root pads with float32 eps; the compiled kernels skip the padding,
    which for p > 0 equals padding with the zero 0.
    """

    def __init__(self, conv: torch.nn.Module) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, img, krn, padding=0, dilation=1, **kwargs):
        n = img.dim() - 2
        pairs = grid.resolve_padding(padding, tuple(krn.shape[2:]), dilation, ndim=n)
        flat = [v for pair in reversed(pairs) for v in pair]
        return self.conv(torch.nn.functional.pad(img, flat), krn, dilation=dilation, **kwargs)


@pytest.mark.parametrize(("name", "arg"), SEMIFIELDS, ids=SF_IDS)
@pytest.mark.parametrize(("img_shape", "krn_shape", "kwargs"), CASES, ids=IDS)
def test_matches_original_broadcast(name, arg, img_shape, krn_shape, kwargs):
    img, krn = _inputs(img_shape, krn_shape)
    ours = _run(_make(SubtractSemifield, name, arg).dynamic(), img, krn, kwargs)
    original = _make(reference.BroadcastSemifield, name, arg).dynamic()
    theirs = _run(_ZeroPadded(original) if name == "root" else original, img, krn, kwargs)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("name", "arg"), [("log", 1.0), ("root", 3.0)], ids=["log1", "root3"])
@pytest.mark.parametrize(("img_shape", "krn_shape", "kwargs"), CASES[1:4], ids=IDS[1:4])
def test_float32_matches_original_broadcast(name, arg, img_shape, krn_shape, kwargs):
    img, krn = _inputs(img_shape, krn_shape, torch.float32)
    ours = _run(_make(SubtractSemifield, name, arg).dynamic(), img, krn, kwargs)
    theirs = _run(_make(reference.BroadcastSemifield, name, arg).dynamic(), img, krn, kwargs)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("name", "arg"), SEMIFIELDS, ids=SF_IDS)
@pytest.mark.parametrize(("img_shape", "krn_shape", "kwargs"), CASES[::2], ids=IDS[::2])
def test_matches_package_broadcast(name, arg, img_shape, krn_shape, kwargs):
    broadcast = pytest.importorskip("semiconv_nd.semifields.broadcast")
    img, krn = _inputs(img_shape, krn_shape)
    ours = _run(_make(SubtractSemifield, name, arg).dynamic(), img, krn, kwargs)
    theirs = _run(_make(broadcast.BroadcastSemifield, name, arg).dynamic(), img, krn, kwargs)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("name", "arg"), SEMIFIELDS, ids=SF_IDS)
@pytest.mark.parametrize(("img_shape", "krn_shape", "kwargs"), CASES[1::2], ids=IDS[1::2])
def test_gradcheck_float64(name, arg, img_shape, krn_shape, kwargs):
    img, krn = _inputs(img_shape, krn_shape)
    conv = _make(SubtractSemifield, name, arg).dynamic()
    assert torch.autograd.gradcheck(lambda i, k: conv(i, k, **kwargs), (img, krn), fast_mode=True)


@pytest.mark.parametrize("kind", ["conv", "corr"])
def test_linear_equals_torch_convolution(kind):
    img = torch.randn(2, 6, 9, 8, dtype=torch.float64)
    krn = torch.randn(4, 3, 3, 2, dtype=torch.float64)
    ours = SubtractSemifield.linear().dynamic()(img, krn, groups=2, padding=1, stride=2, kind=kind)
    weight = krn.flip(2, 3) if kind == "conv" else krn
    expected = torch.nn.functional.conv2d(img, weight, groups=2, padding=1, stride=2)
    torch.testing.assert_close(ours, expected)


@pytest.mark.parametrize("mu", [2.0, -2.0])
def test_log_is_stable_for_large_values(mu):
    # mu * (x + g) reaches +-120: exp overflows float32 without the max shift.
    img = torch.linspace(-60.0, 60.0, 2 * 3 * 40).reshape(2, 3, 40).requires_grad_()
    krn = torch.randn(3, 1, 5).requires_grad_()
    out = SubtractSemifield.log(mu).dynamic()(img, krn, groups=3, kind="corr")
    windows = img.double().unfold(2, 5, 1) + krn.double()[None, :, 0, None, :]
    expected = torch.logsumexp(mu * windows, dim=-1) / mu
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out.double(), expected, rtol=1e-6, atol=1e-5)
    out.sum().backward()
    assert torch.isfinite(img.grad).all()
    assert torch.isfinite(krn.grad).all()
    torch.testing.assert_close(krn.grad.sum(), torch.tensor(float(out.numel())))


def test_root_with_negative_power_skips_the_padding():
    img, krn = _inputs((1, 1, 6), (1, 1, 3))
    out = SubtractSemifield.root(-2.0).dynamic()(img, krn, padding=1, kind="corr")
    padded = torch.nn.functional.pad(img, (1, 1), value=math.inf)  # inf^-2 = 0: skipped
    windows = padded.unfold(2, 3, 1) * krn[0, 0]
    torch.testing.assert_close(out, windows.pow(-2.0).sum(-1).pow(-0.5))


def _user_linear(cache_name: str | None = None) -> SubtractSemifield:
    return SubtractSemifield(
        add=lambda acc, val: acc + val,
        times=lambda i, k: i * k,
        d_times_d_img=lambda i, k: k,
        d_times_d_kernel=lambda i, k: i,
        subtract=lambda res, val: res - val,
        d_add_d_right=lambda acc, val: 1.0,
        zero=0.0,
        cache_name=cache_name,
    )


def _user_root(p: float) -> SubtractSemifield:
    return SubtractSemifield(
        add=lambda acc, val: acc + val,
        times=lambda i, k: (i * k) ** p,
        d_times_d_img=lambda i, k: p * (i * k) ** (p - 1.0) * k,
        d_times_d_kernel=lambda i, k: p * (i * k) ** (p - 1.0) * i,
        subtract=lambda res, val: res - val,
        d_add_d_right=lambda acc, val: 1.0,
        zero=0.0,
        cache_name=f"test_user_root_{p}",
        post_sum=lambda acc: acc ** (1.0 / p),
        undo_post_sum=lambda res: res**p,
        d_post_d_acc=lambda acc: acc ** (1.0 / p - 1.0) / p,
    )


ANONYMOUS_LINEAR = _user_linear()


@pytest.mark.parametrize(("img_shape", "krn_shape", "kwargs"), CASES[1:5], ids=IDS[1:5])
def test_user_defined_semifields_match_builtins(img_shape, krn_shape, kwargs):
    img, krn = _inputs(img_shape, krn_shape)
    for user, builtin in [
        (ANONYMOUS_LINEAR, SubtractSemifield.linear()),
        (_user_root(3.0), SubtractSemifield.root(3.0)),
    ]:
        ours = _run(user.dynamic(), img, krn, kwargs)
        expected = _run(builtin.dynamic(), img, krn, kwargs)
        for a, b in zip(ours, expected):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_user_defined_semifield_gradcheck():
    img, krn = _inputs((1, 2, 6, 5), (2, 1, 2, 3))
    conv = _user_root(2.0).lazy_fixed()
    assert torch.autograd.gradcheck(
        lambda i, k: conv(i, k, groups=2, padding="same"), (img, krn), fast_mode=True
    )


def test_semifield_arguments_are_validated():
    with pytest.raises(ValueError, match="p"):
        SubtractSemifield.root(0.0)
    with pytest.raises(ValueError, match="mu"):
        SubtractSemifield.log(math.inf)
    with pytest.raises(TypeError, match="mu"):
        SubtractSemifield.log("1")
    partial = _user_linear("test_partial_post")._replace(post_sum=lambda acc: acc)
    with pytest.raises(ValueError, match="post_sum"):
        partial.dynamic()
    not_callable = _user_linear("test_not_callable")._replace(times=3.0)
    with pytest.raises(TypeError, match="times"):
        not_callable.dynamic()


def test_uncompilable_operators_raise_a_clear_error():
    semifield = _user_linear()._replace(times=lambda i, k: str(i))
    with pytest.raises(TypeError, match="numba"):
        semifield.dynamic()(torch.ones(1, 1, 3), torch.ones(1, 1, 2))


def test_builtin_cache_names_identify_parameters():
    assert SubtractSemifield.root(3) == SubtractSemifield.root(3.0)
    assert SubtractSemifield.log(1.0) != SubtractSemifield.log(2.0)
    assert SubtractSemifield.log(-0.5).cache_name == "_log_-0.5"
