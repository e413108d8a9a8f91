"""Vietoris-Rips persistence: torchph_lite.pershom against ripser, giotto-ph and gudhi.

All libraries run in this one process, single-threaded (giotto-ph ``n_threads=1``, torch with one
intra-op thread), interleaved repetition by repetition. For each case the table reports the median
wall-clock time and the median CPU time of the process (robust when the machine is shared),
and the ratios ours/peer of both. Inputs are uniform random clouds in the unit square/cube with the
Euclidean metric; every library computes the same diagrams (checked once per case).

Usage: ``python bench_pershom.py --output DIR [--quick]``; writes ``DIR/bench_pershom.md``.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from torchph_lite.pershom import vr_persistence_l1, vr_persistence_l2

try:
    import gudhi
except ImportError:  # pragma: no cover - optional peer
    gudhi = None
try:
    from gph import ripser_parallel
except ImportError:  # pragma: no cover
    ripser_parallel = None
try:
    from ripser import ripser
except ImportError:  # pragma: no cover
    ripser = None


def _time(fn: Callable[[], object], collect: bool = True) -> tuple[float, float]:
    if collect:
        gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - w0) * 1e3, (time.process_time() - c0) * 1e3


def _measure(
    fns: dict[str, Callable[[], object]], reps: int, collect: bool = True
) -> dict[str, tuple[float, float]]:
    """Median (wall ms, cpu ms) per function, runs interleaved.

    With ``collect`` (the default) a full garbage collection precedes every run: no run pays for
    the garbage of another, but each starts with cold CPU caches (the collector walks every
    object of the process). ``collect=False`` times a function's runs back to back, the steady
    state of a training loop.
    """
    for fn in fns.values():  # warm-up (numba compile, caches)
        fn()
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
    if collect:
        for _ in range(reps):
            for name, fn in fns.items():
                samples[name].append(_time(fn))
    else:
        for name, fn in fns.items():
            gc.collect()
            fn()
            samples[name] = [_time(fn, collect=False) for _ in range(reps)]
    return {
        k: (float(np.median([s[0] for s in v])), float(np.median([s[1] for s in v])))
        for k, v in samples.items()
    }


# ----------------------------------------------------------------------------------------------
# peers
# ----------------------------------------------------------------------------------------------
def _gph(x: np.ndarray, maxdim: int, collapse: bool = False) -> Callable[[], object]:
    return lambda: ripser_parallel(x, maxdim=maxdim, n_threads=1, collapse_edges=collapse)


def _ripser(x: np.ndarray, maxdim: int) -> Callable[[], object]:
    return lambda: ripser(x, maxdim=maxdim)


def _gudhi(x: np.ndarray, maxdim: int, collapse: bool) -> Callable[[], object]:
    def run() -> object:
        if collapse:
            dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
            st = gudhi.SimplexTree.create_from_array(dist, max_filtration=np.inf)
            st.collapse_edges(nb_iterations=1)
            st.expansion(maxdim + 1)
        else:
            st = gudhi.RipsComplex(points=x).create_simplex_tree(max_dimension=maxdim + 1)
        return st.persistence()

    return run


def _ours(x: np.ndarray, maxdim: int) -> Callable[[], object]:
    t = torch.from_numpy(x)
    return lambda: vr_persistence_l2(t, maxdim)


def _check_same(x: np.ndarray, maxdim: int) -> None:
    ours = vr_persistence_l2(torch.from_numpy(x), maxdim)[0]
    ref = ripser_parallel(x, maxdim=maxdim, n_threads=1)["dgms"]
    for k in range(maxdim + 1):
        finite = ref[k][np.isfinite(ref[k][:, 1])]
        a = np.sort(ours[k].numpy(), axis=0)
        b = np.sort(finite.astype(np.float64), axis=0)
        assert a.shape == b.shape, f"H{k}: different numbers of pairs"
        assert np.allclose(a, b, rtol=1e-5), f"H{k} disagrees"


# ----------------------------------------------------------------------------------------------
# cases
# ----------------------------------------------------------------------------------------------
def point_cloud_cases(quick: bool) -> list[tuple[str, np.ndarray, int, list[str]]]:
    rng = np.random.default_rng(0)
    if quick:
        return [
            ("dim 0, n=200, R²", rng.random((200, 2)), 0, ["ripser", "gph"]),
            ("dims 0–1, n=100, R²", rng.random((100, 2)), 1, ["ripser", "gph"]),
            ("dims 0–2, n=40, R³", rng.random((40, 3)), 2, ["ripser", "gph", "gph+collapse"]),
        ]
    return [
        ("dim 0, n=1000, R²", rng.random((1000, 2)), 0, ["ripser", "gph", "gudhi"]),
        ("dim 0, n=3000, R²", rng.random((3000, 2)), 0, ["ripser", "gph"]),
        ("dims 0–1, n=1000, R²", rng.random((1000, 2)), 1, ["ripser", "gph"]),
        ("dims 0–1, n=1000, R³", rng.random((1000, 3)), 1, ["ripser", "gph"]),
        (
            "dims 0–2, n=200, R³",
            rng.random((200, 3)),
            2,
            ["ripser", "gph", "gph+collapse", "gudhi+collapse"],
        ),
    ]


def _peer(name: str, x: np.ndarray, maxdim: int) -> Callable[[], object]:
    return {
        "ripser": lambda: _ripser(x, maxdim),
        "gph": lambda: _gph(x, maxdim),
        "gph+collapse": lambda: _gph(x, maxdim, collapse=True),
        "gudhi": lambda: _gudhi(x, maxdim, collapse=False),
        "gudhi+collapse": lambda: _gudhi(x, maxdim, collapse=True),
    }[name]()


def training_loop_cases(quick: bool) -> list[tuple[str, int, int, int, torch.dtype]]:
    """(label, B, n, max_dimension, dtype) for the seed's loss, forward + backward, L1, R².

    float32 is torch's default dtype and what the seed's tutorial feeds in; float64 is the dtype
    of the earlier rows.
    """
    b, n = (4, 20) if quick else (32, 50)
    return [
        (f"B={b}, n={n}, {dims}{suffix}", b, n, maxdim, dtype)
        for dtype, suffix in ((torch.float64, ""), (torch.float32, ", float32"))
        for dims, maxdim in (("dim 0", 0), ("dims 0–1", 1))
    ]


def _seed_loss_ours(x: torch.Tensor, maxdim: int) -> Callable[[], object]:
    def step() -> object:
        x.grad = None
        results = vr_persistence_l1(x, maxdim)
        h0 = torch.cat([r[0][0][:, 1] for r in results])
        loss = (h0 - 2.0).abs().sum()
        if maxdim >= 1:
            h1 = torch.cat([r[0][1] for r in results])
            loss = loss + (h1[:, 1] - h1[:, 0]).sum()
        loss.backward()
        return loss

    return step


def _seed_loss_gph(x: torch.Tensor, maxdim: int) -> Callable[[], object]:
    """The peers' way: a Python loop of giotto-ph calls, critical edges gathered with torch."""

    def step() -> object:
        x.grad = None
        loss = x.new_zeros(())
        for cloud in x:
            gens = ripser_parallel(
                cloud.detach().numpy(),
                maxdim=maxdim,
                n_threads=1,
                metric="manhattan",
                return_generators=True,
            )["gens"]
            e = torch.from_numpy(gens[0][:, 1:].astype(np.int64))
            deaths = (cloud[e[:, 0]] - cloud[e[:, 1]]).abs().sum(-1)
            loss = loss + (deaths - 2.0).abs().sum()
            if maxdim >= 1 and len(gens[1]) and len(gens[1][0]):
                g = torch.from_numpy(np.asarray(gens[1][0]).astype(np.int64))
                b = (cloud[g[:, 0]] - cloud[g[:, 1]]).abs().sum(-1)
                d = (cloud[g[:, 2]] - cloud[g[:, 3]]).abs().sum(-1)
                loss = loss + (d - b).sum()
        loss.backward()
        return loss

    return step


def _seed_loss_ripser(x: torch.Tensor, maxdim: int) -> Callable[[], object]:
    """ripser loop, forward only (ripser returns no critical edges)."""
    return lambda: [ripser(c.detach().numpy(), maxdim=maxdim, metric="manhattan") for c in x]


# ----------------------------------------------------------------------------------------------
def _fmt(ours: tuple[float, float], peer: tuple[float, float]) -> str:
    return f"{peer[0]:.2f} / {peer[1]:.2f} ({ours[0] / peer[0]:.3f}× / {ours[1] / peer[1]:.3f}×)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("benchmarks/output/torchph_lite"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes for a smoke run")
    parser.add_argument(
        "--cases",
        choices=("all", "clouds", "training"),
        default="all",
        help="run only the single-cloud cases or only the training-step cases",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    reps = 2 if args.quick else 7
    lines = [
        "| case | ours ms (wall / cpu) | peer | peer ms (wall / cpu) (ours/peer wall / cpu) |",
        "|---|---|---|---|",
    ]
    cloud_cases = point_cloud_cases(args.quick) if args.cases != "training" else []
    training_cases = training_loop_cases(args.quick) if args.cases != "clouds" else []
    for label, x, maxdim, peers in cloud_cases:
        _check_same(x, maxdim)
        fns = {"ours": _ours(x, maxdim)}
        for p in peers:
            if p.startswith("gudhi") and gudhi is None:
                continue
            fns[p] = _peer(p, x, maxdim)
        res = _measure(fns, reps if x.shape[0] < 3000 else max(3, reps // 2))
        for p in peers:
            if p in res:
                ours = res["ours"]
                lines.append(
                    f"| {label} | {ours[0]:.2f} / {ours[1]:.2f} | {p} | {_fmt(ours, res[p])} |"
                )
                print(lines[-1], flush=True)
    for label, b, n, maxdim, dtype in training_cases:
        x = torch.from_numpy(np.random.default_rng(1).normal(size=(b, n, 2)) * 3)
        x = x.to(dtype).requires_grad_()
        fns = {
            "ours": _seed_loss_ours(x, maxdim),
            "gph loop + gather": _seed_loss_gph(x, maxdim),
            "ripser loop (fwd only)": _seed_loss_ripser(x, maxdim),
        }
        for collect, mode in ((True, ""), (False, ", steady state")):
            res = _measure(fns, reps * 3 if collect else reps * 15, collect=collect)
            for p in fns:
                if p != "ours":
                    ours = res["ours"]
                    lines.append(
                        f"| training step f+b, {label}{mode} | {ours[0]:.2f} / {ours[1]:.2f} | "
                        f"{p} | {_fmt(ours, res[p])} |"
                    )
                    print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(table)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bench_pershom.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
