"""Write ``examples/output/index.md``: every example's figures, each with a one-line explanation.

Usage::

    python tools/examples_index.py <examples dir> <group>/<script>.py [...]

For every script (in the order given) the index gets a section titled by the script's path with
the first line of its docstring, then each figure the script wrote to ``output/<group>/`` (the
figures named in its docstring, in that order, then any other image in that folder) with a
caption taken from the docstring (the parenthesis after the file name, or the phrase before a
parenthesis holding it), and links to the printed results (``*.txt``). Fails if a script wrote
no output at all, so a broken example cannot leave a silently empty gallery.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif")


def _flat(text: str) -> str:
    """One line, without reST markup."""
    text = re.sub(r"``([^`]*)``", r"\1", text)
    text = re.sub(r":\w+:`~?([^`]*)`", r"\1", text)
    return " ".join(text.split())


def docstring(script: Path) -> str:
    return ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""


def caption(doc: str, figure: str) -> str | None:
    """The docstring's explanation of ``figure``, or ``None`` when it does not mention it."""
    flat = " ".join(doc.split())
    name = re.escape(f"``{figure}``")
    after = re.search(name + r"\s*\(([^()]*)\)", flat)
    if after:
        return _flat(after.group(1))
    inside = re.search(r"([^.;:()]*?)\s*\(([^()]*" + name + r"[^()]*)\)", flat)
    if inside:
        phrase = re.split(r"\b(?:saves|writes|and|Writes|Saves)\s+|,\s*", inside.group(1))[-1]
        if phrase.strip():
            return _flat(phrase)
    return None


def figures_of(doc: str, folder: Path) -> list[Path]:
    """Images in ``folder``: those the docstring names first, in its order, then the others."""
    present = {p.name: p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    named = [n for n in dict.fromkeys(re.findall(r"``([\w.-]+)``", doc)) if n in present]
    return [present[n] for n in named] + [present[n] for n in sorted(present) if n not in named]


def section(examples: Path, entry: str) -> list[str]:
    group, script_name = entry.split("/", 1)
    script = examples / group / script_name
    folder = examples / "output" / group
    doc = docstring(script)
    summary = _flat(doc.splitlines()[0]) if doc else script_name
    if not folder.is_dir() or not any(folder.iterdir()):
        raise SystemExit(f"{entry}: no output in {folder}")
    lines = [f"## `{group}/{script_name}`", "", summary, ""]
    stem = Path(script_name).stem
    figures = figures_of(doc, folder)
    mine = [f for f in figures if f.name in doc] or [f for f in figures if stem in f.name]
    for figure in mine:
        text = caption(doc, figure.name) or summary
        lines += [f"![{text}]({group}/{figure.name})", "", f"*{figure.name}*: {text}.", ""]
    texts = sorted(p.name for p in folder.glob("*.txt") if p.name in doc or stem in p.name)
    if texts:
        links = ", ".join(f"[{name}]({group}/{name})" for name in texts)
        lines += [f"Printed results: {links}.", ""]
    return lines


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    examples = Path(argv[0])
    lines = [
        "# Examples gallery",
        "",
        "Written by `nox -s examples`: every example script of the four packages and the",
        "four-package model, run on CPU. Each figure comes with one line on what it shows.",
        "",
    ]
    for entry in argv[1:]:
        lines += section(examples, entry)
    index = examples / "output" / "index.md"
    index.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {index}")


if __name__ == "__main__":
    main(sys.argv[1:])
