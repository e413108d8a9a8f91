"""Sphinx extension: the examples gallery, built from the example scripts as they run.

At the start of every build, each script under ``examples/`` is run (``tools/run_examples.py``)
into ``docs/_build/gallery_output/``, and one page per script is written under
``docs/gallery/generated/``: the script's description (its module docstring), the figures it
wrote, what it printed, and its source. A script that fails stops the build.

Set ``GALLERY_REUSE=1`` to reuse the outputs of an earlier build (the manifests) instead of
running the scripts again, e.g. while editing the docs' text.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from sphinx.errors import ExtensionError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import run_examples  # noqa: E402

FIGURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")
TITLES = {
    "torchph_lite": "torchph-lite",
    "e2_steerable": "e2-steerable",
    "semiconv_nd": "semiconv-nd",
    "hourglass_layer": "hourglass-layer",
}


def _docstring(script: Path) -> tuple[str, str]:
    doc = ast.get_docstring(ast.parse(script.read_text())) or script.stem
    first, _, rest = doc.partition("\n")
    return first.strip(), rest.strip()


def _indent(text: str) -> str:
    return "\n".join(("   " + line) if line.strip() else "" for line in text.splitlines())


def _page(script: Path, manifest: dict[str, Any], figures: list[str]) -> str:
    title, description = _docstring(script)
    rel = script.relative_to(ROOT)
    # Docstrings are reST-ish; a bare "|" would start a substitution reference.
    lines = [title, "=" * len(title), "", description.replace("|", "\\|"), ""]
    lines += [
        f"*Script:* ``{rel}`` (ran in {manifest['seconds']} s on the docs' build machine).",
        "",
    ]
    for figure in figures:
        lines += [f".. image:: {figure}", "   :width: 90%", ""]
    if manifest["stdout"].strip():
        lines += [
            "What it printed:",
            "",
            ".. code-block:: text",
            "",
            _indent(manifest["stdout"]),
            "",
        ]
    lines += ["The script:", "", f".. literalinclude:: /../{rel}", "   :language: python", ""]
    return "\n".join(lines)


def build_gallery(app: Any) -> None:
    srcdir = Path(app.srcdir)
    output_root = Path(app.outdir).parent / "gallery_output"
    generated = srcdir / "gallery" / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    generated.mkdir(parents=True)
    reuse = os.environ.get("GALLERY_REUSE") == "1"
    sections: dict[str, list[str]] = {}
    for script in run_examples.example_scripts():
        group = script.parent.name
        output = output_root / group
        manifest_path = output / f"{script.stem}.run.json"
        if reuse and manifest_path.is_file():
            manifest = json.loads(manifest_path.read_text())
        else:
            print(f"gallery: running {script.relative_to(ROOT)}", flush=True)
            manifest = run_examples.run_example(script, output)
        if manifest["returncode"] != 0:
            raise ExtensionError(
                f"gallery: {script.relative_to(ROOT)} failed:\n{manifest['stderr_tail']}"
            )
        page_dir = generated / group
        page_dir.mkdir(exist_ok=True)
        figures = []
        for name in manifest["files"]:
            if name.lower().endswith(FIGURE_SUFFIXES) and (output / name).is_file():
                target = page_dir / f"{script.stem}__{Path(name).name}"
                shutil.copyfile(output / name, target)
                figures.append(target.name)
        (page_dir / f"{script.stem}.rst").write_text(_page(script, manifest, figures))
        sections.setdefault(group, []).append(f"generated/{group}/{script.stem}")
    index = [
        "Gallery",
        "=======",
        "",
        "What the example scripts (``nox -s examples``) produce. Every page is made by running",
        "its script during the docs build, so the figures and printed numbers are those of the",
        "current code.",
        "",
    ]
    for group, pages in sections.items():
        heading = TITLES.get(group, group.replace("_", " "))
        index += [heading, "-" * len(heading), "", ".. toctree::", "   :maxdepth: 1", ""]
        index += [f"   {page}" for page in pages] + [""]
    (srcdir / "gallery" / "index.rst").write_text("\n".join(index))


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", build_gallery)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
