"""Process-wide cache of sampled kernel bases, shared between layers as read-only tensors.

Only plain tensors are cached, never modules: a layer's ``.to()`` replaces its own buffer and
leaves every other layer's alone.
"""

from __future__ import annotations

import numpy as np
import torch

from e2_steerable.kernels.basis import KernelBasis

__all__ = ["sampled_basis"]

_CACHE: dict[tuple, tuple[torch.Tensor, np.ndarray]] = {}
_MAX_ENTRIES = 512


def sampled_basis(
    basis: KernelBasis, points: np.ndarray, mask: np.ndarray, recompute: bool = False
) -> tuple[torch.Tensor, np.ndarray]:
    """The normalised float32 sampled basis ``(n, O, I, P)`` and the kept element indices.

    Args:
        basis: the analytical basis.
        points: ``(P, 2)`` sampling points.
        mask: boolean keep-mask over the basis elements.
        recompute: sample anew and do not store the result.
    """
    key = (basis.key(), np.ascontiguousarray(points).tobytes(), points.shape, mask.tobytes())
    if not recompute:
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
    sampled, kept = basis.sample_normalized(points, mask)
    tensor = torch.from_numpy(sampled.astype(np.float32))
    result = (tensor, kept)
    if not recompute:
        if len(_CACHE) >= _MAX_ENTRIES:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = result
    return result
