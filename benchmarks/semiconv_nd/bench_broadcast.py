"""Broadcast semifields: semiconv_nd vs the original pytorch_nd_semiconv, time and peak memory.

Depthwise 2-D convolutions (``groups = C``, ``padding="same"``, stride 1) of ``(8, 16, 64, 64)``
and ``(8, 32, 128, 128)`` float32 images with kernels 3, 5, 7 and 11, forward only and
forward + backward (gradients to the image and the kernel), on CPU.

* Time: median over interleaved repetitions (the order of the two implementations alternates),
  and the median of the per-repetition ratio ``ours / original``.
* Peak memory: growth of the peak resident set size during one call over the resident set size
  just before it (inputs allocated), measured in a fresh subprocess per cell: the kernel's
  high-water mark ``VmHWM`` is reset through ``/proc/self/clear_refs`` before the call.
* Threads: ``OMP_WAIT_POLICY=PASSIVE`` is set (unless already set) for both implementations.
  On a shared, oversubscribed machine OpenMP's default spin-waiting makes every parallel region
  wait for a descheduled thread; the shift engine issues many more (smaller) operations than the
  original's few huge ones and would measure the machine's load rather than the code.

Targets (issue "semiconv-nd (1/2)"): never slower than the original, and peak memory at most
0.25x the original's at kernel >= 7. A second table covers the other built-in semifields.

Usage: ``python bench_broadcast.py --output DIR [--quick]``; prints a markdown table and writes
it to ``DIR/bench_broadcast.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch starts OpenMP; see above

import torch

SHAPES = [(8, 16, 64, 64), (8, 32, 128, 128)]
KERNELS = [3, 5, 7, 11]
QUICK_SHAPES = [(2, 4, 16, 16)]
QUICK_KERNELS = [3, 7]
OTHER_SEMIFIELDS = {
    "log(1)": ("log", (1.0,)),
    "root(3)": ("root", (3.0,)),
    "linear": ("linear", ()),
}
POSITIVE = {"root"}


def _module(package: str, ctor: str, args: tuple) -> torch.nn.Module:
    if package == "ours":
        import semiconv_nd as lib
    else:
        import pytorch_nd_semiconv as lib
    return getattr(lib.BroadcastSemifield, ctor)(*args).dynamic()


def _inputs(shape: tuple[int, ...], k: int, ctor: str) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    img = torch.rand(shape, generator=gen)
    kernel = torch.rand(shape[1], 1, k, k, generator=gen)
    if ctor in POSITIVE:
        return img + 0.5, kernel + 0.5
    return 4 * img - 2, -kernel


def _run(module: torch.nn.Module, img: torch.Tensor, kernel: torch.Tensor, mode: str) -> None:
    if mode == "fwd":
        with torch.no_grad():
            module(img, kernel, padding="same", groups=img.shape[1])
        return
    x = img.detach().requires_grad_(True)
    g = kernel.detach().requires_grad_(True)
    module(x, g, padding="same", groups=img.shape[1]).sum().backward()


def _time_pair(shape, k, mode, ctor, args, reps: int) -> tuple[float, float, float]:
    img, kernel = _inputs(shape, k, ctor)
    modules = {name: _module(name, ctor, args) for name in ("ours", "original")}
    for module in modules.values():  # warm-up
        _run(module, img, kernel, mode)
    times: dict[str, list[float]] = {"ours": [], "original": []}
    ratios = []
    for rep in range(reps):
        order = ["ours", "original"] if rep % 2 == 0 else ["original", "ours"]
        this = {}
        for name in order:
            start = time.perf_counter()
            _run(modules[name], img, kernel, mode)
            this[name] = time.perf_counter() - start
            times[name].append(this[name])
        ratios.append(this["ours"] / this["original"])
    return (
        1e3 * statistics.median(times["ours"]),
        1e3 * statistics.median(times["original"]),
        statistics.median(ratios),
    )


def _memory_kb() -> tuple[int, int]:
    """Current and peak resident set size of this process in KiB (Linux ``/proc``)."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                values[key] = int(value.split()[0])
    return values["VmRSS"], values["VmHWM"]


def _measure_in_this_process(package, shape, k, mode, ctor, args) -> float:
    img, kernel = _inputs(shape, k, ctor)
    module = _module(package, ctor, args)
    _run(_module(package, ctor, args), *_inputs((1, 2, 8, 8), 3, ctor), mode)  # imports, caches
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")  # reset the peak RSS to the current RSS
    before, _ = _memory_kb()
    _run(module, img, kernel, mode)
    _, peak = _memory_kb()
    return (peak - before) / 1024


def _peak_memory_mb(package, shape, k, mode, ctor, args) -> float:
    """Peak RSS growth of one call, measured in a fresh interpreter."""
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import bench_broadcast as b\n"
        "print(json.dumps(b._measure_in_this_process("
        f"{package!r}, {shape!r}, {k}, {mode!r}, {ctor!r}, {args!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1]))


def _table(rows: list[dict], title: str) -> str:
    lines = [
        f"### {title}",
        "",
        "| semifield | shape | k | mode | ours ms | original ms | time ratio | ours peak MB "
        "| original peak MB | memory ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        mem_ratio = r["mem_ours"] / max(r["mem_original"], 1e-9)
        lines.append(
            f"| {r['semifield']} | {'x'.join(map(str, r['shape']))} | {r['k']} | {r['mode']} "
            f"| {r['ours']:.1f} | {r['original']:.1f} | {r['ratio']:.3f} "
            f"| {r['mem_ours']:.1f} | {r['mem_original']:.1f} | {mem_ratio:.3f} |"
        )
    return "\n".join(lines)


def _cells(label, ctor, args, shapes, kernels, reps) -> list[dict]:
    rows = []
    for shape in shapes:
        for k in kernels:
            for mode in ("fwd", "fwd+bwd"):
                # The original needs seconds per call for large kernels: fewer repetitions.
                heavy = shape[1] * shape[2] * shape[3] * k * k > 16 * 64 * 64 * 49
                ours, original, ratio = _time_pair(
                    shape, k, mode, ctor, args, max(3, reps // 2) if heavy else reps
                )
                rows.append(
                    {
                        "semifield": label,
                        "shape": shape,
                        "k": k,
                        "mode": mode,
                        "ours": ours,
                        "original": original,
                        "ratio": ratio,
                        "mem_ours": _peak_memory_mb("ours", shape, k, mode, ctor, args),
                        "mem_original": _peak_memory_mb("original", shape, k, mode, ctor, args),
                    }
                )
                row = rows[-1]
                print(
                    f"  {label} {shape} k={k} {mode}: ours {ours:.1f} ms, original "
                    f"{original:.1f} ms (x{ratio:.3f}); peak MB {row['mem_ours']:.1f} vs "
                    f"{row['mem_original']:.1f}",
                    flush=True,
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("benchmarks/output/semiconv_nd"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes for a smoke run")
    options = parser.parse_args()
    shapes = QUICK_SHAPES if options.quick else SHAPES
    kernels = QUICK_KERNELS if options.quick else KERNELS
    reps = 2 if options.quick else 7
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    main_rows = _cells("tropical_max", "tropical_max", (), shapes, kernels, reps)
    other_rows = []
    for label, (ctor, args) in OTHER_SEMIFIELDS.items():
        other_rows += _cells(label, ctor, args, shapes[:1], kernels[::2][:2], reps)
    text = "\n\n".join(
        [
            "## Broadcast semifields: semiconv_nd vs pytorch_nd_semiconv (CPU, float32)",
            "Depthwise, padding 'same', stride 1, OMP_WAIT_POLICY="
            f"{os.environ.get('OMP_WAIT_POLICY')}, {torch.get_num_threads()} threads. Time ratio "
            "= median over interleaved repetitions of ours / original (< 1: we are faster). "
            "Peak MB = growth of the peak RSS during one call in a fresh process. Targets: time "
            "ratio <= 1 everywhere; memory ratio <= 0.25 for k >= 7.",
            _table(main_rows, "T+ (tropical_max)"),
            _table(other_rows, "Other built-in semifields"),
        ]
    )
    print(text)
    options.output.mkdir(parents=True, exist_ok=True)
    (options.output / "bench_broadcast.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
