"""The tools behind ``nox -s examples`` (gallery index) and ``nox -s bench`` (results.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))

import bench_results
import examples_index

BENCH_MD = """# Title

## Persistence

| case | ours ms | peer | peer ms (ours/peer) |
|---|---|---|---|
| H0, n=100 | 1.0 | ripser | 2.0 (**0.50**) |

## Convolution

| semifield | k | ours ms | original ms | time ratio | memory ratio |
|---|---|---|---|---|---|
| tropical | 3 | 1.0 | 2.0 | 0.500 | 0.250 |
| tropical | 5 | 1.0 | 2.0 | - | 0.300 |

| no ratios | here |
|---|---|
| a | b |

| case | ours fwd | ratio | ours bwd | ratio |
|---|---|---|---|---|
| big | 1.5 | 0.9 | 2.5 | 1.1 |
"""


def test_bench_summary_keeps_every_ratio_cell(tmp_path: Path) -> None:
    (tmp_path / "output" / "pkg").mkdir(parents=True)
    (tmp_path / "output" / "pkg" / "bench_x.md").write_text(BENCH_MD, encoding="utf-8")
    results = tmp_path / "results.md"
    bench_results.main([str(tmp_path / "output"), str(results)])
    text = results.read_text(encoding="utf-8")
    row = "| pkg | bench_x: Persistence | H0, n=100 | ripser | peer ms (ours/peer) | 2.0 (0.50) |"
    assert row in text
    assert "| pkg | bench_x: Convolution | tropical, 3 | - | time ratio | 0.500 |" in text
    assert "| pkg | bench_x: Convolution | tropical, 3 | - | memory ratio | 0.250 |" in text
    assert "| pkg | bench_x: Convolution | tropical, 5 | - | memory ratio | 0.300 |" in text
    assert "| pkg | bench_x: Convolution | big | - | ratio (ours fwd) | 0.9 |" in text
    assert "| pkg | bench_x: Convolution | big | - | ratio (ours bwd) | 1.1 |" in text
    assert text.count("| pkg |") == 6
    assert "Machine:" in text
    assert "Date:" in text
    assert "[pkg/bench_x.md](output/pkg/bench_x.md)" in text


def test_bench_summary_fails_without_output(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no benchmark output"):
        bench_results.main([str(tmp_path), str(tmp_path / "results.md")])


DOC = '''"""Demo: does things.

Writes ``a.png`` (the first figure), the curves (``b.png`` and ``c.png``) and ``demo.txt``.
"""
'''


def test_gallery_index_captions_every_figure(tmp_path: Path) -> None:
    (tmp_path / "grp").mkdir()
    (tmp_path / "grp" / "demo.py").write_text(DOC, encoding="utf-8")
    out = tmp_path / "output" / "grp"
    out.mkdir(parents=True)
    for name in ("c.png", "a.png", "b.png", "demo.txt"):
        (out / name).write_bytes(b"x")
    examples_index.main([str(tmp_path), "grp/demo.py"])
    text = (tmp_path / "output" / "index.md").read_text(encoding="utf-8")
    assert "## `grp/demo.py`" in text
    assert "Demo: does things." in text
    assert "![the first figure](grp/a.png)" in text
    assert "![the curves](grp/b.png)" in text
    assert text.index("grp/a.png") < text.index("grp/b.png") < text.index("grp/c.png")
    assert "[demo.txt](grp/demo.txt)" in text


def test_gallery_index_fails_for_an_example_without_output(tmp_path: Path) -> None:
    (tmp_path / "grp").mkdir()
    (tmp_path / "grp" / "demo.py").write_text(DOC, encoding="utf-8")
    with pytest.raises(SystemExit, match="no output"):
        examples_index.main([str(tmp_path), "grp/demo.py"])
