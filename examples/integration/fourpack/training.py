"""Training loop of :class:`~fourpack.model.FourPackageNet`: one process or many (DDP).

The same :func:`train` runs in a single process (``world_size=1``), in processes started by
:func:`torch.multiprocessing.spawn` and in processes started by ``torchrun`` (which sets
``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``). Every rank sees
``batch_size / world_size`` images of each global batch (a ``DistributedSampler`` without
shuffling), computes the persistence diagrams of its own images only, and DDP averages the
gradients, so ``world_size`` ranks follow the single-process run on the whole batch.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from e2_steerable.nn import InnerBatchNorm
from fourpack.data import BlobImages, DiagramDataset, collate_with_diagrams
from fourpack.losses import training_loss
from fourpack.model import FourPackageNet, ModelConfig


@dataclass(frozen=True)
class TrainSettings:
    """What to train and how (a plain, picklable record passed to every rank).

    Attributes:
        model: Hyper-parameters of the model.
        steps: Optimiser steps.
        batch_size: Global batch size (split evenly across ranks).
        images: Size of the synthetic training set.
        image_size: Side of the images.
        lr: SGD learning rate (momentum 0.9).
        seed: Seed of the data and of the initial weights.
        num_workers: DataLoader worker processes per rank (started with ``spawn``).
        input_diagrams: Compute every image's pixel-cloud diagram in the data pipeline and feed
            it to the model (needs ``model.input_elements > 0``).
        freeze_batch_norm: Keep the batch norms in eval mode (running statistics): then every
            sample's loss is independent of the others in its batch, and a DDP run equals the
            single-process run on the concatenated batch exactly, not only in expectation.
        backend: ``torch.distributed`` backend (``gloo`` on CPU, ``nccl`` on GPUs).
        device: ``cpu`` or ``cuda`` (each rank uses ``cuda:LOCAL_RANK``).
        connectivity_weight: Weight of the connectivity loss.
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    steps: int = 20
    batch_size: int = 16
    images: int = 256
    image_size: int = 16
    lr: float = 0.05
    seed: int = 0
    num_workers: int = 0
    input_diagrams: bool = False
    freeze_batch_norm: bool = False
    backend: str = "gloo"
    device: str = "cpu"
    connectivity_weight: float = 0.01

    def __post_init__(self) -> None:
        if self.input_diagrams and not self.model.input_elements:
            raise ValueError("input_diagrams=True needs a model with input_elements > 0")


@dataclass
class TrainResult:
    """What one rank reports: per-step losses (its own batch shard) and the final weights."""

    rank: int
    world_size: int
    losses: list[float]
    state_dict: dict[str, torch.Tensor]
    seconds: float


def build_model(settings: TrainSettings) -> FourPackageNet:
    """The model with the initial weights of ``settings.seed`` (identical on every rank)."""
    torch.manual_seed(settings.seed)
    return FourPackageNet(settings.model)


def _loader(settings: TrainSettings, rank: int, world_size: int) -> DataLoader:
    if settings.batch_size % world_size:
        raise ValueError(
            f"batch_size ({settings.batch_size}) must be divisible by the world size ({world_size})"
        )
    images = BlobImages(settings.images, settings.image_size, seed=settings.seed)
    dataset = DiagramDataset(images) if settings.input_diagrams else images
    sampler = DistributedSampler(
        dataset, num_replicas=world_size, rank=rank, shuffle=False, drop_last=True
    )
    return DataLoader(
        dataset,
        batch_size=settings.batch_size // world_size,
        sampler=sampler,
        num_workers=settings.num_workers,
        multiprocessing_context="spawn" if settings.num_workers else None,
        persistent_workers=settings.num_workers > 0,
        collate_fn=collate_with_diagrams if settings.input_diagrams else None,
        drop_last=True,
    )


def _set_mode(model: FourPackageNet, freeze_batch_norm: bool) -> None:
    model.train()
    if freeze_batch_norm:
        for module in model.modules():
            if isinstance(module, InnerBatchNorm):
                module.eval()


def train(
    rank: int, world_size: int, settings: TrainSettings, init_method: str | None = None
) -> TrainResult:
    """Train on this rank; with ``world_size > 1`` join the process group first.

    Args:
        rank: This process's rank.
        world_size: Number of processes (1: no process group, no DDP).
        settings: The run.
        init_method: ``torch.distributed`` init method (``None``: ``env://``, as torchrun sets).

    Returns:
        This rank's :class:`TrainResult` (weights on the CPU).
    """
    distributed = world_size > 1
    if distributed and not dist.is_initialized():
        dist.init_process_group(
            settings.backend, init_method=init_method or "env://", rank=rank, world_size=world_size
        )
    try:
        device = torch.device(settings.device)
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)))
            torch.cuda.set_device(device)
        model = build_model(settings).to(device)
        net: torch.nn.Module = (
            DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None
            )
            if distributed
            else model
        )
        optimizer = torch.optim.SGD(net.parameters(), lr=settings.lr, momentum=0.9)
        _set_mode(model, settings.freeze_batch_norm)
        losses: list[float] = []
        start = time.perf_counter()
        loader = _loader(settings, rank, world_size)
        while len(losses) < settings.steps:
            for batch in loader:
                images, labels = batch[0].to(device), batch[1].to(device)
                diagrams = [d.to(device) for d in batch[2]] if settings.input_diagrams else None
                logits, deaths = net(images, diagrams)
                loss, _ = training_loss(
                    model, logits, labels, deaths, connectivity_weight=settings.connectivity_weight
                )
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                if len(losses) == settings.steps:
                    break
        seconds = time.perf_counter() - start
        state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
        return TrainResult(rank, world_size, losses, state, seconds)
    finally:
        if distributed:
            dist.destroy_process_group()


def spawned_worker(
    rank: int, world_size: int, settings: TrainSettings, init_method: str, outdir: str
) -> None:
    """Entry point for :func:`torch.multiprocessing.spawn`: train and save this rank's result."""
    result = train(rank, world_size, settings, init_method)
    torch.save(result, os.path.join(outdir, f"rank{rank}.pt"))
