"""Sphinx extension: document each public name once, under the public module users import.

* The API pages use ``automodule`` on the public modules listed in ``tools/public_api.py``. A
  module's ``:members:`` follow its ``__all__``; a member that an earlier public module already
  documents (a re-export) is skipped, so every public name appears exactly once. autodoc adds a
  class's internal path as ``:canonical:``, so references to either path resolve.
* Private base classes are replaced by their public ancestors in "Bases:" lines.
* References to torch's internal module paths (``torch.nn.modules.conv.Conv2d``, which is what
  annotations and base classes carry) are resolved through the public alias (``torch.nn.Conv2d``).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import public_api
from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

_OWN_PACKAGES = ("torchph_lite", "e2_steerable", "semiconv_nd", "hourglass_layer")
#: torch's internal module prefixes and the public namespace their classes are documented under.
_TORCH_ALIASES = {
    "torch.nn.modules.": "torch.nn",
    "torch.nn.parameter.": "torch.nn",
}
#: Type aliases that annotations spell through a package's private (vendored) module, and the
#: public name each package documents them under.
_OWN_ALIASES = {"grid.Padding": "semiconv_nd.Padding"}
#: Short spellings used in docstrings' type fields, and the names they stand for.
_SHORT_ALIASES = {"np.": "numpy.", "nn.": "torch.nn."}


def _skip_reexports(app: Any, what: str, name: str, obj: Any, skip: bool, options: Any) -> Any:
    if what != "module":
        return None
    current = getattr(app.env, "current_document", None)
    module_name = getattr(current, "autodoc_module", None) or app.env.temp_data.get(
        "autodoc:module"
    )
    if not module_name:
        return None
    if public_api.documented_elsewhere(module_name, name):
        return True
    module = importlib.import_module(module_name)
    if name in getattr(module, "__all__", ()):
        return False  # public constants carry no docstring of their own: list them all the same
    return None


def _is_private_class(cls: type) -> bool:
    module = getattr(cls, "__module__", "") or ""
    if not module.startswith(_OWN_PACKAGES):
        return False
    if cls.__name__.startswith("_"):
        return True
    for dist in public_api.PUBLIC_MODULES:
        for module_name in public_api.public_modules(dist):
            public = importlib.import_module(module_name)
            if getattr(public, cls.__name__, None) is cls:
                return False
    return True


def _public_bases(app: Any, name: str, obj: Any, options: Any, bases: list[Any]) -> None:
    resolved: list[Any] = []
    pending = list(bases)
    while pending:
        base = pending.pop(0)
        if isinstance(base, type) and _is_private_class(base):
            pending[:0] = [b for b in base.__bases__ if b is not object]
        elif base not in resolved:
            resolved.append(base)
    bases[:] = resolved or [object]


def _torch_public_alias(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    target = node.get("reftarget", "")
    if target in _OWN_ALIASES and node.get("refdomain") == "py":
        domain = env.get_domain("py")
        return domain.resolve_xref(
            env,
            node.get("refdoc", ""),
            app.builder,
            "data",
            _OWN_ALIASES[target],
            node,
            contnode,
        )
    alias = None
    for prefix, public in _TORCH_ALIASES.items():
        if target.startswith(prefix):
            alias = f"{public}.{target.rsplit('.', 1)[1]}"
    for prefix, full in _SHORT_ALIASES.items():
        if target.startswith(prefix):
            alias = full + target[len(prefix) :]
    if alias is None:
        return None
    from sphinx.ext.intersphinx import missing_reference

    node["reftarget"] = alias
    found = missing_reference(app, env, node, contnode)
    if found is None:
        node["reftarget"] = target
    return found


class PublicData(Directive):
    """``.. public-data:: module``: the module's public constants defined in private modules.

    autodoc's ``automodule`` leaves out data that a module only imports, so constants that a
    public module re-exports from a private one are documented here, under the public path.
    """

    required_arguments = 1

    def run(self) -> list[Any]:
        module_name = self.arguments[0]
        lines = []
        for dist in public_api.PUBLIC_MODULES:
            if module_name not in public_api.public_modules(dist):
                continue
            module = importlib.import_module(module_name)
            for full, owner in public_api.owners(dist).items():
                name = full.rsplit(".", 1)[1]
                if owner != module_name or callable(getattr(module, name)):
                    continue
                if not public_api._assigns(module_name, name):
                    lines += [f".. autodata:: {full}", ""]
        content = StringList(lines, source=f"public-data {module_name}")
        holder = nodes.container()
        self.state.nested_parse(content, self.content_offset, holder)
        return list(holder.children)


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("public-data", PublicData)
    app.connect("autodoc-skip-member", _skip_reexports)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("missing-reference", _torch_public_alias, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
