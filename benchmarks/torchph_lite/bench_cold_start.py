"""Cold start of torchph_lite.pershom: first calls in a fresh process with an empty numba cache.

A new user's first ``vr_persistence_l2`` call compiles the numba kernels (once per machine; numba
caches them on disk). This script measures that cost the way a new user meets it: every repetition
starts fresh Python processes with ``NUMBA_CACHE_DIR`` pointing to an empty directory, and times

* ``import``: ``import torchph_lite.pershom``;
* ``dim 0 f32``: the first call with gradients (forward + backward) on a float32 cloud, dimension 0;
* ``dims 0-1 f32``: then the first call with gradients in dimensions 0-1 (the extra time);
* ``dims 0-1 f64 after f32``: then the same on a float64 cloud (the extra time);
* ``total f32 dims 0-1``: a separate fresh process whose first call is dims 0-1 (float32);
* ``warm start``: a second process on the now filled cache (import + dims 0-1 float32 call).

It also records where the compile time goes: the numba ``"numba:compile"`` events of the first
process, reported per kernel as *exclusive* seconds (time spent compiling the kernel itself,
without the kernels it calls; a caller's time includes re-optimising the code of everything it
calls, which numba links into every caller) and the number of specialisations compiled (more than
one per argument-type combination means numba compiled it again for literal constants), and the
machine's load average. Medians over the repetitions.

Usage: ``python bench_cold_start.py --output DIR [--quick]``; writes ``DIR/bench_cold_start.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
import json, os, sys, time
from collections import defaultdict
t0 = time.perf_counter()
c0 = time.process_time()
from numba.core import event
exclusive = defaultdict(float)
count = defaultdict(int)
stack = []

class _Listener(event.Listener):
    def on_start(self, ev):
        stack.append([time.thread_time(), 0.0])
    def on_end(self, ev):
        start, children = stack.pop()
        spent = time.thread_time() - start
        disp = ev.data["dispatcher"]
        name = getattr(disp, "py_func", disp).__qualname__
        mod = getattr(getattr(disp, "py_func", disp), "__module__", "").rsplit(".", 1)[-1]
        exclusive[f"{mod}.{name}"] += spent - children
        count[f"{mod}.{name}"] += 1
        if stack:
            stack[-1][1] += spent

event.register("numba:compile", _Listener())
import torch
torch.set_num_threads(1)
import torchph_lite.pershom as ph
times = {"import": time.perf_counter() - t0}
cpu = {"import": time.process_time() - c0}
gen = torch.Generator().manual_seed(0)

def step(dtype, dims):
    x = torch.rand(60, 3, generator=gen, dtype=dtype, requires_grad=True)
    t, c = time.perf_counter(), time.process_time()
    non_ess, ess = ph.vr_persistence_l2(x, dims)
    loss = sum(p.sum() for p in non_ess) + sum(e.sum() for e in ess)
    loss.backward()
    return time.perf_counter() - t, time.process_time() - c

for label, dtype, dims in json.loads(sys.argv[1]):
    times[label], cpu[label] = step(getattr(torch, dtype), dims)
print(json.dumps({"times": times, "cpu": cpu, "compile": exclusive, "count": count}))
"""

#: (label, dtype, max_dimension) sequences, each run in one fresh process
_SEQUENCE = [("dim 0 f32", "float32", 0), ("dims 0-1 f32", "float32", 1)]
_SEQUENCE += [("dims 0-1 f64 after f32", "float64", 1)]
_TOTAL = [("total f32 dims 0-1", "float32", 1)]
_WARM = [("warm dims 0-1 f32", "float32", 1)]


def _run(steps: list[tuple[str, str, int]], cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(steps)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - t
    return result


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else 0.5 * (s[mid - 1] + s[mid])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--quick", action="store_true", help="one repetition instead of three")
    args = parser.parse_args()
    reps = 1 if args.quick else 3
    rows: dict[str, list[tuple[float, float]]] = {}
    compile_times: dict[str, list[float]] = {}
    compile_counts: dict[str, int] = {}
    loads = [os.getloadavg()[0]]
    for _ in range(reps):
        with tempfile.TemporaryDirectory() as cold, tempfile.TemporaryDirectory() as cold2:
            seq = _run(_SEQUENCE, cold)
            total = _run(_TOTAL, cold2)
            warm = _run(_WARM, cold2)
        for key, value in seq["times"].items():
            rows.setdefault(key, []).append((value, seq["cpu"][key]))
        key = "total f32 dims 0-1"
        rows.setdefault(key, []).append((total["times"][key], total["cpu"][key]))
        rows.setdefault("warm start: process (import + dims 0-1 f32)", []).append(
            (warm["process"], warm["cpu"]["import"] + warm["cpu"]["warm dims 0-1 f32"])
        )
        key = "warm dims 0-1 f32"
        rows.setdefault("warm start: dims 0-1 f32 call", []).append(
            (warm["times"][key], warm["cpu"][key])
        )
        for key, value in seq["compile"].items():
            compile_times.setdefault(key, []).append(value)
            compile_counts[key] = seq["count"][key]
        loads.append(os.getloadavg()[0])
    lines = [
        "# torchph_lite.pershom cold start",
        "",
        f"Fresh numba cache per repetition, medians of {reps}; "
        f"1-min load average during the run: {min(loads):.1f}-{max(loads):.1f} "
        f"on {os.cpu_count()} cores.",
        "",
        "Wall-clock seconds, and the process's CPU seconds (what the wall-clock time would be on",
        "an idle machine: compiling is single-threaded).",
        "",
        "| phase | wall s (median) | CPU s (median) | all runs (wall / CPU) |",
        "|---|---|---|---|",
    ]
    for key, values in rows.items():
        runs = ", ".join(f"{w:.2f} / {c:.2f}" for w, c in values)
        wall = _median([w for w, _ in values])
        cpu = _median([c for _, c in values])
        lines.append(f"| {key} | {wall:.2f} | {cpu:.2f} | {runs} |")
    lines += [
        "",
        "Targets: dim 0 <= 3 s; total dims 0-1 (float32) <= 15 s; float64 after float32 <= 2 s "
        "extra; warm start about 1 s.",
        "",
        "## Compile time per kernel (first process, exclusive thread-CPU seconds, median)",
        "",
        "`arrayobj.*`, `builtins.*`, `unicode.*`: numba's own overloads (np.empty, max, ...),",
        "compiled as separate functions for each signature a kernel uses.",
        "",
        "| kernel | seconds | specialisations |",
        "|---|---|---|",
    ]
    ranked = sorted(compile_times.items(), key=lambda kv: -_median(kv[1]))
    for key, values in ranked:
        lines.append(f"| {key} | {_median(values):.2f} | {compile_counts[key]} |")
    total_compile = sum(_median(v) for v in compile_times.values())
    total_count = sum(compile_counts.values())
    lines.append(f"| **sum** | {total_compile:.2f} | {total_count} |")
    args.output.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    (args.output / "bench_cold_start.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
