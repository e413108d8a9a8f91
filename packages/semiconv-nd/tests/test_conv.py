"""GenericConv and GenericClosing: argument forwarding, repr, the seed example and closings."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import semiconv_nd as semiconv
from semiconv_nd import BroadcastSemifield, GenericClosing, GenericConv, LearnedKernel2D


class _Recorder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict] = []

    def forward(self, img: torch.Tensor, kernel: torch.Tensor, **kwargs) -> torch.Tensor:
        self.calls.append(kwargs)
        return img


def test_generic_conv_passes_custom_arguments_only_when_not_default() -> None:
    recorder = _Recorder()
    GenericConv(LearnedKernel2D(1, 1, 3), recorder, padding="same")(torch.zeros(1, 1, 4, 4))
    assert recorder.calls[-1] == {"stride": 1, "padding": "same", "dilation": 1, "groups": 1}
    GenericConv(
        LearnedKernel2D(1, 1, 3), recorder, group_broadcasting=True, kind="corr", stride=(1, 2)
    )(torch.zeros(1, 1, 4, 4))
    assert recorder.calls[-1]["group_broadcasting"] is True
    assert recorder.calls[-1]["kind"] == "corr"
    assert recorder.calls[-1]["stride"] == (1, 2)


def test_extra_repr_lists_non_default_arguments() -> None:
    conv = GenericConv(
        LearnedKernel2D(1, 2, 3),
        BroadcastSemifield.linear().dynamic(),
        padding=((1, 0), (0, 1)),
        stride=2,
        dilation=(1, 2),
        groups=2,
        group_broadcasting=True,
        kind="corr",
    )
    assert conv.extra_repr() == (
        "padding=((1, 0), (0, 1)), stride=2, dilation=(1, 2), groups=2, "
        "group_broadcasting=True, kind=corr"
    )
    assert GenericConv(LearnedKernel2D(1, 1, 3), nn.Identity()).extra_repr() == ""


def test_seed_example_runs() -> None:
    dilation = semiconv.GenericConv(
        semiconv.QuadraticKernelSpectral2D(5, 5, 3),
        semiconv.SelectSemifield.tropical_max().lazy_fixed(),
        padding="same",
        stride=2,
        groups=5,
    )
    img = torch.randn(2, 25, 16, 16)
    out = dilation(img)
    assert out.shape == (2, 5, 8, 8)
    broadcast = semiconv.GenericConv(
        dilation.kernel,
        semiconv.BroadcastSemifield.tropical_max().dynamic(),
        padding="same",
        stride=2,
        groups=5,
    )
    assert torch.equal(out, broadcast(img))
    root = semiconv.GenericConv(
        semiconv.QuadraticKernelIso2D(5, 10, 3),
        semiconv.BroadcastSemifield.root(3.0).dynamic(),
        padding="same",
    )
    assert root(torch.rand(2, 5, 8, 8) + 0.5).shape == (2, 10, 8, 8)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_closing_is_dilation_then_erosion(device, ndim: int) -> None:
    kernel = semiconv.QuadraticKernelIsoND(1, 3, 3, ndim).to(device)
    dilate = BroadcastSemifield.tropical_max().dynamic()
    erode = BroadcastSemifield.tropical_min_negated().dynamic()
    closing = GenericClosing(kernel, dilate, erode, padding="same", groups=3)
    img = torch.randn(2, 3, *[7] * ndim, device=device)
    expected = erode(
        dilate(img, kernel(), padding="same", groups=3),
        kernel(),
        padding="same",
        groups=3,
        kind="corr",
    )
    out = closing(img)
    assert torch.equal(out, expected)
    assert (out >= img - 1e-5).all()  # extensive
    assert "groups=3" in closing.extra_repr()


def test_closing_gradients_reach_the_kernel_through_both_steps() -> None:
    kernel = LearnedKernel2D(1, 2, 3)
    closing = GenericClosing(
        kernel,
        BroadcastSemifield.tropical_max().dynamic(),
        BroadcastSemifield.tropical_min_negated().dynamic(),
        padding=1,
        groups=2,
    )
    closing(torch.randn(2, 2, 6, 6)).sum().backward()
    assert kernel.kernel.grad is not None
    assert torch.isfinite(kernel.kernel.grad).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"stride": 0}, ValueError, "stride"),
        ({"dilation": (1, -2)}, ValueError, "dilation"),
        ({"stride": 1.5}, TypeError, "stride"),
        ({"padding": "full"}, ValueError, "padding"),
        ({"groups": 0}, ValueError, "groups"),
        ({"kind": "closing"}, ValueError, "kind"),
    ],
)
def test_bad_construction_arguments(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        GenericConv(LearnedKernel2D(1, 1, 3), BroadcastSemifield.linear().dynamic(), **kwargs)


def test_mismatches_are_reported_at_the_first_call() -> None:
    conv = GenericConv(LearnedKernel2D(2, 4, 3), BroadcastSemifield.linear().dynamic(), groups=2)
    with pytest.raises(ValueError, match=r"kernel.shape\[1\]"):
        conv(torch.randn(1, 6, 8, 8))
    with pytest.raises(ValueError, match="padding"):
        GenericConv(
            LearnedKernel2D(1, 1, 3), BroadcastSemifield.linear().dynamic(), padding=(1, 1, 1)
        )(torch.randn(1, 1, 8, 8))
    with pytest.raises(TypeError, match="dtype"):
        conv(torch.randn(1, 4, 8, 8, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"img: .* 2 spatial axes .* got shape \(4, 8\)"):
        conv(torch.randn(4, 8))  # wrong number of spatial dimensions
    with pytest.raises(TypeError, match="kernel"):
        GenericConv("not a module", BroadcastSemifield.linear().dynamic())


@pytest.mark.parametrize("semifield", ["broadcast", "select"])
def test_unbatched_input_is_accepted_like_nn_conv2d(semifield) -> None:
    field = (
        BroadcastSemifield.tropical_max()
        if semifield == "broadcast"
        else semiconv.SelectSemifield.tropical_max()
    )
    conv = GenericConv(semiconv.QuadraticKernelIso2D(3, 2, 3), field.dynamic(), padding="same")
    img = torch.randn(3, 6, 7)
    out = conv(img)
    assert out.shape == (2, 6, 7)
    torch.testing.assert_close(out, conv(img.unsqueeze(0)).squeeze(0))
    closing = GenericClosing(
        semiconv.QuadraticKernelIso2D(1, 3, 3),
        BroadcastSemifield.tropical_max().dynamic(),
        BroadcastSemifield.tropical_min_negated().dynamic(),
        padding="same",
        groups=3,
    )
    torch.testing.assert_close(closing(img), closing(img.unsqueeze(0)).squeeze(0))


@pytest.mark.parametrize("module", ["conv", "closing"])
def test_bad_images_are_reported_as_the_images_fault(module) -> None:
    kernel = semiconv.QuadraticKernelIso2D(1, 2, 3)
    dilation = BroadcastSemifield.tropical_max().dynamic()
    conv = (
        GenericConv(kernel, dilation, padding="same", groups=2)
        if module == "conv"
        else GenericClosing(
            kernel, dilation, BroadcastSemifield.tropical_min_negated().dynamic(), groups=2
        )
    )
    cases = [
        (
            torch.randn(1, 2, 8, 8, dtype=torch.float64),
            TypeError,
            r"img: expected dtype torch.float32 \(the kernel's dtype\), got torch.float64",
        ),
        (
            torch.ones(1, 2, 8, 8, dtype=torch.int64),
            TypeError,
            r"img: expected a floating-point tensor",
        ),
        (
            torch.randn(8, 8),
            ValueError,
            r"img: expected a batched \(B, C, \*spatial\) or unbatched",
        ),
        (torch.randn(1, 2, 8, 8, 8), ValueError, r"img: .* got shape \(1, 2, 8, 8, 8\)"),
        (
            torch.randn(1, 2, 8, 8, device="meta"),
            ValueError,
            r"img: expected a tensor on cpu .* got meta",
        ),
        ([[1.0]], TypeError, r"img: expected a torch.Tensor, got list"),
    ]
    for img, error, match in cases:
        with pytest.raises(error, match=match):
            conv(img)
