"""Learnable morphological pooling: replace MaxPool2d by a quadratic tropical dilation.

A small CNN classifies synthetic 24x24 images of a short bar in one of four orientations
(0°, 45°, 90°, 135°) at a random position, with background noise and clutter dots. Two models
with the same convolutions are trained on CPU:

* ``maxpool``: ``nn.MaxPool2d(3, stride=2, padding=1)`` after each convolution;
* ``quadratic``: a depthwise tropical dilation with learnable anisotropic quadratic structuring
  functions instead (``GenericConv(QuadraticKernelSpectral2D(1, C, 3),
  BroadcastSemifield.tropical_max().dynamic(), padding="same", stride=2, groups=C)``).

The script prints the test accuracy of both models and saves the learned structuring
functions of the first pooling layer (``kernels_initial.png`` and ``kernels_learned.png``),
the training curves (``training.png``) and the printed results (``results.txt``).

Usage::

    python examples/semiconv_nd/learnable_pooling.py [--output DIR] [--epochs N]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from torch import nn
from tqdm import tqdm

import semiconv_nd as semiconv

SIZE = 24
ANGLES = (0.0, 45.0, 90.0, 135.0)


def synthetic_bars(count: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(count, 1, 24, 24)`` of one oriented bar each, and the orientation labels."""
    labels = torch.randint(len(ANGLES), (count,), generator=generator)
    ys, xs = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    return _render(labels, ys.float(), xs.float(), generator), labels


def _render(
    labels: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    count = labels.numel()
    theta = torch.tensor(ANGLES)[labels] * math.pi / 180.0
    centre = 6.0 + torch.rand(count, 2, generator=generator) * (SIZE - 12.0)
    length = 4.0 + 3.0 * torch.rand(count, generator=generator)
    dy = ys[None] - centre[:, 0, None, None]
    dx = xs[None] - centre[:, 1, None, None]
    along = dy * -torch.sin(theta)[:, None, None] + dx * torch.cos(theta)[:, None, None]
    across = dy * torch.cos(theta)[:, None, None] + dx * torch.sin(theta)[:, None, None]
    bar = (along.abs() <= length[:, None, None]) & (across.abs() <= 0.6)
    images = bar.float() + 0.25 * torch.randn(count, SIZE, SIZE, generator=generator)
    clutter = torch.rand(count, SIZE, SIZE, generator=generator) > 0.97
    return (images + clutter.float() * 0.8).unsqueeze(1)


def pooling(kind: str, channels: int) -> nn.Module:
    """Max pooling or its learnable quadratic-dilation replacement, stride 2."""
    if kind == "maxpool":
        return nn.MaxPool2d(3, stride=2, padding=1)
    return semiconv.GenericConv(
        semiconv.QuadraticKernelSpectral2D(1, channels, 3),
        semiconv.BroadcastSemifield.tropical_max().dynamic(),
        padding="same",
        stride=2,
        groups=channels,
    )


class SmallCNN(nn.Module):
    """Two convolution + ReLU + pooling stages, global average pooling and a linear head."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            pooling(kind, 8),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(),
            pooling(kind, 16),
        )
        self.head = nn.Linear(16, len(ANGLES))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images).mean(dim=(2, 3)))


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return (model(images).argmax(dim=1) == labels).float().mean().item()


def train(kind: str, data: dict, epochs: int, seed: int) -> tuple[nn.Module, list[float], float]:
    torch.manual_seed(seed)
    model = SmallCNN(kind)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    images, labels = data["train"]
    history = []
    for _ in tqdm(range(epochs), desc="epochs", disable=None):
        order = torch.randperm(labels.numel())
        for start in range(0, labels.numel(), 64):
            batch = order[start : start + 64]
            loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        history.append(accuracy(model, *data["test"]))
    return model, history, history[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("examples/output/semiconv_nd"))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    options.output.mkdir(parents=True, exist_ok=True)
    # One intra-op thread: robust on a shared machine, where OpenMP spin-waits stall.
    torch.set_num_threads(1)

    generator = torch.Generator().manual_seed(options.seed)
    data = {"train": synthetic_bars(3000, generator), "test": synthetic_bars(1000, generator)}

    torch.manual_seed(options.seed)
    initial = SmallCNN("quadratic").features[2].kernel
    fig = initial.plot()
    fig.suptitle("quadratic structuring functions at initialisation")
    fig.savefig(options.output / "kernels_initial.png", dpi=100)

    lines = []
    histories = {}
    for kind in ("maxpool", "quadratic"):
        start = time.perf_counter()
        model, history, final = train(kind, data, options.epochs, options.seed)
        histories[kind] = history
        elapsed = time.perf_counter() - start
        lines.append(
            f"{kind:9s}: test accuracy {final:.3f} after {options.epochs} epochs ({elapsed:.1f} s)"
        )
        print(lines[-1], flush=True)
        if kind == "quadratic":
            kernel = model.features[2].kernel
            fig = kernel.plot()
            fig.suptitle("learned quadratic structuring functions (first pooling layer)")
            fig.savefig(options.output / "kernels_learned.png", dpi=100)
            log_std, theta = kernel.inspect_parameters()
            stds = log_std.detach().exp().reshape(-1, 2)
            angles = theta.detach().remainder(math.pi).flatten() * 180 / math.pi
            for channel, ((s0, s1), angle) in enumerate(zip(stds.tolist(), angles.tolist())):
                lines.append(
                    f"  channel {channel}: std {s0:.2f} x {s1:.2f}, first axis at {angle:.0f} deg"
                )
                print(lines[-1])

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for kind, history in histories.items():
        ax.plot(range(1, len(history) + 1), history, marker="o", label=kind)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.legend()
    fig.tight_layout()
    fig.savefig(options.output / "training.png", dpi=100)
    plt.close("all")
    (options.output / "results.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
