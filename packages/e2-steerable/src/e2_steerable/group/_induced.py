"""Change of basis of induced (and quotient) representations of finite groups, in e2cnn's basis.

A field's change of basis gives its weights their meaning: two libraries that decompose the same
induced representation with different (equally valid) change-of-basis matrices expand the same
convolution weights into different filters. e2cnn 0.2.3 fixes one choice, reproduced here so its
checkpoints load with the same meaning:

* the irreps of ``G`` appear in the group's canonical order, each ``m`` times (``m`` from the
  characters);
* a matrix ``v`` (``size x d``, ``d`` the size of the induced subgroup irrep ``ψ``) collects, for
  every copy of an irrep ``ρ`` of ``G``, the unit vectors of the slots where ``ψ`` occurs in the
  restriction ``Res_H ρ`` (written in the restriction's own basis), scaled to make the result
  orthogonal; for irreps of complex type the second copy of ``ψ`` is rotated by 90°;
* the column block of coset ``r H`` of ``Q^{-1}`` is ``(⊕ψ_i)(r) v``, and ``Q = (Q^{-1})^T``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np

from e2_steerable.group import _linalg

if TYPE_CHECKING:
    from e2_steerable.group.group import Group
    from e2_steerable.group.irrep import IrreducibleRepresentation

__all__ = ["induced_decomposition"]


def _commuting(sub_irrep: IrreducibleRepresentation, t: int) -> np.ndarray:
    """The ``t``-th basis element of the self-intertwiners of ``sub_irrep`` (identity first)."""
    if sub_irrep.sum_of_squares_constituents == 1:
        return np.eye(sub_irrep.size)
    return np.eye(2) if t % 2 == 0 else np.array([[0.0, -1.0], [1.0, 0.0]])


def induced_decomposition(
    group: Group,
    sub_id: Hashable,
    sub_irrep: IrreducibleRepresentation,
    cosets: list[Any],
    matrices: list[np.ndarray],
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Irreps and orthogonal change of basis of ``Ind_H^G sub_irrep`` (e2cnn's convention).

    Args:
        group: the finite group ``G``.
        sub_id: the id of the subgroup ``H``.
        sub_irrep: an irrep of ``H``.
        cosets: one representative per left coset ``rH``, in order.
        matrices: the induced representation's matrices on ``group.elements``.

    Returns:
        ``(irreps, Q, Q_inv)`` with ``matrices[g] == Q (⊕ψ_i(g)) Q_inv``.

    Raises:
        ValueError: if the construction does not reproduce ``matrices`` (an unsupported case).
    """
    elements = group.elements
    assert elements is not None
    d = sub_irrep.size
    size = d * len(cosets)
    characters = np.array([np.trace(m) for m in matrices])
    inverses = [group.inverse(g) for g in elements]
    irreps: list[str] = []
    multiplicities: list[tuple[IrreducibleRepresentation, int]] = []
    for irr in group.irreps.values():
        inner = sum(ch * irr.character(gi) for ch, gi in zip(characters, inverses))
        value = float(inner) / (len(elements) * irr.sum_of_squares_constituents)
        m = round(value)
        if not math.isclose(value, m, abs_tol=1e-9):
            raise ValueError(f"induced representation: non-integer multiplicity of {irr.name}")
        irreps.extend([irr.name] * m)
        multiplicities.append((irr, m))
    v = np.zeros((size, d))
    p = 0
    norm_squared = 0.0
    for irr, m in multiplicities:
        if m == 0:
            continue
        restriction_q, restricted = group._restriction_for_induction(irr.name, sub_id)
        slots: list[int] = []
        offset = 0
        for name in restricted:
            if name == sub_irrep.name:
                slots.append(offset)
            offset += group.subgroup(sub_id)[0].irreps[name].size
        ssc = irr.sum_of_squares_constituents
        if m == len(slots):
            n_vectors, per_copy = m, 1
        else:
            n_vectors, per_copy = sub_irrep.sum_of_squares_constituents * len(slots), ssc
        for copy in range(m):
            for i in range(per_copy):
                idx = copy * ssc + i
                x = slots[idx % len(slots)]
                v[p + x : p + x + d, :] = _commuting(sub_irrep, idx // len(slots))
            v[p : p + irr.size, :] = restriction_q @ v[p : p + irr.size, :]
            v[p : p + irr.size, :] *= math.sqrt(irr.size / ssc)
            p += irr.size
        norm_squared += n_vectors * irr.size / ssc
    v /= math.sqrt(norm_squared)
    irrep_objects = [group.irreps[name] for name in irreps]
    q_inv = np.zeros((size, size))
    for i, r in enumerate(cosets):
        q_inv[:, i * d : (i + 1) * d] = _linalg.block_diag([irr(r) for irr in irrep_objects]) @ v
    q = q_inv.T
    for g, mat in zip(elements, matrices):
        blocks = _linalg.block_diag([irr(g) for irr in irrep_objects])
        if not np.allclose(q @ blocks @ q_inv, mat, atol=1e-9):
            raise ValueError(
                f"induced representation: the change of basis does not reproduce the "
                f"representation at {g!r}"
            )
    return irreps, q, q_inv
