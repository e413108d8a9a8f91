"""The public API of the four packages: which modules users import, and which names each offers.

One source of truth for the docs (the API pages document each public name once, under the first
public module below that exports it), for the check that every public name resolves in the built
``objects.inv`` (``python tools/public_api.py check docs/_build/html/objects.inv``), and for the
tests that keep the migration guides' coverage tables true.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import types

#: Public modules per distribution, in documentation order (a name re-exported by a later module
#: is documented under the first one).
PUBLIC_MODULES: dict[str, tuple[str, ...]] = {
    "torchph-lite": ("torchph_lite.nn", "torchph_lite.pershom", "torchph_lite.plot"),
    "e2-steerable": (
        "e2_steerable.group",
        "e2_steerable.gspaces",
        "e2_steerable.kernels",
        "e2_steerable.nn",
    ),
    "semiconv-nd": ("semiconv_nd", "semiconv_nd.plot"),
    "hourglass-layer": (
        "hourglass_layer",
        "hourglass_layer.spectral",
        "hourglass_layer.penalty",
        "hourglass_layer.activations",
        "hourglass_layer.initializers",
        "hourglass_layer.weight_regularizers",
        "hourglass_layer.constraints",
    ),
}

#: Optional public modules: documented and checked only if they import (added by later work).
OPTIONAL_MODULES: dict[str, tuple[str, ...]] = {"e2-steerable": ("e2_steerable.diffops",)}


def public_modules(dist: str) -> tuple[str, ...]:
    """The public modules of one distribution that exist in the installed version."""
    found = list(PUBLIC_MODULES[dist])
    for name in OPTIONAL_MODULES.get(dist, ()):
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        found.append(name)
    return tuple(found)


def exported_names(module_name: str) -> list[str]:
    """The names a public module exports (its ``__all__``), without dunders and submodules."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        raise ValueError(f"public module {module_name} has no __all__")
    return [
        name
        for name in names
        if not name.startswith("__") and not isinstance(getattr(module, name), types.ModuleType)
    ]


def _assigns(module_name: str, name: str) -> bool:
    """True if the source of ``module_name`` assigns ``name`` at module level."""
    module = importlib.import_module(module_name)
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return False
    return re.search(rf"^{re.escape(name)}\s*(:[^=]*)?=", source, re.M) is not None


def owners(dist: str) -> dict[str, str]:
    """Map each public path ``module.name`` of ``dist`` to its module; re-exports are left out.

    A class or function is documented under the first public module (in :data:`PUBLIC_MODULES`
    order) that exports it. A constant (data) is documented where it is assigned if that module
    is public (its doc comment lives there), else under the first public module exporting it.
    """
    exporters: dict[tuple[str, int], list[str]] = {}
    for module_name in public_modules(dist):
        module = importlib.import_module(module_name)
        for name in exported_names(module_name):
            exporters.setdefault((name, id(getattr(module, name))), []).append(module_name)
    owner: dict[str, str] = {}
    for (name, _), modules in exporters.items():
        obj = getattr(importlib.import_module(modules[0]), name)
        chosen = modules[0]
        if not callable(obj):
            chosen = next((m for m in modules if _assigns(m, name)), modules[0])
        owner[f"{chosen}.{name}"] = chosen
    return owner


def documented_elsewhere(module_name: str, name: str) -> bool:
    """True if ``module_name.name`` is a re-export documented under an earlier public module."""
    for dist in PUBLIC_MODULES:
        modules = public_modules(dist)
        if module_name in modules:
            return f"{module_name}.{name}" not in owners(dist)
    return False


def check_inventory(path: str) -> list[str]:
    """The public names missing from a built Sphinx ``objects.inv``."""
    from sphinx.util.inventory import InventoryFile

    with open(path, "rb") as stream:
        inventory = InventoryFile.load(stream, "", lambda base, uri: uri)
    documented = {name for entries in inventory.values() for name in entries}
    missing = []
    for dist in PUBLIC_MODULES:
        missing += [full for full in owners(dist) if full not in documented]
    return missing


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "check":
        missing = check_inventory(argv[1])
        for name in missing:
            print(f"not in the docs' objects.inv: {name}")
        total = sum(len(owners(d)) for d in PUBLIC_MODULES)
        print(f"{total - len(missing)} of {total} public names documented under their public path")
        return 1 if missing else 0
    if len(argv) == 1 and argv[0] == "list":
        for dist in PUBLIC_MODULES:
            for full in owners(dist):
                print(full)
        return 0
    print("usage: public_api.py check OBJECTS_INV | list", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
