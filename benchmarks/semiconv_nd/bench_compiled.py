"""Benchmark the compiled Select/Subtract semifields against max-pooling and the original package.

Tables (float32, depthwise, padding "same", stride 1, kernels from a quadratic kernel module
regenerated every call; fwd+bwd takes gradients to the image and the kernel parameters):

1. Tropical max, ``(8, 32, 128, 128)``, k = 3/5/7/11: ours (``SelectSemifield.tropical_max()``)
   against ``torch.nn.functional.max_pool2d`` with the same window and stride (target <= 1.2x,
   fwd+bwd) and against the original ``pytorch_nd_semiconv.BroadcastSemifield.tropical_max()``
   (target >= 5x faster).
2. ``root(3)`` and ``log(1)`` SubtractSemifield, k = 3/7: against the original's broadcast path,
   fwd+bwd time (target >= 3x faster) and peak memory (target <= 0.25x).

On a CUDA device (``--device cuda``) the original's compiled CUDA Select/Subtract kernels are
timed as well.

Timing: every repetition runs all methods of a row in rotating order; a cell shows the median
time and ratios are ratios of those medians. Peak memory is measured in a fresh subprocess per
method: the growth of the peak resident set (CPU; ``/proc/self/clear_refs`` resets the peak
after a warm-up, so JIT compilation is excluded) or of ``torch.cuda.max_memory_allocated``.

Usage::

    python benchmarks/semiconv_nd/bench_compiled.py [--quick] [--output DIR] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from semiconv_nd.semifields.select import SelectSemifield
from semiconv_nd.semifields.subtract import SubtractSemifield

try:
    import pytorch_nd_semiconv as original
except ImportError:  # pragma: no cover - optional peer
    original = None


def kernel_module(channels: int, k: int) -> torch.nn.Module:
    """A quadratic (spectral) kernel generator: ours if available, else the original's."""
    try:
        from semiconv_nd import QuadraticKernelSpectral2D
    except ImportError:
        QuadraticKernelSpectral2D = original.QuadraticKernelSpectral2D
    return QuadraticKernelSpectral2D(1, channels, k)


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def make_step(method: str, shape: tuple[int, ...], k: int, device: str) -> Callable[[], None]:
    """One forward+backward (or forward-only, suffix ``:fwd``) call of ``method``."""
    name, _, mode = method.partition(":")
    channels = shape[1]
    x = torch.randn(shape, device=device)
    if name.startswith(("root", "log")):
        x = x.abs() + 0.5
    x.requires_grad_(mode != "fwd")
    kernel = kernel_module(channels, k).to(device)
    if name.startswith("root"):
        base = kernel

        class _Positive(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.base = base

            def forward(self) -> torch.Tensor:
                return self.base().exp()

        kernel = _Positive()
    convs = {
        "ours_tmax": lambda: SelectSemifield.tropical_max().dynamic(),
        "ours_root3": lambda: SubtractSemifield.root(3.0).dynamic(),
        "ours_log1": lambda: SubtractSemifield.log(1.0).dynamic(),
        "orig_broadcast_tmax": lambda: original.BroadcastSemifield.tropical_max().dynamic(),
        "orig_broadcast_root3": lambda: original.BroadcastSemifield.root(3.0).dynamic(),
        "orig_broadcast_log1": lambda: original.BroadcastSemifield.log(1.0).dynamic(),
        "orig_cuda_tmax": lambda: original.SelectSemifield.tropical_max().dynamic(),
        "orig_cuda_root3": lambda: original.SubtractSemifield.root(3.0).dynamic(),
        "orig_cuda_log1": lambda: original.SubtractSemifield.log(1.0).dynamic(),
    }
    if name == "maxpool":

        def run() -> torch.Tensor:
            return torch.nn.functional.max_pool2d(x, k, 1, (k - 1) // 2)

    else:
        conv = convs[name]()

        def run() -> torch.Tensor:
            return conv(x, kernel(), padding="same", groups=channels)

    def step() -> None:
        if mode == "fwd":
            with torch.no_grad():
                run()
        else:
            out = run()
            out.backward(torch.ones_like(out))
            x.grad = None
            kernel.zero_grad(set_to_none=True)
        _sync(device)

    return step


def time_row(
    methods: list[str], shape: tuple[int, ...], k: int, device: str, repeats: int
) -> dict[str, float]:
    """Median seconds per method, repetitions interleaved in rotating order."""
    steps = {m: make_step(m, shape, k, device) for m in methods}
    for step in steps.values():  # warm-up: JIT compilation, allocator
        step()
    samples: dict[str, list[float]] = {m: [] for m in methods}
    for rep in range(repeats):
        order = methods[rep % len(methods) :] + methods[: rep % len(methods)]
        for m in order:
            start = time.perf_counter()
            steps[m]()
            samples[m].append(time.perf_counter() - start)
    return {m: statistics.median(v) for m, v in samples.items()}


_PEAK_SNIPPET = """
import json, sys, torch
sys.path.insert(0, {here!r})
import bench_compiled as b
shape, k, device, method = {shape!r}, {k!r}, {device!r}, {method!r}
small = (1, shape[1], 2 * k, 2 * k)
b.make_step(method, small, k, device)()  # JIT-compile on a tiny input
step = b.make_step(method, shape, k, device)
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
if device == "cuda":
    torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
    step(); peak = torch.cuda.max_memory_allocated() - base
else:
    open("/proc/self/clear_refs", "w").write("5")
    base = rss("VmRSS:"); step(); peak = rss("VmHWM:") - base
print(json.dumps(peak))
"""


def peak_memory(method: str, shape: tuple[int, ...], k: int, device: str) -> float:
    """Peak extra memory (bytes) of one fwd+bwd step beyond its inputs, in a fresh process."""
    code = _PEAK_SNIPPET.format(
        here=str(Path(__file__).parent), shape=shape, k=k, device=device, method=method
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1]))


def _cell(seconds: float, reference: float | None = None) -> str:
    text = f"{seconds * 1e3:.1f}"
    return text if reference is None else f"{text} (×{seconds / reference:.2f})"


def tropical_table(shape, ks, device, repeats) -> list[str]:
    peers = ["orig_broadcast_tmax"] + (["orig_cuda_tmax"] if device == "cuda" else [])
    lines = [
        f"### Tropical max, depthwise {tuple(shape)}, {device} (ms; × max_pool2d)",
        "",
        "| k | mode | max_pool2d | ours | "
        + " | ".join(peers)
        + " | speed-up vs original broadcast |",
        "|---|---|---|---|" + "---|" * len(peers) + "---|",
    ]
    for k in ks:
        for mode in ("fwd", "fwd+bwd"):
            suffix = ":fwd" if mode == "fwd" else ""
            methods = [m + suffix for m in ["maxpool", "ours_tmax", *peers]]
            t = time_row(methods, shape, k, device, repeats)
            pool, ours = t[methods[0]], t[methods[1]]
            cells = [_cell(t[m], pool) for m in methods[2:]]
            speedup = t[methods[2]] / ours
            lines.append(
                f"| {k} | {mode} | {_cell(pool)} | {_cell(ours, pool)} | "
                + " | ".join(cells)
                + f" | {speedup:.1f}× |"
            )
            print(lines[-1], flush=True)
    return lines


def subtract_table(shape, ks, device, repeats, measure_memory) -> list[str]:
    lines = [
        f"### Subtract semifields, depthwise {tuple(shape)}, {device}, fwd+bwd",
        "",
        "| semifield | k | ours ms | original broadcast ms | speed-up | ours peak MB | "
        "original peak MB | memory ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for sf in ("root3", "log1"):
        for k in ks:
            methods = [f"ours_{sf}", f"orig_broadcast_{sf}"]
            if device == "cuda":
                methods.append(f"orig_cuda_{sf}")
            t = time_row(methods, shape, k, device, repeats)
            ours, ref = t[methods[0]], t[methods[1]]
            if measure_memory:
                m_ours = peak_memory(methods[0], shape, k, device)
                m_ref = peak_memory(methods[1], shape, k, device)
                mem = f"{m_ours / 2**20:.0f} | {m_ref / 2**20:.0f} | {m_ours / m_ref:.3f}"
            else:
                mem = "– | – | –"
            extra = f" (orig CUDA {_cell(t[methods[2]])} ms)" if device == "cuda" else ""
            lines.append(
                f"| {sf} | {k} | {_cell(ours)} | {_cell(ref)}{extra} | {ref / ours:.1f}× | {mem} |"
            )
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("benchmarks/output/semiconv_nd"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke run")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    args = parser.parse_args()
    if original is None:
        raise SystemExit("the peer pytorch_nd_semiconv is not installed")
    torch.manual_seed(0)
    if args.quick:
        shape, ks, sub_ks, repeats = (2, 4, 32, 32), [3, 7], [3], args.repeats or 3
    else:
        shape, ks, sub_ks, repeats = (8, 32, 128, 128), [3, 5, 7, 11], [3, 7], args.repeats or 5
    header = [
        "## semiconv-nd: compiled Select/Subtract semifields",
        "",
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}; "
        f"median of {repeats} interleaved repetitions.",
        "",
    ]
    lines = header + tropical_table(shape, ks, args.device, repeats) + [""]
    lines += subtract_table(shape, sub_ks, args.device, repeats, not args.no_memory)
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bench_compiled.md").write_text(text)


if __name__ == "__main__":
    main()
