"""resolve_geometry: shapes, channel semantics and clear errors for bad input."""

from __future__ import annotations

import pytest
import torch

from semiconv_nd._geometry import resolve_geometry


def test_grouped_geometry() -> None:
    geo = resolve_geometry(
        torch.zeros(2, 6, 9, 10), torch.zeros(4, 3, 3, 2), stride=(2, 1), groups=2, padding="same"
    )
    assert geo.ndim == 2
    assert (geo.in_per_group, geo.out_per_group, geo.out_channels) == (3, 2, 4)
    assert geo.padding == ((1, 1), (0, 1))
    assert geo.output_size == (5, 10)
    assert geo.output_shape == (2, 4, 5, 10)
    assert geo.padded_size == (11, 11)


def test_group_broadcasting_multiplies_output_channels() -> None:
    geo = resolve_geometry(
        torch.zeros(1, 6, 5), torch.zeros(3, 2, 3), groups=3, group_broadcasting=True
    )
    assert (geo.out_per_group, geo.out_channels, geo.kernel_count) == (3, 9, 3)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_valid_padding_in_every_dimension(ndim: int) -> None:
    # The original's "valid" returned two pairs whatever the dimension (a bug for 1-D/3-D).
    geo = resolve_geometry(
        torch.zeros(1, 1, *[6] * ndim), torch.zeros(1, 1, *[3] * ndim), padding="valid"
    )
    assert geo.padding == ((0, 0),) * ndim
    assert geo.output_size == (4,) * ndim


@pytest.mark.parametrize(
    ("img", "kernel", "kwargs", "error", "match"),
    [
        ((1, 4, 8, 8), (4, 1, 3, 3), {"groups": 3}, ValueError, "groups"),
        ((1, 4, 8, 8), (4, 2, 3, 3), {"groups": 4}, ValueError, "kernel.shape\\[1\\]"),
        ((1, 4, 8, 8), (3, 2, 3, 3), {"groups": 2}, ValueError, "not divisible by groups"),
        ((1, 4, 8, 8), (4, 4, 3), {}, ValueError, "kernel"),
        ((4, 8, 8), (4, 4, 3, 3), {}, ValueError, "kernel"),
        ((8,), (1, 1, 3), {}, ValueError, "img"),
        ((1, 4, 8, 8), (4, 4, 3, 3), {"padding": (1, 1, 1)}, ValueError, "padding"),
        ((1, 4, 8, 8), (4, 4, 3, 3), {"padding": "full"}, ValueError, "padding"),
        ((1, 4, 8, 8), (4, 4, 3, 3), {"padding": -1}, ValueError, "padding"),
        ((1, 4, 8, 8), (4, 4, 3, 3), {"stride": 0}, ValueError, "stride"),
        ((1, 4, 8, 8), (4, 4, 3, 3), {"stride": (1, -1)}, ValueError, "stride"),
        ((1, 4, 8, 8), (4, 4, 3, 3), {"dilation": 0}, ValueError, "dilation"),
        ((1, 4, 8, 8), (4, 4, 3, 3), {"dilation": (1, 1, 1)}, ValueError, "dilation"),
        ((1, 4, 8, 8), (4, 4, 3, 3), {"groups": 0}, ValueError, "groups"),
        ((1, 4, 8, 8), (4, 4, 3, 3), {"kind": "cross"}, ValueError, "kind"),
        ((1, 4, 2, 8), (4, 4, 3, 3), {}, ValueError, "smaller than the dilated kernel"),
    ],
)
def test_bad_input_is_rejected_clearly(img, kernel, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        resolve_geometry(torch.zeros(img), torch.zeros(kernel), **kwargs)


def test_kernel_dtype_and_device_must_match() -> None:
    with pytest.raises(TypeError, match=r"kernel: expected dtype torch\.float32"):
        resolve_geometry(torch.zeros(1, 1, 5), torch.zeros(1, 1, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="device"):
        resolve_geometry(torch.zeros(1, 1, 5), torch.zeros(1, 1, 3, device="meta"))
    with pytest.raises(TypeError, match="floating-point"):
        resolve_geometry(torch.zeros(1, 1, 5, dtype=torch.int64), torch.zeros(1, 1, 3))
    with pytest.raises(TypeError, match="img"):
        resolve_geometry([[1.0]], torch.zeros(1, 1, 3))
