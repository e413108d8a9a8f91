"""Sphinx configuration: one site for the four packages of the monorepo."""

from __future__ import annotations

import importlib.metadata
import os
import socket

project = "Geometric & topological deep learning toolkit"
author = "The geometric-topological-dl toolkit authors"
copyright = "2026, " + author
release = ", ".join(
    f"{dist} {importlib.metadata.version(dist)}"
    for dist in ("torchph-lite", "e2-steerable", "semiconv-nd", "hourglass-layer")
)

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
]

# Google-style docstrings only.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_custom_sections = [("Shape", "params_style")]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_inherit_docstrings = False

html_theme = "furo"
html_title = "geometric-topological-dl"
exclude_patterns = ["_build", "requirements.txt"]
nitpicky = False

# The code on the pages is executed by `nox -s docs` (pytest --doctest-glob="*.rst"); the doctest
# extension is loaded so that `.. doctest::` blocks render.


def _reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# Cross-references to torch, numpy and Python. Inventories are fetched over the network; on an
# offline machine (or with DOCS_OFFLINE=1) the mapping is left out rather than turning the failed
# download into a warning (-W would make it an error).
_INTERSPHINX = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
}
intersphinx_mapping = (
    {}
    if os.environ.get("DOCS_OFFLINE") == "1"
    else {
        name: target for name, target in _INTERSPHINX.items() if _reachable(target[0].split("/")[2])
    }
)
intersphinx_timeout = 10
