"""The torchph SLayer tutorial ("Differentiable barcode vectorization") with torchph_lite.

Prints the tensors shown in the original tutorial, writes them to ``slayer_tutorial.txt`` and saves
a picture of the tutorial's structure elements over its multisets (``slayer_tutorial.png``).

Run: ``python examples/torchph_lite/tutorial_slayer.py --output examples/output/torchph_lite``
"""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

import torch

from torchph_lite.nn import SLayerExponential


def run_tutorial() -> SLayerExponential:
    """The tutorial's code cells, in order; returns the layer with the tutorial's initialisation."""
    # create an instance with 3 structure elements over \R^2
    sl = SLayerExponential(3, 2)
    print(isinstance(sl, torch.nn.Module))

    for p in sl.parameters():
        print(p)

    # here is an initialization example
    centers_init = torch.Tensor([[0, 0], [0.5, 0.5], [1, 1]])
    sharpness_init = torch.Tensor([[1, 1], [2, 2], [3, 3]])
    sl = SLayerExponential(3, 2, centers_init=centers_init, sharpness_init=sharpness_init)
    print(sl.centers)
    print(sl.sharpness)

    # As an example, we create a batch of multisets
    mset_1 = [[0, 0]]
    mset_2 = [[0, 0], [0, 0]]
    mset_3 = [[1, 1], [0, 0]]
    mset_4 = [[0, 0], [1, 1]]
    batch = [mset_1, mset_2, mset_3, mset_4]
    batch = [torch.Tensor(x) for x in batch]
    output = sl(batch)
    print(output.size())
    print(output)

    # output[i, j] = "evaluation of structure element j on mset_i"; mset_3 and mset_4 are the same
    # multiset, so their rows agree (permutation invariance).
    print("output[2] == output[3]:", torch.equal(output[2], output[3]))

    sharp = SLayerExponential(3, 2, centers_init=centers_init, sharpness_init=10 * sharpness_init)
    print(sharp(batch))

    class ToyModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.slayer = SLayerExponential(50, 2)
            self.linear = torch.nn.Linear(50, 10)

        def forward(self, inp):
            x = self.slayer(inp)
            x = self.linear(x)
            return x

    model = ToyModel()
    inp = [torch.rand(10, 2), torch.rand(20, 2), torch.rand(30, 2)]
    out = model(inp)
    print(out.size())
    return sl


def save_structure_element_plot(layer: SLayerExponential, path: Path) -> None:
    """Draw the tutorial's three structure elements (half-maximum contours) and its points."""
    from torchph_lite.plot import plot_slayer

    points = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    figure = plot_slayer(
        layer,
        points,
        levels=(0.1, 0.5, 0.9),
        xlim=(-0.5, 1.5),
        ylim=(-0.5, 1.5),
        title="SLayerExponential: centres and level sets",
    )
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("examples/output/torchph_lite"))
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        layer = run_tutorial()
    text = captured.getvalue()
    print(text, end="")
    (args.output / "slayer_tutorial.txt").write_text(text)
    save_structure_element_plot(layer, args.output / "slayer_tutorial.png")
    print(f"wrote {args.output / 'slayer_tutorial.txt'} and {args.output / 'slayer_tutorial.png'}")


if __name__ == "__main__":
    main()
