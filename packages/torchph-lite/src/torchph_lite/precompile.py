"""Compile torchph_lite's numba kernels ahead of time: ``python -m torchph_lite.precompile``.

numba compiles the kernels on first use (seconds to a minute) and caches them on disk. Run this
once where that cache lives, e.g. in a Docker image build or a CI cache step::

    ENV NUMBA_CACHE_DIR=/opt/numba-cache
    RUN python -m torchph_lite.precompile && chmod -R a+rwX /opt/numba-cache

(numba only uses a cache directory that the running user can write to.) Options: ``--group NAME``
(repeatable; default all), ``--dtype float32|float64`` (repeatable), ``--list``.
"""

from __future__ import annotations

import argparse
import sys

import torch

from torchph_lite.pershom import precompile
from torchph_lite.pershom._precompile import KERNEL_GROUPS


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m torchph_lite.precompile``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m torchph_lite.precompile",
        description="Compile torchph_lite's numba kernels into numba's on-disk cache.",
    )
    parser.add_argument("--group", action="append", choices=list(KERNEL_GROUPS), default=None)
    parser.add_argument("--dtype", action="append", choices=["float32", "float64"], default=None)
    parser.add_argument("--list", action="store_true", help="list the kernel groups and exit")
    args = parser.parse_args(argv)
    if args.list:
        for group in KERNEL_GROUPS.values():
            dtypes = ", ".join(str(d).removeprefix("torch.") for d in group.dtypes)
            print(f"{group.name}: {group.description} [{dtypes}]")
        return 0
    dtypes = None if args.dtype is None else [getattr(torch, d) for d in args.dtype]
    for key, seconds in precompile(args.group, dtypes).items():
        print(f"{key}: {seconds:.1f} s")
    from torchph_lite.pershom._batch import records

    print(f"numba cache: {getattr(records._cache, '_cache_path', 'unknown')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
