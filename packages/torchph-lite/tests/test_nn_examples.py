"""The repository's torchph_lite example scripts run and print what they promise.

Skipped when the package is tested outside the monorepo (no ``examples/`` next to it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "torchph_lite"

pytestmark = pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason="examples/ not found (not in the repo)"
)


def _run(script: str, output: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--output", str(output), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_tutorial_script(tmp_path):
    printed = _run("tutorial_slayer.py", tmp_path)
    assert "tensor([[1.0000e+00, 1.3534e-01, 1.5230e-08]," in printed
    assert "tensor([[1., 0., 0.],\n        [2., 0., 0.]," in printed
    assert "torch.Size([3, 10])" in printed
    assert (tmp_path / "slayer_tutorial.txt").read_text() in printed
    assert (tmp_path / "slayer_tutorial.png").stat().st_size > 0


@pytest.mark.slow
def test_classify_shapes_script(tmp_path):
    pytest.importorskip("torchph_lite.pershom")
    printed = _run("classify_shapes.py", tmp_path, "--epochs", "60")
    accuracy = float(printed.split("test accuracy: ")[1].split()[0])
    assert accuracy >= 0.9
    for name in (
        "classify_shapes.txt",
        "classify_shapes_diagrams.png",
        "classify_shapes_slayer.png",
    ):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.slow
def test_topological_image_loss_script(tmp_path):
    printed = _run("topological_image_loss.py", tmp_path, "--quick")
    assert "after (1, 1)" in printed  # one component and one hole after training
    assert (tmp_path / "topological_image_loss.png").is_file()
