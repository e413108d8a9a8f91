"""Quick-look plots of kernels (the ``plot`` extra: matplotlib; the original needed seaborn)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_kernels"]


def _figure_class() -> type:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plotting kernels needs matplotlib; install it with `pip install semiconv-nd[plot]`"
        ) from error
    return Figure


def plot_kernels(kernels: torch.Tensor, max_kernels: int = 8) -> Figure:
    """Plot up to ``max_kernels`` × ``max_kernels`` kernels of an ``(O, I, *k)`` tensor.

    2-D kernels are shown as heat maps (rows = output channels, columns = input channels; for
    depthwise kernels with one input channel, up to ``max_kernels`` per row) with the rows of the
    kernel top to bottom; 1-D kernels as curves; for 3-D and higher kernels the central slice
    along every leading axis is shown. The figure is created without pyplot, so it works with
    any backend and is not registered globally.

    Args:
        kernels: The ``(O, I, *k)`` kernel tensor (e.g. the output of a kernel module).
        max_kernels: The largest number of output (and input) channels shown.

    Returns:
        The :class:`matplotlib.figure.Figure`.

    Raises:
        ValueError: If ``kernels`` has fewer than 3 axes or ``max_kernels`` is not positive.

    Example:
        >>> import torch
        >>> fig = plot_kernels(-torch.arange(9.0).reshape(1, 1, 3, 3))
        >>> len(fig.axes)
        2
    """
    if not isinstance(kernels, torch.Tensor) or kernels.dim() < 3:
        raise ValueError(
            "kernels: expected an (O, I, *kernel_size) tensor, got "
            f"{getattr(kernels, 'shape', type(kernels).__name__)}"
        )
    if isinstance(max_kernels, bool) or not isinstance(max_kernels, int) or max_kernels < 1:
        raise ValueError(f"max_kernels: expected a positive int, got {max_kernels!r}")
    figure_class = _figure_class()
    data = kernels.detach().to("cpu", torch.float64)
    while data.dim() > 4:  # central slice of every leading spatial axis
        data = data.select(2, (data.shape[2] - 1) // 2)
    if data.shape[1] == 1:  # depthwise: one kernel per output channel, laid out in rows
        panels = [(o, 0) for o in range(min(data.shape[0], max_kernels * max_kernels))]
        cols = min(len(panels), max_kernels)
        rows = -(-len(panels) // cols)
    else:
        rows, cols = min(data.shape[0], max_kernels), min(data.shape[1], max_kernels)
        panels = [(o, i) for o in range(rows) for i in range(cols)]
    fig = figure_class(figsize=(1.6 * cols + 1.2, 1.6 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(panels) :]:
        fig.delaxes(ax)
    shown = torch.stack([data[o, i] for o, i in panels])
    low, high = float(shown.min()), float(shown.max())
    margin = 0.05 * (high - low + 1e-12)
    image = None
    for ax, (o, i), values in zip(axes, panels, shown):
        if data.dim() == 3:
            ax.plot(values.numpy(), marker=".")
            ax.set_ylim(low - margin, high + margin)
        else:
            image = ax.imshow(values.numpy(), vmin=low, vmax=high, cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_title(f"out {o}" if data.shape[1] == 1 else f"out {o}, in {i}", fontsize="small")
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8)
    return fig
