"""Benchmark a realistic C8-steerable network against its export and a plain CNN, in one process.

The network: a lifting ``R2Conv`` (3 scalar channels -> 8 regular C8 fields, 64 channels) with
``InnerBatchNorm`` and ``ReLU``; two residual blocks (``R2Conv`` -> ``GNormBatchNorm`` ->
``GatedNonLinearity1`` -> ``R2Conv`` -> ``InnerBatchNorm`` -> ``ReLU``, plus the skip);
``PointwiseMaxPoolAntialiased``; an ``R2Conv`` to vector fields (frequencies 1-3) with
``NormBatchNorm``, ``NormNonLinearity`` and ``NormMaxPool``; an ``R2Conv`` back to regular fields
and ``GroupPooling``. Inputs are 64x64.

Compared, in train mode (forward + backward) and in eval mode (forward):

* the equivariant network vs the same network ``export()`` ed to plain PyTorch: the overhead of
  the equivariant wrappers, the filter expansion in train mode included (target: train-mode
  ratio <= 1.1);
* the equivariant network vs a plain CNN with the same channel counts (``Conv2d``,
  ``BatchNorm2d``, ``ReLU``, max pooling).

Timings use one intra-op thread (stable on a shared machine); each round times both models back
to back, alternating the order; ratios are medians of per-round ratios.

Usage::

    python benchmarks/e2_steerable/bench_modules.py [--quick] [--output DIR]
"""

from __future__ import annotations

import argparse
import platform
from collections.abc import Callable
from pathlib import Path

import torch
from _timing import paired
from torch import nn

from e2_steerable import gspaces
from e2_steerable.nn import (
    EquivariantModule,
    FieldType,
    GatedNonLinearity1,
    GeometricTensor,
    GNormBatchNorm,
    GroupPooling,
    InnerBatchNorm,
    NormBatchNorm,
    NormMaxPool,
    NormNonLinearity,
    PointwiseMaxPoolAntialiased,
    R2Conv,
    ReLU,
    SequentialModule,
)


class PlainResidual(nn.Module):
    """``x + body(x)`` in plain PyTorch (the export of :class:`ResidualBlock`)."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResidualBlock(EquivariantModule):
    """Two 3x3 steerable convolutions with a gated non-linearity, and an identity skip."""

    def __init__(self, ft: FieldType) -> None:
        super().__init__()
        gs = ft.gspace
        gated = FieldType(gs, [gs.trivial_repr] * len(ft) + list(ft.representations))
        self.in_type = self.out_type = ft
        self.body = SequentialModule(
            R2Conv(ft, gated, 3, padding=1),
            GNormBatchNorm(gated),
            GatedNonLinearity1(gated),
            R2Conv(ft, ft, 3, padding=1),
            InnerBatchNorm(ft),
            ReLU(ft),
        )

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return x + self.body(x)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(input_shape)

    def export(self) -> PlainResidual:
        self.eval()
        return PlainResidual(self.body.export()).eval()


def equivariant_network(width: int) -> tuple[SequentialModule, FieldType]:
    gs = gspaces.Rot2dOnR2(8)
    scalars = FieldType(gs, [gs.trivial_repr] * 3)
    regular = FieldType(gs, [gs.regular_repr] * width)
    vectors = FieldType(gs, [gs.irrep(1), gs.irrep(2), gs.irrep(3)] * (2 * width))
    net = SequentialModule(
        R2Conv(scalars, regular, 5, padding=2),
        InnerBatchNorm(regular),
        ReLU(regular),
        ResidualBlock(regular),
        ResidualBlock(regular),
        PointwiseMaxPoolAntialiased(regular, 2, stride=2),
        R2Conv(regular, vectors, 3, padding=1),
        NormBatchNorm(vectors),
        NormNonLinearity(vectors),
        NormMaxPool(vectors, 2),
        R2Conv(vectors, regular, 3, padding=1),
        GroupPooling(regular),
    )
    return net, scalars


def plain_network(width: int) -> nn.Sequential:
    """The same channel counts with Conv2d, BatchNorm2d, ReLU and max pooling."""
    c, v = 8 * width, 12 * width

    def block() -> nn.Module:
        return PlainResidual(
            nn.Sequential(
                nn.Conv2d(c, c + width, 3, padding=1),
                nn.BatchNorm2d(c + width),
                nn.ReLU(),
                nn.Conv2d(c + width, c, 3, padding=1),
                nn.BatchNorm2d(c),
                nn.ReLU(),
            )
        )

    return nn.Sequential(
        nn.Conv2d(3, c, 5, padding=2),
        nn.BatchNorm2d(c),
        nn.ReLU(),
        block(),
        block(),
        nn.MaxPool2d(2),
        nn.Conv2d(c, v, 3, padding=1),
        nn.BatchNorm2d(v),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(v, c, 3, padding=1),
    )


def train_step(model: nn.Module, x: torch.Tensor, wrap: Callable[[torch.Tensor], object]):
    params = [p for p in model.parameters() if p.requires_grad]

    def step() -> None:
        out = model(wrap(x))
        out = out.tensor if isinstance(out, GeometricTensor) else out
        out.square().mean().backward()
        for p in params:
            p.grad = None

    return step


def eval_step(model: nn.Module, x: torch.Tensor, wrap: Callable[[torch.Tensor], object]):
    def step() -> None:
        with torch.no_grad():
            model(wrap(x))

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/output/e2_steerable"))
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    width, batch, size, repeats = (2, 2, 32, 3) if args.quick else (8, 8, 64, 9)
    net, in_type = equivariant_network(width)
    plain = plain_network(width)
    x = torch.randn(batch, in_type.size, size, size)

    def wrap(t: torch.Tensor) -> GeometricTensor:
        return GeometricTensor(t, in_type)

    def ident(t: torch.Tensor) -> torch.Tensor:
        return t

    net.train()
    net(wrap(x))  # statistics, so that the export is a realistic trained network
    exported = net.export()
    with torch.no_grad():
        diff = float((exported(x) - net.eval()(wrap(x)).tensor).abs().max())
    n_eq = sum(p.numel() for p in net.parameters())
    n_plain = sum(p.numel() for p in plain.parameters())
    rows = []
    for mode in ("train", "eval"):
        for model in (net, exported, plain):
            model.train(mode == "train")
        make = train_step if mode == "train" else eval_step
        ours = make(net, x, wrap)
        for name, ref in (("exported", exported), ("plain CNN", plain)):
            t_o, t_r, ratio = paired(ours, make(ref, x, ident), repeats, warmup=2)
            target = "<= 1.1" if (mode, name) == ("train", "exported") else "-"
            rows.append(
                f"| {mode} | {name} | {1e3 * t_o:.1f} | {1e3 * t_r:.1f} | {ratio:.2f} | {target} |"
            )
    lines = [
        "# e2-steerable: a C8-steerable network vs its export and a plain CNN",
        "",
        f"torch {torch.__version__}, 1 thread, {platform.processor() or platform.machine()}"
        + (" (quick run: tiny sizes)" if args.quick else ""),
        f"input ({batch}, 3, {size}, {size}); {n_eq} parameters (equivariant), {n_plain} "
        f"(plain CNN, same channel counts); export max |diff| in eval {diff:.1e}",
        "",
        "| mode | reference | equivariant (ms) | reference (ms) | ratio | target |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bench_modules.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
