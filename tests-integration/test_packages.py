"""Every package installs from its wheel, imports, and reports the version it was built with."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys

import pytest
from conftest import PACKAGES


@pytest.mark.parametrize(("distribution", "module"), PACKAGES.items())
def test_import_and_version(distribution: str, module: str) -> None:
    imported = importlib.import_module(module)
    assert imported.__version__ == importlib.metadata.version(distribution)
    files = importlib.metadata.files(distribution)
    assert any(str(f).endswith(f"{module}/py.typed") for f in files)


@pytest.mark.parametrize(("distribution", "module"), PACKAGES.items())
def test_import_is_quiet(distribution: str, module: str) -> None:
    """Importing a package prints nothing and emits no warnings."""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


def test_packages_do_not_depend_on_each_other() -> None:
    """A user installs only the package they need: no package requires a sibling."""
    for distribution in PACKAGES:
        requires = importlib.metadata.requires(distribution) or []
        names = {
            r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip() for r in requires
        }
        assert not names & set(PACKAGES), f"{distribution} requires a sibling: {names}"
