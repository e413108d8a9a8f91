"""Warm numba's cache of the built-in CPU kernels ahead of time (``semiconv_nd.precompile``).

The first forward and backward pass of each built-in compiled semifield family compiles its
numba kernels once per machine (later processes load them from numba's on-disk cache). Run this
where that time should not be spent on the first real call, e.g. as a step of a Docker image
build (``RUN python -m semiconv_nd.precompile``) or before saving a CI cache of
``NUMBA_CACHE_DIR``. It compiles the kernels of the tropical select semifields and of the
linear, root and log subtract semifields for float32 and float64; 1-D, 2-D and 3-D convolutions
share them. User-defined semifields compile once per process and cannot be warmed ahead.

Usage::

    python -m semiconv_nd.precompile                 # both dtypes
    python -m semiconv_nd.precompile --dtype float32 # only float32
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import torch

__all__ = ["main", "precompile"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _families() -> dict[str, object]:
    from semiconv_nd.semifields.select import SelectSemifield
    from semiconv_nd.semifields.subtract import SubtractSemifield

    # One semifield per compiled kernel pair: tropical max/min share theirs, every root(p) too.
    return {
        "select": SelectSemifield.tropical_max(),
        "linear": SubtractSemifield.linear(),
        "root": SubtractSemifield.root(2.0),
        "log": SubtractSemifield.log(1.0),
    }


def precompile(dtypes: Sequence[str] = ("float32", "float64")) -> dict[str, float]:
    """Compile (or load from numba's cache) the built-in CPU kernels.

    Args:
        dtypes: Names of the floating dtypes to compile for: ``"float32"``, ``"float64"``.

    Returns:
        Seconds spent per ``"<family>/<dtype>"`` (a forward and a backward pass each).

    Raises:
        ValueError: For an unknown dtype name.

    Example:
        >>> import semiconv_nd
        >>> sorted(semiconv_nd.precompile(dtypes=["float64"]))
        ['linear/float64', 'log/float64', 'root/float64', 'select/float64']
    """
    unknown = [name for name in dtypes if name not in _DTYPES]
    if unknown:
        raise ValueError(f"dtypes: expected names among {sorted(_DTYPES)}, got {unknown}")
    seconds: dict[str, float] = {}
    for family, semifield in _families().items():
        conv = semifield.dynamic()  # type: ignore[attr-defined]
        for name in dtypes:
            img = torch.rand(1, 1, 4, 4, dtype=_DTYPES[name], requires_grad=True) + 0.5
            kernel = torch.rand(1, 1, 2, 2, dtype=_DTYPES[name], requires_grad=True)
            start = time.perf_counter()
            conv(img, kernel).sum().backward()
            seconds[f"{family}/{name}"] = time.perf_counter() - start
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point of ``python -m semiconv_nd.precompile``."""
    parser = argparse.ArgumentParser(
        prog="python -m semiconv_nd.precompile",
        description="Compile semiconv_nd's built-in numba kernels into numba's on-disk cache.",
    )
    parser.add_argument(
        "--dtype",
        action="append",
        choices=sorted(_DTYPES),
        help="a dtype to compile for (repeatable; default: float32 and float64)",
    )
    args = parser.parse_args(argv)
    for key, spent in precompile(args.dtype or ("float32", "float64")).items():
        print(f"{key}: {spent:.1f} s")
    return 0
