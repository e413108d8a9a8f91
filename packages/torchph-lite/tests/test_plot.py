"""Plots run headless (no pyplot, no show) and produce figures with the expected artists."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import torch

pytest.importorskip("matplotlib")

from matplotlib.collections import LineCollection, PathCollection
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure

from torchph_lite.nn import SLayerExponential, SLayerRational, SLayerRationalHat
from torchph_lite.plot import plot_barcode, plot_diagram, plot_slayer

H0 = torch.tensor([[0.0, 0.2], [0.0, 0.5], [0.0, 0.3]])
H1 = torch.tensor([[0.4, 0.9], [0.5, 0.6]])


def _scatter_offsets(axes):
    return [c.get_offsets() for c in axes.collections if isinstance(c, PathCollection)]


def test_diagram_of_several_dimensions():
    fig = plot_diagram([H0, H1], essential=[torch.tensor([0.0]), torch.zeros(0)], title="dgm")
    assert isinstance(fig, Figure)
    (axes,) = fig.axes
    offsets = _scatter_offsets(axes)
    assert [len(o) for o in offsets] == [3, 1, 2]  # H0 points, H0 essential, H1 points
    np.testing.assert_allclose(offsets[0], H0.numpy())
    inf_level = offsets[1][0, 1]
    assert inf_level > 0.9
    assert any(line.get_linestyle() == "--" for line in axes.get_lines())
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["$H_{0}$", "$H_{1}$"]
    tick_labels = {t.get_text(): y for t, y in zip(axes.get_yticklabels(), axes.get_yticks())}
    assert tick_labels["∞"] == pytest.approx(inf_level)
    assert axes.get_title() == "dgm"
    fig.canvas.draw()  # renders without error


def test_single_diagram_with_infinite_death_and_numpy_input():
    diagram = np.array([[0.0, 0.4], [0.1, math.inf]])
    fig = plot_diagram(diagram, dimensions=[1], infinity=2.0)
    offsets = _scatter_offsets(fig.axes[0])
    np.testing.assert_allclose(offsets[1], [[0.1, 2.0]])
    assert fig.axes[0].get_legend().get_texts()[0].get_text() == "$H_{1}$"


def test_diagram_into_existing_axes_and_empty_diagrams():
    fig = Figure()
    axes = fig.subplots(1, 2)
    assert plot_diagram([torch.zeros(0, 2), torch.zeros(0, 2)], ax=axes[1]) is fig
    assert len(_scatter_offsets(axes[1])) == 2
    assert not axes[0].collections


def test_barcode_bars():
    fig = plot_barcode([H0, H1], essential=[torch.tensor([0.0]), torch.zeros(0)])
    (axes,) = fig.axes
    bars = [c for c in axes.collections if isinstance(c, LineCollection)]
    assert [len(c.get_segments()) for c in bars] == [3, 1, 2]
    first = bars[0].get_segments()
    np.testing.assert_allclose(sorted(seg[1, 0] for seg in first), [0.2, 0.3, 0.5])
    essential_end = bars[1].get_segments()[0][1, 0]
    assert essential_end > 0.9
    arrow_heads = _scatter_offsets(axes)
    assert len(arrow_heads) == 1
    fig.canvas.draw()


@pytest.mark.parametrize("layer_type", [SLayerExponential, SLayerRational, SLayerRationalHat])
def test_slayer_structure_elements(layer_type):
    layer = layer_type(4, centers_init=torch.rand(4, 2))
    fig = plot_slayer(layer, [H0, H1], levels=(0.0, 0.5), resolution=40, title="elements")
    (axes,) = fig.axes
    contours = [c for c in axes.collections if isinstance(c, ContourSet)]
    assert 1 <= len(contours) <= 4
    centres = _scatter_offsets(axes)[-1]
    np.testing.assert_allclose(centres, layer.centers.detach().numpy(), rtol=1e-6)
    assert [t.get_text() for t in axes.get_legend().get_texts()][-1] == "centres"
    fig.canvas.draw()


def test_slayer_half_maximum_contour_of_a_gaussian_is_at_the_right_radius():
    layer = SLayerExponential(
        1,
        centers_init=torch.tensor([[0.5, 0.5]]),
        sharpness_init=torch.tensor([[2.0, 2.0]]),
    )
    fig = plot_slayer(layer, levels=(0.5,), resolution=201, xlim=(0, 1), ylim=(0, 1))
    (contour,) = [c for c in fig.axes[0].collections if isinstance(c, ContourSet)]
    vertices = contour.get_paths()[0].vertices
    radius = np.linalg.norm(vertices - 0.5, axis=1)
    np.testing.assert_allclose(radius, math.sqrt(math.log(2)) / 2, atol=5e-3)


def test_plot_bad_input():
    with pytest.raises(ValueError, match=r"shape \(m, 2\)"):
        plot_diagram(torch.rand(3, 3))
    with pytest.raises(ValueError, match="NaN"):
        plot_barcode(torch.tensor([[0.0, math.nan]]))
    with pytest.raises(ValueError, match="one entry per diagram"):
        plot_diagram([H0, H1], essential=[torch.zeros(1)])
    with pytest.raises(ValueError, match="point_dimension=2"):
        plot_slayer(SLayerExponential(2, 3))
    with pytest.raises(TypeError, match="centers"):
        plot_slayer(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="list of them"):
        plot_diagram(3.0)


def test_missing_matplotlib_gives_install_hint(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"torchph-lite\[plot\]"):
        plot_diagram(H0)
