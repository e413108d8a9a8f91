"""Tests of the shared padding/grid helper, including property tests against torch's shapes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

_SPEC = importlib.util.spec_from_file_location("grid", Path(__file__).parent.parent / "grid.py")
grid = importlib.util.module_from_spec(_SPEC)
sys.modules["grid"] = grid
_SPEC.loader.exec_module(grid)

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}


def _torch_pad(pairs: tuple[tuple[int, int], ...]) -> list[int]:
    """Convert (begin, end) per axis to F.pad's last-axis-first order."""
    flat: list[int] = []
    for begin, end in reversed(pairs):
        flat += [begin, end]
    return flat


@st.composite
def conv_setups(draw: st.DrawFn) -> tuple:
    ndim = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    size = tuple(draw(st.integers(1, 12)) for _ in range(ndim))
    form = draw(st.sampled_from(["int", "per_axis", "pairs", "valid", "same"]))
    if form == "int":
        padding = draw(st.integers(0, 3))
    elif form == "per_axis":
        padding = tuple(draw(st.integers(0, 3)) for _ in range(ndim))
    elif form == "pairs":
        padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(ndim))
    else:
        padding = form
    return ndim, kernel, dilation, stride, size, padding


@settings(max_examples=150, deadline=None)
@given(conv_setups())
def test_output_size_matches_torch_conv(setup: tuple) -> None:
    ndim, kernel, dilation, stride, size, padding = setup
    pairs = grid.resolve_padding(padding, kernel, dilation, ndim=ndim)
    x = F.pad(torch.zeros((1, 1, *size)), _torch_pad(pairs))
    w = torch.zeros((1, 1, *kernel))
    extent_ok = all(
        s + b + e >= d * (k - 1) + 1 for s, (b, e), k, d in zip(size, pairs, kernel, dilation)
    )
    if not extent_ok:
        with pytest.raises(ValueError, match="dilated kernel"):
            grid.output_size(size, kernel, stride, padding, dilation)
        return
    expected = CONV[ndim](x, w, stride=stride, dilation=dilation).shape[2:]
    assert grid.output_size(size, kernel, stride, padding, dilation) == tuple(expected)


@settings(max_examples=100, deadline=None)
@given(conv_setups())
def test_output_size_matches_torch_max_pool(setup: tuple) -> None:
    ndim, kernel, dilation, stride, size, _ = setup
    # max_pool only accepts symmetric padding of at most half the kernel
    padding = tuple(k // 2 for k in kernel)
    pairs = grid.resolve_padding(padding, kernel, dilation, ndim=ndim)
    if not all(
        s + b + e >= d * (k - 1) + 1 for s, (b, e), k, d in zip(size, pairs, kernel, dilation)
    ):
        return
    x = torch.zeros((1, 1, *size))
    pooled = MAX_POOL[ndim](x, kernel, stride=stride, padding=padding, dilation=dilation)
    assert grid.output_size(size, kernel, stride, padding, dilation) == tuple(pooled.shape[2:])


@settings(max_examples=100, deadline=None)
@given(
    ndim=st.integers(1, 3),
    kernel=st.integers(1, 8),
    dilation=st.integers(1, 4),
    size=st.integers(1, 20),
    stride=st.integers(1, 4),
)
def test_same_keeps_size_and_ceil_divides_with_stride(
    ndim: int, kernel: int, dilation: int, size: int, stride: int
) -> None:
    sizes = (size,) * ndim
    assert grid.output_size(sizes, kernel, 1, "same", dilation, ndim=ndim) == sizes
    expected = (-(-size // stride),) * ndim
    assert grid.output_size(sizes, kernel, stride, "same", dilation, ndim=ndim) == expected


def test_same_puts_extra_tap_at_the_end_for_even_kernels() -> None:
    assert grid.resolve_padding("same", (4, 5), (1, 1)) == ((1, 2), (2, 2))
    assert grid.resolve_padding("same", 4, 3, ndim=1) == ((3, 6),)
    assert grid.resolve_padding("same", 1, ndim=2) == ((0, 0), (0, 0))


def test_same_matches_torch_padding_same_for_odd_kernels() -> None:
    x = torch.randn(1, 1, 9, 10)
    w = torch.randn(1, 1, 3, 5)
    pairs = grid.resolve_padding("same", (3, 5), (2, 1))
    ours = F.conv2d(F.pad(x, _torch_pad(pairs)), w, dilation=(2, 1))
    torch.testing.assert_close(ours, F.conv2d(x, w, padding="same", dilation=(2, 1)))


@pytest.mark.parametrize(
    ("padding", "expected"),
    [
        (0, ((0, 0), (0, 0))),
        (2, ((2, 2), (2, 2))),
        ((1, 3), ((1, 1), (3, 3))),
        (((0, 1), (2, 3)), ((0, 1), (2, 3))),
        ([(0, 1), 2], ((0, 1), (2, 2))),
        ("valid", ((0, 0), (0, 0))),
    ],
)
def test_resolve_padding_forms(padding: object, expected: tuple) -> None:
    assert grid.resolve_padding(padding, 3, ndim=2) == expected


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"padding": "full"}, ValueError, "'valid' or 'same'"),
        ({"padding": -1}, ValueError, "non-negative"),
        ({"padding": (1, 2, 3)}, ValueError, "expected 2 entries"),
        ({"padding": ((1, 2, 3), 1)}, TypeError, r"\(begin, end\) pair"),
        ({"padding": 1.5}, TypeError, "expected an int"),
        ({"padding": 1, "kernel_size": 0}, ValueError, "kernel_size"),
        ({"padding": 1, "kernel_size": (3, 3, 3)}, ValueError, "kernel_size"),
        ({"padding": 1, "dilation": 0}, ValueError, "dilation"),
    ],
)
def test_resolve_padding_errors_name_the_argument(kwargs: dict, error: type, match: str) -> None:
    kwargs.setdefault("kernel_size", 3)
    with pytest.raises(error, match=match):
        grid.resolve_padding(ndim=2, **kwargs)


def test_resolve_padding_needs_ndim_for_scalars() -> None:
    with pytest.raises(ValueError, match="ndim"):
        grid.resolve_padding(1, 3)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ((1, 2), ValueError, "sequence of 3 ints"),
        ("3", TypeError, "expected an int"),
        ((1, 2.0, 3), TypeError, "expected ints"),
        (True, TypeError, "expected an int"),
        (0, ValueError, ">= 1"),
    ],
)
def test_to_tuple_errors(value: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        grid.to_tuple(value, 3, "stride", minimum=1)


def test_to_tuple_accepts_numpy_ints() -> None:
    assert grid.to_tuple(np.int64(2), 2, "stride") == (2, 2)
    assert grid.to_tuple([np.int32(1), 2], 2, "stride") == (1, 2)


def test_output_size_rejects_empty_outputs_and_bad_sizes() -> None:
    with pytest.raises(ValueError, match="dilated kernel extent 5"):
        grid.output_size(4, 3, dilation=2, ndim=1)
    with pytest.raises(ValueError, match="input_size"):
        grid.output_size((0, 4), 3)


def test_kernel_offsets_row_major_and_dilated() -> None:
    offsets = grid.kernel_offsets((2, 3), dilation=(1, 2), origin="same")
    assert offsets.shape == (6, 2)
    assert offsets.dtype == np.float64
    np.testing.assert_array_equal(offsets, [[0, -2], [0, 0], [0, 2], [1, -2], [1, 0], [1, 2]])
    centred = grid.kernel_offsets(4, ndim=1)
    np.testing.assert_array_equal(centred.ravel(), [-1.5, -0.5, 0.5, 1.5])


@pytest.mark.parametrize("kernel", [1, 2, 3, 4, 5, (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_same_origin_is_the_tap_same_padding_aligns(kernel: object, dilation: int) -> None:
    ndim = len(kernel) if isinstance(kernel, tuple) else 2
    kernel_t = grid.to_tuple(kernel, ndim, "kernel_size")
    offsets = grid.kernel_offsets(kernel_t, dilation, origin="same")
    pairs = grid.resolve_padding("same", kernel_t, dilation)
    # the first tap sits `begin` pixels before the output pixel on every axis
    np.testing.assert_array_equal(offsets[0], [-b for b, _ in pairs])
    np.testing.assert_array_equal(offsets[-1], [e for _, e in pairs])


def test_kernel_grid_axis_convention_2d() -> None:
    points = grid.kernel_grid(3).reshape(3, 3, 2)
    # x grows to the right along the last tensor axis, y grows upwards (against the row index)
    np.testing.assert_array_equal(points[1, :, 0], [-1, 0, 1])
    np.testing.assert_array_equal(points[:, 1, 1], [1, 0, -1])
    assert not np.any(np.signbit(points) & (points == 0)), "no negative zeros"


def test_kernel_grid_even_and_dilated_centred() -> None:
    points = grid.kernel_grid(2, dilation=2)
    np.testing.assert_array_equal(points, [[-1, 1], [1, 1], [-1, -1], [1, -1]])
    np.testing.assert_allclose(points.mean(axis=0), 0.0)


def test_kernel_grid_1d_and_3d() -> None:
    np.testing.assert_array_equal(grid.kernel_grid(3, ndim=1).ravel(), [-1, 0, 1])
    points = grid.kernel_grid((2, 3, 4))
    assert points.shape == (24, 3)
    # the third coordinate runs along the first tensor axis
    np.testing.assert_array_equal(np.unique(points[:, 2]), [-0.5, 0.5])
    np.testing.assert_array_equal(np.unique(points[:, 0]), [-1.5, -0.5, 0.5, 1.5])


def test_kernel_offsets_rejects_unknown_origin() -> None:
    with pytest.raises(ValueError, match="origin"):
        grid.kernel_offsets(3, origin="corner")
