"""Train a tiny point-wise classifier with an hourglass bottleneck on a synthetic point cloud.

The scene has three classes: ground (a noisy plane), poles (vertical lines) and crowns
(spheres on top of the poles). Each point gets 7 features (its offset from the receptive
field's centroid, its height and three local-shape features from the covariance of its 16
nearest neighbours). Receptive fields of ``m`` points around random centres give inputs of
shape ``(K, m, 7)``, as in VirtuaLearn3D's point-wise models.

The model lifts the features with an HourglassLayer (Din=7 < Dh=32: the rank-deficient case,
like VL3D's post-hourglass), adds a max-pooled context of the receptive field, squeezes the
result through an HourglassLayer bottleneck (64 -> 8 -> 32) and classifies every point.
The loss is ``task_loss + regularization_loss(model)``.

Usage::

    python examples/hourglass_layer/train_pointwise_classifier.py [--output DIR] [--epochs N]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from torch import nn
from tqdm import tqdm

from hourglass_layer import HourglassLayer, regularization_loss

CLASSES = ("ground", "pole", "crown")


def synthetic_scene(
    generator: torch.Generator, trees: int = 12
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points ``(N, 3)`` and labels ``(N,)`` of a plane with poles topped by spheres."""
    ground = torch.rand(3000, 3, generator=generator) * torch.tensor([20.0, 20.0, 0.0])
    ground[:, 2] = 0.05 * torch.randn(3000, generator=generator)
    points, labels = [ground], [torch.zeros(3000, dtype=torch.long)]
    for centre in torch.rand(trees, 2, generator=generator) * 18 + 1:
        height = 3.0 + 2.0 * torch.rand((), generator=generator)
        pole = torch.zeros(120, 3)
        pole[:, :2] = centre + 0.05 * torch.randn(120, 2, generator=generator)
        pole[:, 2] = torch.rand(120, generator=generator) * height
        direction = torch.randn(200, 3, generator=generator)
        crown = direction / direction.norm(dim=1, keepdim=True) * 1.2
        crown += torch.cat([centre, height[None] + 1.2]) + 0.05 * torch.randn(
            200, 3, generator=generator
        )
        points += [pole, crown]
        labels += [torch.ones(120, dtype=torch.long), torch.full((200,), 2)]
    return torch.cat(points), torch.cat(labels)


def point_features(points: torch.Tensor, k: int = 16) -> torch.Tensor:
    """Height plus linearity, planarity and sphericity of every point's k-neighbourhood."""
    neighbours = torch.cdist(points, points).topk(k, largest=False).indices
    local = points[neighbours] - points[neighbours].mean(dim=1, keepdim=True)
    eig = torch.linalg.eigvalsh(local.mT @ local / k).flip(-1).clamp_min(1e-12)  # l1>=l2>=l3
    shape = torch.stack(
        [
            (eig[:, 0] - eig[:, 1]) / eig[:, 0],
            (eig[:, 1] - eig[:, 2]) / eig[:, 0],
            eig[:, 2] / eig[:, 0],
        ],
        dim=1,
    )
    return torch.cat([points[:, 2:3] / 5.0, shape], dim=1)


def receptive_fields(
    points: torch.Tensor,
    features: torch.Tensor,
    labels: torch.Tensor,
    centres: torch.Tensor,
    m: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``(K, m, 7)`` and labels ``(K, m)`` of the m nearest points of each centre."""
    idx = torch.cdist(points[centres], points).topk(m, largest=False).indices
    offsets = points[idx] - points[idx].mean(dim=1, keepdim=True)
    return torch.cat([offsets / 2.0, features[idx]], dim=-1), labels[idx]


class PointwiseClassifier(nn.Module):
    """Lift, add the field's max-pooled context, squeeze through a bottleneck, classify."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.lift = HourglassLayer(Dh=32, Dout=32, beta=0.01)
        self.bottleneck = HourglassLayer(Dh=8, Dout=32, activation2="identity", beta=0.1)
        self.head = nn.Linear(32, classes)

    def forward(self, fields: torch.Tensor) -> torch.Tensor:
        lifted = self.lift(fields)  # (K, m, 32)
        context = lifted.amax(dim=-2, keepdim=True).expand_as(lifted)
        return self.head(torch.relu(self.bottleneck(torch.cat([lifted, context], dim=-1))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("examples/output/hourglass_layer"))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)

    points, labels = synthetic_scene(generator)
    features = point_features(points)
    centres = torch.randperm(len(points), generator=generator)[:320]
    fields, field_labels = receptive_fields(points, features, labels, centres, m=64)
    train_x, test_x = fields[:256], fields[256:]
    train_y, test_y = field_labels[:256], field_labels[256:]

    model = PointwiseClassifier(len(CLASSES))
    model(train_x[:1])  # infer Din of the lazy layers
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    log = ["epoch  task_loss  regularizer  train_acc"]
    task_curve, reg_curve = [], []
    for epoch in tqdm(range(1, args.epochs + 1), desc="epochs", disable=None):
        model.train()
        epoch_task = epoch_reg = correct = 0.0
        for batch in torch.randperm(len(train_x), generator=generator).split(32):
            logits = model(train_x[batch])
            task = nn.functional.cross_entropy(logits.flatten(0, 1), train_y[batch].flatten())
            reg = regularization_loss(model)
            optimizer.zero_grad()
            (task + reg).backward()
            optimizer.step()
            epoch_task += task.item() * len(batch)
            epoch_reg += reg.item() * len(batch)
            correct += (logits.argmax(-1) == train_y[batch]).float().mean().item() * len(batch)
        task_curve.append(epoch_task / len(train_x))
        reg_curve.append(epoch_reg / len(train_x))
        train_acc = correct / len(train_x)
        log.append(f"{epoch:5d}  {task_curve[-1]:9.4f}  {reg_curve[-1]:11.4f}  {train_acc:9.3f}")
        print(log[-1])

    model.eval()
    with torch.no_grad():
        accuracy = (model(test_x).argmax(-1) == test_y).float().mean().item()
    per_layer = {
        name: round(module.hourglass_loss().item(), 4)
        for name, module in model.named_modules()
        if isinstance(module, HourglassLayer)
    }
    log += [
        f"test point-wise accuracy: {accuracy:.3f}",
        f"final L_h per layer: {per_layer}; the lift has Din=7 < Dh=32, so its L_h is bounded "
        f"below by sqrt(32 - 7) = {math.sqrt(32 - 7):.4f}",
    ]
    print("\n".join(log[-2:]))

    args.output.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = range(1, args.epochs + 1)
    axes[0].plot(epochs, task_curve, marker="o", markersize=3)
    axes[0].set(title="task loss (cross-entropy)", xlabel="epoch", yscale="log")
    axes[1].plot(epochs, reg_curve, marker="o", markersize=3, color="tab:orange")
    axes[1].set(title="hourglass regulariser  Σ β·L_h", xlabel="epoch")
    figure.tight_layout()
    figure.savefig(args.output / "train_pointwise_classifier.png", dpi=120)
    (args.output / "train_pointwise_classifier.txt").write_text("\n".join(log) + "\n")


if __name__ == "__main__":
    main()
