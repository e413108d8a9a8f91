"""Sphinx configuration: one site for the four packages of the monorepo."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "Geometric & topological deep learning toolkit"
author = "The geometric-topological-dl toolkit authors"
copyright = "2026, " + author
release = ", ".join(
    f"{module} {importlib.import_module(module).__version__}"
    for module in ("torchph_lite", "e2_steerable", "semiconv_nd", "hourglass_layer")
)

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "myst_parser",
    "public_api_docs",
    "migration_coverage",
    "gallery",
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
exclude_patterns = ["_build", "requirements.txt", "_intersphinx", "**/test_*.py", "**/*.md"]
source_suffix = {".rst": "restructuredtext"}

# Every cross-reference must resolve. The only exceptions are third-party names whose projects
# publish no inventory entry for them (listed with the reason).
nitpicky = True
# The benchmark pages include markdown fragments that start at level 2, under the page's title.
suppress_warnings = ["myst.header"]
nitpick_ignore_regex = [
    # numpy.typing's aliases and torch's private base classes have no pages of their own.
    ("py:class", r"numpy\.typing\..*"),
    ("py:class", r"torch\._.*"),
    # matplotlib is an optional extra (the ``plot`` extras); its types are imported for
    # annotations only (``Figure``, ``Axes``) and not cross-linked.
    ("py:class", r"(matplotlib\..*|Figure|Axes)"),
]

# The code on the pages is executed by `nox -s docs` (pytest --doctest-glob="*.rst"); the doctest
# extension is loaded so that `.. doctest::` blocks render.


# Cross-references to Python, numpy and torch through Sphinx's own inventory handling: each
# project is tried online first, then from the small fallback inventory in ``_intersphinx/``
# (regenerate it with ``python docs/_intersphinx/refresh.py`` on a machine with network access).
# Sphinx only reports an error if every location of a project fails, so offline builds work.
_HERE = Path(__file__).resolve().parent
intersphinx_mapping = {
    name: (url, (None, str(_HERE / "_intersphinx" / f"{name}.inv")))
    for name, url in {
        "python": "https://docs.python.org/3",
        "numpy": "https://numpy.org/doc/stable",
        "torch": "https://docs.pytorch.org/docs/stable",
    }.items()
}
intersphinx_timeout = 10
