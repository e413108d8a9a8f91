"""The integration tests run against the four *built wheels* installed in one venv."""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from pathlib import Path

import pytest

PACKAGES = {
    "torchph-lite": "torchph_lite",
    "e2-steerable": "e2_steerable",
    "semiconv-nd": "semiconv_nd",
    "hourglass-layer": "hourglass_layer",
}
REPO = Path(__file__).resolve().parent.parent
#: the cross-package model (``fourpack``) and its training script live with the examples
EXAMPLE_DIR = REPO / "examples" / "integration"
sys.path.insert(0, str(EXAMPLE_DIR))


def subprocess_env() -> dict[str, str]:
    """The environment for a fresh Python process that must import ``fourpack`` too."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(EXAMPLE_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to run against editable or source-tree imports: only installed wheels count.

    ``TOOLKIT_ALLOW_SOURCE=1`` lifts the check for a quick local run with ``PYTHONPATH``
    pointing at ``packages/*/src`` (the ``integration`` nox session never sets it).
    """
    if os.environ.get("TOOLKIT_ALLOW_SOURCE") == "1":
        return
    for distribution, module in PACKAGES.items():
        dist = importlib.metadata.distribution(distribution)
        direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
        if direct_url.get("dir_info", {}).get("editable", False):
            raise pytest.UsageError(f"{distribution} is an editable install; install the wheel")
        imported = Path(__import__(module).__file__).resolve()
        if REPO / "packages" in imported.parents:
            raise pytest.UsageError(f"{module} imports from the source tree ({imported})")
