"""Benchmark HourglassLayer against bare PyTorch, in one process.

1. Forward: ``HourglassLayer`` vs two bare ``matmul`` calls plus the same activations
   (target: ratio of medians <= 1.10).
2. Regulariser: ``layer.regularization_loss()`` per spectral strategy for Dh in {32, 128, 512},
   forward and forward+backward, next to a bare VirtuaLearn3D-style expression of the same
   strategy (eigh or SVD of W1^T W1 and ``sqrt(sum(X**2))``).

Each repeat times ours and bare back to back (alternating which goes first); the ratio
column is the median of these per-pair ratios, which keeps a shared machine's load drifts out
of the ratios.

Usage::

    python benchmarks/hourglass_layer/bench_hourglass.py [--quick] [--threads N] [--output DIR]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from hourglass_layer import SPECTRAL_STRATEGIES, HourglassLayer

ACTIVATIONS = {"relu": torch.relu, "gelu": torch.nn.functional.gelu, "identity": lambda x: x}


def paired_timings(
    ours: Callable[[], object], bare: Callable[[], object], repeats: int, warmup: int = 3
) -> tuple[float, float, float]:
    """Median times (s) of ``ours`` and ``bare`` and the median of their per-round ratios.

    Every round times both back to back, alternating which goes first, so a load change on a
    shared machine hits both sides of a ratio alike.
    """
    for _ in range(warmup):
        ours()
        bare()
    t_ours: list[float] = []
    t_bare: list[float] = []
    for round_index in range(repeats):
        pair = [(ours, t_ours), (bare, t_bare)]
        for function, samples in pair if round_index % 2 == 0 else pair[::-1]:
            start = time.perf_counter()
            function()
            samples.append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(t_ours, t_bare)]
    return statistics.median(t_ours), statistics.median(t_bare), statistics.median(ratios)


def forward_rows(quick: bool) -> list[str]:
    cases = [  # (K, m, Din, Dh, Dout, act1, act2)
        (16, 4096, 64, 32, 64, "relu", "relu"),
        (8, 2048, 128, 64, 128, "gelu", "identity"),
        (4, 256, 32, 16, 32, "relu", "relu"),
    ]
    if quick:
        cases = [(2, 64, 8, 4, 8, "relu", "relu")]
    rows = []
    for K, m, din, dh, dout, act1, act2 in cases:
        layer = HourglassLayer(dh, dout, activation=act1, activation2=act2, in_features=din)
        F = torch.randn(K, m, din)
        W1, W2 = layer.W1.detach(), layer.W2.detach()
        sigma1, sigma2 = ACTIVATIONS[act1], ACTIVATIONS[act2]
        for grad in (False, True):
            with torch.set_grad_enabled(grad):
                w1, w2 = (layer.W1, layer.W2) if grad else (W1, W2)

                def ours(layer=layer, F=F):
                    return layer(F)

                def bare(F=F, w1=w1, w2=w2, sigma1=sigma1, sigma2=sigma2):
                    return sigma2(sigma1(F @ w1) @ w2)

                torch.testing.assert_close(ours(), bare())
                repeats = 5 if quick else (50 if K * m >= 16384 else 300)
                t_ours, t_bare, ratio = paired_timings(ours, bare, repeats)
            rows.append(
                f"| ({K}, {m}, {din}) → {dh} → {dout} | {act1}/{act2} | "
                f"{'train' if grad else 'no_grad'} | {t_ours * 1e3:.3f} | {t_bare * 1e3:.3f} | "
                f"{ratio:.3f} |"
            )
    return rows


def bare_regularizer(W1: torch.Tensor, strategy: str, beta: float = 0.1) -> torch.Tensor:
    """The VirtuaLearn3D-style expression (doc normalisation) with plain torch calls."""
    cov = W1.T @ W1
    eye = torch.eye(cov.shape[0], dtype=cov.dtype)
    if strategy == "safe":
        top = torch.linalg.svdvals(cov).max()
    elif strategy == "approx":
        top = torch.linalg.eigvalsh(cov + 1e-5 * eye).max()
    else:
        top = torch.linalg.eigvalsh(cov).max()
    x = cov / top - eye
    return beta * torch.sqrt(torch.sum(x * x))


def regularizer_rows(quick: bool) -> list[str]:
    rows = []
    for dh in (8,) if quick else (32, 128, 512):
        din = 2 * dh
        for strategy in SPECTRAL_STRATEGIES:
            layer = HourglassLayer(dh, 4, in_features=din, spectral_strategy=strategy)
            W1 = layer.W1
            torch.testing.assert_close(
                layer.regularization_loss(), bare_regularizer(W1, strategy), rtol=1e-4, atol=1e-6
            )

            def ours_fwd(layer=layer):
                with torch.no_grad():
                    return layer.regularization_loss()

            def bare_fwd(W1=W1, strategy=strategy):
                with torch.no_grad():
                    return bare_regularizer(W1, strategy)

            def ours_bwd(layer=layer):
                layer.regularization_loss().backward()

            def bare_bwd(W1=W1, strategy=strategy):
                bare_regularizer(W1, strategy).backward()

            repeats = 5 if quick else (11 if dh >= 512 else 150)
            fwd = paired_timings(ours_fwd, bare_fwd, repeats)
            bwd = paired_timings(ours_bwd, bare_bwd, repeats)
            rows.append(
                f"| {dh} | {din}×{dh} | {strategy} | {fwd[0] * 1e3:.3f} | {fwd[1] * 1e3:.3f} | "
                f"{fwd[2]:.2f} | {bwd[0] * 1e3:.3f} | {bwd[1] * 1e3:.3f} | {bwd[2]:.2f} |"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("benchmarks/output/hourglass_layer"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes for a smoke run")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch intra-op threads (default: torch's choice); 1 is steadier on a shared machine",
    )
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    lines = [
        "# HourglassLayer benchmark",
        "",
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads, float32, CPU; times are medians of back-to-back "
        "pairs, ratio = median of the per-pair ratios"
        + (" (--quick: tiny sizes, not meaningful)" if args.quick else ""),
        "",
        "## Forward: HourglassLayer vs two bare matmuls + the same activations",
        "",
        "| F → Dh → Dout | σ1/σ2 | mode | HourglassLayer (ms) | bare (ms) | ratio |",
        "|---|---|---|---|---|---|",
        *forward_rows(args.quick),
        "",
        "## Regulariser β·L_h per spectral strategy (W1: 2·Dh × Dh)",
        "",
        "bare = the VirtuaLearn3D expression written with plain torch calls.",
        "",
        "| Dh | W1 | strategy | ours fwd (ms) | bare fwd (ms) | ratio | ours fwd+bwd (ms) "
        "| bare fwd+bwd (ms) | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
        *regularizer_rows(args.quick),
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bench_hourglass.md").write_text(table)


if __name__ == "__main__":
    main()
