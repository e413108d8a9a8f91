"""Return structure, ordering, batching, dtypes/devices, the torch backend and input errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from torchph_lite.pershom import vr_persistence, vr_persistence_l1, vr_persistence_l2


def _cloud(n: int = 30, d: int = 2, seed: int = 0, dtype: torch.dtype = torch.float64):
    return torch.from_numpy(np.random.default_rng(seed).random((n, d))).to(dtype)


def _assert_same_result(a: tuple, b: tuple, exact: bool = True) -> None:
    tol = {"rtol": 0.0, "atol": 0.0} if exact else {}
    for xs, ys in zip(a, b):
        assert len(xs) == len(ys)
        for x, y in zip(xs, ys):
            torch.testing.assert_close(x, y, **tol)


@pytest.mark.parametrize("max_dimension", [0, 1, 2])
def test_structure_and_order(max_dimension: int) -> None:
    non_essential, essential = vr_persistence_l2(_cloud(40, 3), max_dimension)
    assert len(non_essential) == len(essential) == max_dimension + 1
    for pairs, births in zip(non_essential, essential):
        assert pairs.dim() == 2
        assert pairs.shape[1] == 2
        assert births.dim() == 1
        assert (pairs[:, 1] > pairs[:, 0]).all()  # zero-length pairs dropped
        keys = pairs[:, 0] * 1e6 + pairs[:, 1]  # sorted by birth then death
        assert (keys[1:] >= keys[:-1]).all()
        assert (births[1:] >= births[:-1]).all()
    assert non_essential[0].shape == (39, 2)
    assert (non_essential[0][:, 0] == 0).all()


def test_finite_h1_with_max_dimension_one() -> None:
    # ripser semantics: max_dimension=1 already has finite H1 pairs (torchph needed 2)
    square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    non_essential, essential = vr_persistence_l2(square, 1)
    assert non_essential[1].shape == (1, 2)
    assert essential[1].shape == (0,)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_and_device_follow_input(device: torch.device, dtype: torch.dtype) -> None:
    x = _cloud(25, 2, dtype=dtype).to(device)
    non_essential, essential = vr_persistence_l1(x, 1)
    for t in [*non_essential, *essential]:
        assert t.dtype == dtype
        assert t.device == x.device
    ref = vr_persistence_l1(_cloud(25, 2), 1)
    _assert_same_result(
        tuple([t.double().cpu() for t in part] for part in (non_essential, essential)),
        ref,
        exact=False,
    )


def test_float32_values_match_float64() -> None:
    x32 = _cloud(60, 3, dtype=torch.float32)
    a = vr_persistence_l2(x32, 2)
    b = vr_persistence_l2(x32.double(), 2)
    for pa, pb in zip(a[0], b[0]):
        torch.testing.assert_close(pa.double(), pb, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("fn", [vr_persistence_l1, vr_persistence_l2])
@pytest.mark.parametrize("max_dimension", [0, 1, 2])
def test_stacked_batch_equals_single_calls(fn, max_dimension: int) -> None:
    batch = torch.stack([_cloud(20, 3, seed=s) for s in range(5)])
    results = fn(batch, max_dimension)
    assert isinstance(results, list)
    assert len(results) == 5
    for b in range(5):
        _assert_same_result(results[b], fn(batch[b], max_dimension))


def test_list_of_clouds_of_different_sizes() -> None:
    clouds = [_cloud(n, 2, seed=n) for n in (1, 5, 17, 30)]
    results = vr_persistence_l2(clouds, 1, 0.4)
    for cloud, res in zip(clouds, results):
        _assert_same_result(res, vr_persistence_l2(cloud, 1, 0.4))


def test_distance_matrix_batches() -> None:
    clouds = [_cloud(n, 2, seed=n) for n in (8, 8, 12)]
    mats = [torch.cdist(c, c) for c in clouds]
    stacked = vr_persistence(torch.stack(mats[:2]), 2)
    listed = vr_persistence(mats, 2)
    for i, m in enumerate(mats):
        single = vr_persistence(m, 2)
        _assert_same_result(listed[i], single)
        if i < 2:
            _assert_same_result(stacked[i], single)
        _assert_same_result(single, vr_persistence_l2(clouds[i], 2), exact=False)


@pytest.mark.parametrize("metric", ["l1", "l2", "matrix"])
@pytest.mark.parametrize("threshold", [0.0, 0.12])
@pytest.mark.parametrize("ties", [False, True])
def test_torch_backend_identical_to_numba(
    device: torch.device, metric: str, threshold: float, ties: bool
) -> None:
    clouds = torch.stack([_cloud(35, 2, seed=s) for s in range(4)])
    if ties:
        clouds = torch.round(clouds * 6) / 6
    clouds = clouds.to(device)
    if metric == "matrix":
        data = torch.cdist(clouds, clouds)
        data = (data + data.transpose(1, 2)) / 2
        fn = vr_persistence
    else:
        data = clouds
        fn = vr_persistence_l1 if metric == "l1" else vr_persistence_l2
    on_torch = fn(data, 0, threshold, backend="torch")
    on_numba = fn(data.cpu(), 0, threshold, backend="numba")
    for a, b in zip(on_torch, on_numba):
        _assert_same_result(tuple([t.cpu() for t in part] for part in a), b)
    auto = fn(data, 0, threshold)  # CUDA tensors take the torch path automatically
    for a, b in zip(auto, on_numba):
        _assert_same_result(tuple([t.cpu() for t in part] for part in a), b)


def test_torch_backend_list_of_sizes() -> None:
    clouds = [_cloud(n, 2, seed=n) for n in (1, 4, 9, 9)]
    for a, b in zip(vr_persistence_l2(clouds, 0, backend="torch"), vr_persistence_l2(clouds, 0)):
        _assert_same_result(a, b)


# ------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("max_dimension", "error"),
    [(-1, ValueError), (4, ValueError), (1.0, TypeError), (True, TypeError), ("1", TypeError)],
)
def test_bad_max_dimension(max_dimension: object, error: type) -> None:
    with pytest.raises(error, match="max_dimension"):
        vr_persistence_l2(_cloud(), max_dimension)


@pytest.mark.parametrize(
    ("value", "error"), [(-0.5, ValueError), (math.nan, ValueError), ("a", TypeError)]
)
def test_bad_max_ball_diameter(value: object, error: type) -> None:
    with pytest.raises(error, match="max_ball_diameter"):
        vr_persistence_l2(_cloud(), 1, value)


def test_bad_point_clouds() -> None:
    with pytest.raises(TypeError, match="floating point"):
        vr_persistence_l1(torch.ones(5, 2, dtype=torch.int64), 0)
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        vr_persistence_l1(np.ones((5, 2)), 0)
    with pytest.raises(ValueError, match="at least one point"):
        vr_persistence_l1(torch.ones(0, 2), 0)
    with pytest.raises(ValueError, match="2 dimensions"):
        vr_persistence_l1(torch.ones(5), 0)
    with pytest.raises(ValueError, match="2 dimensions"):
        vr_persistence_l1(torch.ones(2, 2, 2, 2), 0)
    with pytest.raises(ValueError, match="empty list"):
        vr_persistence_l1([], 0)
    with pytest.raises(ValueError, match="same dimension"):
        vr_persistence_l1([torch.ones(3, 2), torch.ones(3, 3)], 0)
    for bad in (math.nan, math.inf):
        x = _cloud()
        x[3, 1] = bad
        with pytest.raises(ValueError, match="NaN or infinite"):
            vr_persistence_l2(x, 1)


def test_bad_distance_matrices() -> None:
    good = torch.cdist(_cloud(6), _cloud(6))
    with pytest.raises(ValueError, match="square"):
        vr_persistence(good[:, :5], 1)
    with pytest.raises(ValueError, match="square"):
        vr_persistence(torch.ones(2, 3, 4), 1)
    asym = good.clone()
    asym[0, 3] += 0.5
    with pytest.raises(ValueError, match="symmetric"):
        vr_persistence(asym, 1)
    neg = good.clone()
    neg[1, 2] = neg[2, 1] = -0.1
    with pytest.raises(ValueError, match="negative"):
        vr_persistence(neg, 1)
    nan = good.clone()
    nan[1, 2] = nan[2, 1] = math.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        vr_persistence(nan, 1)
    with pytest.raises(TypeError, match="floating point"):
        vr_persistence(torch.zeros(3, 3, dtype=torch.int32), 1)
    with pytest.raises(ValueError, match="at least one point"):
        vr_persistence(torch.zeros(0, 0), 1)


def test_bad_backend() -> None:
    with pytest.raises(ValueError, match="backend"):
        vr_persistence_l2(_cloud(), 0, backend="gpu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dimension 0 only"):
        vr_persistence_l2(_cloud(), 1, backend="torch")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_batch_identical_to_cpu_and_differentiable() -> None:
    clouds = torch.randn(16, 200, 3, dtype=torch.float64)
    gpu = clouds.cuda().requires_grad_()
    for md in (0, 1):
        on_gpu = vr_persistence_l2(gpu, md)
        on_cpu = vr_persistence_l2(clouds, md)
        for a, b in zip(on_gpu, on_cpu):
            _assert_same_result(tuple([t.cpu() for t in part] for part in a), b)
        sum(r[0][0][:, 1].sum() for r in on_gpu).backward()
        assert gpu.grad is not None
        assert gpu.grad.device.type == "cuda"
        gpu.grad = None
