"""Lower-star, cubical and boundary-array persistence: gudhi oracle, hand cases, gradients."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from torchph_lite.pershom import (
    calculate_persistence,
    cubical_persistence,
    lower_star_persistence,
)

gudhi = pytest.importorskip("gudhi")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _as_multisets(result, max_dim: int, superlevel: bool) -> list[list[tuple[float, float]]]:
    non_essential, essential = result
    assert len(non_essential) == len(essential) == max_dim + 1
    inf = -np.inf if superlevel else np.inf
    out = []
    for k in range(max_dim + 1):
        assert non_essential[k].shape[1:] == (2,)
        assert essential[k].dim() == 1
        pairs = [tuple(p) for p in non_essential[k].tolist()]
        pairs += [(b, inf) for b in essential[k].tolist()]
        out.append(sorted(pairs))
    return out


def _gudhi_intervals(st_or_cc, max_dim: int, superlevel: bool) -> list[list[tuple[float, float]]]:
    out = []
    for k in range(max_dim + 1):
        iv = np.asarray(st_or_cc.persistence_intervals_in_dimension(k)).reshape(-1, 2)
        iv = iv[iv[:, 0] < iv[:, 1]]
        out.append(sorted(map(tuple, (-iv if superlevel else iv).tolist())))
    return out


def _gudhi_lower_star(values, simplices, max_dim, superlevel):
    g = -values if superlevel else values
    st = gudhi.SimplexTree()
    for i, v in enumerate(g):
        st.insert([i], v)
    for rows in simplices:
        for row in rows:
            for q in range(2, len(row) + 1):  # every face, with its own lower-star value
                for face in itertools.combinations(row.tolist(), q):
                    st.insert(list(face), g[list(face)].max())
    st.persistence(homology_coeff_field=2, min_persistence=0, persistence_dim_max=True)
    return _gudhi_intervals(st, max_dim, superlevel)


def _gudhi_cubical(img, max_dim, construction, superlevel):
    g = -img if superlevel else img
    if construction == "V":
        cc = gudhi.CubicalComplex(vertices=g)
    else:
        cc = gudhi.CubicalComplex(top_dimensional_cells=g)
    cc.compute_persistence(homology_coeff_field=2, min_persistence=0)
    return _gudhi_intervals(cc, max_dim, superlevel)


def _random_complex(rng, n):
    """Random edges and triangles over ``n`` vertices (repeats, any vertex order)."""
    edges = rng.integers(0, n, (int(rng.integers(0, 3 * n + 1)), 2))
    edges = edges[edges[:, 0] != edges[:, 1]]
    n_tri = int(rng.integers(0, n + 1)) if n >= 3 else 0
    tris = np.array(
        [rng.choice(n, 3, replace=False) for _ in range(n_tri)], dtype=np.int64
    ).reshape(-1, 3)
    return [edges, tris]


# --------------------------------------------------------------------------------------------
# lower-star
# --------------------------------------------------------------------------------------------
def test_lower_star_matches_gudhi_on_random_complexes() -> None:
    rng = np.random.default_rng(0)
    for case in range(80):
        n = int(rng.integers(1, 16))
        ties = case % 2 == 0
        values = rng.integers(0, 4, n).astype(float) if ties else rng.random(n)
        simplices = _random_complex(rng, n)
        if case % 5 == 0:  # a triangle mesh: a triangulated grid
            side = 4
            n = side * side
            values = rng.integers(0, 4, n).astype(float) if ties else rng.random(n)
            quads = [
                (i * side + j, i * side + j + 1, (i + 1) * side + j, (i + 1) * side + j + 1)
                for i in range(side - 1)
                for j in range(side - 1)
            ]
            tris = np.array([t for a, b, c, d in quads for t in ((a, b, c), (b, c, d))])
            simplices = [np.zeros((0, 2), dtype=np.int64), tris]  # edges implied
        max_dim = int(rng.integers(0, 3))
        superlevel = bool(case % 3 == 1)
        got = lower_star_persistence(
            torch.tensor(values), [torch.tensor(s) for s in simplices], max_dim, superlevel
        )
        want = _gudhi_lower_star(values, simplices, max_dim, superlevel)
        assert _as_multisets(got, max_dim, superlevel) == want, case


def test_lower_star_ring_graph() -> None:
    f = torch.tensor([0.0, 3.0, 1.0, 4.0, 2.0, 5.0])
    ring = torch.tensor([[i, (i + 1) % 6] for i in range(6)])
    non_essential, essential = lower_star_persistence(f, [ring])
    # minima 0, 1, 2 merge at the saddles 3 and 4; the cycle closes at 5
    assert non_essential[0].tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert essential[0].tolist() == [0.0]
    assert non_essential[1].shape == (0, 2)
    assert essential[1].tolist() == [5.0]
    # superlevel: maxima 5, 4, 3 merge at 1 and 0... reported in f's values
    non_essential, essential = lower_star_persistence(f, [ring], superlevel=True)
    assert sorted(non_essential[0].tolist()) == [[3.0, 1.0], [4.0, 2.0]]
    assert essential[0].tolist() == [5.0]
    assert essential[1].tolist() == [0.0]


def test_lower_star_filled_triangle_kills_the_cycle() -> None:
    f = torch.tensor([0.0, 1.0, 2.0])
    edges = torch.tensor([[0, 1], [1, 2], [0, 2]])
    tri = torch.tensor([[2, 0, 1]])
    hollow = lower_star_persistence(f, [edges], max_dimension=1)
    assert hollow[1][1].tolist() == [2.0]
    filled = lower_star_persistence(f, [edges, tri], max_dimension=1)
    assert filled[1][1].shape == (0,)  # born and killed at 2: a zero-length pair, dropped
    assert filled[0][1].shape == (0, 2)
    # faces implied: the triangle alone gives the same complex
    implied = lower_star_persistence(f, [torch.zeros(0, 2, dtype=torch.long), tri], 1)
    for a, b in zip(filled[0] + filled[1], implied[0] + implied[1]):
        assert torch.equal(a, b)


def test_lower_star_isolated_vertices_and_no_simplices() -> None:
    f = torch.tensor([2.0, 0.0, 1.0])
    non_essential, essential = lower_star_persistence(f, None, max_dimension=2)
    assert essential[0].tolist() == [0.0, 1.0, 2.0]
    assert all(p.shape == (0, 2) for p in non_essential)
    assert essential[1].shape == essential[2].shape == (0,)


def test_lower_star_batch_equals_items_and_keeps_dtype() -> None:
    rng = np.random.default_rng(1)
    items = []
    for n in (5, 9, 1, 7):
        edges, tris = _random_complex(rng, n)
        items.append(
            (
                torch.tensor(rng.random(n), dtype=torch.float32),
                [torch.tensor(edges), torch.tensor(tris)],
            )
        )
    batch = lower_star_persistence(items, max_dimension=1)
    assert len(batch) == len(items)
    for (v, s), got in zip(items, batch):
        want = lower_star_persistence(v, s, 1)
        for a, b in zip(got[0] + got[1], want[0] + want[1]):
            assert a.dtype == torch.float32
            assert torch.equal(a, b)
            assert set(a.reshape(-1).tolist()) <= set(v.tolist())  # exactly input entries


def test_lower_star_gradcheck() -> None:
    rng = np.random.default_rng(2)
    n = 12
    edges, tris = _random_complex(rng, n)
    simplices = [torch.tensor(edges), torch.tensor(tris)]
    x = torch.tensor(rng.permutation(n) / n + 0.01 * rng.random(n), requires_grad=True)

    def loss(v: torch.Tensor) -> torch.Tensor:
        non_essential, essential = lower_star_persistence(v, simplices, 1)
        total = (non_essential[0][:, 1] - non_essential[0][:, 0]).pow(2).sum()
        return total + non_essential[1].sum() + essential[1].sum() + essential[0].sum()

    assert torch.autograd.gradcheck(loss, (x,))


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((torch.tensor([0.0, float("nan")]), None), ValueError, "vertex_values contains NaN"),
        ((torch.tensor([0, 1]), None), TypeError, "floating point"),
        ((torch.zeros(3), [torch.tensor([[0, 3]])]), ValueError, r"simplices\[0\].*outside"),
        ((torch.zeros(3), [torch.tensor([[0, -1]])]), ValueError, r"simplices\[0\].*outside"),
        ((torch.zeros(3), [torch.tensor([[0, 1, 2]])]), ValueError, r"shape \(m, 2\)"),
        ((torch.zeros(3), [torch.tensor([[0.0, 1.0]])]), TypeError, "integer dtype"),
        ((torch.zeros(3), [torch.tensor([[1, 1]])]), ValueError, "repeated vertex"),
        ((torch.zeros(3), torch.tensor([[0, 1]])), TypeError, "list of integer tensors"),
        ((torch.zeros(2, 2), None), ValueError, r"shape \(n,\)"),
    ],
)
def test_lower_star_bad_input(args, error, match) -> None:
    with pytest.raises(error, match=match):
        lower_star_persistence(*args)


def test_lower_star_bad_max_dimension() -> None:
    with pytest.raises(ValueError, match="max_dimension"):
        lower_star_persistence(torch.zeros(2), None, max_dimension=-1)
    with pytest.raises(TypeError, match="max_dimension"):
        lower_star_persistence(torch.zeros(2), None, max_dimension=1.0)


# --------------------------------------------------------------------------------------------
# cubical
# --------------------------------------------------------------------------------------------
def test_cubical_matches_gudhi_on_random_images() -> None:
    rng = np.random.default_rng(3)
    for case in range(120):
        d = 2 if case % 3 else 3
        shape = tuple(int(s) for s in rng.integers(1, 9 if d == 2 else 5, d))
        ties = case % 2 == 0
        img = rng.integers(0, 4, shape).astype(float) if ties else rng.random(shape)
        construction = "VT"[case % 4 // 2]
        superlevel = case % 5 in (1, 3)
        max_dim = int(rng.integers(0, d + 1))
        got = cubical_persistence(torch.tensor(img), max_dim, construction, superlevel)
        want = _gudhi_cubical(img, max_dim, construction, superlevel)
        assert _as_multisets(got, max_dim, superlevel) == want, case


def test_cubical_square_with_a_hole() -> None:
    img = torch.ones(5, 5)
    img[0, :] = img[-1, :] = img[:, 0] = img[:, -1] = 0.0  # a frame of 0s around a block of 1s
    for construction in ("V", "T"):
        non_essential, essential = cubical_persistence(img, construction=construction)
        assert essential[0].tolist() == [0.0]
        assert non_essential[0].shape == (0, 2)
        assert non_essential[1].tolist() == [[0.0, 1.0]]  # the frame is a hole until 1
        non_essential, essential = cubical_persistence(img, superlevel=True)
        assert essential[0].tolist() == [1.0]  # the block is born first, the frame joins it
        assert non_essential[0].shape == non_essential[1].shape == (0, 2)
    img[2, 2] = 3.0  # a peak in the middle: the hole now closes at 3
    assert cubical_persistence(img, construction="T")[0][1].tolist() == [[0.0, 3.0]]


def test_cubical_single_pixel_and_constant_images() -> None:
    for construction in ("V", "T"):
        non_essential, essential = cubical_persistence(torch.tensor([[2.5]]), 1, construction)
        assert essential[0].tolist() == [2.5]
        assert non_essential[0].shape == non_essential[1].shape == (0, 2)
        non_essential, essential = cubical_persistence(torch.full((4, 3, 5), 7.0), 2, construction)
        assert essential[0].tolist() == [7.0]
        assert all(p.shape == (0, 2) for p in non_essential)
        assert all(e.shape == (0,) for e in essential[1:])


def test_cubical_batches_lists_and_dtype() -> None:
    rng = np.random.default_rng(4)
    imgs = torch.tensor(rng.random((3, 6, 7)), dtype=torch.float32)
    batch = cubical_persistence(imgs, batched=True)
    as_list = cubical_persistence([*imgs, imgs[0][:4]])
    one_3d = cubical_persistence(imgs)  # without batched=True: one 3-D image
    assert len(one_3d[0]) == 3
    for i in range(3):
        want = cubical_persistence(imgs[i])
        for got in (batch[i], as_list[i]):
            for a, b in zip(got[0] + got[1], want[0] + want[1]):
                assert a.dtype == torch.float32
                assert torch.equal(a, b)
    assert torch.equal(as_list[3][0][0], cubical_persistence(imgs[0][:4])[0][0])


def test_cubical_torch_backend_equals_numba() -> None:
    rng = np.random.default_rng(5)
    for case in range(40):
        d = 2 + case % 2
        sides = rng.integers(1, 9 if d == 2 else 5, d)
        shape = (int(rng.integers(1, 4)), *(int(s) for s in sides))
        img = rng.integers(0, 3, shape).astype(float) if case % 3 == 0 else rng.random(shape)
        construction = "VT"[case % 4 // 2]
        superlevel = case % 5 == 1
        x = torch.tensor(img)
        a = cubical_persistence(x, 0, construction, superlevel, batched=True, backend="numba")
        b = cubical_persistence(x, 0, construction, superlevel, batched=True, backend="torch")
        for got, want in zip(b, a):
            assert torch.equal(got[0][0], want[0][0])
            assert torch.equal(got[1][0], want[1][0])


def test_cubical_gradcheck() -> None:
    rng = np.random.default_rng(6)
    for construction, d in (("V", 2), ("T", 2), ("V", 3)):
        shape = (5, 6) if d == 2 else (3, 3, 4)
        size = int(np.prod(shape))
        img = torch.tensor((rng.permutation(size) / size).reshape(shape), requires_grad=True)

        def loss(x: torch.Tensor, construction: str = construction) -> torch.Tensor:
            non_essential, essential = cubical_persistence(x, None, construction)
            lengths = [(p[:, 1] - p[:, 0]).pow(2).sum() for p in non_essential]
            return sum(lengths) + essential[0].sum()

        assert torch.autograd.gradcheck(loss, (img,))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((torch.tensor([[0.0, float("nan")]]),), {}, ValueError, "images contains NaN"),
        ((torch.zeros(2, 2, dtype=torch.int64),), {}, TypeError, "floating point"),
        ((torch.zeros(0, 3),), {}, ValueError, "must not be empty"),
        ((torch.zeros(3),), {}, ValueError, "2-D"),
        ((torch.zeros(3, 3),), {"construction": "X"}, ValueError, "construction"),
        ((torch.zeros(3, 3),), {"max_dimension": 3}, ValueError, "max_dimension"),
        ((torch.zeros(3, 3),), {"backend": "torch", "max_dimension": 1}, ValueError, "backend"),
        ((torch.zeros(2, 3),), {"batched": True}, ValueError, "batched=True"),
        (([],), {}, ValueError, "empty list"),
    ],
)
def test_cubical_bad_input(args, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        cubical_persistence(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# calculate_persistence (torchph's boundary-array API)
# --------------------------------------------------------------------------------------------
def test_calculate_persistence_oracle_from_torchph() -> None:
    ba = torch.tensor([[1, 0, -1, -1]])
    pairs, essential = calculate_persistence(ba, torch.tensor([2]), torch.tensor([0, 0, 1]), 0)
    assert pairs[0].tolist() == [[1, 2]]
    assert essential[0].tolist() == [0]
    assert pairs[0].dtype == torch.int64


def test_calculate_persistence_matches_gudhi_on_random_filtrations() -> None:
    rng = np.random.default_rng(7)
    for case in range(50):
        n = int(rng.integers(2, 9))
        edges, tris = _random_complex(rng, n)
        # all simplices with their faces, in a random valid filtration order
        simplices = {(i,) for i in range(n)}
        for row in list(edges) + list(tris):
            for q in range(2, len(row) + 1):
                simplices.update(tuple(sorted(c)) for c in itertools.combinations(row.tolist(), q))
        noise = {s: rng.random() + len(s) for s in simplices}  # faces first
        order = sorted(simplices, key=lambda s: noise[s])
        index = {s: i for i, s in enumerate(order)}
        rows, cols = [], []
        for s in order:
            if len(s) > 1:
                faces = sorted(
                    (index[tuple(f)] for f in itertools.combinations(s, len(s) - 1)), reverse=True
                )
                rows.append(faces + [-1] * (3 - len(faces)))
                cols.append(index[s])
        ba = torch.tensor(rows, dtype=torch.int64).reshape(-1, 3)
        dims = torch.tensor([len(s) - 1 for s in order])
        max_dim = 2
        pairs, essential = calculate_persistence(
            ba, torch.tensor(cols, dtype=torch.int64), dims, max_dim
        )
        st = gudhi.SimplexTree()
        for s in order:
            st.insert(list(s), float(index[s]))
        st.persistence(homology_coeff_field=2, min_persistence=-1, persistence_dim_max=True)
        for k in range(max_dim + 1):
            iv = np.asarray(st.persistence_intervals_in_dimension(k)).reshape(-1, 2)
            finite = sorted(map(tuple, iv[np.isfinite(iv[:, 1])].astype(int).tolist()))
            ess = sorted(iv[~np.isfinite(iv[:, 1]), 0].astype(int).tolist())
            assert sorted(map(tuple, pairs[k].tolist())) == finite, case
            assert essential[k].tolist() == ess, case


@pytest.mark.parametrize(
    ("ba", "cols", "dims", "match"),
    [
        ([[0, 1]], [2], [0, 0, 1], "descending"),
        ([[1, 0]], [1], [0, 0], "before its simplex"),
        ([[5, 0]], [2], [0, 0, 1], "face indices"),
        ([[-1, 0]], [2], [0, 0, 1], "right only"),
        ([[1, 0]], [2, 3], [0, 0, 1, 1], "one entry per row"),
    ],
)
def test_calculate_persistence_bad_input(ba, cols, dims, match) -> None:
    with pytest.raises(ValueError, match=match):
        calculate_persistence(torch.tensor(ba), torch.tensor(cols), torch.tensor(dims), 1)
    with pytest.raises(TypeError, match="integer dtype"):
        calculate_persistence(torch.zeros(1, 2), torch.tensor([2]), torch.tensor([0, 0, 1]), 1)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_inputs_match_cpu() -> None:
    rng = np.random.default_rng(8)
    imgs = torch.tensor(rng.random((4, 20, 30)))
    for max_dim in (0, 1):  # 0: the device path; 1: CPU kernels, values gathered on the device
        cpu = cubical_persistence(imgs, max_dim, batched=True)
        gpu = cubical_persistence(imgs.cuda(), max_dim, batched=True)
        for a, b in zip(cpu, gpu):
            for x, y in zip(a[0] + a[1], b[0] + b[1]):
                assert y.device.type == "cuda"
                assert torch.equal(x, y.cpu())
    f = torch.tensor(rng.random(10))
    edges = torch.tensor([[i, (i + 3) % 10] for i in range(10)])
    cpu = lower_star_persistence(f, [edges])
    gpu = lower_star_persistence(f.cuda(), [edges.cuda()])
    for x, y in zip(cpu[0] + cpu[1], gpu[0] + gpu[1]):
        assert torch.equal(x, y.cpu())
