"""Benchmark e2-steerable's R2Conv against ``torch.nn.Conv2d`` and e2cnn 0.2.3, in one process.

1. Construction (basis sampling + generalised He init): C8 16 regular -> 16 regular (k=5;
   target <= 50 ms), C8 64 -> 64 (k=7; target <= 0.3 s), D8 and SO(2). e2cnn is timed side by
   side where it still runs on numpy 2 (C_N only); both sides sample their basis anew.
2. Train step (forward + backward) against an ``nn.Conv2d`` of the same shape: regular fields at
   (32, 128, 64, 64) (target <= 1.05x) and 32x32 (<= 1.15x); mixed SO(2) irreps (max frequency 4;
   <= 1.3x). e2cnn's ratio is shown next to ours for C_N.
3. Eval forward against ``nn.Conv2d`` (target <= 1.02x; the filter is cached in eval mode).
4. Transient memory of one filter expansion (forward), as bytes allocated during the expansion
   divided by the filter's size (target <= 3x).

Timings use one intra-op thread (stable on a shared machine); each round times ours and the
reference back to back, alternating the order, and ratios are medians of per-round ratios.

Usage::

    python benchmarks/e2_steerable/bench_r2conv.py [--quick] [--output DIR]
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
from _timing import paired

from e2_steerable import gspaces
from e2_steerable.nn import FieldType, GeometricTensor
from e2_steerable.nn.modules.r2_conv import R2Conv

try:  # the peer; on numpy 2 it only builds layers for C_N and the trivial group
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import e2cnn
        import e2cnn.nn
except Exception:  # pragma: no cover - optional peer
    e2cnn = None


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _types(kind: str, fields: int):
    if kind == "C8":
        gs = gspaces.Rot2dOnR2(8)
        reps = [gs.regular_repr] * fields
    elif kind == "D8":
        gs = gspaces.FlipRot2dOnR2(8)
        reps = [gs.regular_repr] * fields
    elif kind == "SO2":
        gs = gspaces.Rot2dOnR2(-1, maximum_frequency=4)
        reps = [gs.irrep(k) for k in range(5)] * fields
    else:
        raise ValueError(kind)
    return FieldType(gs, reps), FieldType(gs, reps)


def _e2cnn_types(fields: int):
    gs = e2cnn.gspaces.Rot2dOnR2(8)
    ft = e2cnn.nn.FieldType(gs, [gs.regular_repr] * fields)
    return ft, ft


def construction_rows(quick: bool) -> list[str]:
    cases = [
        ("C8", 16, 5, "50 ms"),
        ("C8", 64, 7, "0.3 s"),
        ("D8", 16, 5, ""),
        ("D8", 64, 7, ""),
        ("SO2", 16, 5, ""),
    ]
    if quick:
        cases = [("C8", 4, 3, ""), ("SO2", 2, 3, "")]
    repeats = 2 if quick else 5
    rows = []
    for kind, fields, k, target in cases:
        tin, tout = _types(kind, fields)

        def ours(tin=tin, tout=tout, k=k):
            return R2Conv(tin, tout, k, recompute=True)

        t_ours = median_time(ours, repeats)
        t_ref = float("nan")
        if e2cnn is not None and kind == "C8":
            e_in, e_out = _e2cnn_types(fields)

            def ref(e_in=e_in, e_out=e_out, k=k):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return e2cnn.nn.R2Conv(e_in, e_out, k, recompute=True)

            t_ref = median_time(ref, max(2, repeats // 2))
        speedup = f"{t_ref / t_ours:.1f}x" if t_ref == t_ref else "n/a (e2cnn fails on numpy 2)"
        label = f"{kind} {fields} fields, k={k}"
        rows.append(
            f"| {label} | {t_ours * 1e3:.1f} | {target or '-'} | "
            + (f"{t_ref * 1e3:.0f}" if t_ref == t_ref else "-")
            + f" | {speedup} |"
        )
    return rows


def _conv_pair(kind: str, fields: int, k: int, padding: int):
    tin, tout = _types(kind, fields)
    ours = R2Conv(tin, tout, k, padding=padding)
    ref = torch.nn.Conv2d(tin.size, tout.size, k, padding=padding)
    return ours, ref, tin


def train_rows(quick: bool) -> list[str]:
    cases = [  # (kind, fields, k, input shape, padding, target)
        ("C8", 16, 5, (32, 128, 64, 64), 0, "1.05"),
        ("C8", 16, 5, (8, 128, 32, 32), 2, "1.15"),
        ("D8", 16, 5, (8, 256, 32, 32), 2, "-"),
        ("C8", 64, 7, (4, 512, 32, 32), 3, "-"),
        ("SO2", 16, 5, (8, 144, 32, 32), 2, "1.3"),
    ]
    if quick:
        cases = [("C8", 2, 3, (2, 16, 12, 12), 1, "-"), ("SO2", 2, 3, (2, 18, 12, 12), 1, "-")]
    repeats = 2 if quick else 5
    rows = []
    for kind, fields, k, shape, pad, target in cases:
        ours, ref, tin = _conv_pair(kind, fields, k, pad)
        x = torch.randn(shape)
        gx = GeometricTensor(x, tin)

        def step_ours(ours=ours, gx=gx):
            ours.zero_grad(set_to_none=True)
            ours(gx).tensor.sum().backward()

        def step_ref(ref=ref, x=x):
            ref.zero_grad(set_to_none=True)
            ref(x).sum().backward()

        t_o, t_r, ratio = paired(step_ours, step_ref, repeats if shape[0] >= 32 else 2 * repeats)
        peer = "-"
        if e2cnn is not None and kind == "C8":
            e_in, e_out = _e2cnn_types(fields)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                e2 = e2cnn.nn.R2Conv(e_in, e_out, k, padding=pad)
            ex = e2cnn.nn.GeometricTensor(x, e_in)

            def step_e2(e2=e2, ex=ex):
                e2.zero_grad(set_to_none=True)
                e2(ex).tensor.sum().backward()

            _, _, peer_ratio = paired(step_e2, step_ref, repeats if shape[0] >= 32 else 2 * repeats)
            peer = f"{peer_ratio:.3f}"
        rows.append(
            f"| {kind} {fields} fields k={k}, input {shape} | {t_o * 1e3:.1f} | {t_r * 1e3:.1f} "
            f"| **{ratio:.3f}** | {target} | {peer} |"
        )
    return rows


def eval_rows(quick: bool) -> list[str]:
    cases = [("C8", 16, 5, (8, 128, 32, 32), 2), ("SO2", 16, 5, (8, 144, 32, 32), 2)]
    if quick:
        cases = [("C8", 2, 3, (2, 16, 12, 12), 1)]
    rows = []
    for kind, fields, k, shape, pad in cases:
        ours, ref, tin = _conv_pair(kind, fields, k, pad)
        ours.eval()
        ref.eval()
        x = torch.randn(shape)
        gx = GeometricTensor(x, tin)
        with torch.no_grad():
            t_o, t_r, ratio = paired(
                lambda ours=ours, gx=gx: ours(gx),
                lambda ref=ref, x=x: ref(x),
                3 if quick else 15,
            )
        rows.append(
            f"| {kind} {fields} fields k={k}, input {shape} | {t_o * 1e3:.2f} | {t_r * 1e3:.2f} "
            f"| **{ratio:.3f}** | 1.02 |"
        )
    return rows


def _allocated_bytes(fn: Callable[[], object]) -> int:
    """Bytes allocated (summed over allocations, frees ignored) while running ``fn``."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    return int(sum(max(e.self_cpu_memory_usage, 0) for e in prof.events()))


def memory_rows(quick: bool) -> list[str]:
    cases = [("C8", 64, 7), ("D8", 64, 7), ("SO2", 64, 7), ("SO2", 16, 5)]
    if quick:
        cases = [("C8", 4, 3), ("SO2", 2, 3)]
    rows = []
    for kind, fields, k in cases:
        tin, tout = _types(kind, fields)
        conv = R2Conv(tin, tout, k, initialize=False)
        w = conv.weights.detach()
        filter_bytes = tout.size * tin.size * k * k * 4
        alloc = _allocated_bytes(lambda conv=conv, w=w: conv.basisexpansion(w))
        rows.append(
            f"| {kind} {fields} fields k={k} | {filter_bytes / 2**20:.1f} | "
            f"{alloc / 2**20:.1f} | **{alloc / filter_bytes:.2f}x** | 3x |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/output/e2_steerable"))
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    lines = [
        "# e2-steerable: R2Conv benchmarks",
        "",
        f"torch {torch.__version__}, 1 thread, {platform.processor() or platform.machine()}; "
        f"e2cnn {'0.2.3 present' if e2cnn is not None else 'absent'}"
        + (" (quick run: tiny sizes)" if args.quick else ""),
        "",
        "## Construction, fresh basis, including generalised He init",
        "",
        "| layer | ours (ms) | target | e2cnn (ms) | speed-up |",
        "|---|---:|---:|---:|---:|",
        *construction_rows(args.quick),
        "",
        "## Train step (forward + backward) vs nn.Conv2d",
        "",
        "| layer, input | ours (ms) | Conv2d (ms) | ratio | target | e2cnn ratio |",
        "|---|---:|---:|---:|---:|---:|",
        *train_rows(args.quick),
        "",
        "## Eval forward vs nn.Conv2d (cached filter)",
        "",
        "| layer, input | ours (ms) | Conv2d (ms) | ratio | target |",
        "|---|---:|---:|---:|---:|",
        *eval_rows(args.quick),
        "",
        "## Memory allocated by one filter expansion (forward)",
        "",
        "| layer | filter (MiB) | allocated (MiB) | ratio | target |",
        "|---|---:|---:|---:|---:|",
        *memory_rows(args.quick),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bench_r2conv.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
