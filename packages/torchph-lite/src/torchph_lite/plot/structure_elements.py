"""The structure elements of an SLayer drawn over a persistence diagram."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchph_lite.nn.batching import PreparedBatch
from torchph_lite.plot._matplotlib import figure_and_axes
from torchph_lite.plot.diagrams import plot_diagram
from torchph_lite.plot.inputs import as_dimension_diagrams, to_numpy

__all__ = ["evaluate_elements", "plot_slayer"]


def evaluate_elements(slayer: torch.nn.Module, points: torch.Tensor) -> torch.Tensor:
    """Value of every structure element at every point: each point as a one-point multiset.

    Args:
        slayer: An SLayer (any module taking a prepared batch and returning ``(B, N)`` values).
        points: Points on the layer's device, in its dtype.

    Returns:
        The element values, evaluated without gradient.

    Shape:
        points: :math:`(G, D)`
        Output: :math:`(G, N)`

    Example:
        >>> import torch
        >>> from torchph_lite.nn import SLayerExponential
        >>> from torchph_lite.plot.structure_elements import evaluate_elements
        >>> layer = SLayerExponential(2, centers_init=torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
        >>> evaluate_elements(layer, torch.tensor([[0.0, 0.0]]))
        tensor([[1.0000e+00, 1.5230e-08]])
    """
    count = points.shape[0]
    mask = torch.ones(count, 1, dtype=points.dtype, device=points.device)
    with torch.no_grad():
        values = slayer(PreparedBatch(points.unsqueeze(1), mask, 1, count))
    return values.reshape(count, -1)


def _grid_limits(
    centers: np.ndarray, finite_points: np.ndarray, lim: tuple[float, float] | None, axis: int
) -> tuple[float, float]:
    if lim is not None:
        return float(lim[0]), float(lim[1])
    values = np.concatenate([centers[:, axis], finite_points[:, axis]])
    low, high = float(values.min()), float(values.max())
    pad = 0.25 * (high - low) if high > low else 0.5
    return low - pad, high + pad


def plot_slayer(
    slayer: torch.nn.Module,
    diagram: Any = None,
    *,
    levels: Sequence[float] = (0.5,),
    dimensions: Sequence[int] | None = None,
    ax: Any = None,
    resolution: int = 150,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    title: str | None = None,
) -> Any:
    """Plot the centres of an SLayer's structure elements and their level sets over a diagram.

    Level sets are drawn at ``level * peak_j`` where ``peak_j`` is element ``j``'s value at its own
    centre; e.g. ``levels=(0.5,)`` draws each element's half-maximum contour, and ``0.0`` the zero
    level set of :class:`~torchph_lite.nn.SLayerRationalHat`.

    Args:
        slayer: An SLayer with ``point_dimension == 2`` (``centers`` of shape ``(N, 2)``).
        diagram: Optional diagram(s) to draw underneath, as accepted by
            :func:`~torchph_lite.plot.plot_diagram`.
        levels: Relative contour levels.
        dimensions: The homology dimension of each diagram (labels), as in ``plot_diagram``.
        ax: Axes to draw into; a new figure is created when ``None``.
        resolution: Grid points per axis for the contours.
        xlim: x-range of the grid; default: around the centres and the diagram.
        ylim: y-range of the grid; default: around the centres and the diagram.
        title: Optional axes title.

    Returns:
        The :class:`matplotlib.figure.Figure` (never shown).

    Example:
        >>> import torch
        >>> from torchph_lite.nn import SLayerExponential
        >>> from torchph_lite.plot import plot_slayer
        >>> fig = plot_slayer(SLayerExponential(3), torch.tensor([[0.1, 0.5], [0.2, 0.9]]))
        >>> len(fig.axes[0].collections) >= 2  # diagram points, centres, contours
        True
    """
    centers_param = getattr(slayer, "centers", None)
    if not isinstance(centers_param, torch.Tensor) or centers_param.dim() != 2:
        raise TypeError(f"slayer must be an SLayer with a (N, D) centers parameter; got {slayer!r}")
    if centers_param.shape[1] != 2:
        raise ValueError(
            f"plot_slayer needs point_dimension=2; the layer's centers have shape "
            f"{tuple(centers_param.shape)}"
        )
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2; got {resolution!r}")
    centers = to_numpy(centers_param, "slayer.centers")
    finite = np.zeros((0, 2))
    if diagram is not None:
        per_dim = as_dimension_diagrams(diagram, dimensions=dimensions)
        finite = np.concatenate([d.finite for d in per_dim])
    x_range = _grid_limits(centers, finite, xlim, 0)
    y_range = _grid_limits(centers, finite, ylim, 1)
    if xlim is None and ylim is None:  # a square window suits the diagram's equal aspect
        x_range = y_range = (min(x_range[0], y_range[0]), max(x_range[1], y_range[1]))

    if diagram is not None:
        figure = plot_diagram(diagram, dimensions=dimensions, ax=ax)
        axes = figure.axes[0] if ax is None else ax
    else:
        figure, axes = figure_and_axes(ax, (4.5, 4.5))

    xs = np.linspace(*x_range, resolution)
    ys = np.linspace(*y_range, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    like = centers_param.detach()
    grid = torch.as_tensor(np.stack([grid_x.ravel(), grid_y.ravel()], 1)).to(like)
    values = evaluate_elements(slayer, grid).cpu().double().numpy()
    peaks = np.diag(evaluate_elements(slayer, like).cpu().double().numpy())

    for j in range(centers.shape[0]):
        surface = values[:, j].reshape(grid_x.shape)
        wanted = sorted({float(level) * float(peaks[j]) for level in levels})
        inside = [v for v in wanted if surface.min() < v < surface.max()]
        if inside:
            axes.contour(grid_x, grid_y, surface, levels=inside, colors="0.25", linewidths=0.8)
    axes.scatter(centers[:, 0], centers[:, 1], marker="x", color="k", s=30, label="centres")
    axes.set_xlim(*x_range)
    axes.set_ylim(*y_range)
    axes.legend(loc="best")
    if title is not None:
        axes.set_title(title)
    return figure
