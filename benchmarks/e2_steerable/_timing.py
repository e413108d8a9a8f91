"""Interleaved, paired timing shared by the e2-steerable benchmark scripts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def paired(
    ours: Callable[[], object], ref: Callable[[], object], repeats: int, warmup: int = 1
) -> tuple[float, float, float]:
    """Median times of ``ours`` and ``ref`` and the median of their per-round ratios."""
    for _ in range(warmup):
        ours()
        ref()
    t_o: list[float] = []
    t_r: list[float] = []
    for k in range(repeats):
        pair = [(ours, t_o), (ref, t_r)]
        for fn, samples in pair if k % 2 == 0 else pair[::-1]:
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(t_o, t_r)]
    return statistics.median(t_o), statistics.median(t_r), statistics.median(ratios)
