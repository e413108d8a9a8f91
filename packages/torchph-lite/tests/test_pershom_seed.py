"""The seed tutorial (connectivity loss on a 2-D toy dataset), copied faithfully: only the import
line and ``device = "cpu"`` differ (plus a numpy import the notebook relied on). The default run
trains for a few epochs; the full 50-epoch run with the figures is marked slow.
"""

from __future__ import annotations

from collections import defaultdict

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from torchph_lite.pershom import vr_persistence_l1

matplotlib.use("Agg")

device = "cpu"


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny tensors: torch's intra-op threads only add overhead (a lot on a shared CPU)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def apply_model(model, dataset, batch_size=100, device="cpu"):
    dl = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=0)
    X, Y = [], []
    model.eval()
    model.to(device)
    with torch.no_grad():
        for x, y in dl:
            x = x.to(device)
            x = model(x)
            if isinstance(x, (tuple, list)):
                x = x[0]
            X += x.cpu().tolist()
            Y += y.tolist()
    return X, Y


class Toy2DData(torch.utils.data.Dataset):
    def __init__(self, n_samples_by_class):
        super().__init__()
        X = []
        Y = []
        self.mus = [[4.0, 4.0], [3.0, 3.0], [0.0, 0.5]]
        self.sigmas = [[1.0, 1.0], [3.0, 3.0], [0.5, 0.5]]
        for y, (m, s) in enumerate(zip(self.mus, self.sigmas)):  # noqa: B007 (as in the seed)
            X_class = torch.randn((n_samples_by_class, 2)) * torch.tensor(s) - torch.tensor(m)
            X.append(X_class)
            Y += n_samples_by_class * [0]
        self.X = torch.cat(X, dim=0)
        self.Y = Y

    def __len__(self):
        return len(self.Y)

    def __getitem__(self, item):
        return self.X[item], self.Y[item]

    def __iter__(self):
        return zip(self.X, self.Y)


def train(n_epochs: int):
    dataset = Toy2DData(500)
    model = nn.Sequential(
        nn.Linear(2, 10), nn.LeakyReLU(), nn.Linear(10, 10), nn.LeakyReLU(), nn.Linear(10, 2)
    ).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    dl = DataLoader(dataset, batch_size=50, shuffle=True, drop_last=True)
    transformed_pts = [apply_model(model, dataset, device=device)[0]]
    iteration_loss = []
    epoch_losses = []
    for epoch_i in range(1, n_epochs + 1):
        epoch_loss = 0
        model.train()
        if epoch_i == 20:
            for param_group in opt.param_groups:
                param_group["lr"] = 0.001
        if epoch_i == 40:
            for param_group in opt.param_groups:
                param_group["lr"] = 0.0001
        for x, _ in dl:
            x = x.to(device)
            x_hat = model(x)
            loss = 0
            pers = vr_persistence_l1(x_hat, 0, 0)[0][0]  # VR PH computation
            pers = pers[:, 1]  # get lifetimes
            loss = (pers - 2.0).abs().sum()
            iteration_loss.append(loss.item())
            epoch_loss += loss.item()
            opt.zero_grad()
            loss.backward()
            opt.step()
        epoch_losses.append(epoch_loss / len(dl))
        x_hat, _ = apply_model(model, dataset, device=device)
        transformed_pts.append(x_hat)
    return iteration_loss, epoch_losses, transformed_pts


def track_persistence_info(points, batch_size, N):
    ds = TensorDataset(torch.tensor(points), torch.tensor([0] * len(points)))
    dl = DataLoader(ds, batch_size=batch_size, shuffle=True, drop_last=True)
    stats = defaultdict(list)
    for i in range(N):  # noqa: B007 (as in the seed)
        for x, _ in dl:
            x = x.to(device)
            pers = vr_persistence_l1(x, 0, 0)[0][0]
            pers = pers[:, 1]
            stats["alpha"].append(pers.min().item())
            stats["beta"].append(pers.max().item())
            stats["avgeps"].append(pers.mean().item())
    return stats


def visualize(transformed_pts, ax):
    pts = np.array(transformed_pts)
    x, y = pts[:, 0], pts[:, 1]
    ax.plot(x, y, ".", **{"markersize": 2, "color": "black", "alpha": 0.3})
    stats = track_persistence_info(pts, 50, 10)
    ax.set_title(
        r"$\widehat{\alpha},\widehat{\varepsilon}, \widehat{\beta}$ = "
        + "{:.2f}, {:.2f}, {:.2f}".format(
            np.mean(np.array(stats["alpha"])),
            np.mean(np.array(stats["avgeps"])),
            np.mean(np.array(stats["beta"])),
        ),
        position=(0.04, 0.02),
        fontsize=12,
        horizontalalignment="left",
        bbox=dict(facecolor="white", alpha=0.7),  # noqa: C408 (as in the seed)
    )
    return stats


def test_seed_connectivity_loss_decreases() -> None:
    iteration_loss, epoch_losses, transformed = train(4)
    assert len(iteration_loss) == 4 * 30
    assert all(np.isfinite(iteration_loss))
    assert epoch_losses[-1] < 0.8 * epoch_losses[0]
    assert len(transformed) == 5


@pytest.mark.slow
def test_seed_full_run_with_figures() -> None:
    import matplotlib.pyplot as plt

    iteration_loss, _, transformed_pts = train(50)
    assert np.mean(iteration_loss[-30:]) < 0.5 * np.mean(iteration_loss[:30])
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    gaps = []
    for i, epoch in enumerate([0, 5, 50]):
        stats = visualize(transformed_pts[epoch], axes[i])
        gaps.append(abs(np.mean(stats["avgeps"]) - 2.0))
    plt.close(fig)
    # the average lifetime moves towards eta = 2
    assert gaps[2] < gaps[0]
