"""Write and check the committed copies of ``shared/*.py`` inside the packages that vendor them.

The single source of a vendored helper is ``shared/<name>.py``; each package that uses it holds a
byte-for-byte copy of it, below a generated header, at ``src/<import>/_vendor/<name>.py``.
``nox -s vendor`` calls :func:`write` and ``nox -s vendor_check`` calls :func:`check`.

Usage::

    python tools/vendoring.py write
    python tools/vendoring.py check
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "shared"

#: Which shared modules each package vendors: {distribution: (import name, [module files])}.
VENDORED: dict[str, tuple[str, list[str]]] = {
    "semiconv-nd": ("semiconv_nd", ["grid.py"]),
    "e2-steerable": ("e2_steerable", ["grid.py"]),
}

HEADER = (
    "# Vendored copy of shared/{name}: do not edit here. Edit shared/{name}, then run\n"
    "# `nox -s vendor` to rewrite every copy (`nox -s vendor_check` fails on any drift).\n"
)


def expected_copy(name: str) -> str:
    """The exact text a vendored copy of ``shared/<name>`` must have."""
    return HEADER.format(name=name) + (SHARED / name).read_text(encoding="utf-8")


def targets() -> list[tuple[Path, str]]:
    """Every (vendored copy path, shared module name) pair."""
    pairs = []
    for dist, (module, names) in VENDORED.items():
        vendor_dir = ROOT / "packages" / dist / "src" / module / "_vendor"
        pairs.extend((vendor_dir / name, name) for name in names)
    return pairs


def write() -> list[Path]:
    """Rewrite every vendored copy from ``shared/``; return the files that changed."""
    changed = []
    for path, name in targets():
        text = expected_copy(name)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def check() -> list[str]:
    """Describe every vendored copy that is missing or differs from ``shared/``."""
    problems = []
    for path, name in targets():
        rel = path.relative_to(ROOT)
        if not path.is_file():
            problems.append(f"{rel} is missing; run `nox -s vendor`")
        elif path.read_text(encoding="utf-8") != expected_copy(name):
            problems.append(f"{rel} differs from shared/{name}; run `nox -s vendor`")
    return problems


def main(argv: list[str]) -> int:
    if argv == ["write"]:
        for path in write():
            print(f"vendored {path.relative_to(ROOT)}")
        return 0
    if argv == ["check"]:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            print("vendored copies are in sync with shared/")
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
