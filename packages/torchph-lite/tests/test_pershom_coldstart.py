"""First use: the compile notice, precompile(), and read-only installs (cache fallback)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba as nb
import pytest
import torch

import torchph_lite
from torchph_lite.pershom import _jit, _precompile, precompile
from torchph_lite.precompile import main as precompile_main


def _probe(x: float) -> float:
    return x + 1.0


def _times(x: float, k: int) -> float:
    return x * k


def test_kernel_called_with_constants_compiles_once() -> None:
    """Constant arguments from a calling kernel do not each compile the callee again (#15)."""
    plain = nb.njit(_times)
    callee = _jit._plain_call_templates(nb.njit(_times))

    def caller_of_plain(x: float) -> float:
        return plain(x, 2) + plain(x, 3)

    def caller(x: float) -> float:
        return callee(x, 2) + callee(x, 3)

    assert nb.njit(caller_of_plain)(1.5) == 7.5
    assert len(plain.overloads) > 1  # numba's default: one compile per literal value
    assert nb.njit(caller)(1.5) == 7.5
    assert [str(sig) for sig in callee.overloads] == ["(float64, int64)"]


def test_first_compile_logs_one_notice(monkeypatch, caplog) -> None:
    monkeypatch.setitem(_jit._state, "notice", False)
    monkeypatch.setattr(_probe, "__module__", "torchph_lite.pershom._probe")
    with caplog.at_level(logging.WARNING, logger="torchph_lite"):
        nb.njit(_probe)(1.0)  # a compile of one of "our" functions (not cached)
        nb.njit(_probe)(2.0)  # a second compile in the same process: no second notice
    notices = [r for r in caplog.records if r.name == "torchph_lite"]
    assert len(notices) == 1
    text = notices[0].getMessage()
    assert "_probe" in text
    assert "python -m torchph_lite.precompile" in text
    assert _jit.compile_notice_emitted()


def test_other_packages_compiles_log_nothing(monkeypatch, caplog) -> None:
    monkeypatch.setitem(_jit._state, "notice", False)
    monkeypatch.setattr(_probe, "__module__", "someone_else")
    with caplog.at_level(logging.WARNING, logger="torchph_lite"):
        nb.njit(_probe)(1.0)
    assert not [r for r in caplog.records if r.name == "torchph_lite"]


def test_uncached_fallback_compiles(monkeypatch) -> None:
    monkeypatch.setattr(_jit, "_fallback_dir", [""])  # no usable temporary directory either
    monkeypatch.setattr(_jit, "_uncached", [])
    fn = _jit._decorate_with_fallback_cache(_probe, {"nogil": True})
    assert fn(1.0) == 2.0
    assert _jit._uncached == ["_probe"]
    assert "not cached" in _jit._cache_location()


def test_precompile_registry_and_cli(monkeypatch, capsys) -> None:
    seen = []
    group = _precompile.KernelGroup("probe", "a test group", seen.append, (torch.float32,))
    monkeypatch.setitem(_precompile.KERNEL_GROUPS, "probe", group)
    assert list(precompile(["probe"])) == ["probe/float32"]
    assert seen == [torch.float32]
    with pytest.raises(ValueError, match="unknown kernel group"):
        precompile(["no_such_group"])
    assert precompile_main(["--list"]) == 0
    listed = capsys.readouterr().out
    assert "vr_points:" in listed
    assert "probe: a test group [float32]" in listed


def test_read_only_install_falls_back_to_a_private_cache(tmp_path: Path) -> None:
    """A package directory and home that numba cannot write to (as root too): no crash."""
    site = tmp_path / "site"
    shutil.copytree(
        Path(torchph_lite.__file__).parent,
        site / "torchph_lite",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for package in (site / "torchph_lite").rglob("__init__.py"):
        (package.parent / "__pycache__").write_text("")  # a file: numba cannot cache in-tree
    blocked = tmp_path / "blocked"
    blocked.write_text("")  # a file, so nothing can be created below it
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(
        PYTHONPATH=str(site),
        HOME=str(blocked / "home"),
        XDG_CACHE_HOME=str(blocked / "cache"),
        TMPDIR=str(temp),
        PYTHONDONTWRITEBYTECODE="1",
    )
    code = (
        "import numpy as np\n"
        "import torchph_lite.pershom\n"
        "from torchph_lite.pershom._sort import stable_argsort\n"
        "print(stable_argsort(np.array([3.0, 1.0, 2.0])).tolist())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[1, 2, 0]"
    assert "compiling the numba kernels" in proc.stderr
    cache = temp / f"torchph_lite-numba-cache-{os.getuid()}"
    assert "read-only" in proc.stderr
    assert str(cache) in proc.stderr
    assert list(cache.rglob("*.nbi")), "the kernel was not cached in the fallback directory"
