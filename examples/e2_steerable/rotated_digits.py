"""Rotation-equivariant CNN on synthetic rotated digits, next to a plain CNN of equal size.

Seven-segment digits 0-8 (9 is 6 turned upside down, so it is left out) are drawn on the fly as
soft strokes on a 29x29 grid, with random thickness, scale, shift and noise (no download).
Both models are trained on upright digits (small tilts only) for a few epochs on CPU and tested
on digits rotated by arbitrary angles and by multiples of 45 degrees:

* a C8-steerable CNN: ``R2Conv`` layers with ``InnerBatchNorm``, ``ReLU``, a gated
  non-linearity with ``GNormBatchNorm``, antialiased max pooling and ``GroupPooling``, then a
  linear classifier on the invariant features;
* a plain CNN with (about) the same number of parameters.

Then the equivariant model is exported to plain PyTorch (the outputs agree to ~1e-6), and a
figure of some learned steerable filters of the first layer (each with its copies for the 8
rotations, which the steerability constraint ties together) is saved.

Measured with the defaults (3 epochs on 1024 digits, seed 0; about a minute of CPU time):
accuracy on digits rotated by any angle 0.82 for the equivariant model against 0.33 for the plain
CNN (0.97 and 1.00 upright). With ``--epochs 4 --train-size 1536``: 0.997 against 0.372.

Writes ``rotated_digits.txt`` and ``rotated_digits_filters.png`` to ``--output``.

Run: ``python examples/e2_steerable/rotated_digits.py --output examples/output/e2_steerable``
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from torch import nn

from e2_steerable import gspaces
from e2_steerable.nn import (
    FieldType,
    GatedNonLinearity1,
    GeometricTensor,
    GNormBatchNorm,
    GroupPooling,
    InnerBatchNorm,
    PointwiseAdaptiveMaxPool,
    PointwiseMaxPoolAntialiased,
    R2Conv,
    ReLU,
    SequentialModule,
)

try:
    from tqdm import tqdm
except ImportError:  # pragma: no cover - optional

    def tqdm(iterable: Iterable, **_: object) -> Iterable:  # type: ignore[no-redef]
        return iterable


SIZE = 29
#      a (top), b (top right), c (bottom right), d (bottom), e (bottom left), f (top left), g
SEGMENTS = {
    "a": ((-0.5, 1.0), (0.5, 1.0)),
    "b": ((0.5, 1.0), (0.5, 0.0)),
    "c": ((0.5, 0.0), (0.5, -1.0)),
    "d": ((-0.5, -1.0), (0.5, -1.0)),
    "e": ((-0.5, 0.0), (-0.5, -1.0)),
    "f": ((-0.5, 1.0), (-0.5, 0.0)),
    "g": ((-0.5, 0.0), (0.5, 0.0)),
}
DIGITS = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg"]


def draw_digits(
    labels: torch.Tensor, angles: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """Render the digits ``labels`` rotated by ``angles`` (radians) as ``(N, 1, 29, 29)``."""
    n = labels.numel()
    coords = torch.linspace(-1.0, 1.0, SIZE)
    py, px = torch.meshgrid(-coords, coords, indexing="ij")  # y up, x right
    scale = 0.55 + 0.1 * torch.rand(n, generator=generator)
    shift = 0.06 * torch.randn(n, 2, generator=generator)
    width = 0.06 + 0.03 * torch.rand(n, generator=generator)
    cos, sin = torch.cos(angles), torch.sin(angles)
    images = torch.zeros(n, SIZE, SIZE)
    for name, (p0, p1) in SEGMENTS.items():
        on = torch.tensor([name in DIGITS[int(k)] for k in labels], dtype=torch.float32)
        ends = []
        for x, y in (p0, p1):
            x, y = x * scale * 0.8, y * scale
            ends.append((cos * x - sin * y + shift[:, 0], sin * x + cos * y + shift[:, 1]))
        (ax, ay), (bx, by) = ends
        dx, dy = (bx - ax)[:, None, None], (by - ay)[:, None, None]
        rx, ry = px - ax[:, None, None], py - ay[:, None, None]
        t = ((rx * dx + ry * dy) / (dx * dx + dy * dy)).clamp(0, 1)
        dist = torch.hypot(rx - t * dx, ry - t * dy)
        stroke = torch.exp(-((dist / width[:, None, None]) ** 2))
        images = torch.maximum(images, stroke * on[:, None, None])
    images = images + 0.05 * torch.randn(images.shape, generator=generator)
    return images.unsqueeze(1)


def make_split(
    n: int, generator: torch.Generator, max_angle: float
) -> tuple[torch.Tensor, torch.Tensor]:
    labels = torch.randint(len(DIGITS), (n,), generator=generator)
    angles = (torch.rand(n, generator=generator) * 2 - 1) * max_angle
    return draw_digits(labels, angles, generator), labels


class EquivariantDigits(nn.Module):
    """C8-steerable feature extractor (invariant output) and a linear classifier."""

    def __init__(self, width: int = 6) -> None:
        super().__init__()
        gs = gspaces.Rot2dOnR2(8)
        self.in_type = FieldType(gs, [gs.trivial_repr])
        reg1 = FieldType(gs, [gs.regular_repr] * width)
        gate_in = FieldType(gs, [gs.trivial_repr] * width + [gs.regular_repr] * width)
        reg2 = FieldType(gs, [gs.regular_repr] * width)
        reg3 = FieldType(gs, [gs.regular_repr] * (2 * width))
        self.features = SequentialModule(
            R2Conv(self.in_type, reg1, 7, padding=1),
            InnerBatchNorm(reg1),
            ReLU(reg1),
            PointwiseMaxPoolAntialiased(reg1, 2, stride=2),
            R2Conv(reg1, gate_in, 5, padding=2),
            GNormBatchNorm(gate_in),
            GatedNonLinearity1(gate_in),
            PointwiseMaxPoolAntialiased(reg2, 2, stride=2),
            R2Conv(reg2, reg3, 3, padding=1),
            InnerBatchNorm(reg3),
            ReLU(reg3),
            PointwiseAdaptiveMaxPool(reg3, 1),
            GroupPooling(reg3),
        )
        self.classifier = nn.Linear(2 * width, len(DIGITS))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        invariant = self.features(GeometricTensor(images, self.in_type)).tensor
        return self.classifier(invariant.flatten(1))


def plain_cnn(width: int) -> nn.Sequential:
    """Conv-BN-ReLU-pool stack with the channel pattern of the equivariant model."""
    return nn.Sequential(
        nn.Conv2d(1, width, 7, padding=1),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(width, width, 5, padding=2),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1),
        nn.BatchNorm2d(2 * width),
        nn.ReLU(),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
        nn.Linear(2 * width, len(DIGITS)),
    )


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def matching_plain_cnn(target: int) -> nn.Sequential:
    """The plain CNN whose parameter count is closest to ``target``."""
    best = min(range(2, 256), key=lambda w: abs(count(plain_cnn(w)) - target))
    return plain_cnn(best)


def train(
    model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], epochs: int, name: str
) -> float:
    images, labels = data
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.perf_counter()
    model.train()
    for _ in tqdm(range(epochs), desc=f"training {name}", leave=False):
        order = torch.randperm(len(labels))
        for i in range(0, len(labels), 64):
            idx = order[i : i + 64]
            loss = nn.functional.cross_entropy(model(images[idx]), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    predictions = torch.cat(
        [model(images[i : i + 256]).argmax(1) for i in range(0, len(images), 256)]
    )
    return float((predictions == labels).float().mean())


def save_filters(model: EquivariantDigits, path: Path) -> None:
    """A few learned 7x7 filters of the first layer and their copies for the 8 rotations."""
    first = next(iter(model.features._modules.values()))
    weights = first.export().weight.detach()  # (48, 1, 7, 7): 8 rotated copies per field
    fields = min(4, weights.shape[0] // 8)
    fig, axes = plt.subplots(fields, 8, figsize=(8 * 1.1, fields * 1.2))
    for f in range(fields):
        for r in range(8):
            ax = axes[f, r]
            ax.imshow(weights[8 * f + r, 0].numpy(), cmap="RdBu_r")
            ax.set_xticks([])
            ax.set_yticks([])
            if f == 0:
                ax.set_title(f"{45 * r} deg", fontsize=8)
    fig.suptitle("Learned steerable filters (rows: fields; columns: the group's copies)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("examples/output/e2_steerable"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    train_data = make_split(args.train_size, gen, max_angle=math.radians(10))
    test_upright = make_split(1024, gen, max_angle=math.radians(10))
    test_rotated = make_split(1024, gen, max_angle=math.pi)
    labels45 = torch.randint(len(DIGITS), (1024,), generator=gen)
    angles45 = torch.randint(8, (1024,), generator=gen).float() * (math.pi / 4)
    test_45 = (draw_digits(labels45, angles45, gen), labels45)

    equivariant = EquivariantDigits()
    plain = matching_plain_cnn(count(equivariant))
    lines = [
        f"parameters: equivariant {count(equivariant)}, plain CNN {count(plain)}",
        f"training on {args.train_size} upright digits (+-10 deg) for {args.epochs} epochs",
    ]
    results = {}
    for name, model in (("C8-equivariant", equivariant), ("plain CNN", plain)):
        seconds = train(model, train_data, args.epochs, name)
        results[name] = [accuracy(model, *split) for split in (test_upright, test_rotated, test_45)]
        lines.append(
            f"{name:>15}: test accuracy upright {results[name][0]:.3f}, rotated by any angle "
            f"{results[name][1]:.3f}, by multiples of 45 deg {results[name][2]:.3f} "
            f"(trained in {seconds:.1f} s)"
        )
    exported = equivariant.features.export()
    x = test_rotated[0][:64]
    with torch.no_grad():
        reference = equivariant.features(GeometricTensor(x, equivariant.in_type)).tensor
        diff = float((exported(x) - reference).abs().max())
    lines.append(f"export: {type(exported).__name__} of plain torch modules, max |diff| {diff:.2e}")
    text = "\n".join(lines)
    print(text)
    (args.output / "rotated_digits.txt").write_text(text + "\n", encoding="utf-8")
    save_filters(equivariant, args.output / "rotated_digits_filters.png")
    print(f"wrote {args.output / 'rotated_digits.txt'} and rotated_digits_filters.png")


if __name__ == "__main__":
    main()
