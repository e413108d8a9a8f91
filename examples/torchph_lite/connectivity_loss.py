"""The torchph "Differentiable Vietoris-Rips persistent homology" tutorial on the CPU.

Reproduces the toy experiment of Hofer et al., "Connectivity-Optimized Representation Learning via
Persistent Homology" (ICML 2019): an MLP maps 2-D points (three Gaussians) to 2-D so that the
0-dimensional Vietoris-Rips lifetimes of every mini-batch of 50 points approach eta = 2, by
minimising the connectivity loss sum_t |eta - eps_t| over the death times eps_t.

The training code is the tutorial's, with ``from torchph_lite.pershom import vr_persistence_l1``
and ``device = "cpu"``. Writes ``connectivity_loss_curve.png`` (loss per batch),
``connectivity_loss_scatter.png`` (the points at epochs 0, 5 and the last, titled with the mean
min/average/max lifetime of mini-batches, as in the tutorial) and ``connectivity_loss.txt``.

Run: ``python examples/torchph_lite/connectivity_loss.py [--epochs 50] [--output DIR]``;
``--quick`` trains for 6 epochs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
from collections import defaultdict
from pathlib import Path

import matplotlib
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

from torchph_lite.pershom import vr_persistence_l1

matplotlib.use("Agg")
import matplotlib.pyplot as plt

device = "cpu"


def apply_model(model, dataset, batch_size=100, device="cpu"):
    """Apply ``model`` to ``dataset`` (the tutorial's helper)."""
    dl = DataLoader(dataset, batch_size=batch_size, num_workers=0)
    X, Y = [], []
    model.eval()
    model.to(device)
    with torch.no_grad():
        for x, y in dl:
            x = model(x.to(device))
            if isinstance(x, (tuple, list)):
                x = x[0]
            X += x.cpu().tolist()
            Y += y.tolist()
    return X, Y


class Toy2DData(torch.utils.data.Dataset):
    """Points from three Gaussians (the tutorial's dataset)."""

    def __init__(self, n_samples_by_class):
        super().__init__()
        X, Y = [], []
        self.mus = [[4.0, 4.0], [3.0, 3.0], [0.0, 0.5]]
        self.sigmas = [[1.0, 1.0], [3.0, 3.0], [0.5, 0.5]]
        for m, s in zip(self.mus, self.sigmas):
            X.append(torch.randn((n_samples_by_class, 2)) * torch.tensor(s) - torch.tensor(m))
            Y += n_samples_by_class * [0]
        self.X = torch.cat(X, dim=0)
        self.Y = Y

    def __len__(self):
        return len(self.Y)

    def __getitem__(self, item):
        return self.X[item], self.Y[item]


def train(dataset, n_epochs):
    """The tutorial's training loop; returns per-batch losses and the points after each epoch."""
    model = nn.Sequential(
        nn.Linear(2, 10), nn.LeakyReLU(), nn.Linear(10, 10), nn.LeakyReLU(), nn.Linear(10, 2)
    ).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    dl = DataLoader(dataset, batch_size=50, shuffle=True, drop_last=True)
    transformed_pts = [apply_model(model, dataset, device=device)[0]]
    iteration_loss = []
    for epoch_i in tqdm(range(1, n_epochs + 1), desc="epochs", disable=None):
        epoch_loss = 0
        model.train()
        if epoch_i == 20:
            for param_group in opt.param_groups:
                param_group["lr"] = 0.001
        if epoch_i == 40:
            for param_group in opt.param_groups:
                param_group["lr"] = 0.0001
        for x, _ in dl:
            x_hat = model(x.to(device))
            pers = vr_persistence_l1(x_hat, 0, 0)[0][0]  # VR PH computation
            pers = pers[:, 1]  # get lifetimes
            loss = (pers - 2.0).abs().sum()  # connectivity loss for eta = 2
            iteration_loss.append(loss.item())
            epoch_loss += loss.item()
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"Epoch: {epoch_i:2d} | Loss: {epoch_loss / len(dl):.2f}")
        transformed_pts.append(apply_model(model, dataset, device=device)[0])
    return iteration_loss, transformed_pts


def track_persistence_info(points, batch_size, n_rounds):
    """Min/max/mean 0-dim lifetimes of random mini-batches of the (frozen) mapped points."""
    ds = TensorDataset(torch.tensor(points), torch.tensor([0] * len(points)))
    dl = DataLoader(ds, batch_size=batch_size, shuffle=True, drop_last=True)
    stats = defaultdict(list)
    for _ in range(n_rounds):
        for x, _ in dl:
            pers = vr_persistence_l1(x.to(device), 0, 0)[0][0][:, 1]
            stats["alpha"].append(pers.min().item())
            stats["beta"].append(pers.max().item())
            stats["avgeps"].append(pers.mean().item())
    return stats


def visualize(points, ax):
    """Scatter plot titled with the mean (alpha, eps, beta) over mini-batches."""
    pts = np.array(points)
    ax.plot(pts[:, 0], pts[:, 1], ".", markersize=2, color="black", alpha=0.3)
    stats = track_persistence_info(pts, 50, 10)
    means = [float(np.mean(stats[k])) for k in ("alpha", "avgeps", "beta")]
    ax.set_title(
        r"$\widehat{\alpha},\widehat{\varepsilon}, \widehat{\beta}$ = "
        + "{:.2f}, {:.2f}, {:.2f}".format(*means),
        position=(0.04, 0.02),
        fontsize=12,
        horizontalalignment="left",
        bbox={"facecolor": "white", "alpha": 0.7},
    )
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("examples/output/torchph_lite"))
    parser.add_argument("--epochs", type=int, default=50, help="training epochs (tutorial: 50)")
    parser.add_argument("--quick", action="store_true", help="train for 6 epochs only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    epochs = 6 if args.quick else args.epochs
    args.output.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # tensors of 50 points: extra threads only add overhead
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        start = time.perf_counter()
        dataset = Toy2DData(500)
        iteration_loss, transformed_pts = train(dataset, epochs)
        print(f"training time: {time.perf_counter() - start:.1f} s ({len(iteration_loss)} steps)")

        fig = plt.figure(figsize=(5, 3))
        plt.plot(iteration_loss)
        plt.xlabel("#Batches")
        plt.ylabel("Loss")
        plt.grid()
        fig.tight_layout()
        fig.savefig(args.output / "connectivity_loss_curve.png", dpi=120)
        plt.close(fig)

        shown = [0, min(5, epochs), epochs]
        fig, axes = plt.subplots(1, 3, figsize=(14, 4))
        for ax, epoch in zip(axes, shown):
            alpha, eps, beta = visualize(transformed_pts[epoch], ax)
            print(f"epoch {epoch:2d}: alpha={alpha:.2f}, eps={eps:.2f}, beta={beta:.2f}")
        fig.tight_layout()
        fig.savefig(args.output / "connectivity_loss_scatter.png", dpi=120)
        plt.close(fig)
        first = float(np.mean(iteration_loss[:30]))
        last = float(np.mean(iteration_loss[-30:]))
        print(f"mean loss, first epoch: {first:.2f}; last epoch: {last:.2f}")
    text = log.getvalue()
    print(text, end="")
    (args.output / "connectivity_loss.txt").write_text(text)


if __name__ == "__main__":
    main()
