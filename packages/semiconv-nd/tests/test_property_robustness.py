"""Property: quadratic kernels and GenericConv with the broadcast semifields turn finite input
into finite output and gradients (never NaN), or raise a clear ValueError/TypeError.

Over kernel classes, shapes, dtypes, parameter scales (``log_std`` up to ±1e4, large
correlations) and image value scales.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from semiconv_nd import (
    BroadcastSemifield,
    GenericConv,
    LearnedKernel2D,
    QuadraticKernelCholesky2D,
    QuadraticKernelCholeskyND,
    QuadraticKernelIso1D,
    QuadraticKernelIso2D,
    QuadraticKernelIso3D,
    QuadraticKernelSpectral2D,
)
from semiconv_nd.kernels._init import kernel_positions

DTYPES = [torch.float32, torch.float64]
# Moderate values (no magnitudes below 1e-6 but 0: an angle of 1e-243 with log_std = -800 has
# an exact float64 gradient beyond float64, documented in semiconv_nd.kernels.quadratic) and
# magnitudes up to 1e4.
wide_floats = st.one_of(
    st.just(0.0),
    st.floats(-60, 60).filter(lambda x: abs(x) >= 1e-6),
    st.floats(-4, 4).map(lambda e: math.copysign(10.0 ** abs(e), e)),
)


@st.composite
def quadratic_kernels(draw):
    """A quadratic kernel of a random class, size and dtype, with extreme parameter values."""
    dtype = draw(st.sampled_from(DTYPES))
    channels = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    size = draw(st.integers(1, 5))
    kind = draw(st.sampled_from(["spectral", "cholesky", "iso1d", "iso2d", "iso3d", "cholesky3d"]))
    kernel = {
        "spectral": lambda: QuadraticKernelSpectral2D(*channels, size),
        "cholesky": lambda: QuadraticKernelCholesky2D(*channels, size),
        "iso1d": lambda: QuadraticKernelIso1D(*channels, size),
        "iso2d": lambda: QuadraticKernelIso2D(*channels, size),
        "iso3d": lambda: QuadraticKernelIso3D(*channels, min(size, 3)),
        "cholesky3d": lambda: QuadraticKernelCholeskyND(*channels, min(size, 3), ndim=3),
    }[kind]().to(dtype)
    with torch.no_grad():
        for parameter in kernel.parameters():
            values = draw(
                st.lists(wide_floats, min_size=parameter.numel(), max_size=parameter.numel())
            )
            parameter.copy_(torch.tensor(values, dtype=torch.float64).reshape(parameter.shape))
    return kernel


@settings(max_examples=60, deadline=None)
@given(kernel=quadratic_kernels(), seed=st.integers(0, 2**31 - 1))
def test_quadratic_taps_are_zero_at_the_origin_and_never_nan(kernel, seed):
    taps = kernel()
    positions = kernel_positions(kernel._sizes, len(kernel._sizes))
    origin = int((positions.abs().sum(dim=-1) == 0).nonzero()[0, 0])
    assert not torch.isnan(taps).any()
    assert (taps <= 0).all()
    assert (taps.flatten(2)[..., origin] == 0).all()
    weights = torch.randn(taps.shape, generator=torch.Generator().manual_seed(seed))
    (taps.masked_fill(~torch.isfinite(taps), 0.0) * weights.to(taps.dtype)).sum().backward()
    for parameter in kernel.parameters():
        assert not torch.isnan(parameter.grad).any()


SEMIFIELDS = {
    "tropical_max": BroadcastSemifield.tropical_max,
    "tropical_min_negated": BroadcastSemifield.tropical_min_negated,
    "tropical_max_channels_add": lambda: BroadcastSemifield.tropical_max(channels_add=True),
    "log": lambda: BroadcastSemifield.log(1.0),
    "linear": BroadcastSemifield.linear,
}


@settings(max_examples=40, deadline=None)
@given(
    semifield=st.sampled_from(sorted(SEMIFIELDS)),
    dtype=st.sampled_from(DTYPES),
    batch=st.integers(1, 2),
    channels=st.integers(1, 3),
    height=st.integers(1, 7),
    width=st.integers(1, 7),
    # Odd sizes: the (flipped, kind="conv") kernel's origin tap 0 then meets each output pixel's
    # own input pixel, so the output is finite even where the other taps are -inf.
    size=st.sampled_from([1, 3, 5]),
    log_std=st.floats(-60, 60),
    log_scale=st.floats(-1, 1),
    padding=st.sampled_from(["same", 0]),
    seed=st.integers(0, 2**31 - 1),
)
def test_generic_conv_with_broadcast_semifields_is_finite_or_rejects(
    semifield, dtype, batch, channels, height, width, size, log_std, log_scale, padding, seed
):
    generator = torch.Generator().manual_seed(seed)
    # Value scales: a fraction of the dtype's decades (linear and log products must stay finite).
    decades = math.log10(torch.finfo(dtype).max) / 4
    img = torch.randn(batch, channels, height, width, dtype=torch.float64, generator=generator)
    img = (img * 10.0 ** (log_scale * decades)).to(dtype).requires_grad_()
    if semifield == "linear":
        kernel = LearnedKernel2D(channels, 2, size).to(dtype)
    else:  # the quadratic kernel's origin tap keeps every "same" output finite
        kernel = QuadraticKernelIso2D(channels, 2, size).to(dtype)
        with torch.no_grad():
            kernel.log_std.fill_(log_std)
    conv = GenericConv(kernel, SEMIFIELDS[semifield]().dynamic(), padding=padding)
    if padding == 0 and size > min(height, width):  # the kernel does not fit the image
        with pytest.raises((ValueError, TypeError), match=r"kernel|padding|img"):
            conv(img)
        return
    out = conv(img)
    assert torch.isfinite(out).all()
    out.sum().backward()
    assert torch.isfinite(img.grad).all()
    for parameter in kernel.parameters():
        assert torch.isfinite(parameter.grad).all()


@settings(max_examples=20, deadline=None)
@given(
    bad=st.sampled_from(
        [
            torch.randn(1, 2, 6, 6, dtype=torch.float64),  # dtype mismatch
            torch.ones(1, 2, 6, 6, dtype=torch.int32),
            torch.randn(6, 6),  # too few dims
            torch.randn(1, 2, 6, 6, 6),  # too many spatial axes
            torch.randn(1, 2, 6, 6, device="meta"),
        ]
    ),
    semifield=st.sampled_from(sorted(SEMIFIELDS)),
)
def test_generic_conv_reports_bad_images_naming_img(bad, semifield):
    conv = GenericConv(QuadraticKernelIso2D(2, 2, 3), SEMIFIELDS[semifield]().dynamic())
    with pytest.raises((ValueError, TypeError), match="img"):
        conv(bad)
