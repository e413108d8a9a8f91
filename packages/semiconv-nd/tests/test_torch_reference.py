"""TorchLinearConv2D and TorchMaxPool2D against the broadcast semifields and the original."""

from __future__ import annotations

import pytest
import torch

from semiconv_nd import BroadcastSemifield, TorchLinearConv2D, TorchMaxPool2D

PADDINGS = [0, 1, (1, 2), ((0, 1), (2, 1)), "valid", "same"]


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("kind", ["conv", "corr"])
def test_linear_conv_matches_linear_semifield(device, padding, kind) -> None:
    img = torch.randn(2, 4, 9, 8, device=device)
    kernel = torch.randn(6, 2, 4, 3, device=device)
    kwargs = {"padding": padding, "groups": 2, "stride": (2, 1), "dilation": (1, 2), "kind": kind}
    expected = BroadcastSemifield.linear().dynamic()(img, kernel, **kwargs)
    torch.testing.assert_close(TorchLinearConv2D()(img, kernel, **kwargs), expected)


def test_linear_conv_group_broadcasting() -> None:
    img = torch.randn(1, 4, 7, 7)
    kernel = torch.randn(3, 2, 3, 3)
    kwargs = {"groups": 2, "group_broadcasting": True, "padding": "same"}
    expected = BroadcastSemifield.linear().dynamic()(img, kernel, **kwargs)
    torch.testing.assert_close(TorchLinearConv2D()(img, kernel, **kwargs), expected)


@pytest.mark.parametrize("padding", [*PADDINGS, 2])
@pytest.mark.parametrize("k", [2, 3, 4])
def test_max_pool_is_flat_tropical_dilation(device, padding, k) -> None:
    # Including asymmetric paddings, where the original padded with 0 instead of -inf.
    img = torch.randn(2, 3, 9, 10, device=device) - 3.0
    pool = TorchMaxPool2D(k, stride=2, padding=padding, dilation=(1, 2))
    expected = BroadcastSemifield.tropical_max().dynamic()(
        img,
        torch.zeros(3, 1, k, k, device=device),
        stride=2,
        padding=padding,
        dilation=(1, 2),
        groups=3,
    )
    assert torch.equal(pool(img), expected)


@pytest.mark.parametrize("padding", [0, 1, "same", (1, 0)])
def test_max_pool_matches_original_where_paddings_are_symmetric(padding) -> None:
    original = pytest.importorskip("pytorch_nd_semiconv")
    img = torch.randn(2, 3, 9, 9)
    ours = TorchMaxPool2D(3, padding=padding)(img)
    assert torch.equal(ours, original.TorchMaxPool2D(3, padding=padding)(img))


def test_defaults_and_errors() -> None:
    pool = TorchMaxPool2D(3)
    assert pool.stride == 3
    assert pool(torch.randn(1, 1, 9, 9)).shape == (1, 1, 3, 3)
    assert "kernel_size=3" in repr(pool)
    with pytest.raises(ValueError, match="img"):
        pool(torch.randn(1, 9, 9))
    with pytest.raises(ValueError, match="stride"):
        TorchMaxPool2D(3, stride=0)
    with pytest.raises(ValueError, match="img"):
        TorchLinearConv2D()(torch.randn(1, 1, 9), torch.randn(1, 1, 3))
