"""Train the four-package model; the same script scales from one process to many machines.

``FourPackageNet`` (see ``fourpack/model.py``) runs images through ``e2_steerable`` (rotation-
equivariant convolutions), ``semiconv_nd`` (learnable tropical-dilation pooling),
``hourglass_layer`` (a bottleneck on the pooled pixels as a point set) and ``torchph_lite``
(persistence diagrams of that point cloud, vectorised by an SLayer), and learns to count blobs in
synthetic images with cross-entropy + the hourglass regulariser + a connectivity loss.

Scale-out recipe (the exact command lines; all ranks compute their own images' diagrams):

* one process::

    python examples/integration/train_four_packages.py --output DIR

* two processes on one machine (gloo on CPU), started by the script or by torchrun::

    python examples/integration/train_four_packages.py --nprocs 2 --output DIR
    torchrun --standalone --nproc_per_node=2 \\
        examples/integration/train_four_packages.py --output DIR

* several machines (here 2 nodes x 4 GPUs, NCCL; run on every node, NODE_RANK = 0, 1)::

    torchrun --nnodes=2 --nproc_per_node=4 --node_rank=$NODE_RANK \\
        --rdzv_id=fourpack --rdzv_backend=c10d --rdzv_endpoint=$HEAD_NODE:29400 \\
        examples/integration/train_four_packages.py --backend nccl --device cuda --output DIR

``--batch-size`` is the global batch (split across ranks). ``--num-workers 2`` computes the
input images' pixel-cloud diagrams in spawned DataLoader workers (``--input-diagrams``).
Writes ``training_loss.png`` (loss per step, rank 0's shard) and ``train_four_packages.txt``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch
import torch.multiprocessing as mp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fourpack.model import ModelConfig
from fourpack.training import TrainResult, TrainSettings, spawned_worker, train


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("examples/output/integration"))
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=16, help="global batch size")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nprocs", type=int, default=1, help="local processes to spawn")
    parser.add_argument("--backend", default="gloo", choices=["gloo", "nccl"])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--num-workers", type=int, default=0, help="DataLoader workers per rank")
    parser.add_argument("--input-diagrams", action="store_true")
    parser.add_argument("--semifield", default="broadcast", choices=["broadcast", "compiled"])
    parser.add_argument("--quick", action="store_true", help="10 steps")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> TrainSettings:
    model = ModelConfig(semifield=args.semifield, input_elements=4 if args.input_diagrams else 0)
    return TrainSettings(
        model=model,
        steps=10 if args.quick else args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        num_workers=args.num_workers,
        input_diagrams=args.input_diagrams,
        backend=args.backend,
        device=args.device,
    )


def run(args: argparse.Namespace) -> TrainResult | None:
    """Train as this process's role demands; return rank 0's result (``None`` on other ranks)."""
    settings = settings_from(args)
    if "WORLD_SIZE" in os.environ and "RANK" in os.environ:  # started by torchrun
        result = train(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), settings)
        return result if result.rank == 0 else None
    if args.nprocs == 1:
        return train(0, 1, settings)
    with tempfile.TemporaryDirectory() as scratch:
        init_method = Path(scratch, "rendezvous").as_uri()
        mp.spawn(
            spawned_worker,
            args=(args.nprocs, settings, init_method, scratch),
            nprocs=args.nprocs,
            join=True,
        )
        return torch.load(Path(scratch, "rank0.pt"), weights_only=False)


def report(result: TrainResult, output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.plot(result.losses)
    axis.set_xlabel("step")
    axis.set_ylabel("loss (rank 0's shard)")
    axis.set_title(f"FourPackageNet, {result.world_size} process(es)")
    figure.tight_layout()
    figure.savefig(output / "training_loss.png", dpi=100)
    plt.close(figure)
    first, last = sum(result.losses[:5]) / 5, sum(result.losses[-5:]) / 5
    text = (
        f"processes: {result.world_size}\nsteps: {len(result.losses)}\n"
        f"mean loss of the first 5 steps: {first:.4f}\nmean loss of the last 5 steps: {last:.4f}\n"
        f"training time: {result.seconds:.1f} s\n"
    )
    (output / "train_four_packages.txt").write_text(text, encoding="utf-8")
    print(text, end="")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    result = run(args)
    if result is not None:
        report(result, args.output)


if __name__ == "__main__":
    main()
