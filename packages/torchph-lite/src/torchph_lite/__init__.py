"""Differentiable persistent homology and barcode vectorization layers for PyTorch.

Subpackages:
    * :mod:`torchph_lite.nn`: barcode vectorization layers (SLayers) and batching helpers.
    * :mod:`torchph_lite.pershom`: differentiable Vietoris-Rips persistent homology (CPU and CUDA).
    * :mod:`torchph_lite.plot`: diagram, barcode and SLayer plots (the ``plot`` extra).

Subpackages are imported on first access, so ``import torchph_lite`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = ("nn", "pershom", "plot")

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))
