"""Cold start: layering, the compile notice, precompile, read-only installs and the CUDA hint."""

from __future__ import annotations

import ast
import importlib.util
import logging
import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from numba import njit

import semiconv_nd
from semiconv_nd._cpu import cache

PACKAGE = Path(semiconv_nd.__file__).parent


def _pythonpath(*dirs: Path) -> str:
    """PYTHONPATH for a subprocess: ``dirs`` without site-packages directories.

    An installed package's parent is site-packages, which must stay after the standard library
    (a PyPI ``uuid`` module there would shadow the stdlib one if it came first).
    """
    sites = {Path(p).resolve() for p in site.getsitepackages()}
    return os.pathsep.join(str(d) for d in dirs if Path(d).resolve() not in sites)


def _semiconv_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("semiconv_nd"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("semiconv_nd")}
    return found


def test_layering_is_one_way():
    """semifields -> ops -> _cpu/_cuda, and the backends see only the leaf ops.entries."""
    for path in sorted((PACKAGE / "ops").glob("*.py")):
        bad = {m for m in _semiconv_imports(path) if m.startswith("semiconv_nd.semifields")}
        assert not bad, f"{path.name} imports {bad}"
    for backend in ("_cpu", "_cuda"):
        for path in sorted((PACKAGE / backend).glob("*.py")):
            ops = {m for m in _semiconv_imports(path) if m.startswith("semiconv_nd.ops")}
            assert ops <= {"semiconv_nd.ops.entries"}, f"{backend}/{path.name} imports {ops}"
            assert not {m for m in _semiconv_imports(path) if "semifields" in m}
    assert _semiconv_imports(PACKAGE / "ops" / "entries.py") == set()


def test_compile_notice_is_logged_once_per_family(caplog):
    @njit(cache=False)
    def _tiny(x):
        return x + 1.0

    with caplog.at_level(logging.WARNING, logger="semiconv_nd"):
        cache.notice_if_compiling(_tiny, "test kernels", (1.0,))
        _tiny(1.0)
        cache.notice_if_compiling(_tiny, "test kernels", (1.0,))
    notices = [r.getMessage() for r in caplog.records if "test kernels" in r.getMessage()]
    assert len(notices) == 1
    assert "compiling the test kernels" in notices[0]
    assert "semiconv_nd.precompile" in notices[0] or "once per process" in notices[0]


def test_compile_notice_is_silent_for_compiled_kernels(caplog):
    @njit(cache=False)
    def _done(x):
        return x * 2.0

    _done(1.0)
    with caplog.at_level(logging.WARNING, logger="semiconv_nd"):
        cache.notice_if_compiling(_done, "compiled kernels", (1.0,))
    assert not [r for r in caplog.records if "compiled kernels" in r.getMessage()]


def test_precompile_rejects_unknown_dtypes():
    with pytest.raises(ValueError, match="dtypes"):
        semiconv_nd.precompile(dtypes=["float16"])


def test_precompile_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "semiconv_nd.precompile", "--dtype", "float64"],
        env={**os.environ, "PYTHONPATH": _pythonpath(PACKAGE.parent)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "select/float64:" in result.stdout
    for family in ("linear", "root", "log"):
        assert f"{family}/float64:" in result.stdout
    assert "RuntimeWarning" not in result.stderr


def test_cuda_hint_names_the_extra_without_numba_cuda(monkeypatch):
    from semiconv_nd._cuda import cuda_unavailable_reason

    find_spec = importlib.util.find_spec
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM", raising=False)
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "numba_cuda" else find_spec(name, *args),
    )
    assert "semiconv-nd[cuda]" in cuda_unavailable_reason()


_READ_ONLY_SCRIPT = """
import torch
import semiconv_nd
from semiconv_nd._cpu import cache
print("CACHE", cache.CACHE)
if {run!r}:
    for semifield in (semiconv_nd.SelectSemifield.tropical_max(),
                      semiconv_nd.SubtractSemifield.log(1.0)):
        img = torch.rand(1, 2, 5, 5, requires_grad=True)
        semifield.dynamic()(img, torch.rand(2, 2, 3, 3)).sum().backward()
        assert torch.isfinite(img.grad).all()
    print("RAN")
"""


def _run_read_only(run: bool) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run a script against a read-only copy of the package, with no writable home.

    Permission bits do not stop root (as in CI containers), so every ``__pycache__`` of the
    copy is also blocked by a plain file and ``HOME`` lies below a file: numba's in-tree and
    user-wide cache locators then fail exactly as on a read-only install.
    """
    root = Path(tempfile.mkdtemp(prefix="semiconv-ro-"))
    try:
        site = root / "site"
        shutil.copytree(
            PACKAGE, site / "semiconv_nd", ignore=shutil.ignore_patterns("__pycache__", "*.nbi")
        )
        for package in [site / "semiconv_nd", *(site / "semiconv_nd").rglob("*")]:
            if package.is_dir() and package.name != "__pycache__":
                (package / "__pycache__").write_text("blocked\n")
        (root / "home").write_text("not a directory\n")
        temp = root / "tmp"
        temp.mkdir()
        for path in [root, *root.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        temp.chmod(0o777)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "XDG_", "HOME"))}
        env.update(HOME=str(root / "home" / "user"), TMPDIR=str(temp), PYTHONPATH=str(site))
        result = subprocess.run(
            [sys.executable, "-c", _READ_ONLY_SCRIPT.format(run=run)],
            env=env,
            cwd=temp,
            capture_output=True,
            text=True,
            timeout=900,
        )
        cached = sorted(p.name for p in temp.rglob("*.nbi"))
        return result, cached
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755)
        shutil.rmtree(root, ignore_errors=True)


def test_read_only_install_imports_and_caches_in_a_private_temp_dir():
    result, _ = _run_read_only(run=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "CACHE True" in result.stdout
    assert "not writable" in result.stderr  # the notice names the fallback directory
    assert "semiconv_nd-numba-cache" in result.stderr


@pytest.mark.slow
def test_read_only_install_runs_the_kernels():
    result, cached = _run_read_only(run=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RAN" in result.stdout
    assert "compiling the tropical select kernels" in result.stderr
    assert cached, "nothing was cached in the private temp dir"
