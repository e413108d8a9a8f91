"""The e2cnn seed example as a script: build, train, export, check equivalence and equivariance.

The network is the one of the seed documentation (two C8-steerable convolutions with inner batch
norm, ReLU/ELU, max pooling and group pooling). It is trained for a few steps on CPU to tell
straight strokes from L-shaped corners drawn at random angles (a linear read-out of the mean of the
invariant output map gives the class logit). Then the script

* exports the network to plain PyTorch and measures the largest output difference;
* measures the equivariance error for every element of C8 (exact for multiples of 90°,
  interpolated for the odd multiples of 45°);
* reports the accuracy on strokes rotated by multiples of 90° and by arbitrary angles.

Writes ``seed_example.txt`` (the printed results), ``seed_example_equivariance.png`` (error per
group element) and ``seed_example_feature_maps.png`` (output maps of an input and of its rotated
copies) to ``--output``.

Run: ``python examples/e2_steerable/seed_example.py --output examples/output/e2_steerable``
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
from tqdm import tqdm

import e2_steerable
from e2_steerable.nn import (
    ELU,
    FieldType,
    GeometricTensor,
    GroupPooling,
    InnerBatchNorm,
    PointwiseMaxPool,
    R2Conv,
    ReLU,
    SequentialModule,
)
from e2_steerable.nn.modules.equivariant_module import is_exact_element

SIZE = 31
STROKE, CORNER = 0, 1


def build_seed_net() -> tuple[SequentialModule, FieldType]:
    """The network of the seed documentation (only the import name changed)."""
    s = e2_steerable.gspaces.Rot2dOnR2(8)
    c_in = FieldType(s, [s.trivial_repr] * 3)
    c_hid = FieldType(s, [s.regular_repr] * 3)
    c_out = FieldType(s, [s.regular_repr] * 1)
    net = SequentialModule(
        R2Conv(c_in, c_hid, 5, bias=False),
        InnerBatchNorm(c_hid),
        ReLU(c_hid, inplace=True),
        PointwiseMaxPool(c_hid, kernel_size=3, stride=2, padding=1),
        R2Conv(c_hid, c_out, 3, bias=False),
        InnerBatchNorm(c_out),
        ELU(c_out, inplace=True),
        GroupPooling(c_out),
    )
    return net, c_in


def _segment_distance(px: torch.Tensor, py: torch.Tensor, a: torch.Tensor, b: torch.Tensor):
    """Distance of every pixel to the segments ``a[i] -> b[i]`` (batched), shape (B, H, W)."""
    ax, ay = a[:, 0, None, None], a[:, 1, None, None]
    dx, dy = (b - a)[:, 0, None, None], (b - a)[:, 1, None, None]
    t = (((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)).clamp(0, 1)
    return torch.hypot(px - ax - t * dx, py - ay - t * dy)


def make_strokes(
    n: int,
    generator: torch.Generator,
    angles: torch.Tensor | None = None,
    noise: float = 0.1,
    width: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Blurred straight strokes (class 0) and L-shaped corners (class 1) at random angles.

    Both have the same total length and a Gaussian profile of standard deviation ``width``
    pixels; three colour channels get random positive gains, plus white noise of std ``noise``.
    """
    labels = torch.randint(0, 2, (n,), generator=generator)
    if angles is None:
        angles = torch.rand(n, generator=generator) * 2 * math.pi
    coords = torch.arange(SIZE, dtype=torch.float32) - (SIZE - 1) / 2
    py, px = torch.meshgrid(-coords, coords, indexing="ij")
    direction = torch.stack([angles.cos(), angles.sin()], 1)
    normal = torch.stack([-angles.sin(), angles.cos()], 1)
    shift = (torch.rand(n, 2, generator=generator) - 0.5) * 6
    half = 7.0
    # stroke: from -half to +half along `direction`; corner: two arms of length `half`
    start = torch.where(labels[:, None] == STROKE, -half * direction, half * normal) + shift
    middle = shift
    end = half * direction + shift
    d = torch.minimum(
        _segment_distance(px, py, start, middle), _segment_distance(px, py, middle, end)
    )
    image = torch.exp(-0.5 * (d / width) ** 2)
    gains = 0.5 + torch.rand(n, 3, 1, 1, generator=generator)
    x = gains * image[:, None] + noise * torch.randn(n, 3, SIZE, SIZE, generator=generator)
    return x, labels


def centre_disk(n: int) -> torch.Tensor:
    """Mask of the pixels of an ``n x n`` map inside the inscribed disk (minus one pixel)."""
    coords = torch.arange(n, dtype=torch.float32) - (n - 1) / 2
    return (coords[:, None] ** 2 + coords[None, :] ** 2 <= ((n - 1) / 2 - 1) ** 2).float()


def readout(maps: torch.Tensor) -> torch.Tensor:
    """Invariant features of the output maps: their spatial maximum and mean, shape (B, 2)."""
    return torch.stack([maps.amax(dim=(1, 2, 3)), maps.mean(dim=(1, 2, 3))], dim=1)


def train(
    net: SequentialModule, head: torch.nn.Linear, c_in: FieldType, steps: int, seed: int
) -> list[float]:
    """Adam on freshly drawn batches; returns the loss of every step."""
    generator = torch.Generator().manual_seed(seed)
    params = list(net.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=3e-2)
    losses = []
    net.train()
    for _ in tqdm(range(steps), desc="training", disable=None):
        x, y = make_strokes(32, generator)
        logits = head(readout(net(GeometricTensor(x, c_in)).tensor))[:, 0]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y.float())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def accuracy(model, head: torch.nn.Linear, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        logits = head(readout(model(x)))[:, 0]
    return float(((logits > 0).long() == y).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("examples/output/e2_steerable"))
    parser.add_argument("--steps", type=int, default=80, help="training steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    lines: list[str] = []

    def report(line: str = "") -> None:
        print(line)
        lines.append(line)

    start = time.perf_counter()
    net, c_in = build_seed_net()
    head = torch.nn.Linear(2, 1)
    report(f"network built in {time.perf_counter() - start:.2f} s")
    report(str(net))

    start = time.perf_counter()
    losses = train(net, head, c_in, args.steps, args.seed)
    report(
        f"trained {args.steps} steps in {time.perf_counter() - start:.1f} s: loss "
        f"{losses[0]:.3f} -> {sum(losses[-5:]) / 5:.3f} (mean of the last 5)"
    )

    net.eval()
    exported = net.export()
    report(str(exported))
    generator = torch.Generator().manual_seed(args.seed + 1)
    x_any, y_any = make_strokes(256, generator)
    with torch.no_grad():
        y1 = net(GeometricTensor(x_any, c_in)).tensor
        y2 = exported(x_any)
    diff = float((y1 - y2).abs().max())
    report(
        f"export: max |equivariant - exported| = {diff:.2e}  (allclose: {torch.allclose(y1, y2)})"
    )

    quarter = (torch.randint(0, 4, (256,), generator=generator) * (math.pi / 2)).float()
    x_90, y_90 = make_strokes(256, generator, angles=quarter)
    report(f"accuracy, strokes at multiples of 90 deg: {accuracy(exported, head, x_90, y_90):.3f}")
    report(
        f"accuracy, strokes at arbitrary angles:    {accuracy(exported, head, x_any, y_any):.3f}"
    )

    gs = c_in.gspace
    elements = list(gs.testing_elements)
    noise_errors = net.check_equivariance(
        elements=elements, dtype=torch.float32, raise_error=False, spatial_size=SIZE
    )
    # the same measure on smooth inputs (noise-free strokes of width 2 px), inside the centre disk
    # (corners leave the image under 45° rotations), for the network and for its first R2Conv
    x_smooth = GeometricTensor(make_strokes(64, generator, noise=0.0, width=2.0)[0], c_in)
    first_conv = net._modules["0"]
    smooth_errors = {"net": [], "conv": []}
    with torch.no_grad():
        for key, model in (("net", net), ("conv", first_conv)):
            y_smooth = model(x_smooth)
            disk = centre_disk(y_smooth.shape[-1])
            for g in elements:
                expected = y_smooth.transform(g).tensor * disk
                got = model(x_smooth.transform(g)).tensor * disk
                smooth_errors[key].append(float((got - expected).norm() / expected.norm()))
    report("equivariance error ||f(g.x) - g.f(x)|| / ||g.f(x)|| in float32")
    report("white noise: check_equivariance of the network (whole map); smooth strokes: inside")
    report("the centre disk, for the network and for its first R2Conv alone")
    report("  element   angle  grid map      white noise  smooth (net)  smooth (R2Conv)")
    for i, (g, err) in enumerate(noise_errors):
        kind = "exact" if is_exact_element(gs, g) else "interpolated"
        net_err, conv_err = smooth_errors["net"][i], smooth_errors["conv"][i]
        report(
            f"  {g!s:>7} {360 * g / 8:6.1f}  {kind:<12}  {err:11.2e}  {net_err:12.2e}  "
            f"{conv_err:15.2e}"
        )

    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    labels = [f"{360 * g / 8:.0f}°" for g in elements]
    positions = torch.arange(len(elements), dtype=torch.float64).numpy()
    series = [
        ("network, white noise", [e for _, e in noise_errors]),
        ("network, smooth strokes", smooth_errors["net"]),
        ("first R2Conv, smooth strokes", smooth_errors["conv"]),
    ]
    for k, (label, values) in enumerate(series):
        ax.bar(positions + 0.27 * (k - 1), [max(v, 1e-12) for v in values], 0.27, label=label)
    ax.set_xticks(positions, labels)
    ax.set_yscale("log")
    ax.set_ylabel("relative error")
    ax.set_title("Equivariance error per C8 element (multiples of 90° are exact)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.output / "seed_example_equivariance.png", dpi=120)
    plt.close(fig)

    sample = GeometricTensor(x_any[:1], c_in)
    fig, axes = plt.subplots(2, 4, figsize=(8, 4.2))
    with torch.no_grad():
        for k in range(4):
            g = 2 * k  # rotation by k * 90 degrees
            moved = sample.transform(g)
            axes[0, k].imshow(moved.tensor[0].mean(0).numpy(), cmap="gray")
            axes[0, k].set_title(f"input rotated {90 * k}°", fontsize=8)
            axes[1, k].imshow(net(moved).tensor[0, 0].numpy(), cmap="viridis")
            axes[1, k].set_title("invariant output map", fontsize=8)
    for a in axes.ravel():
        a.set_axis_off()
    fig.tight_layout()
    fig.savefig(args.output / "seed_example_feature_maps.png", dpi=120)
    plt.close(fig)

    (args.output / "seed_example.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
