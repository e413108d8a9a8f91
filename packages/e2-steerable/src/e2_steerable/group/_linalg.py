"""Small dense linear-algebra helpers: block diagonals and decomposition into irreps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from e2_steerable.group.group import Group

__all__ = ["block_diag", "decompose"]


def block_diag(blocks: Sequence[np.ndarray]) -> np.ndarray:
    """The float64 block-diagonal matrix of square or rectangular ``blocks`` (no scipy needed).

    Example:
        >>> import numpy as np
        >>> block_diag([np.ones((1, 1)), 2 * np.eye(2)]).tolist()
        [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]
    """
    rows = sum(b.shape[0] for b in blocks)
    cols = sum(b.shape[1] for b in blocks)
    out = np.zeros((rows, cols))
    r = c = 0
    for b in blocks:
        out[r : r + b.shape[0], c : c + b.shape[1]] = b
        r += b.shape[0]
        c += b.shape[1]
    return out


def _intertwiners(mats: Sequence[np.ndarray], irrep_mats: Sequence[np.ndarray]) -> np.ndarray:
    """Basis of ``{A : rho(g) A = A psi(g) for all g}`` as an array ``(k, n, d)``."""
    n = mats[0].shape[0]
    d = irrep_mats[0].shape[0]
    eye_n, eye_d = np.eye(n), np.eye(d)
    # column-major vec: vec(rho A) = (I_d kron rho) vec A, vec(A psi) = (psi^T kron I_n) vec A
    system = np.concatenate(
        [np.kron(eye_d, r) - np.kron(p.T, eye_n) for r, p in zip(mats, irrep_mats)], axis=0
    )
    _, sv, vt = np.linalg.svd(system)
    sv = np.concatenate([sv, np.zeros(vt.shape[0] - sv.shape[0])])
    null = vt[sv < 1e-8 * max(1.0, sv.max() if sv.size else 1.0)]
    return null.reshape(-1, d, n).transpose(0, 2, 1)


def decompose(
    group: Group, mats: Sequence[np.ndarray], elements: Sequence[Any]
) -> tuple[list[str], np.ndarray]:
    """Decompose a representation, given by its matrices on ``elements``, into irreps of ``group``.

    ``elements`` must characterise the group (all elements of a finite group, or a set generating a
    dense subgroup of a continuous one).

    Returns:
        ``(irreps, Q)``: the irrep names in the group's canonical order (with multiplicity) and the
        orthogonal change of basis with ``rho(g) = Q (⊕ psi(g)) Q^T``.

    Raises:
        ValueError: if the representation is not a sum of the group's (listed) irreps.
    """
    n = mats[0].shape[0]
    names: list[str] = []
    columns: list[np.ndarray] = []
    found = 0
    for irrep in group.irreps.values():
        irrep_mats = [irrep(g) for g in elements]
        candidates = _intertwiners(mats, irrep_mats)
        chosen: list[np.ndarray] = []
        for a in candidates:
            for b in chosen:
                a = a - b @ (b.T @ a)
            energy = np.trace(a.T @ a) / irrep.size
            if energy < 1e-10:
                continue
            chosen.append(a / np.sqrt(energy))
        for a in chosen:
            names.append(irrep.name)
            columns.append(a)
        found += irrep.size * len(chosen)
    if found != n:
        raise ValueError(
            f"cannot decompose a representation of size {n} into the listed irreps of "
            f"{group.name} (found {found} dimensions); for SO(2)/O(2) raise maximum_frequency"
        )
    q = np.concatenate(columns, axis=1)
    q[np.abs(q) < 1e-14] = 0.0
    return names, q
