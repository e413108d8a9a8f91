"""Shared fixtures for the e2-steerable tests.

The ``e2cnn`` fixture imports e2cnn 0.2.3 (a test-only reference) under numpy 2: e2cnn hashes
kernel bases with ``ndarray.tostring`` (removed in numpy 2), calls ``np.array(..., copy=False)``
(an error in numpy 2 when a copy is needed) and uses ``np.float`` in its O(2) code. The patches
below replace those in e2cnn's own module namespaces, in memory; numpy itself is untouched.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np
import pytest
import torch

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> torch.device:
    """Every available device: cpu, plus cuda when a GPU is present."""
    return torch.device(request.param)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def _numpy_shim(**overrides: Any) -> types.ModuleType:
    shim = types.ModuleType("numpy_e2cnn_shim")
    shim.__dict__.update({k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
    shim.__dict__.update(overrides)
    return shim


def _array(obj: Any, *args: Any, copy: Any = True, **kwargs: Any) -> np.ndarray:
    if copy is False:
        return np.asarray(obj, *args, **kwargs)
    return np.array(obj, *args, copy=copy, **kwargs)


def _basis_hash(self: Any) -> int:
    gamma = self.gamma
    gamma_key = gamma.tobytes() if isinstance(gamma, np.ndarray) else gamma
    return hash((self.in_irrep, self.out_irrep, self.mu.tobytes(), gamma_key))


def _import_e2cnn() -> types.ModuleType:
    """``e2cnn`` (skipping the test when it is not installed), made to run under numpy 2."""
    e2cnn = pytest.importorskip("e2cnn")
    from e2cnn.group.groups import o2group
    from e2cnn.kernels import irreps_basis
    from e2cnn.kernels import utils as kernel_utils

    if not getattr(e2cnn, "_e2_steerable_patched", False):
        kernel_utils.np = _numpy_shim(array=_array)
        o2group.np = _numpy_shim(float=float)
        for name in dir(irreps_basis):
            cls = getattr(irreps_basis, name)
            if (
                isinstance(cls, type)
                and "tostring" in getattr(cls.__hash__, "__code__", _C).co_names
            ):
                cls.__hash__ = _basis_hash
        e2cnn._e2_steerable_patched = True
    return e2cnn


class _C:
    co_names: tuple[str, ...] = ()


@pytest.fixture
def e2cnn() -> types.ModuleType:
    """e2cnn 0.2.3 patched for numpy 2 (the test is skipped when it is not installed)."""
    return _import_e2cnn()
