"""Training past one process: DDP over gloo equals the single-process run on the whole batch,
diagrams come from each rank's own clouds and from spawned DataLoader workers, and the training
script runs under torchrun."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from conftest import EXAMPLE_DIR, subprocess_env
from torch.utils.data import DataLoader

from fourpack import BlobImages, DiagramDataset, ModelConfig, collate_with_diagrams
from fourpack.data import pixel_cloud_diagram
from fourpack.training import TrainResult, TrainSettings, spawned_worker, train

pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
    reason="torch.distributed with the gloo backend is not available",
)

#: tiny runs: 3 steps of a global batch of 8 images of 16x16
SETTINGS = TrainSettings(steps=3, batch_size=8, images=24, lr=0.05, freeze_batch_norm=True)
#: float32 round-off of a sum split across ranks, compounded over 3 momentum-SGD steps
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def _spawn(settings: TrainSettings, world_size: int, tmp_path: Path) -> list[TrainResult]:
    init_method = (tmp_path / "rendezvous").as_uri()
    mp.spawn(
        spawned_worker,
        args=(world_size, settings, init_method, str(tmp_path)),
        nprocs=world_size,
        join=True,
    )
    return [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(world_size)]


def _assert_same_weights(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key], **TOLERANCE, msg=key)


def test_ddp_two_processes_equal_one_process_on_the_concatenated_batch(tmp_path: Path) -> None:
    """Persistence inside DDP: each rank computes the diagrams of its own 4 clouds only."""
    single = train(0, 1, SETTINGS)
    ranks = _spawn(SETTINGS, 2, tmp_path)
    for result in ranks:
        assert result.world_size == 2
        assert len(result.losses) == SETTINGS.steps
        _assert_same_weights(result.state_dict, single.state_dict)
    # the per-sample losses are independent: the ranks' shard means average to the batch mean
    torch.testing.assert_close(
        torch.tensor([(a + b) / 2 for a, b in zip(ranks[0].losses, ranks[1].losses)]),
        torch.tensor(single.losses),
        **TOLERANCE,
    )
    # and training moved the weights, so the comparison is not trivially true
    initial = train(0, 1, replace(SETTINGS, steps=0)).state_dict
    assert any(not torch.equal(initial[k], single.state_dict[k]) for k in initial)


def test_spawned_dataloader_workers_compute_the_same_diagrams() -> None:
    dataset = DiagramDataset(BlobImages(8, size=16, seed=1))
    loader = DataLoader(
        dataset,
        batch_size=4,
        num_workers=2,
        multiprocessing_context="spawn",
        collate_fn=collate_with_diagrams,
    )
    seen = 0
    for images, _, diagrams in loader:
        for image, diagram in zip(images, diagrams):
            expected = pixel_cloud_diagram(image)
            assert expected.shape[0] > 0
            torch.testing.assert_close(diagram, expected, rtol=0, atol=0)
            seen += 1
    assert seen == len(dataset)


def test_training_with_worker_diagrams_equals_in_process_diagrams() -> None:
    settings = replace(SETTINGS, steps=2, model=ModelConfig(input_elements=4), input_diagrams=True)
    in_process = train(0, 1, settings)
    workers = train(0, 1, replace(settings, num_workers=2))
    _assert_same_weights(workers.state_dict, in_process.state_dict)
    assert workers.losses == pytest.approx(in_process.losses, rel=1e-6)


def test_training_script_under_torchrun(tmp_path: Path) -> None:
    """The exact single-machine torchrun command of the scale-out recipe, 2 processes."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc_per_node=2", str(EXAMPLE_DIR / "train_four_packages.py")]
    command += ["--steps", "3", "--batch-size", "8", "--output", str(tmp_path)]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, env=subprocess_env(), timeout=300
    )
    assert result.returncode == 0, result.stderr
    report = (tmp_path / "train_four_packages.txt").read_text(encoding="utf-8")
    assert "processes: 2" in report
    assert "steps: 3" in report
    assert (tmp_path / "training_loss.png").stat().st_size > 0
