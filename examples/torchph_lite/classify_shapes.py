"""Classify noisy circles vs. Gaussian blobs from their persistence diagrams.

Pipeline: point clouds -> Vietoris-Rips diagrams (H0 and H1, ``torchph_lite.pershom``) ->
vectorisation with one ``SLayerExponential`` per homology dimension -> a linear classifier,
trained end to end (the structure elements' centres and sharpness are learned).

Writes ``classify_shapes.txt`` (accuracies and losses), ``classify_shapes_diagrams.png`` (a circle
and a blob with their diagrams) and ``classify_shapes_slayer.png`` (the learned H1 structure
elements over test diagrams) to ``--output``.

Run: ``python examples/torchph_lite/classify_shapes.py --output examples/output/torchph_lite``
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch
from tqdm import tqdm

from torchph_lite.nn import SLayerExponential
from torchph_lite.pershom import vr_persistence_l2
from torchph_lite.plot import plot_diagram, plot_slayer

CIRCLE, BLOB = 0, 1
CLASS_NAMES = ("circle", "blob")


def make_clouds(
    n_per_class: int, n_points: int, generator: torch.Generator
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Noisy circles (radius 0.6-1.0) and isotropic Gaussian blobs (std 0.3-0.5), shuffled."""
    clouds, labels = [], []
    for _ in range(n_per_class):
        angles = torch.rand(n_points, generator=generator) * 2 * math.pi
        radius = 0.6 + 0.4 * torch.rand(1, generator=generator)
        circle = radius * torch.stack([angles.cos(), angles.sin()], 1)
        clouds.append(circle + 0.05 * torch.randn(n_points, 2, generator=generator))
        labels.append(CIRCLE)
        spread = 0.3 + 0.2 * torch.rand(1, generator=generator)
        clouds.append(spread * torch.randn(n_points, 2, generator=generator))
        labels.append(BLOB)
    order = torch.randperm(len(clouds), generator=generator)
    return [clouds[i] for i in order], torch.tensor(labels)[order]


def diagrams_of(clouds: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Finite H0 and H1 diagrams of every cloud (one batched call)."""
    results = vr_persistence_l2(clouds, 1)
    h0 = [non_essential[0] for non_essential, _ in results]
    h1 = [non_essential[1] for non_essential, _ in results]
    return h0, h1


class DiagramClassifier(torch.nn.Module):
    """One SLayer per homology dimension, concatenated, then a linear layer."""

    def __init__(self, n_elements: int, n_classes: int, generator: torch.Generator) -> None:
        super().__init__()
        # Centres spread over the region where the diagrams live (births/deaths in [0, 1.5]).
        self.h0 = SLayerExponential(
            n_elements, centers_init=torch.rand(n_elements, 2, generator=generator) * 0.6
        )
        self.h1 = SLayerExponential(
            n_elements, centers_init=torch.rand(n_elements, 2, generator=generator) * 1.5
        )
        self.linear = torch.nn.Linear(2 * n_elements, n_classes)

    def forward(self, h0: list[torch.Tensor], h1: list[torch.Tensor]) -> torch.Tensor:
        features = torch.cat([self.h0(h0), self.h1(h1)], dim=1)
        return self.linear(features)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return (logits.argmax(1) == labels).double().mean().item()


def save_diagram_figure(clouds, h0, h1, labels, path: Path) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 8), layout="constrained")
    axes = figure.subplots(2, 2)
    for row, wanted in enumerate((CIRCLE, BLOB)):
        index = int((labels == wanted).nonzero()[0])
        cloud = clouds[index]
        axes[row, 0].scatter(cloud[:, 0], cloud[:, 1], s=10)
        axes[row, 0].set_aspect("equal")
        axes[row, 0].set_title(f"{CLASS_NAMES[wanted]}: point cloud")
        plot_diagram(
            [h0[index], h1[index]],
            essential=[torch.zeros(1), torch.zeros(0)],
            ax=axes[row, 1],
            title=f"{CLASS_NAMES[wanted]}: persistence diagram",
        )
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("examples/output/torchph_lite"))
    parser.add_argument("--epochs", type=int, default=150)
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)

    train_clouds, train_labels = make_clouds(60, 40, generator)
    test_clouds, test_labels = make_clouds(60, 40, generator)
    train_h0, train_h1 = diagrams_of(train_clouds)
    test_h0, test_h1 = diagrams_of(test_clouds)

    model = DiagramClassifier(n_elements=8, n_classes=2, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    lines = [
        f"train clouds: {len(train_clouds)}, test clouds: {len(test_clouds)}, 40 points each",
        f"H1 points per diagram (train, mean): circle "
        f"{sum(len(d) for d, y in zip(train_h1, train_labels) if y == CIRCLE) / 60:.2f}, blob "
        f"{sum(len(d) for d, y in zip(train_h1, train_labels) if y == BLOB) / 60:.2f}",
    ]
    for epoch in tqdm(range(args.epochs + 1), desc="epochs", disable=None):
        logits = model(train_h0, train_h1)
        loss = torch.nn.functional.cross_entropy(logits, train_labels)
        if epoch % 50 == 0:
            lines.append(
                f"epoch {epoch:3d}: loss {loss.item():.4f}, "
                f"train accuracy {accuracy(logits, train_labels):.3f}"
            )
        if epoch < args.epochs:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    with torch.no_grad():
        test_accuracy = accuracy(model(test_h0, test_h1), test_labels)
    lines.append(f"test accuracy: {test_accuracy:.3f}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    (args.output / "classify_shapes.txt").write_text(text)

    save_diagram_figure(
        test_clouds, test_h0, test_h1, test_labels, args.output / "classify_shapes_diagrams.png"
    )
    figure = plot_slayer(
        model.h1,
        torch.cat(test_h1[:20]),
        dimensions=[1],
        levels=(0.5,),
        title="learned H1 elements, 20 test diagrams",
    )
    figure.savefig(args.output / "classify_shapes_slayer.png", dpi=100)
    print(f"wrote classify_shapes.txt and two figures to {args.output}")


if __name__ == "__main__":
    main()
