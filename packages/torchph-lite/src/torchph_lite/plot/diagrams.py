"""Persistence diagrams and barcodes for one or several homology dimensions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from torchph_lite.plot._matplotlib import dimension_color, figure_and_axes
from torchph_lite.plot.inputs import DimensionDiagram, as_dimension_diagrams

__all__ = ["plot_barcode", "plot_diagram"]


def _value_range(diagrams: list[DimensionDiagram]) -> tuple[float, float]:
    values = np.concatenate([np.concatenate([d.finite.ravel(), d.essential]) for d in diagrams])
    if values.size == 0:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    return low, (high if high > low else low + 1.0)


def _infinity_level(diagrams: list[DimensionDiagram], infinity: float | None) -> float:
    if infinity is not None:
        return float(infinity)
    low, high = _value_range(diagrams)
    return high + 0.1 * (high - low)


def _label_infinity_tick(axes: Any, low: float, inf_level: float) -> None:
    """Replace the y ticks near the ∞ line by one tick labelled ∞ on it."""
    ticks = axes.yaxis.get_major_locator().tick_values(low, inf_level)
    gap = 0.08 * (inf_level - low)
    kept = [float(t) for t in ticks if low <= t < inf_level - gap]
    axes.set_yticks([*kept, inf_level], labels=[f"{t:g}" for t in kept] + ["∞"])


def plot_diagram(
    diagrams: Any,
    essential: Any = None,
    *,
    dimensions: Sequence[int] | None = None,
    ax: Any = None,
    infinity: float | None = None,
    title: str | None = None,
    marker_size: float = 20.0,
) -> Any:
    """Plot a persistence diagram: (birth, death) points, one colour per homology dimension.

    Essential classes (infinite deaths, or the births in ``essential``) are drawn as triangles on a
    dashed line, at the y tick labelled ∞.

    Args:
        diagrams: One ``(m, 2)`` tensor/array or a list with one per homology dimension.
        essential: Optional births of essential classes (one ``(e,)`` array, or one per dimension).
        dimensions: The homology dimension of each diagram; default ``0, 1, ...``.
        ax: Axes to draw into; a new figure is created when ``None``.
        infinity: The height of the ∞ line; default 10% above the largest value.
        title: Optional axes title.
        marker_size: Scatter marker size.

    Returns:
        The :class:`matplotlib.figure.Figure` (never shown).

    Example:
        >>> import torch
        >>> from torchph_lite.plot import plot_diagram
        >>> fig = plot_diagram([torch.tensor([[0.0, 0.4], [0.0, 0.7]]), torch.tensor([[0.5, 0.9]])],
        ...                    essential=[torch.tensor([0.0]), torch.zeros(0)])
        >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
        ['$H_{0}$', '$H_{1}$']
    """
    per_dim = as_dimension_diagrams(diagrams, essential, dimensions)
    figure, axes = figure_and_axes(ax, (4.5, 4.5))
    low, high = _value_range(per_dim)
    inf_level = _infinity_level(per_dim, infinity)
    has_essential = any(d.essential.size for d in per_dim)
    top = inf_level if has_essential else high
    margin = 0.05 * (top - low)
    lo, hi = low - margin, top + margin

    axes.axline((lo, lo), slope=1.0, color="0.5", linewidth=1.0, zorder=1, label="_diagonal")
    for index, diagram in enumerate(per_dim):
        color = dimension_color(index)
        axes.scatter(
            diagram.finite[:, 0],
            diagram.finite[:, 1],
            s=marker_size,
            color=color,
            label=f"$H_{{{diagram.dimension}}}$",
            zorder=3,
        )
        if diagram.essential.size:
            axes.scatter(
                diagram.essential,
                np.full_like(diagram.essential, inf_level),
                s=marker_size * 1.5,
                color=color,
                marker="^",
                label="_essential",
                zorder=3,
            )
    if has_essential:
        axes.axhline(inf_level, color="0.3", linestyle="--", linewidth=1.0, zorder=2)
    axes.set_xlim(lo, hi)
    axes.set_ylim(lo, hi)
    if has_essential:
        _label_infinity_tick(axes, lo, inf_level)
    axes.set_aspect("equal")
    axes.set_xlabel("birth")
    axes.set_ylabel("death")
    axes.legend(loc="best")
    if title is not None:
        axes.set_title(title)
    return figure


def plot_barcode(
    diagrams: Any,
    essential: Any = None,
    *,
    dimensions: Sequence[int] | None = None,
    ax: Any = None,
    infinity: float | None = None,
    title: str | None = None,
    linewidth: float = 2.0,
) -> Any:
    """Plot a barcode: one horizontal bar [birth, death) per class, grouped by dimension.

    Bars of essential classes run to the ∞ position and end in an arrow head.

    Args:
        diagrams: One ``(m, 2)`` tensor/array or a list with one per homology dimension.
        essential: Optional births of essential classes (one ``(e,)`` array, or one per dimension).
        dimensions: The homology dimension of each diagram; default ``0, 1, ...``.
        ax: Axes to draw into; a new figure is created when ``None``.
        infinity: Where essential bars end; default 10% beyond the largest value.
        title: Optional axes title.
        linewidth: Bar width in points.

    Returns:
        The :class:`matplotlib.figure.Figure` (never shown).

    Example:
        >>> import torch
        >>> from torchph_lite.plot import plot_barcode
        >>> fig = plot_barcode(torch.tensor([[0.0, 0.4], [0.1, float("inf")]]))
        >>> len(fig.axes[0].collections)  # finite bars, essential bars, arrow heads
        3
    """
    per_dim = as_dimension_diagrams(diagrams, essential, dimensions)
    figure, axes = figure_and_axes(ax, (6.0, 4.0))
    inf_level = _infinity_level(per_dim, infinity)
    row = 0
    for index, diagram in enumerate(per_dim):
        color = dimension_color(index)
        order = np.lexsort((diagram.finite[:, 1], diagram.finite[:, 0]))
        finite = diagram.finite[order]
        rows = row + np.arange(len(finite))
        axes.hlines(
            rows,
            finite[:, 0],
            finite[:, 1],
            colors=color,
            linewidth=linewidth,
            label=f"$H_{{{diagram.dimension}}}$",
        )
        row += len(finite)
        if diagram.essential.size:
            births = np.sort(diagram.essential)
            rows = row + np.arange(len(births))
            axes.hlines(rows, births, inf_level, colors=color, linewidth=linewidth, label="_ess")
            axes.scatter(np.full_like(births, inf_level), rows, color=color, marker=">", s=25)
            row += len(births)
        row += 1  # a gap between dimensions
    if any(d.essential.size for d in per_dim):
        axes.axvline(inf_level, color="0.3", linestyle="--", linewidth=1.0)
    axes.set_ylim(row - 0.5, -1.0)
    axes.set_yticks([])
    axes.set_xlabel("filtration value")
    axes.legend(loc="best")
    if title is not None:
        axes.set_title(title)
    return figure
