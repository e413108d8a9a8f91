"""Collect the ratio columns of every benchmark's markdown output into ``benchmarks/results.md``.

Usage::

    python tools/bench_results.py <benchmarks/output> <benchmarks/results.md> [--quick]

Each ``benchmarks/<import>/bench_*.py`` writes its own tables (``bench_*.md``) to
``benchmarks/output/<import>/``, laid out as suits it. This script reads every table there and
keeps, for each row, the columns that compare us with a peer: any column of numbers whose header
says ``ratio``, ``speed-up``/``speedup`` or ``ours/``. The row's leading descriptive cells (those
before the first timing column) name the case, and a ``peer`` column, where present, names the
peer. The result is one table (package, benchmark, case, peer, what is compared, value) under a
description of the machine and the date; the full tables stay linked.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import sys
from pathlib import Path

RATIO = re.compile(r"ratio|speed-?up|ours\s*/", re.IGNORECASE)
MEASURE = re.compile(r"\bms\b|\bs\b|MB|ratio|speed|ours|target", re.IGNORECASE)


def _cells(line: str) -> list[str]:
    return [cell.strip().replace("**", "") for cell in line.strip().strip("|").split("|")]


def tables(text: str) -> list[list[list[str]]]:
    """Every markdown table of ``text`` as a list of rows (the header first)."""
    found, current = [], []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            cells = _cells(line)
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return [t for t in found if len(t) > 1]


def ratio_rows(table: list[list[str]]) -> list[tuple[str, str, str, str]]:
    """``(case, peer, compared, value)`` for every ratio cell of one table."""
    header, rows = table[0], table[1:]
    ratio_columns = [
        i
        for i, name in enumerate(header)
        if RATIO.search(name) and any(re.search(r"\d", row[i]) for row in rows if len(row) > i)
    ]
    if not ratio_columns:
        return []
    first_measure = next((i for i, n in enumerate(header) if MEASURE.search(n)), 1)
    peer_column = next((i for i, n in enumerate(header) if n.lower() == "peer"), None)
    out = []
    for row in rows:
        if len(row) != len(header):
            continue
        case = ", ".join(c for c in row[: max(first_measure, 1)] if c)
        peer = row[peer_column] if peer_column is not None else "-"
        out += [(case, peer, header[i], row[i]) for i in ratio_columns if row[i] not in ("", "-")]
    return out


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    model = Path("/proc/cpuinfo")
    if model.is_file():
        names = re.findall(r"model name\s*:\s*(.*)", model.read_text(encoding="utf-8"))
        cpu = names[0] if names else cpu
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none used"
    threads = torch.get_num_threads()
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs (torch threads: {threads}), GPU: {gpu}; "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"torch {torch.__version__}"
    )


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    output, results = Path(argv[0]), Path(argv[1])
    quick = "--quick" in argv[2:]
    sources = sorted(output.glob("*/*.md"))
    if not sources:
        raise SystemExit(f"no benchmark output (*/*.md) under {output}")
    lines = [
        "# Benchmark results",
        "",
        "Written by `nox -s bench` from the tables each benchmark wrote to `benchmarks/output/`.",
        "A ratio is ours / peer (below 1: we are faster or smaller); a speed-up is peer / ours.",
        "Timings are medians on the machine below, which may be shared: compare ratios, not",
        "absolute times.",
        "",
        f"- Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
    ]
    if quick:
        lines.append("- **Smoke run (`--quick`): tiny sizes, the ratios are not representative.**")
    lines += [
        "",
        "| package | benchmark | case | peer | compared | value |",
        "|---|---|---|---|---|---|",
    ]
    count = 0
    for source in sources:
        package, bench = source.parent.name, source.stem
        for table in tables(source.read_text(encoding="utf-8")):
            for case, peer, compared, value in ratio_rows(table):
                lines.append(f"| {package} | {bench} | {case} | {peer} | {compared} | {value} |")
                count += 1
    if not count:
        raise SystemExit(f"no ratio columns found in {[str(s) for s in sources]}")
    lines += ["", "Full tables (with absolute times and memory):", ""]
    lines += [
        f"- [{s.parent.name}/{s.name}]({os.path.relpath(s, results.parent)})" for s in sources
    ]
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {results} ({count} ratios from {len(sources)} benchmark outputs)")


if __name__ == "__main__":
    main(sys.argv[1:])
