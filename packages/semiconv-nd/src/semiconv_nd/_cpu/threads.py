"""Run a serial ``nogil`` kernel over ranges of work items on several threads.

The CPU kernels are plain (not ``parallel=True``) numba functions that process items
``[start, stop)``; compiling numba's parallel loops cost several seconds per kernel on the first
call. Here the items are split into contiguous ranges, one per thread: the calling thread runs
the first range and a small :class:`~concurrent.futures.ThreadPoolExecutor` the others (numba
releases the GIL inside ``nogil`` kernels). Small problems run on the calling thread alone. The
thread count is :func:`torch.get_num_threads`, the knob torch users already set (DataLoader
workers set it to 1). The pool is recreated after a ``fork``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch

__all__ = ["MIN_WORK_PER_THREAD", "ranges", "run_ranges", "thread_count"]

#: Taps (multiply-accumulates) below which a range is not worth a thread of its own.
MIN_WORK_PER_THREAD = 1 << 16

_LOCK = threading.Lock()
_POOL: tuple[int, int, ThreadPoolExecutor] | None = None  # (pid, workers, pool)


def thread_count(n_items: int, work_per_item: int) -> int:
    """How many threads ``n_items`` items of ``work_per_item`` taps each are worth.

    Example:
        >>> thread_count(4, 10)
        1
    """
    useful = (n_items * max(1, work_per_item)) // MIN_WORK_PER_THREAD
    return max(1, min(torch.get_num_threads(), n_items, useful))


def ranges(n_items: int, n_parts: int) -> list[tuple[int, int]]:
    """``n_parts`` contiguous ranges covering ``range(n_items)``, sizes differing by at most 1.

    Example:
        >>> ranges(5, 2)
        [(0, 2), (2, 5)]
    """
    return [(i * n_items // n_parts, (i + 1) * n_items // n_parts) for i in range(n_parts)]


def _pool(workers: int) -> ThreadPoolExecutor:
    global _POOL
    with _LOCK:
        if _POOL is None or _POOL[0] != os.getpid() or _POOL[1] < workers:
            if _POOL is not None and _POOL[0] == os.getpid():
                _POOL[2].shutdown(wait=False)  # a smaller pool of this process: retire it
            _POOL = (
                os.getpid(),
                workers,
                ThreadPoolExecutor(workers, thread_name_prefix="semiconv_nd"),
            )
        return _POOL[2]


def run_ranges(kernel: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> None:
    """Call ``kernel(*task)`` for every task, the first on this thread, concurrently.

    Args:
        kernel: A numba ``nogil`` dispatcher (or any callable).
        tasks: The argument tuples, one per range.
    """
    if len(tasks) == 1:
        kernel(*tasks[0])
        return
    pool = _pool(len(tasks) - 1)
    futures = [pool.submit(kernel, *task) for task in tasks[1:]]
    try:
        kernel(*tasks[0])
    finally:
        for future in futures:
            future.result()
