"""CUDA kernels checked against the CPU kernels under numba's CUDA simulator (tiny shapes).

The simulator must be enabled before ``numba.cuda`` is first imported, so the normal test run
starts this module again in a subprocess with ``NUMBA_ENABLE_CUDASIM=1``; there the simulator
tests run and the launcher test is skipped.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from semiconv_nd._geometry import resolve_geometry
from semiconv_nd.ops.layout import provenance_dtype, to_kernel_layout
from semiconv_nd.ops.registry import register
from semiconv_nd.semifields.select import SelectSemifield
from semiconv_nd.semifields.subtract import SubtractSemifield

SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
needs_simulator = pytest.mark.skipif(not SIMULATOR, reason="runs in the simulator subprocess")

CASES = [
    ((1, 2, 7), (2, 1, 3), {"groups": 2, "padding": "same"}),
    ((1, 4, 5, 6), (4, 2, 2, 3), {"groups": 2, "stride": (2, 1), "padding": ((1, 0), (1, 1))}),
    ((1, 2, 5, 5), (1, 1, 3, 2), {"groups": 2, "group_broadcasting": True, "dilation": (1, 2)}),
    ((1, 1, 3, 4, 3), (1, 1, 2, 3, 2), {"padding": 1, "kind": "corr"}),
]
IDS = [f"{len(c[0]) - 2}d-{i}" for i, c in enumerate(CASES)]
# Every case in float64, one in float32 (which the CUDA kernels compute in float32).
TYPED = [(torch.float64, *c) for c in CASES] + [(torch.float32, *CASES[1])]
TYPED_IDS = [f"f64-{i}" for i in IDS] + [f"f32-{IDS[1]}"]


def _user_select() -> SelectSemifield:
    return SelectSemifield(
        add_select=lambda acc, val: acc < val,
        times=lambda i, k: i * k,
        d_times_d_img=lambda i, k: k,
        d_times_d_kernel=lambda i, k: i,
        zero=-math.inf,
        cache_name="test_sim_max_times",
    )


def _user_subtract() -> SubtractSemifield:
    return SubtractSemifield(
        add=lambda acc, val: acc + val,
        times=lambda i, k: (i * k) ** 2,
        d_times_d_img=lambda i, k: 2.0 * i * k * k,
        d_times_d_kernel=lambda i, k: 2.0 * i * i * k,
        subtract=lambda res, val: res - val,
        d_add_d_right=lambda acc, val: 1.0,
        zero=0.0,
        cache_name="test_sim_l2",
        post_sum=lambda acc: math.sqrt(acc),
        undo_post_sum=lambda res: res * res,
        d_post_d_acc=lambda acc: 0.5 / math.sqrt(acc),
    )


SELECTS = {
    "tmax": SelectSemifield.tropical_max,
    "tmin": SelectSemifield.tropical_min_negated,
    "user": _user_select,
}
SUBTRACTS = {
    "linear": SubtractSemifield.linear,
    "root3": lambda: SubtractSemifield.root(3.0),
    "log-2": lambda: SubtractSemifield.log(-2.0),
    "user": _user_subtract,
}


def _layout(img_shape, krn_shape, kwargs, dtype=torch.float64, nan=False):
    img = torch.rand(img_shape, dtype=dtype) + 0.5
    if nan:  # NaN pixels, two of them next to each other
        img.view(-1)[[1, 5, 6]] = math.nan
    krn = torch.rand(krn_shape, dtype=dtype) + 0.5
    geometry = resolve_geometry(img, krn, **kwargs)
    return to_kernel_layout(img, krn, geometry), geometry.out_channels


def _tolerance(dtype: torch.dtype) -> dict:
    return (
        {"rtol": 1e-12, "atol": 1e-12} if dtype == torch.float64 else {"rtol": 2e-5, "atol": 2e-5}
    )


@needs_simulator
@pytest.mark.parametrize("name", list(SELECTS))
@pytest.mark.parametrize(("dtype", "img_shape", "krn_shape", "kwargs"), TYPED, ids=TYPED_IDS)
def test_select_kernels_match_cpu(name, dtype, img_shape, krn_shape, kwargs):
    _check_select(name, dtype, img_shape, krn_shape, kwargs)


@needs_simulator
@pytest.mark.parametrize("name", list(SELECTS))
def test_select_kernels_propagate_nan_like_cpu(name):
    _check_select(name, torch.float64, *CASES[1], nan=True)


def _check_select(name, dtype, img_shape, krn_shape, kwargs, nan=False):
    from semiconv_nd._cpu import runner as cpu
    from semiconv_nd._cuda import launch
    from semiconv_nd._cuda.runner import _kernels

    entry = register_entry(SELECTS[name]())
    lay, c_out = _layout(img_shape, krn_shape, kwargs, dtype, nan)
    out, prov = cpu.select_forward(entry, lay.image, lay.kernel, lay.geo, lay.output_size, c_out)
    grad = torch.linspace(-1.0, 1.0, out.numel(), dtype=out.dtype).reshape(out.shape)
    gx, gw = cpu.select_backward(
        entry, grad, prov, lay.image, lay.kernel, lay.geo, list(lay.image.shape)
    )

    kernels = _kernels(entry)
    x, w = lay.image.numpy(), lay.kernel.numpy()
    sim_out = np.empty(out.shape, x.dtype)
    sim_prov = np.empty(out.shape, prov.numpy().dtype)
    _, sentinel = provenance_dtype(lay.kernel[0].numel())
    geo = tuple(lay.geo)
    zero = x.dtype.type(entry.zero)
    launch.select_forward(kernels, x, w, geo, zero, sim_out, sim_prov, sentinel, 32)
    np.testing.assert_array_equal(sim_out, out.numpy())
    np.testing.assert_array_equal(sim_prov, prov.numpy())
    assert np.isnan(sim_out).any() == nan
    sim_gx = np.zeros_like(x)
    sim_gw = np.zeros((*w.shape, 4), w.dtype)
    launch.select_backward(
        kernels, grad.numpy(), sim_prov, x, w, geo, sentinel, True, sim_gx, sim_gw, 32
    )
    np.testing.assert_allclose(sim_gx, gx.numpy(), **_tolerance(dtype))
    np.testing.assert_allclose(sim_gw.sum(-1), gw.numpy(), **_tolerance(dtype))


@needs_simulator
@pytest.mark.parametrize("name", list(SUBTRACTS))
@pytest.mark.parametrize(("dtype", "img_shape", "krn_shape", "kwargs"), TYPED, ids=TYPED_IDS)
def test_subtract_kernels_match_cpu(name, dtype, img_shape, krn_shape, kwargs):
    from semiconv_nd._cpu import runner as cpu
    from semiconv_nd._cuda import launch
    from semiconv_nd._cuda.runner import _extra, _kernels

    entry = register_entry(SUBTRACTS[name]())
    lay, c_out = _layout(img_shape, krn_shape, kwargs, dtype)
    out = cpu.subtract_forward(entry, lay.image, lay.kernel, lay.geo, lay.output_size, c_out)
    grad = torch.linspace(-1.0, 1.0, out.numel(), dtype=out.dtype).reshape(out.shape)
    gx, gw = cpu.subtract_backward(entry, grad, lay.image, lay.kernel, out, lay.geo)

    kernels = _kernels(entry)
    x, w = lay.image.numpy(), lay.kernel.numpy()
    geo = tuple(lay.geo)
    sim_out = np.empty(out.shape, x.dtype)
    launch.subtract_forward(kernels, x, w, geo, _extra(entry, x.dtype), sim_out, 32)
    np.testing.assert_allclose(sim_out, out.numpy(), **_tolerance(dtype))
    sim_gx = np.zeros_like(x)
    sim_gw = np.zeros((*w.shape, 3), w.dtype)
    extra = _extra(entry, x.dtype) if entry.mode >= 0 else ()
    launch.subtract_backward(kernels, grad.numpy(), x, w, sim_out, geo, extra, sim_gx, sim_gw, 32)
    tol = _tolerance(dtype) if dtype == torch.float32 else {"rtol": 1e-10, "atol": 1e-12}
    np.testing.assert_allclose(sim_gx, gx.numpy(), **tol)
    np.testing.assert_allclose(sim_gw.sum(-1), gw.numpy(), **tol)


def register_entry(semifield):
    from semiconv_nd.ops.registry import lookup

    return lookup(register(semifield.compiled_spec()))


@pytest.mark.skipif(SIMULATOR, reason="this is the launcher of the simulator run")
def test_cuda_kernels_under_the_simulator():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(Path(__file__)), "-q", "-p", "no:cacheprovider"],
        cwd=Path(__file__).parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
    assert "failed" not in result.stdout


@pytest.mark.skipif(SIMULATOR, reason="the simulator counts as available CUDA")
def test_missing_cuda_gives_a_clear_error_naming_the_cpu_path():
    from semiconv_nd._cuda import cuda_unavailable_reason, require_cuda

    if cuda_unavailable_reason() is None:
        pytest.skip("CUDA is usable here")
    with pytest.raises(RuntimeError, match=r"img\.cpu\(\)"):
        require_cuda()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", ["tmax", "tmin", "linear", "root3", "log-2"])
@pytest.mark.parametrize(("img_shape", "krn_shape", "kwargs"), CASES, ids=IDS)
def test_cuda_device_matches_cpu(name, img_shape, krn_shape, kwargs):
    semifield = {**SELECTS, **SUBTRACTS}[name]()
    img = (torch.rand(img_shape, dtype=torch.float64) + 0.5).requires_grad_()
    krn = (torch.rand(krn_shape, dtype=torch.float64) + 0.5).requires_grad_()
    conv = semifield.dynamic()
    results = []
    for device in ("cpu", "cuda"):
        i = img.detach().to(device).requires_grad_()
        k = krn.detach().to(device).requires_grad_()
        out = conv(i, k, **kwargs)
        grads = torch.autograd.grad(out, (i, k), torch.ones_like(out))
        results.append([t.cpu() for t in (out, *grads)])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
