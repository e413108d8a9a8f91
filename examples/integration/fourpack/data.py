"""Synthetic images whose label is topological: how many bright blobs an image holds.

Counting blobs is invariant under rotations (so the equivariant feature extractor fits) and is
what 0-dimensional persistence of the bright pixels measures (so persistence features fit).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils.data import Dataset

from torchph_lite.pershom import vr_persistence_l2

#: labels 0, 1, 2 stand for 1, 2, 3 blobs
NUM_CLASSES = 3


class BlobImages(Dataset):
    """``count`` noisy ``size x size`` images with one to three Gaussian blobs each.

    The images are generated once, from ``seed``, so the dataset is deterministic and identical
    in every process (each DDP rank or DataLoader worker builds the same one).

    Args:
        count: Number of images.
        size: Side length in pixels.
        seed: Seed of the generator.

    Shape:
        ``self[i]`` is ``(image, label)`` with ``image`` of shape :math:`(1, size, size)`.
    """

    def __init__(self, count: int, size: int = 16, seed: int = 0) -> None:
        if count < 1:
            raise ValueError(f"count must be a positive int, got {count!r}")
        if size < 8:
            raise ValueError(f"size must be at least 8 pixels, got {size!r}")
        generator = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(NUM_CLASSES, (count,), generator=generator)
        ys, xs = torch.meshgrid(
            torch.arange(size, dtype=torch.float32),
            torch.arange(size, dtype=torch.float32),
            indexing="ij",
        )
        images = 0.1 * torch.randn(count, size, size, generator=generator)
        margin = 3.0
        for blob in range(NUM_CLASSES):
            present = (self.labels >= blob).float()[:, None, None]
            centre = margin + torch.rand(count, 2, generator=generator) * (size - 2 * margin)
            distance2 = (ys[None] - centre[:, 0, None, None]) ** 2 + (
                xs[None] - centre[:, 1, None, None]
            ) ** 2
            images = images + present * torch.exp(-distance2 / 2.0)
        self.images = images.unsqueeze(1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]


def pixel_cloud_diagram(image: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """0-dimensional Vietoris-Rips diagram of the coordinates of an image's bright pixels.

    Args:
        image: ``(1, H, W)`` or ``(H, W)`` image.
        threshold: Pixels above it form the point cloud.

    Returns:
        The non-essential ``(m, 2)`` birth/death pairs (empty when fewer than two pixels qualify).
    """
    plane = image.reshape(image.shape[-2], image.shape[-1])
    cloud = torch.nonzero(plane > threshold).to(torch.float32)
    if cloud.shape[0] < 2:
        return torch.zeros(0, 2)
    non_essential, _ = vr_persistence_l2(cloud, 0)
    return non_essential[0]


class DiagramDataset(Dataset):
    """Wraps :class:`BlobImages` and adds each image's pixel-cloud diagram (a preprocessing step).

    The diagrams are computed in ``__getitem__``, so with ``num_workers > 0`` they are computed in
    the DataLoader's worker processes, never gathered from other ranks.
    """

    def __init__(self, images: BlobImages, threshold: float = 0.5) -> None:
        self.images = images
        self.threshold = threshold

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        image, label = self.images[index]
        return image, label, pixel_cloud_diagram(image, self.threshold)


def collate_with_diagrams(
    items: Sequence[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """Stack images and labels; keep the ragged diagrams as a list."""
    images = torch.stack([item[0] for item in items])
    labels = torch.stack([item[1] for item in items])
    return images, labels, [item[2] for item in items]
