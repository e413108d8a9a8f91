"""Cold and warm start of the compiled semifields, with the numba compile-time breakdown.

For each compiled semifield family (built-in select ``tropical_max``, built-in subtract
``root(3)``, a user-defined select semifield) a fresh Python process with an *empty*
``NUMBA_CACHE_DIR`` runs the first forward + backward pass (float32, ``(2, 4, 16, 16)``, 3x3,
padding "same"); a second process with the now-filled cache measures the warm start. Reported:
medians over the repetitions of

* ``import``: ``import semiconv_nd``;
* ``first``: the first forward + backward (target <= 4 s cold), wall time and the process's CPU
  time (compilation is single-threaded, so on a loaded machine the CPU time is the better
  estimate of the wall time on a quiet one);
* ``warm``: the same call in the second process (cache hits);
* ``compile``: the sum of the top-level numba compile times (from numba's ``numba:compile``
  events) in the cold process, and the rest of the cold first call (numba's runtime setup, torch
  autograd, the kernels themselves);
* the per-kernel compile times (inclusive: a kernel's own helpers are included) of the cold
  process, slowest first: where the cold start goes.

Usage::

    python benchmarks/semiconv_nd/bench_cold_start.py [--quick] [--output DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FAMILIES = ("select", "subtract", "user_select")

_CHILD = r"""
import json, math, sys, time
start = time.perf_counter()
import torch
import semiconv_nd
imported = time.perf_counter() - start
from numba.core import event

family = sys.argv[1]
if family == "select":
    semifield = semiconv_nd.SelectSemifield.tropical_max()
elif family == "subtract":
    semifield = semiconv_nd.SubtractSemifield.root(3.0)
else:
    semifield = semiconv_nd.SelectSemifield(
        lambda acc, val: acc < val, lambda x, g: x + g, lambda x, g: 1.0, lambda x, g: 1.0,
        -math.inf, "bench_user_max",
    )
conv = semifield.dynamic()
img = (torch.rand(2, 4, 16, 16) + 0.5).requires_grad_()
kernel = torch.rand(4, 4, 3, 3).requires_grad_()
with event.install_recorder("numba:compile") as recorder:
    start, cpu = time.perf_counter(), time.process_time()
    conv(img, kernel, padding="same").sum().backward()
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
compiles, stack = {}, []
for stamp, ev in recorder.buffer:
    dispatcher = ev.data["dispatcher"]
    name = f"{dispatcher.py_func.__module__}.{dispatcher.py_func.__qualname__}"
    if ev.is_start:
        stack.append((name, stamp))
    else:
        opened, began = stack.pop()
        if not stack:  # top-level compiles only: nested ones are included in them
            compiles[opened] = compiles.get(opened, 0.0) + stamp - began
result = {"import": imported, "first": first, "first_cpu": first_cpu, "compiles": compiles}
print(json.dumps(result))
"""


def _child(family: str, cache_dir: str) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, family],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(family: str, repeat: int) -> dict:
    """Cold and warm timings of one family, medians over ``repeat`` fresh caches."""
    cold, warm = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="semiconv-cold-") as cache_dir:
            cold.append(_child(family, cache_dir))
            warm.append(_child(family, cache_dir))
    names = sorted({name for run in cold for name in run["compiles"]})
    compiles = {
        name: statistics.median(run["compiles"].get(name, 0.0) for run in cold) for name in names
    }
    return {
        "family": family,
        "import_s": statistics.median(run["import"] for run in cold),
        "cold_first_s": statistics.median(run["first"] for run in cold),
        "cold_first_cpu_s": statistics.median(run["first_cpu"] for run in cold),
        "warm_first_s": statistics.median(run["first"] for run in warm),
        "warm_first_cpu_s": statistics.median(run["first_cpu"] for run in warm),
        "cold_compile_s": statistics.median(sum(run["compiles"].values()) for run in cold),
        "warm_compiles": sorted({n for run in warm for n in run["compiles"]}),
        "compiles_s": dict(sorted(compiles.items(), key=lambda item: -item[1])),
    }


def to_markdown(rows: list[dict]) -> str:
    """The summary table and the compile-time breakdown."""
    lines = [
        "| family | import s | cold first fwd+bwd s | its CPU s (target <= 4) | of which "
        "compiling s (wall) | warm first s | its CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['family']} | {row['import_s']:.2f} | {row['cold_first_s']:.2f} | "
            f"{row['cold_first_cpu_s']:.2f} | {row['cold_compile_s']:.2f} | "
            f"{row['warm_first_s']:.2f} | {row['warm_first_cpu_s']:.2f} |"
        )
    lines += ["", "Compile time per kernel (cold process, inclusive, s):", ""]
    lines += ["| family | kernel | s |", "|---|---|---|"]
    for row in rows:
        for name, seconds in row["compiles_s"].items():
            lines.append(f"| {row['family']} | `{name}` | {seconds:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition, select only")
    parser.add_argument("--output", type=Path, default=None, help="write JSON and Markdown here")
    parser.add_argument("--repeat", type=int, default=3, help="fresh caches per family")
    args = parser.parse_args()
    families = ("select",) if args.quick else FAMILIES
    repeat = 1 if args.quick else args.repeat
    rows = [measure(family, repeat) for family in families]
    text = to_markdown(rows)
    print(text)
    if args.output is not None:
        args.output.mkdir(parents=True, exist_ok=True)
        (args.output / "cold_start.json").write_text(json.dumps(rows, indent=2))
        (args.output / "cold_start.md").write_text(text)


if __name__ == "__main__":
    main()
