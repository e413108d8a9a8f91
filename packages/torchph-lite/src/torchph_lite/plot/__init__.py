"""Plots of persistence diagrams, barcodes and SLayer structure elements (matplotlib).

Needs the optional ``plot`` extra: ``pip install torchph-lite[plot]``. Matplotlib is imported only
when a plotting function is called. Every function draws into a given ``ax`` or a new
:class:`matplotlib.figure.Figure` (created without pyplot, so nothing is shown or kept alive
globally) and returns the figure.

Modules:
    * ``torchph_lite.plot.diagrams``: ``plot_diagram`` and ``plot_barcode``.
    * ``torchph_lite.plot.structure_elements``: ``plot_slayer``.
    * ``torchph_lite.plot.inputs``: conversion of diagrams given as tensors or arrays.
"""

from __future__ import annotations

from torchph_lite.plot.diagrams import plot_barcode, plot_diagram
from torchph_lite.plot.structure_elements import plot_slayer

__all__ = ["plot_barcode", "plot_diagram", "plot_slayer"]
