"""Turn flat persistence records into per-input diagrams whose values are gathered from the input.

Only indices come out of the numba kernels; every birth and death value is recomputed with torch
from the input tensor (an entry of the distance matrix or the length of a critical edge of the point
cloud), so gradients flow back to the input. The edge length uses a safe norm: its gradient is zero,
not NaN, for coincident points.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from ._jit import kernel

Diagram = tuple[list[torch.Tensor], list[torch.Tensor]]


class Records(NamedTuple):
    """Flat persistence records, one row per pair, as the numba drivers emit them (see ``_batch``).

    The kernels return these eight arrays as a plain tuple (``Records._make`` names them).
    """

    #: input (cloud or matrix) of the pair, int64
    cloud: np.ndarray
    #: homology dimension, int64
    dim: np.ndarray
    #: critical edge of the birth, vertices local to the input (``-1``: born at 0), int64
    birth_u: np.ndarray
    birth_v: np.ndarray
    #: critical edge of the death (``-1``: an essential class), int64
    death_u: np.ndarray
    death_v: np.ndarray
    #: float64 birth and death (``inf`` for essential classes), for ordering and zero-length tests
    birth: np.ndarray
    death: np.ndarray


def sort_records(records: Records) -> Records:
    """Stable order by input, dimension, birth, death (the numba drivers emit this order)."""
    order = np.lexsort((records.death, records.birth, records.dim, records.cloud))
    return Records._make(a[order] for a in records)


def assemble(
    records: Records,
    offsets: np.ndarray,
    n_inputs: int,
    max_dim: int,
    lengths: Callable[[np.ndarray, np.ndarray], torch.Tensor],
) -> list[Diagram]:
    """Per-input ``(non_essential, essential)`` lists from sorted records.

    Args:
        records: sorted records (see :mod:`._batch`).
        offsets: start of each input among the stacked rows (``n_inputs + 1`` entries).
        n_inputs: number of inputs.
        max_dim: largest homology dimension.
        lengths: maps global vertex index arrays ``(a, b)`` (``-1`` for a zero value) to a tensor
            of the corresponding filtration values.
    """
    cloud, dim = records.cloud, records.dim
    groups = max_dim + 1
    a, b, fin, fin_counts, ess_counts = _gather_plan(
        cloud,
        dim,
        records.birth_u,
        records.birth_v,
        records.death_u,
        records.death_v,
        records.death,
        offsets,
        groups,
        n_inputs,
    )
    values = lengths(a, b)
    m = fin.shape[0]
    pairs = values[: 2 * m].view(m, 2)
    births = values[2 * m :]
    # pairs of positive length in float64 can have equal values in the input's dtype: drop them
    detached = pairs.detach()
    keep = (detached[:, 0] != detached[:, 1]).cpu().numpy()
    if not keep.all():
        kept = np.flatnonzero(keep)
        pairs = pairs.index_select(0, torch.from_numpy(kept).to(pairs.device))
        fin = fin[kept]
        fin_counts = np.bincount(cloud[fin] * groups + dim[fin], minlength=n_inputs * groups)
    pair_parts = pairs.split(fin_counts.tolist())
    birth_parts = births.split(ess_counts.tolist())
    return [
        (
            list(pair_parts[i * groups : (i + 1) * groups]),
            list(birth_parts[i * groups : (i + 1) * groups]),
        )
        for i in range(n_inputs)
    ]


@kernel
def _gather_plan(
    cloud: np.ndarray,
    dim: np.ndarray,
    bu: np.ndarray,
    bv: np.ndarray,
    du: np.ndarray,
    dv: np.ndarray,
    death: np.ndarray,
    offsets: np.ndarray,
    groups: int,
    n_inputs: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Global endpoint arrays of every value to gather, and the per-(input, dim) counts.

    Finite pairs come first, interleaved (birth, death) so that they are a contiguous ``(m, 2)``
    view of the gathered values; the births of essential classes follow. ``-1`` marks a zero.
    """
    n = cloud.shape[0]
    m = 0
    for r in range(n):
        if np.isfinite(death[r]):
            m += 1
    e = n - m
    a = np.empty(2 * m + e, dtype=np.int64)
    b = np.empty(2 * m + e, dtype=np.int64)
    fin = np.empty(m, dtype=np.int64)
    fin_counts = np.zeros(n_inputs * groups, dtype=np.int64)
    ess_counts = np.zeros(n_inputs * groups, dtype=np.int64)
    k = 0
    q = 2 * m
    for r in range(n):
        s = offsets[cloud[r]]
        g = cloud[r] * groups + dim[r]
        if np.isfinite(death[r]):
            a[2 * k] = bu[r] + s if bu[r] >= 0 else -1
            b[2 * k] = bv[r] + s if bu[r] >= 0 else -1
            a[2 * k + 1] = du[r] + s
            b[2 * k + 1] = dv[r] + s
            fin[k] = r
            fin_counts[g] += 1
            k += 1
        else:
            a[q] = bu[r] + s if bu[r] >= 0 else -1
            b[q] = bv[r] + s if bu[r] >= 0 else -1
            ess_counts[g] += 1
            q += 1
    return a, b, fin, fin_counts, ess_counts
