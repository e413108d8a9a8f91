"""Lazy access to matplotlib with a helpful error when the ``plot`` extra is missing."""

from __future__ import annotations

import importlib
from typing import Any

INSTALL_HINT = "pip install 'torchph-lite[plot]'"


def require_matplotlib() -> Any:
    """Import and return :mod:`matplotlib.figure`, or raise an ImportError naming the extra."""
    try:
        return importlib.import_module("matplotlib.figure")
    except ImportError as error:
        raise ImportError(
            f"torchph_lite.plot needs matplotlib, which is not installed; run: {INSTALL_HINT}"
        ) from error


def figure_and_axes(ax: Any | None, figsize: tuple[float, float]) -> tuple[Any, Any]:
    """Return ``(figure, axes)``: those of ``ax``, or a new pyplot-free figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    figure = require_matplotlib().Figure(figsize=figsize, layout="constrained")
    return figure, figure.add_subplot()


def dimension_color(index: int) -> str:
    """The colour of the ``index``-th homology dimension (matplotlib's default cycle)."""
    return f"C{index % 10}"
