"""SelectSemifield (compiled CPU kernels): exactness, gradients, ties, options and bad input."""

from __future__ import annotations

import math

import pytest
import torch

from semiconv_nd.semifields.select import SelectSemifield

reference = pytest.importorskip("pytorch_nd_semiconv")

# (image shape, kernel shape, keyword arguments): 1-D/2-D/3-D, every padding form, stride,
# dilation, groups, group broadcasting, conv/corr, odd and even kernels.
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
    ((1, 3, 8, 7), (2, 3, 2, 3), {"padding": ((0, 1), (2, 0)), "kind": "corr"}),
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
    ((2, 2, 5, 5, 5), (2, 2, 3, 3, 3), {"padding": 1, "stride": 2, "kind": "corr"}),
]
IDS = [f"{len(c[0]) - 2}d-{i}" for i, c in enumerate(CASES)]
SEMIFIELDS = ["tropical_max", "tropical_min_negated"]


def _inputs(
    img_shape: tuple[int, ...], krn_shape: tuple[int, ...], dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    img = torch.randn(img_shape, dtype=dtype, requires_grad=True)
    krn = torch.randn(krn_shape, dtype=dtype, requires_grad=True)
    return img, krn


def _run(conv: torch.nn.Module, img: torch.Tensor, krn: torch.Tensor, kwargs: dict) -> tuple:
    out = conv(img, krn, **kwargs)
    grad_out = torch.linspace(-1.0, 2.0, out.numel(), dtype=out.dtype).reshape(out.shape)
    grads = torch.autograd.grad(out, (img, krn), grad_out)
    return out, *grads


@pytest.mark.parametrize("name", SEMIFIELDS)
@pytest.mark.parametrize(("img_shape", "krn_shape", "kwargs"), CASES, ids=IDS)
def test_matches_original_broadcast(name, img_shape, krn_shape, kwargs):
    img, krn = _inputs(img_shape, krn_shape)
    ours = _run(getattr(SelectSemifield, name)().dynamic(), img, krn, kwargs)
    theirs = _run(getattr(reference.BroadcastSemifield, name)().dynamic(), img, krn, kwargs)
    assert torch.equal(ours[0], theirs[0])  # the same additions and maxima: bitwise equal
    torch.testing.assert_close(ours[1], theirs[1])
    torch.testing.assert_close(ours[2], theirs[2])


@pytest.mark.parametrize("name", SEMIFIELDS)
@pytest.mark.parametrize(("img_shape", "krn_shape", "kwargs"), CASES[::2], ids=IDS[::2])
def test_matches_package_broadcast(name, img_shape, krn_shape, kwargs):
    broadcast = pytest.importorskip("semiconv_nd.semifields.broadcast")
    img, krn = _inputs(img_shape, krn_shape, torch.float64)
    ours = _run(getattr(SelectSemifield, name)().dynamic(), img, krn, kwargs)
    theirs = _run(getattr(broadcast.BroadcastSemifield, name)().dynamic(), img, krn, kwargs)
    assert torch.equal(ours[0], theirs[0])
    for a, b in zip(ours[1:], theirs[1:]):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("name", SEMIFIELDS)
@pytest.mark.parametrize(("img_shape", "krn_shape", "kwargs"), CASES[1::2], ids=IDS[1::2])
def test_gradcheck_float64(name, img_shape, krn_shape, kwargs):
    img, krn = _inputs(img_shape, krn_shape, torch.float64)
    conv = getattr(SelectSemifield, name)().dynamic()
    assert torch.autograd.gradcheck(lambda i, k: conv(i, k, **kwargs), (img, krn), fast_mode=True)


def test_ties_give_the_gradient_to_the_first_tap_in_channel_then_axis_order():
    # A constant image and a flat kernel: every tap of every window ties.
    img = torch.zeros(1, 2, 4, 5, requires_grad=True)
    krn = torch.zeros(1, 2, 2, 3, requires_grad=True)
    out = SelectSemifield.tropical_max().dynamic()(img, krn, kind="corr")
    out.sum().backward()
    # The first tap of the window (channel 0, row 0, column 0) always wins ...
    expected_img = torch.zeros(1, 2, 4, 5)
    expected_img[0, 0, :3, :3] = 1.0
    assert torch.equal(img.grad, expected_img)
    expected_krn = torch.zeros(1, 2, 2, 3)
    expected_krn[0, 0, 0, 0] = out.numel()
    assert torch.equal(krn.grad, expected_krn)
    # ... and the original's broadcast path agrees.
    img2, krn2 = img.detach().clone().requires_grad_(), krn.detach().clone().requires_grad_()
    reference.BroadcastSemifield.tropical_max().dynamic()(img2, krn2, kind="corr").sum().backward()
    assert torch.equal(img.grad, img2.grad)
    assert torch.equal(krn.grad, krn2.grad)


def test_ties_with_conv_kind_follow_window_order_not_kernel_order():
    img = torch.tensor([[[0.0, 1.0, 1.0, 0.0]]], requires_grad=True)
    krn = torch.zeros(1, 1, 3, requires_grad=True)
    out = SelectSemifield.tropical_max().dynamic()(img, krn)
    out.sum().backward()
    # Both outputs see the tie 1 == 1 and pick the leftmost image position (index 1).
    assert img.grad.tolist() == [[[0.0, 2.0, 0.0, 0.0]]]
    # The first window uses kernel taps (2, 1, 0) on positions (0, 1, 2): position 1 -> tap 1;
    # the second window: position 1 -> tap 2.
    assert krn.grad.tolist() == [[[0.0, 1.0, 1.0]]]


def test_windows_entirely_in_the_padding_give_zero_and_no_gradient():
    img = torch.randn(1, 1, 3, requires_grad=True)
    krn = torch.zeros(1, 1, 2, requires_grad=True)
    out = SelectSemifield.tropical_max().dynamic()(img, krn, padding=((3, 0),))
    assert out[0, 0, 0].item() == -math.inf
    out[0, 0, 0].backward()
    assert torch.count_nonzero(img.grad) == 0
    assert torch.count_nonzero(krn.grad) == 0


def _user_tropical_max(cache_name: str | None = None) -> SelectSemifield:
    return SelectSemifield(
        add_select=lambda acc, val: acc < val,
        times=lambda i, k: i + k,
        d_times_d_img=lambda i, k: 1.0,
        d_times_d_kernel=lambda i, k: 1.0,
        zero=-math.inf,
        cache_name=cache_name,
    )


# One instance without a cache_name (compiled once for the process, kept by identity) and
# equal instances sharing a cache_name (compiled once for all of them).
ANONYMOUS_TROPICAL_MAX = _user_tropical_max()


@pytest.mark.parametrize("named", [False, True])
@pytest.mark.parametrize(("img_shape", "krn_shape", "kwargs"), CASES[2:5], ids=IDS[2:5])
def test_user_defined_semifield_matches_builtin(named, img_shape, krn_shape, kwargs):
    img, krn = _inputs(img_shape, krn_shape)
    semifield = _user_tropical_max("test_user_tropical_max") if named else ANONYMOUS_TROPICAL_MAX
    ours = _run(semifield.dynamic(), img, krn, kwargs)
    builtin = _run(SelectSemifield.tropical_max().dynamic(), img, krn, kwargs)
    for a, b in zip(ours, builtin):
        assert torch.equal(a, b)


def test_user_defined_semifield_with_value_dependent_derivatives():
    # Max of the products x * g: a select semifield whose derivatives read the values.
    semifield = SelectSemifield(
        add_select=lambda acc, val: acc < val,
        times=lambda i, k: i * k,
        d_times_d_img=lambda i, k: k,
        d_times_d_kernel=lambda i, k: i,
        zero=-math.inf,
    )
    img, krn = _inputs((2, 2, 7, 6), (2, 1, 3, 2), torch.float64)
    conv = semifield.dynamic()
    assert torch.autograd.gradcheck(
        lambda i, k: conv(i, k, groups=2, padding=1), (img, krn), fast_mode=True
    )
    windows = img.unfold(2, 3, 1).unfold(3, 2, 1)  # (B, C, oH, oW, 3, 2)
    expected = (windows * krn.flip(2, 3)[None, :, 0, None, None]).amax((-2, -1))
    torch.testing.assert_close(conv(img, krn, groups=2), expected)


def test_lazy_fixed_accepts_new_batch_sizes_only():
    conv = SelectSemifield.tropical_max().lazy_fixed()
    krn = torch.zeros(2, 1, 3, 3)
    conv(torch.randn(1, 2, 8, 8), krn, groups=2)
    assert conv(torch.randn(3, 2, 8, 8), krn, groups=2).shape == (3, 2, 6, 6)
    with pytest.raises(ValueError, match="input_size"):
        conv(torch.randn(1, 2, 9, 8), krn, groups=2)
    with pytest.raises(ValueError, match="padding"):
        conv(torch.randn(1, 2, 8, 8), krn, groups=2, padding=1)


@pytest.mark.parametrize("factory", ["dynamic", "lazy_fixed"])
def test_options_are_validated(factory):
    make = getattr(SelectSemifield.tropical_max(), factory)
    with pytest.raises(ValueError, match="to_extension"):
        make(to_extension=True)
    with pytest.raises(ValueError, match="thread_block_size"):
        make(thread_block_size=0)
    with pytest.raises(ValueError, match="kernel_inflation"):
        make(kernel_inflation=0)
    assert make(thread_block_size=64, kernel_inflation=4, debug=False) is not None


def test_debug_prints_the_geometry(capsys):
    conv = SelectSemifield.tropical_max().dynamic(debug=True)
    conv(torch.zeros(1, 1, 5), torch.zeros(1, 1, 3))
    assert "select/_tropical_max" in capsys.readouterr().out


def test_bad_and_unusual_input():
    conv = SelectSemifield.tropical_max().dynamic()
    with pytest.raises(TypeError, match="img"):
        conv(torch.zeros(1, 1, 5, dtype=torch.int64), torch.zeros(1, 1, 3, dtype=torch.int64))
    with pytest.raises(ValueError, match="spatial dimensions"):
        conv(torch.zeros(1, 1, 3, 3, 3, 3), torch.zeros(1, 1, 1, 1, 1, 1))
    # Non-contiguous inputs are made contiguous; half precision is computed in float32.
    img = torch.randn(2, 9, 8).transpose(1, 2)
    krn = torch.randn(3, 3, 8).transpose(1, 2)
    assert not img.is_contiguous()
    assert not krn.is_contiguous()
    out = conv(img, krn)
    expected = conv(img.contiguous(), krn.contiguous())
    assert torch.equal(out, expected)
    half = conv(img.half(), krn.half())
    assert half.dtype == torch.float16
    torch.testing.assert_close(half, conv(img.half().float(), krn.half().float()).half())


def test_large_windows_use_wider_provenance():
    # 2 channels x 13 x 13 = 338 taps per window: the provenance needs uint16.
    img, krn = _inputs((1, 2, 15, 14), (1, 2, 13, 13))
    ours = _run(SelectSemifield.tropical_max().dynamic(), img, krn, {})
    theirs = _run(reference.BroadcastSemifield.tropical_max().dynamic(), img, krn, {})
    assert torch.equal(ours[0], theirs[0])
    torch.testing.assert_close(ours[1], theirs[1])
    torch.testing.assert_close(ours[2], theirs[2])


def test_semifield_equality_and_hash_follow_cache_name():
    assert SelectSemifield.tropical_max() == SelectSemifield.tropical_max()
    assert hash(SelectSemifield.tropical_max()) == hash(SelectSemifield.tropical_max())
    assert SelectSemifield.tropical_max() != SelectSemifield.tropical_min_negated()
    anonymous = _user_tropical_max(None)
    assert anonymous == anonymous
    assert anonymous != _user_tropical_max(None)


@pytest.mark.parametrize("builtin", [True, False], ids=["builtin", "user"])
def test_nan_propagates_like_max_pool2d(builtin):
    img = torch.rand(2, 3, 7, 8, dtype=torch.float64)
    img[0, 1, 2, 3] = math.nan
    img[1, 2, 4, 4] = math.nan
    img[1, 2, 4, 5] = math.nan  # two NaN in one window: the last one takes the gradient
    img[1, 0, 6, 7] = math.nan  # on the border (padding)
    img.requires_grad_(True)
    semifield = (
        SelectSemifield.tropical_max() if builtin else _user_tropical_max("test_user_tropical_max")
    )
    kernel = torch.zeros(3, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    out = semifield.dynamic()(img, kernel, padding=1, stride=(1, 2), groups=3)
    ref_img = img.detach().clone().requires_grad_(True)
    ref = torch.nn.functional.max_pool2d(ref_img, 3, padding=1, stride=(1, 2))
    torch.testing.assert_close(out, ref, equal_nan=True)
    assert out.isnan().any()
    grad = torch.rand_like(out)
    out.backward(grad)
    ref.backward(grad)
    torch.testing.assert_close(img.grad, ref_img.grad)
    assert kernel.grad.isfinite().all()


def test_nan_in_kernel_propagates_to_the_erosion():
    kernel = torch.zeros(1, 1, 3, dtype=torch.float64)
    kernel[0, 0, 1] = math.nan
    kernel.requires_grad_(True)
    out = SelectSemifield.tropical_min_negated().dynamic()(
        torch.arange(6.0, dtype=torch.float64).reshape(1, 1, 6), kernel
    )
    assert out.isnan().all()
    out.sum().backward()
    assert kernel.grad.tolist() == [[[0.0, -4.0, 0.0]]]  # d(x - g)/dg = -1, four outputs
