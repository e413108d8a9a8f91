"""R2Conv equivariance under a 45° rotation (C8), which the pixel grid cannot represent exactly.

Protocol (notes §3.4): Gaussian-smoothed random input (σ = 2 pixels) on an ``n x n`` grid, rotated
by 45° with a spline interpolation, relative L2 error ``‖f(gx) − g·f(x)‖ / ‖f(x)‖`` over the
central disk ``r < (n − 1) / 4`` (far from the corners that the rotation moves out of the image and
from the zero padding). e2cnn rotates with ``scipy.ndimage.rotate(order=2)``, i.e. a spline of
order 2 about the image centre ``((n − 1) / 2, (n − 1) / 2)``: ``featurefield_action(order=2)`` is
that same map here (equal to e2cnn's to ~1e-15).

The error of a single layer depends on its random weights, and it is a property of the protocol
and of e2cnn's kernel basis, not of this implementation: with identical weights and inputs, e2cnn
0.2.3 gives the same number as this package to ~1e-6 relative. Over the 12 layers below both give
0.84-1.11 % at k = 5 and 1.07-2.06 % at k = 7 (mean 1.21 %); over 20 random layers per setting the
means are 0.87-0.98 % (k = 5) and 1.27-1.37 % (k = 7), with single k = 7 layers up to 2.5 %. So the
1.5 % target applies to the mean over random layers, and every layer is checked for parity with
e2cnn.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from e2_steerable import gspaces
from e2_steerable.nn import FieldType, GeometricTensor
from e2_steerable.nn.modules.r2_conv import R2Conv

SIZE = 57
SIGMA = 2.0
E2CNN_ORDER = 2  # scipy.ndimage.rotate(order=2) in e2cnn's Rot2dOnR2._basespace_action
CASES = [(kind, k, seed) for kind in ("trivial", "regular") for k in (5, 7) for seed in range(3)]


def central_disk(n: int) -> np.ndarray:
    """Boolean ``(n, n)`` mask of the pixels at distance ``< (n - 1) / 4`` from the centre."""
    rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    centre = (n - 1) / 2
    return (rows - centre) ** 2 + (cols - centre) ** 2 < ((n - 1) / 4) ** 2


def smoothed_input(channels: int, seed: int, batch: int = 2) -> torch.Tensor:
    """White noise blurred by a Gaussian of std ``SIGMA`` pixels, float32 ``(batch, C, n, n)``."""
    raw = np.random.default_rng(1000 + seed).standard_normal((batch, channels, SIZE, SIZE))
    smooth = ndimage.gaussian_filter(raw, (0, 0, SIGMA, SIGMA), mode="constant")
    return torch.from_numpy(smooth.astype(np.float32))


def c8_layer(kind: str, k: int, seed: int) -> R2Conv:
    """A random float32 C8 R2Conv from 2 ``kind`` fields to 2 regular fields, in eval mode.

    float32 as in e2cnn (its ``transform`` casts to float32); float64 gives the same errors to 4
    digits, 9x slower.
    """
    gs = gspaces.Rot2dOnR2(8)
    field = gs.trivial_repr if kind == "trivial" else gs.regular_repr
    torch.manual_seed(seed)
    conv = R2Conv(
        FieldType(gs, [field] * 2), FieldType(gs, [gs.regular_repr] * 2), k, padding=k // 2
    )
    return conv.eval()


def relative_error(lhs: np.ndarray | torch.Tensor, rhs: np.ndarray | torch.Tensor) -> float:
    """``‖lhs − rhs‖ / ‖rhs‖`` over the central disk of the spatial axes."""
    lhs, rhs = np.asarray(lhs, dtype=np.float64), np.asarray(rhs, dtype=np.float64)
    disk = central_disk(lhs.shape[-1])
    return float(np.linalg.norm((lhs - rhs)[..., disk]) / np.linalg.norm(rhs[..., disk]))


def our_error_45(conv: R2Conv, x: torch.Tensor, order: int | None) -> float:
    """Our layer's 45° error, rotating with a spline of ``order`` (None: FieldType.transform)."""
    gs, tin, tout = conv.in_type.gspace, conv.in_type, conv.out_type

    def rotate(t: torch.Tensor, ftype: FieldType) -> torch.Tensor:
        if order is None:
            return ftype.transform(t, 1)
        return gs.featurefield_action(t, ftype.representation, 1, order=order)

    with torch.no_grad():
        lhs = conv(GeometricTensor(rotate(x, tin), tin)).tensor
        rhs = rotate(conv(GeometricTensor(x, tin)).tensor, tout)
    return relative_error(lhs, rhs)


def test_r2conv_c8_45_degrees_on_smoothed_inputs() -> None:
    gs = gspaces.Rot2dOnR2(8)
    floors, errors_e2cnn_protocol, errors_default = [], [], []
    for kind, k, seed in CASES:
        conv = c8_layer(kind, k, seed)
        x = smoothed_input(conv.in_type.size, seed)
        rep = conv.in_type.representation
        there = gs.featurefield_action(x, rep, 1, order=E2CNN_ORDER)
        back = gs.featurefield_action(there, rep, 7, order=E2CNN_ORDER)
        floors.append(relative_error(back, x))
        errors_e2cnn_protocol.append(our_error_45(conv, x, E2CNN_ORDER))
        errors_default.append(our_error_45(conv, x, None))
    # the inputs are smooth enough for the protocol: rotating by 45° and back (two interpolations)
    # costs 0.24-0.30 % (notes: an input interpolation floor of 0.3 %), well below layer errors
    assert max(floors) < 0.0035, floors
    # the target (e2cnn: 0.8-1.3 %), on the mean over random layers; single layers vary with their
    # weights exactly as e2cnn's do (see the module docstring and the parity test below)
    assert np.mean(errors_e2cnn_protocol) < 0.015, errors_e2cnn_protocol
    assert np.mean(errors_default) < 0.015, errors_default
    # FieldType.transform's default cubic spline is no worse than e2cnn's quadratic one (it is
    # 0.01-0.02 points better on every layer here)
    for default, quadratic in zip(errors_default, errors_e2cnn_protocol, strict=True):
        assert default <= quadratic + 5e-4, (errors_default, errors_e2cnn_protocol)


# e2cnn 0.2.3 on torch 2 warns about uint8 indexing and meshgrid
@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8:UserWarning")
@pytest.mark.filterwarnings("ignore:torch.meshgrid:UserWarning")
def test_r2conv_c8_45_degrees_error_matches_e2cnn_per_layer() -> None:
    e2cnn = pytest.importorskip("e2cnn")
    egs = e2cnn.gspaces.Rot2dOnR2(8)
    ours_all, theirs_all = [], []
    for kind, k, seed in CASES:
        conv = c8_layer(kind, k, seed)
        field = egs.trivial_repr if kind == "trivial" else egs.regular_repr
        etin = e2cnn.nn.FieldType(egs, [field] * 2)
        etout = e2cnn.nn.FieldType(egs, [egs.regular_repr] * 2)
        ref = e2cnn.nn.R2Conv(etin, etout, k, padding=k // 2)
        with torch.no_grad():
            ref.weights.copy_(conv.weights)
            ref.bias.copy_(conv.bias)
        ref.eval()
        # identical weights give identical filters (e2cnn stores its sampled basis in float32)
        torch.testing.assert_close(ref.filter.detach(), conv.filter, atol=1e-6, rtol=1e-6)
        x = smoothed_input(conv.in_type.size, seed)
        with torch.no_grad():
            # e2cnn's own action, cast to float32 as its GeometricTensor.transform does
            gx = egs.featurefield_action(x.numpy(), etin.representation, 1)
            gx = torch.from_numpy(np.ascontiguousarray(gx, dtype=np.float32))
            # the protocol's rotation is e2cnn's: same spline order, centre and boundary
            ours_gx = conv.in_type.gspace.featurefield_action(
                x, conv.in_type.representation, 1, order=E2CNN_ORDER
            )
            torch.testing.assert_close(ours_gx, gx, atol=1e-6, rtol=1e-6)
            lhs = ref(e2cnn.nn.GeometricTensor(gx, etin)).tensor
            fx = ref(e2cnn.nn.GeometricTensor(x, etin)).tensor.numpy()
        theirs = relative_error(lhs, egs.featurefield_action(fx, etout.representation, 1))
        ours = our_error_45(conv, x, E2CNN_ORDER)
        ours_all.append(ours)
        theirs_all.append(theirs)
    # per layer, the same number as e2cnn with the same weights, input and protocol
    torch.testing.assert_close(
        torch.tensor(ours_all), torch.tensor(theirs_all), rtol=2e-5, atol=0.0
    )
