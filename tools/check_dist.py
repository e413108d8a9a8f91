"""Check one package's built sdist and wheel: names, version, and vendored files.

Usage::

    python tools/check_dist.py <distribution> <import name> <dist dir>

Fails (exit 1) if the directory does not hold exactly one sdist and one wheel of the package with
the version of ``src/<import>/__init__.py``, or if a vendored helper (see ``tools/vendoring.py``)
is missing from either artifact.
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from vendoring import VENDORED  # noqa: E402


def package_version(import_name: str, distribution: str) -> str:
    init = ROOT / "packages" / distribution / "src" / import_name / "__init__.py"
    match = re.search(r'^__version__ = "([^"]+)"', init.read_text(encoding="utf-8"), re.MULTILINE)
    if match is None:
        raise SystemExit(f"{init} defines no __version__")
    return match.group(1)


def main(distribution: str, import_name: str, dist_dir: str) -> int:
    out = Path(dist_dir)
    version = package_version(import_name, distribution)
    stem = distribution.replace("-", "_")
    sdists = sorted(out.glob("*.tar.gz"))
    wheels = sorted(out.glob("*.whl"))
    problems = []
    if [p.name for p in sdists] != [f"{stem}-{version}.tar.gz"]:
        found = [p.name for p in sdists]
        problems.append(f"expected one sdist {stem}-{version}.tar.gz, found {found}")
    if len(wheels) != 1 or not wheels[0].name.startswith(f"{stem}-{version}-py3-none-any"):
        found = [p.name for p in wheels]
        problems.append(f"expected one wheel {stem}-{version}-py3-none-any.whl, found {found}")
    if not problems:
        with zipfile.ZipFile(wheels[0]) as wheel:
            wheel_names = set(wheel.namelist())
        with tarfile.open(sdists[0]) as sdist:
            sdist_names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
        if f"{import_name}/py.typed" not in wheel_names:
            problems.append("the wheel lacks py.typed")
        if f"{import_name}/__init__.py" not in wheel_names:
            problems.append("the wheel lacks the package")
        for name in VENDORED.get(distribution, (import_name, []))[1]:
            if f"{import_name}/_vendor/{name}" not in wheel_names:
                problems.append(f"the wheel lacks {import_name}/_vendor/{name}")
            if f"src/{import_name}/_vendor/{name}" not in sdist_names:
                problems.append(f"the sdist lacks src/{import_name}/_vendor/{name}")
    for problem in problems:
        print(f"{distribution}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{distribution} {version}: sdist and wheel look complete")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    raise SystemExit(main(*sys.argv[1:]))
