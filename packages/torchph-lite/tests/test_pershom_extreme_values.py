"""Clouds and distance matrices scaled by 10^k: diagrams scale with them (no overflow/underflow).

The reference is ripser on the unscaled cloud (float64 distances), its diagram multiplied by
10^k; ours is computed on the scaled cloud in each dtype, across the dtype's range, for the L1 and
L2 metrics, the numba and torch backends and the distance-matrix path.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from torchph_lite.pershom import vr_persistence, vr_persistence_l1, vr_persistence_l2

_FUNCS = {"l1": vr_persistence_l1, "l2": vr_persistence_l2}
_SCIPY = {"l1": "cityblock", "l2": "euclidean"}

#: exponents k spanning each dtype's range (distances of the unit cloud reach ~1.7 * 10^k)
_SCALES = {
    torch.float16: (-2, 2, 4),
    torch.float32: (-30, -20, -10, 10, 20, 30, 37),
    torch.float64: (-300, -200, -100, 100, 200, 300),
}
_RTOL = {torch.float16: 5e-3, torch.float32: 2e-5, torch.float64: 1e-6}


def _reference(unit: np.ndarray, metric: str, max_dim: int, thresh: float = np.inf) -> list:
    from ripser import ripser

    dist = cdist(unit, unit, _SCIPY[metric])
    return ripser(dist, maxdim=max_dim, distance_matrix=True, thresh=thresh)["dgms"]


def _full(result: tuple[list[torch.Tensor], list[torch.Tensor]], scale: float) -> list:
    out = []
    for pairs, births in zip(*result):
        ess = births.detach().double().numpy() / scale
        fin = pairs.detach().double().numpy().reshape(-1, 2) / scale
        out.append(np.concatenate((fin, np.stack((ess, np.full_like(ess, np.inf)), 1))))
    return out


def _assert_diagrams(ours: list, ref: list, rtol: float, msg: str) -> None:
    for dim, (a, b) in enumerate(zip(ours, ref)):
        assert a.shape == b.shape, f"{msg}, H{dim}: {a.shape[0]} pairs vs {b.shape[0]}"
        a = a[np.lexsort((a[:, 1], a[:, 0]))]
        b = b[np.lexsort((b[:, 1], b[:, 0]))]
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0.0, err_msg=f"{msg}, H{dim}")


def _scaled_cloud(seed: int, dtype: torch.dtype, k: int) -> tuple[torch.Tensor, np.ndarray, float]:
    """The cloud scaled by 10^k in ``dtype``, and the unit cloud it stands for exactly."""
    unit = np.random.default_rng(seed).random((14, 2))
    scale = 10.0**k
    x = torch.from_numpy(unit * scale).to(dtype)
    return x, x.double().numpy() / scale, scale


@pytest.mark.parametrize("metric", ["l1", "l2"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_scaled_clouds_match_ripser(dtype: torch.dtype, metric: str) -> None:
    max_dim = 0 if dtype == torch.float16 else 1  # float16 rounding makes short H1 pairs vanish
    for k in _SCALES[dtype]:
        x, unit, scale = _scaled_cloud(k + 1000, dtype, k)
        x.requires_grad_()
        result = _FUNCS[metric](x, max_dim)
        values = torch.cat([p.reshape(-1) for p in result[0]] + list(result[1]))
        assert torch.isfinite(values).all(), f"{dtype} 1e{k}"
        (values * torch.linspace(0.5, 1.5, values.shape[0], dtype=dtype)).sum().backward()
        assert torch.isfinite(x.grad).all(), f"{dtype} 1e{k}: gradient"
        ref = _reference(unit, metric, max_dim)
        _assert_diagrams(_full(result, scale), ref, _RTOL[dtype], f"{metric} {dtype} 1e{k}")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_scaled_clouds_torch_backend_and_threshold(dtype: torch.dtype) -> None:
    for k in _SCALES[dtype]:
        x, unit, scale = _scaled_cloud(k + 2000, dtype, k)
        out = vr_persistence_l2(x, 0, backend="torch")
        _assert_diagrams(_full(out, scale), _reference(unit, "l2", 0), _RTOL[dtype], f"1e{k}")
        out = vr_persistence_l1(x, 1, 0.4 * scale)
        ref = _reference(unit, "l1", 1, 0.4)
        _assert_diagrams(_full(out, scale), ref, _RTOL[dtype], f"threshold, 1e{k}")


def test_batch_mixing_scales_is_scaled_per_cloud() -> None:
    clouds, units, scales = [], [], []
    for k in (-30, 0, 30):
        x, unit, scale = _scaled_cloud(7, torch.float32, k)
        clouds.append(x)
        units.append(unit)
        scales.append(scale)
    for result, unit, scale in zip(vr_persistence_l2(clouds, 1), units, scales):
        ref = _reference(unit, "l2", 1)
        _assert_diagrams(_full(result, scale), ref, _RTOL[torch.float32], f"scale {scale}")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_scaled_distance_matrices_match_ripser(dtype: torch.dtype) -> None:
    for k in _SCALES[dtype]:
        unit = np.random.default_rng(k + 3000).random((14, 3))
        dist = cdist(unit, unit)
        matrix = torch.from_numpy(dist * 10.0**k).to(dtype)
        result = vr_persistence(matrix, 1)
        ref = _reference(unit, "l2", 1)
        # the matrix's own rounding in dtype: compare with a tolerance of that dtype
        _assert_diagrams(_full(result, 10.0**k), ref, _RTOL[dtype], f"matrix {dtype} 1e{k}")


def test_tiny_float32_edge_keeps_its_pair() -> None:
    # the squared length 1e-60 underflows in float32; the pair must survive
    x = torch.tensor([[0.0, 0.0], [1e-30, 0.0], [3.0, 0.0]], requires_grad=True)
    pairs = vr_persistence_l2(x, 1)[0][0]
    torch.testing.assert_close(pairs, torch.tensor([[0.0, 1e-30], [0.0, 3.0]]))
    pairs[:, 1].sum().backward()
    assert torch.isfinite(x.grad).all()
    assert x.grad[0, 0] <= -1.0  # d|x0 - x1| / dx0 = -1: the tiny edge is differentiable
