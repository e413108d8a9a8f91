"""Build guard: refuse to build this package while a vendored helper differs from ``shared/``.

The vendored copies under ``src/<import>/_vendor/`` are committed files written by
``nox -s vendor``. Inside the monorepo this hook compares each copy with its source in
``../../shared`` and fails the build on any drift. Building from an unpacked sdist (which has a
``PKG-INFO``) or from a checkout without ``shared/`` is not checked: there is nothing to
compare with.
"""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class VendoredCopyGuard(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        root = Path(self.root)
        shared = root.parent.parent / "shared"
        if (root / "PKG-INFO").is_file() or not shared.is_dir():
            return
        for copy in sorted(root.glob("src/*/_vendor/*.py")):
            if copy.name == "__init__.py":
                continue
            source = shared / copy.name
            body = "".join(
                line
                for line in copy.read_text(encoding="utf-8").splitlines(keepends=True)
                if not line.startswith("#")
            )
            expected = "".join(
                line
                for line in source.read_text(encoding="utf-8").splitlines(keepends=True)
                if not line.startswith("#")
            )
            if body != expected:
                raise RuntimeError(
                    f"{copy.relative_to(root)} is out of sync with shared/{copy.name}; "
                    "run `nox -s vendor` from the repository root"
                )
