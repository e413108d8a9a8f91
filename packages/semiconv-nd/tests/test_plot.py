"""Kernel plots (matplotlib, Agg): a Figure with one axis per shown kernel plus a colour bar."""

from __future__ import annotations

import pytest
import torch

from semiconv_nd import (
    LearnedKernel1D,
    QuadraticKernelIso3D,
    QuadraticKernelSpectral2D,
)
from semiconv_nd.plot import plot_kernels

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402


def test_kernel_plot_returns_a_figure(tmp_path) -> None:
    fig = QuadraticKernelSpectral2D(2, 3, 5).plot()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 * 3 + 1
    fig.savefig(tmp_path / "kernels.png")
    assert (tmp_path / "kernels.png").stat().st_size > 0


def test_1d_and_3d_kernels_and_limits() -> None:
    assert len(LearnedKernel1D(1, 2, 5).plot().axes) == 2
    fig = plot_kernels(QuadraticKernelIso3D(1, 20, 3)(), max_kernels=4)
    assert len(fig.axes) == 16 + 1  # depthwise: 4 rows of 4, plus the colour bar
    image = fig.axes[0].get_images()[0].get_array()
    assert image.shape == (3, 3)  # the central slice


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="kernels"):
        plot_kernels(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="max_kernels"):
        plot_kernels(torch.zeros(1, 1, 3), max_kernels=0)
