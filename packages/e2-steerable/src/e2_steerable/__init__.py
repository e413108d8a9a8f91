"""E(2)-equivariant steerable CNNs for PyTorch (a modern re-creation of e2cnn).

Subpackages (imported on first access, so ``import e2_steerable`` stays light):

* :mod:`e2_steerable.group`: groups and their representations;
* :mod:`e2_steerable.gspaces`: groups acting on the plane;
* :mod:`e2_steerable.kernels`: steerable kernel bases;
* :mod:`e2_steerable.diffops`: steerable partial differential operators;
* :mod:`e2_steerable.nn`: equivariant modules (``FieldType``, ``GeometricTensor``, ``R2Conv``, ...).

Example:
    >>> import e2_steerable
    >>> e2_steerable.gspaces.Rot2dOnR2(4).regular_repr.size
    4
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "diffops", "group", "gspaces", "kernels", "nn"]

_SUBMODULES = ("diffops", "group", "gspaces", "kernels", "nn")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"e2_steerable.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'e2_steerable' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))
