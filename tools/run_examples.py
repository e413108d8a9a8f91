"""Run example scripts and record what each one printed and wrote.

Used by ``nox -s examples`` and by the docs' gallery (``docs/_ext/gallery.py``). Each script is
run as ``python SCRIPT --output DIR``; next to its outputs a ``<script>.run.json`` manifest holds
its printed output (stdout), run time, exit status and the files it wrote, in the order written.

Usage: ``python tools/run_examples.py OUTPUT_ROOT [SCRIPT ...]`` (default: every example script);
outputs go to ``OUTPUT_ROOT/<import name>/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def example_scripts() -> list[Path]:
    """Every example script, grouped by folder (one folder per package, plus cross-package ones)."""
    return sorted(p for p in EXAMPLES.glob("*/*.py") if not p.name.startswith("_"))


def _snapshot(folder: Path) -> dict[str, float]:
    return {
        str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()
    }


def run_example(script: Path, output: Path, python: str = sys.executable) -> dict:
    """Run one example into ``output`` and write its manifest; return the manifest."""
    output.mkdir(parents=True, exist_ok=True)
    before = _snapshot(output)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    process = subprocess.run(
        [python, str(script), "--output", str(output)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - start
    after = _snapshot(output)
    written = sorted(
        (name for name, mtime in after.items() if before.get(name) != mtime),
        key=lambda name: after[name],
    )
    manifest = {
        "script": str(script.relative_to(ROOT)),
        "returncode": process.returncode,
        "seconds": round(seconds, 1),
        "stdout": process.stdout,
        "stderr_tail": process.stderr[-4000:],
        "files": [name for name in written if not name.endswith(".run.json")],
    }
    (output / f"{script.stem}.run.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[0]).resolve()
    scripts = [Path(a).resolve() for a in argv[1:]] or example_scripts()
    failed = []
    for script in scripts:
        print(f"running {script.relative_to(ROOT)}", flush=True)
        manifest = run_example(script, root / script.parent.name)
        sys.stdout.write(manifest["stdout"])
        print(f"  {manifest['seconds']} s, exit status {manifest['returncode']}", flush=True)
        if manifest["returncode"] != 0:
            sys.stderr.write(manifest["stderr_tail"])
            failed.append(manifest["script"])
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
