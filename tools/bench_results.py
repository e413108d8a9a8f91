"""Collect the ratio columns of every benchmark's markdown output into ``benchmarks/results.md``.

Usage::

    python tools/bench_results.py <benchmarks/output> <benchmarks/results.md> [--quick]

Each ``benchmarks/<import>/bench_*.py`` writes its own tables (``bench_*.md``) to
``benchmarks/output/<import>/``, laid out as suits it. This script reads every table there and
keeps, for each row, the columns that compare us with a peer: any column of numbers whose header
says ``ratio``, ``speed-up``/``speedup`` or ``ours/``. The row's leading descriptive cells (those
before the first column of measurements) name the case, the heading above the table names the
comparison, and a ``peer`` column, where present, names the peer. The result is one table
(package, benchmark and section, case, peer, what is compared, value) under a description of the
machine and the date; the full tables stay linked.
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


def tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """Every markdown table of ``text`` (rows, the header first) with the heading above it."""
    found: list[tuple[str, list[list[str]]]] = []
    heading, current = "", []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            cells = _cells(line)
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                current.append(cells)
            continue
        if current:
            found.append((heading, current))
            current = []
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
    if current:
        found.append((heading, current))
    return [(h, t) for h, t in found if len(t) > 1]


def _measured(column: list[str]) -> bool:
    """A column of measurements: every cell a decimal number (possibly with a unit after it)."""
    return bool(column) and all(re.match(r"-?\d+\.\d+", cell) for cell in column)


def ratio_rows(table: list[list[str]]) -> list[tuple[str, str, str, str]]:
    """``(case, peer, compared, value)`` for every ratio cell of one table.

    The case is made of the row's leading descriptive cells (before the first column of
    measurements); a repeated ratio header is told apart by the column just before it.
    """
    header = table[0]
    rows = [row for row in table[1:] if len(row) == len(header)]
    columns = [[row[i] for row in rows] for i in range(len(header))]
    ratio_columns = [
        i
        for i, name in enumerate(header)
        if RATIO.search(name) and any(re.search(r"\d", cell) for cell in columns[i])
    ]
    if not ratio_columns:
        return []
    first_measure = next(
        (i for i in range(len(header)) if _measured(columns[i]) or i in ratio_columns), 1
    )
    peer_column = next((i for i, n in enumerate(header) if n.lower() == "peer"), None)
    names = {}
    for i in ratio_columns:
        repeated = sum(header[j] == header[i] for j in ratio_columns) > 1
        names[i] = f"{header[i]} ({header[i - 1]})" if repeated and i > 0 else header[i]
    out = []
    for row in rows:
        case = ", ".join(c for c in row[: max(first_measure, 1)] if c)
        peer = row[peer_column] if peer_column is not None else "-"
        out += [(case, peer, names[i], row[i]) for i in ratio_columns if row[i] not in ("", "-")]
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
        "| package | benchmark: section | case | peer | compared | value |",
        "|---|---|---|---|---|---|",
    ]
    count = 0
    for source in sources:
        package, bench = source.parent.name, source.stem
        for heading, table in tables(source.read_text(encoding="utf-8")):
            where = f"{bench}: {heading}" if heading else bench
            for case, peer, compared, value in ratio_rows(table):
                lines.append(f"| {package} | {where} | {case} | {peer} | {compared} | {value} |")
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
