"""Construction time of e2-steerable's R2Diffop against e2cnn 0.2.3's, in one process.

Layer: C8, 16 regular fields -> 16 regular fields, kernel size 5 (30,720 weights), built with a
fresh basis each time (``recompute=True`` and an empty stencil cache on our side; a new gspace
and ``recompute=True`` on e2cnn's). Our three discretisations (finite differences, Gaussian
derivatives, in-house RBF-FD) are timed against e2cnn's finite-difference layer (its only one
that runs without treverhines/RBF 0.x; target <= 0.1 s, e2cnn 0.26-0.33 s in the notes). Also
reported: ``initialize=False`` and a warm build (basis cached in memory).

Each round times ours and e2cnn's back to back, alternating the order; ratios are medians of
per-round ratios. One intra-op thread.

Usage::

    python benchmarks/e2_steerable/bench_diffop.py [--quick] [--output DIR]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

from e2_steerable import diffops, gspaces
from e2_steerable.nn import FieldType, R2Diffop

try:  # the peer (finite differences need only sympy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import e2cnn
        import e2cnn.nn
except Exception:  # pragma: no cover - optional peer
    e2cnn = None

METHODS: dict[str, dict] = {
    "fd": {},
    "gauss (smoothing=1.25)": {"smoothing": 1.25},
    "rbffd (ga)": {"rbffd": True},
}


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def paired(ours: Callable[[], object], ref: Callable[[], object] | None, repeats: int):
    ours()
    if ref is not None:
        ref()
    t_o, t_r = [], []
    for k in range(repeats):
        if ref is None or k % 2 == 0:
            t_o.append(_time(ours))
            if ref is not None:
                t_r.append(_time(ref))
        else:
            t_r.append(_time(ref))
            t_o.append(_time(ours))
    if ref is None:
        return statistics.median(t_o), None, None
    ratios = [a / b for a, b in zip(t_o, t_r)]
    return statistics.median(t_o), statistics.median(t_r), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 fields and 3 repeats")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/output/e2_steerable"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    fields = 2 if args.quick else 16
    repeats = 3 if args.quick else 7
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.regular_repr] * fields)

    def ours_fresh(kw: dict, initialize: bool = True) -> Callable[[], object]:
        def build() -> object:
            diffops.clear_cache()
            return R2Diffop(ft, ft, kernel_size=5, recompute=True, initialize=initialize, **kw)

        return build

    ref = None
    if e2cnn is not None:

        def ref() -> object:  # type: ignore[no-redef]
            g = e2cnn.gspaces.Rot2dOnR2(8)
            e_ft = e2cnn.nn.FieldType(g, [g.regular_repr] * fields)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return e2cnn.nn.R2Diffop(e_ft, e_ft, kernel_size=5, recompute=True)

    rows = []
    for name, kw in METHODS.items():
        for label, fn in (
            ("fresh", ours_fresh(kw)),
            ("fresh, initialize=False", ours_fresh(kw, initialize=False)),
            ("warm (cached basis)", lambda kw=kw: R2Diffop(ft, ft, kernel_size=5, **kw)),
        ):
            t_o, t_r, ratio = paired(fn, ref if label == "fresh" else None, repeats)
            peer = "-" if t_r is None else f"{t_r:.3f}"
            ratio_s = "-" if ratio is None else f"**{ratio:.2f}**"
            rows.append(f"| {name} | {label} | {t_o:.3f} | {peer} | {ratio_s} | 0.1 |")
    text = "\n".join(
        [
            f"# R2Diffop construction, C8 {fields} regular -> {fields} regular, k=5",
            "",
            f"{platform.platform()}, torch {torch.__version__}, 1 thread, "
            f"median of {repeats}; e2cnn {'present' if e2cnn is not None else 'absent'} "
            "(its 'fd' layer, fresh basis)",
            "",
            "| discretisation | build | ours (s) | e2cnn fd (s) | ours / e2cnn | target (s) |",
            "|---|---|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(text)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bench_diffop.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
