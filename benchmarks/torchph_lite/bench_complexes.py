"""Cubical and lower-star persistence: torchph_lite.pershom against gudhi (and cripser, giotto-tda).

All libraries run in this one process, single-threaded (torch with one intra-op thread), interleaved
repetition by repetition. Each row reports the median wall-clock and the median process CPU time
(robust on a shared machine) and the ratios ours/peer. Every case is checked once: the diagrams
agree with gudhi's as multisets.

Cases (issue #14):

* cubical 2-D, 256x256 and 512x512, random and smooth images, dimensions 0-1, both constructions;
* a training step (forward + backward of a persistence loss) on a batch of 32 images of 64x64,
  against gudhi + torch gather (the way a training loop uses gudhi);
* lower-star persistence of a random graph with 10^5 vertices and 3 * 10^5 edges, against gudhi's
  SimplexTree route (insert, persistence);
* Vietoris-Rips with the Boissonnat-Pritam edge collapse: dims 0-2, n = 200 in R³, against
  giotto-ph with and without ``collapse_edges`` (single thread), gudhi's collapse, and our own
  uncollapsed path; dims 0-1, n = 1000 in R² (the default does not collapse there) against
  giotto-ph single-thread;
* the first-call (compile) time of every new function with an empty numba cache, measured in a
  fresh subprocess.

Usage: ``python bench_complexes.py --output DIR [--quick] [--cases cubical,training,...]``; writes
``DIR/bench_complexes.md``. giotto-tda 0.6.2 pins scikit-learn 1.3.2, which needs numpy < 2: to
compare with it, run ``--cases cubical`` in an environment with ``numpy<2 scikit-learn==1.3.2
giotto-tda`` (plus torch, numba, gudhi, cripser and this package).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from torchph_lite.pershom import cubical_persistence, lower_star_persistence, vr_persistence_l2

try:
    import gudhi
except ImportError:  # pragma: no cover - optional peer
    gudhi = None
try:
    import cripser
except ImportError:  # pragma: no cover - optional peer
    cripser = None
try:
    from gph import ripser_parallel
except ImportError:  # pragma: no cover - optional peer
    ripser_parallel = None
try:
    from gtda.homology import CubicalPersistence as GtdaCubical
except ImportError:  # pragma: no cover - optional peer
    GtdaCubical = None


def _time(fn: Callable[[], object]) -> tuple[float, float]:
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - w0) * 1e3, (time.process_time() - c0) * 1e3


def _measure(fns: dict[str, Callable[[], object]], reps: int) -> dict[str, tuple[float, float]]:
    """Median (wall ms, cpu ms) per function, runs interleaved after one warm-up each."""
    for fn in fns.values():
        fn()
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            samples[name].append(_time(fn))
    return {
        k: (float(np.median([s[0] for s in v])), float(np.median([s[1] for s in v])))
        for k, v in samples.items()
    }


def _row(case: str, res: dict[str, tuple[float, float]], ours: str) -> list[str]:
    lines = []
    for name, (wall, cpu) in res.items():
        if name == ours:
            continue
        rw = res[ours][0] / wall
        rc = res[ours][1] / cpu
        lines.append(
            f"| {case} | {name} | {res[ours][0]:.1f} / {res[ours][1]:.1f} | {wall:.1f} / {cpu:.1f} "
            f"| {rw:.2f} | {rc:.2f} |"
        )
    return lines


def _multiset(pairs: np.ndarray) -> list[tuple[float, float]]:
    pairs = np.asarray(pairs, dtype=np.float64).reshape(-1, 2)
    pairs = pairs[(pairs[:, 0] < pairs[:, 1]) & np.isfinite(pairs[:, 1])]
    return sorted(map(tuple, pairs.tolist()))


# ----------------------------------------------------------------------------------------------
# cubical
# ----------------------------------------------------------------------------------------------
def _image(kind: str, side: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "random":
        return rng.random((side, side))
    y, x = np.mgrid[0:side, 0:side] / side
    smooth = np.sin(6 * np.pi * x) * np.cos(4 * np.pi * y) + 0.5 * np.sin(10 * np.pi * (x + y))
    return smooth + 0.05 * rng.standard_normal((side, side))


def _gudhi_cubical(img: np.ndarray, construction: str) -> Callable[[], object]:
    def run() -> object:
        if construction == "V":
            cc = gudhi.CubicalComplex(vertices=img)
        else:
            cc = gudhi.CubicalComplex(top_dimensional_cells=img)
        cc.compute_persistence(homology_coeff_field=2, min_persistence=0)
        return [cc.persistence_intervals_in_dimension(k) for k in (0, 1)]

    return run


def _check_cubical(img: np.ndarray, construction: str) -> None:
    ours = cubical_persistence(torch.from_numpy(img), 1, construction)
    ref = _gudhi_cubical(img, construction)()
    for k in (0, 1):
        assert _multiset(ours[0][k].numpy()) == _multiset(ref[k]), (construction, k)


def bench_cubical(quick: bool, rng: np.random.Generator) -> list[str]:
    lines = []
    sides = (256,) if quick else (256, 512)
    reps = 3 if quick else 7
    for side in sides:
        for kind in ("random", "smooth"):
            img = _image(kind, side, rng)
            x = torch.from_numpy(img)
            for construction in ("V", "T"):
                _check_cubical(img, construction)
                fns: dict[str, Callable[[], object]] = {
                    "torchph_lite": lambda x=x, c=construction: cubical_persistence(x, 1, c),
                    "gudhi": _gudhi_cubical(img, construction),
                }
                if cripser is not None:  # CubicalRipser: V by default, T with top_dim
                    fns["cripser"] = lambda img=img, t=construction == "T": cripser.computePH(
                        img, maxdim=1, top_dim=t, n_threads=1
                    )
                if GtdaCubical is not None and construction == "T":
                    gt = GtdaCubical(homology_dimensions=(0, 1), n_jobs=1)
                    fns["giotto-tda"] = lambda img=img, gt=gt: gt.fit_transform(img[None])
                res = _measure(fns, reps)
                lines += _row(f"cubical {side}x{side} {kind} {construction}", res, "torchph_lite")
    return lines


def bench_training_step(quick: bool, rng: np.random.Generator) -> list[str]:
    """Forward + backward of sum of H0 and H1 lifetimes, batch of 32 images of 64x64."""
    batch = torch.from_numpy(rng.random((32, 64, 64))).float()

    def ours() -> None:
        x = batch.clone().requires_grad_(True)
        out = cubical_persistence(x, 1, "V", batched=True)
        loss = sum((p[:, 1] - p[:, 0]).sum() for ne, _ in out for p in ne)
        loss.backward()

    def peer() -> None:  # gudhi pairs (pixel indices), values gathered with torch
        x = batch.clone().requires_grad_(True)
        flat = x.reshape(32, -1)
        total = x.new_zeros(())
        for i in range(32):
            cc = gudhi.CubicalComplex(vertices=batch[i].numpy())
            cc.compute_persistence(homology_coeff_field=2, min_persistence=0)
            regular, _ = cc.vertices_of_persistence_pairs()
            for k, pairs in enumerate(regular[:2]):
                idx = torch.from_numpy(np.asarray(pairs, dtype=np.int64).reshape(-1, 2))
                vals = flat[i][idx]
                total = total + (vals[:, 1] - vals[:, 0]).sum()
                del k
        total.backward()

    res = _measure({"torchph_lite": ours, "gudhi + torch gather": peer}, 3 if quick else 7)
    return _row("training step 32x64x64, dims 0-1, f+b", res, "torchph_lite")


# ----------------------------------------------------------------------------------------------
# lower-star on a graph
# ----------------------------------------------------------------------------------------------
def bench_lower_star(quick: bool, rng: np.random.Generator) -> list[str]:
    n, m = (20_000, 60_000) if quick else (100_000, 300_000)
    edges = rng.integers(0, n, (m, 2))
    edges = edges[edges[:, 0] != edges[:, 1]]
    values = rng.random(n)
    v_t, e_t = torch.from_numpy(values), torch.from_numpy(edges)

    def peer() -> object:
        st = gudhi.SimplexTree()
        st.insert_batch(np.arange(n)[None], values)
        st.insert_batch(edges.T, np.maximum(values[edges[:, 0]], values[edges[:, 1]]))
        st.persistence(homology_coeff_field=2, min_persistence=0, persistence_dim_max=True)
        return st

    ours = lower_star_persistence(v_t, [e_t], 1)
    st = peer()
    for k in (0, 1):
        ess = ours[1][k].numpy()
        mine = _multiset(ours[0][k].numpy()) + sorted((b, np.inf) for b in ess.tolist())
        ref = np.asarray(st.persistence_intervals_in_dimension(k)).reshape(-1, 2)
        fin = _multiset(ref[np.isfinite(ref[:, 1])])
        want = fin + sorted((b, np.inf) for b in ref[~np.isfinite(ref[:, 1]), 0].tolist())
        assert sorted(mine) == sorted(want), k
    res = _measure(
        {"torchph_lite": lambda: lower_star_persistence(v_t, [e_t], 1), "gudhi SimplexTree": peer},
        3 if quick else 5,
    )
    return _row(f"lower-star graph n={n} E={edges.shape[0]} dims 0-1", res, "torchph_lite")


# ----------------------------------------------------------------------------------------------
# Vietoris-Rips with edge collapse
# ----------------------------------------------------------------------------------------------
def _gudhi_collapsed_rips(x: np.ndarray, maxdim: int) -> Callable[[], object]:
    def run() -> object:
        dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
        st = gudhi.SimplexTree.create_from_array(dist, max_filtration=np.inf)
        st.collapse_edges()
        st.expansion(maxdim + 1)
        return st.persistence()

    return run


def _check_rips(x: np.ndarray, maxdim: int) -> None:
    ours = vr_persistence_l2(torch.from_numpy(x), maxdim)[0]
    ref = ripser_parallel(x, maxdim=maxdim, n_threads=1, collapse_edges=True)["dgms"]
    for k in range(maxdim + 1):
        finite = ref[k][np.isfinite(ref[k][:, 1])].astype(np.float64)
        a = np.sort(ours[k].numpy(), axis=0)
        b = np.sort(finite[finite[:, 0] < finite[:, 1]], axis=0)
        assert a.shape == b.shape, f"H{k}: different numbers of pairs"
        assert np.allclose(a, b, rtol=1e-5), f"H{k} disagrees"


def bench_rips_collapse(quick: bool, rng: np.random.Generator) -> list[str]:
    if ripser_parallel is None:
        return ["| (giotto-ph not installed: no Vietoris-Rips peer) | | | | | |"]
    lines = []
    reps = 5 if quick else 15
    x = rng.random((120 if quick else 200, 3))
    t = torch.from_numpy(x)
    _check_rips(x, 2)
    fns: dict[str, Callable[[], object]] = {
        "torchph_lite": lambda: vr_persistence_l2(t, 2),
        "torchph_lite collapse_edges=False": lambda: vr_persistence_l2(t, 2, collapse_edges=False),
        "giotto-ph collapse_edges=True": lambda: ripser_parallel(
            x, maxdim=2, n_threads=1, collapse_edges=True
        ),
        "giotto-ph": lambda: ripser_parallel(x, maxdim=2, n_threads=1),
    }
    if gudhi is not None:
        fns["gudhi collapse_edges + expansion"] = _gudhi_collapsed_rips(x, 2)
    lines += _row(f"Rips dims 0-2, n={x.shape[0]}, R³", _measure(fns, reps), "torchph_lite")
    x = rng.random((300 if quick else 1000, 2))
    t = torch.from_numpy(x)
    _check_rips(x, 1)
    fns = {
        "torchph_lite": lambda: vr_persistence_l2(t, 1),
        "torchph_lite collapse_edges=True": lambda: vr_persistence_l2(t, 1, collapse_edges=True),
        "giotto-ph": lambda: ripser_parallel(x, maxdim=1, n_threads=1),
        "giotto-ph collapse_edges=True": lambda: ripser_parallel(
            x, maxdim=1, n_threads=1, collapse_edges=True
        ),
    }
    res = _measure(fns, 3 if quick else 5)
    lines += _row(f"Rips dims 0-1, n={x.shape[0]}, R²", res, "torchph_lite")
    return lines


# ----------------------------------------------------------------------------------------------
# cold start
# ----------------------------------------------------------------------------------------------
_COLD = """
import time, torch
t0 = time.perf_counter()
from torchph_lite import pershom
t1 = time.perf_counter()
x = torch.rand(16, 16, requires_grad=True)
pershom.cubical_persistence(x, 1)
t2 = time.perf_counter()
pershom.cubical_persistence(torch.rand(3, 4, 5), 2)
t3 = time.perf_counter()
pershom.lower_star_persistence(torch.rand(4), [torch.tensor([[0, 1], [1, 2]]),
                               torch.tensor([[0, 1, 2]])], 1)
t4 = time.perf_counter()
pershom.calculate_persistence(torch.tensor([[1, 0]]), torch.tensor([2]), torch.tensor([0, 0, 1]), 0)
t5 = time.perf_counter()
cloud = torch.rand(8, 3, dtype=torch.float64)
pershom.vr_persistence_l2(cloud, 2, collapse_edges=False)
t6 = time.perf_counter()
pershom.vr_persistence_l2(cloud, 2)
t7 = time.perf_counter()
marks = [t0, t1, t2, t3, t4, t5, t6, t7]
print(" ".join(f"{b - a:.2f}" for a, b in zip(marks, marks[1:])))
"""


def bench_cold_start() -> list[str]:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold = subprocess.run(
            [sys.executable, "-c", _COLD], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        warm = subprocess.run(
            [sys.executable, "-c", _COLD], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
    names = [
        "import",
        "cubical 2-D (first call)",
        "cubical 3-D dim 1 (reduction)",
        "lower-star",
        "calculate_persistence",
        "Vietoris-Rips dims 0-2 without collapse (the engine)",
        "Vietoris-Rips dims 0-2 with edge collapse (after the engine)",
    ]
    return [f"| {n} | {c} | {w} |" for n, c, w in zip(names, cold, warm)]


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for dist in ("torch", "numpy", "numba", "gudhi", "cripser", "giotto-ph", "giotto-tda"):
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{dist} {version(dist)}")
    return ", ".join(found)


_CASES = ("cubical", "training", "lower_star", "rips", "cold")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--cases",
        default=",".join(_CASES),
        help=f"comma-separated subset of {', '.join(_CASES)} (default: all)",
    )
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    if not cases <= set(_CASES):
        parser.error(f"--cases: unknown {sorted(cases - set(_CASES))}; choose from {_CASES}")
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    lines = [
        "# Cubical and lower-star persistence (torchph_lite vs peers)",
        "",
        "Median wall / CPU ms; ratio = ours / peer (lower is better).",
        "",
        f"Versions: {_versions()}.",
        "",
        "| case | peer | ours (wall / cpu) | peer (wall / cpu) | ratio wall | ratio cpu |",
        "|---|---|---|---|---|---|",
    ]
    if gudhi is None:
        lines.append("| (gudhi not installed: no peer) | | | | | |")
    else:
        if "cubical" in cases:
            lines += bench_cubical(args.quick, rng)
        if "training" in cases:
            lines += bench_training_step(args.quick, rng)
        if "lower_star" in cases:
            lines += bench_lower_star(args.quick, rng)
    if "rips" in cases:
        lines += bench_rips_collapse(args.quick, rng)
    missing = [n for n, m in (("cripser", cripser), ("giotto-tda", GtdaCubical)) if m is None]
    if missing:
        lines += ["", f"Not installed, not compared: {', '.join(missing)}."]
    if "cold" in cases:
        lines += [
            "",
            "## First call with an empty numba cache (seconds, fresh process)",
            "",
            "| step | cold | warm (second process) |",
            "|---|---|---|",
            *bench_cold_start(),
        ]
    args.output.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    (args.output / "bench_complexes.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
