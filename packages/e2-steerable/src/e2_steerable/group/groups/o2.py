"""The group :math:`O(2)` of planar rotations and reflections, with irreps up to a frequency."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any, ClassVar

import numpy as np

from e2_steerable.group.group import Group
from e2_steerable.group.groups import _common as c
from e2_steerable.group.groups.cyclic import CyclicGroup
from e2_steerable.group.groups.dihedral import DihedralGroup
from e2_steerable.group.groups.so2 import SO2
from e2_steerable.group.irrep import IrreducibleRepresentation

__all__ = ["O2"]

N_TESTING = 52


class O2(Group):
    r"""The orthogonal group :math:`O(2)`; an element ``(f, θ)`` reflects ``f`` times, then rotates.

    :math:`(f_1, \theta_1)(f_2, \theta_2) = (f_1 + f_2, \theta_1 + (-1)^{f_1}\theta_2)`.
    Irreps ``irrep_0,0`` (trivial), ``irrep_1,0`` (the sign of the reflection) and ``irrep_1,k``
    :math:`= R(k\theta)\operatorname{diag}(1,-1)^f` for ``k >= 1``, listed up to
    ``maximum_frequency``.

    Subgroup ids ``(θ, M)``: ``(None, -1)`` :math:`SO(2)`; ``(None, M)`` :math:`C_M`;
    ``(θ, -1)`` :math:`O(2)` whose reflection is ``(1, θ)``; ``(θ, M)`` the dihedral :math:`D_M`
    with reflection ``(1, θ)`` (``M = 1``: the reflection group :math:`C_2`).

    Example:
        >>> from e2_steerable.group import o2_group
        >>> G = o2_group(2)
        >>> list(G.irreps)[:4]
        ['irrep_0,0', 'irrep_1,0', 'irrep_1,1', 'irrep_1,2']
        >>> G.inverse((1, 0.5))
        (1, 0.5)
    """

    _instance: ClassVar[O2 | None] = None

    @classmethod
    def _generator(cls, maximum_frequency: int) -> O2:
        """The one cached instance (see :func:`~e2_steerable.group.o2_group`); asking for a higher
        ``maximum_frequency`` lists more irreps on it, which keeps every earlier one valid."""
        group: O2 = c.cached_group(cls, maximum_frequency)
        return group

    def __init__(self, maximum_frequency: int) -> None:
        frequency = c.check_maximum_frequency(maximum_frequency)
        super().__init__("O(2)", continuous=True, abelian=False)
        self.maximum_frequency = frequency

    @property
    def rotation_order(self) -> int:
        """``-1``: infinitely many rotations (as e2cnn's)."""
        return -1

    @property
    def reflection(self) -> tuple[int, float]:
        """The reflection element ``(1, 0.0)``."""
        return (1, 0.0)

    @property
    def identity(self) -> tuple[int, float]:
        return (0, 0.0)

    def combine(self, e1: Any, e2: Any) -> tuple[int, float]:
        f1, a1 = e1
        f2, a2 = e2
        sign = -1.0 if f1 % 2 else 1.0
        return ((f1 + f2) % 2, c.wrap_angle(a1 + sign * a2))

    def inverse(self, element: Any) -> tuple[int, float]:
        f, a = element
        return (f % 2, c.wrap_angle(a if f % 2 else -a))

    def is_element(self, element: Any) -> bool:
        return (
            isinstance(element, tuple)
            and len(element) == 2
            and element[0] in (0, 1)
            and c.is_real(element[1])
            and math.isfinite(float(element[1]))
        )

    def equal(self, e1: Any, e2: Any, atol: float = 1e-7) -> bool:
        return e1[0] % 2 == e2[0] % 2 and c.angle_distance(e1[1], e2[1]) <= atol

    def testing_elements(self) -> list[tuple[int, float]]:
        angles = [2.0 * math.pi * i / N_TESTING for i in range(N_TESTING)]
        return [(f, a) for f in range(2) for a in angles]

    def _solver_elements(self) -> list[tuple[int, float]]:
        extra = 2.0 * math.pi / (2 * self.maximum_frequency + 3)
        angles = [0.0, 1.0, 2.2360679774997896, extra]
        return [(f, a) for f in range(2) for a in angles]

    def _irrep_ids(self) -> list[tuple[int, int]]:
        return [(0, 0), (1, 0)] + [(1, k) for k in range(1, self.maximum_frequency + 1)]

    def _build_irrep(self, irrep_id: Any) -> IrreducibleRepresentation:
        ok = isinstance(irrep_id, tuple) and len(irrep_id) == 2
        if ok:
            j, k = irrep_id  # type: ignore[misc]
            ok = c.is_int(j) and c.is_int(k) and ((k >= 1 and j == 1) or (k == 0 and j in (0, 1)))
        if not ok:
            raise ValueError(
                f"irrep: O(2) irreps are (0, 0), (1, 0) and (1, k) for k >= 1, got {irrep_id!r}"
            )
        j, k = int(irrep_id[0]), int(irrep_id[1])  # type: ignore[index]
        if k == 0:
            nonlin = c.TRIVIAL_CONTINUOUS if j == 0 else c.PLANE
            return IrreducibleRepresentation(
                self, (j, 0), f"irrep_{j},0", 1, 1, nonlin, frequency=0, flip_frequency=j
            )
        return IrreducibleRepresentation(
            self, (1, k), f"irrep_1,{k}", 2, 1, c.PLANE, frequency=k, flip_frequency=1
        )

    def irrep_matrix(self, irrep_id: Any, element: Any) -> np.ndarray:
        j, k = irrep_id  # type: ignore[misc]
        f, a = int(element[0]) % 2, float(element[1])
        if k == 0:
            return np.full((1, 1), -1.0 if (j and f) else 1.0)
        m = c.rotation(k * a)
        return m @ c.FLIP_X if f else m

    def _check_sub_id(self, sub_id: Any) -> tuple[float | None, int]:
        ok = isinstance(sub_id, tuple) and len(sub_id) == 2
        if ok:
            t, m = sub_id  # type: ignore[misc]
            ok = c.is_int(m) and (m == -1 or m >= 1) and (t is None or c.is_real(t))
        if not ok:
            raise ValueError(
                "id: subgroups of O(2) are identified by (θ, M): (None, -1) SO(2), (None, M) C_M, "
                f"(θ, -1) O(2) and (θ, M) D_M with the reflection (1, θ); got {sub_id!r}"
            )
        t, m = sub_id  # type: ignore[misc]
        return (None if t is None else float(t)), int(m)

    def _subgroup(self, sub_id: Any) -> Group:
        t, m = self._check_sub_id(sub_id)
        if t is None:
            if m == -1:
                return SO2._generator(self.maximum_frequency)
            return CyclicGroup._generator(m)
        if m == -1:
            return O2._generator(self.maximum_frequency)
        return CyclicGroup._generator(2) if m == 1 else DihedralGroup._generator(m)

    def _to_parent(self, sub_id: Any, element: Any) -> tuple[int, float]:
        t, m = self._check_sub_id(sub_id)
        if t is None:
            angle = float(element) if m == -1 else 2.0 * math.pi * int(element) / m
            return (0, c.wrap_angle(angle))
        if m == 1:
            return (1, c.wrap_angle(t)) if int(element) % 2 else (0, 0.0)
        f, r = element
        angle = float(r) if m == -1 else 2.0 * math.pi * int(r) / m
        return (f % 2, c.wrap_angle(f * t + angle))

    def _to_child(self, sub_id: Any, element: Any) -> Any:
        t, m = self._check_sub_id(sub_id)
        f, a = int(element[0]) % 2, float(element[1])
        if t is None:
            if f:
                return None
            return c.wrap_angle(a) if m == -1 else c.as_int_multiple(a, m)
        rest = a - f * t
        if m == -1:
            return (f, c.wrap_angle(rest))
        k = c.as_int_multiple(rest, m)
        if k is None:
            return None
        return f if m == 1 else (f, k)

    def _finite_cosets(self, sub_id: Any) -> list[Any]:
        t, m = self._check_sub_id(sub_id)
        if m == -1:  # SO(2) has index 2 (cosets: rotations, reflections); O(2) index 1
            return [(0, 0.0), (1, 0.0)] if t is None else [(0, 0.0)]
        return super()._finite_cosets(sub_id)

    def _factory(self) -> tuple[Any, tuple]:
        return O2._generator, (self.maximum_frequency,)

    def _key(self) -> Hashable:
        return ("O2",)
