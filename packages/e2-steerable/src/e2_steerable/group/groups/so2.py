"""The group :math:`SO(2)` of planar rotations, with irreps up to a maximum frequency."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any, ClassVar

import numpy as np

from e2_steerable.group.group import Group
from e2_steerable.group.groups import _common as c
from e2_steerable.group.groups.cyclic import CyclicGroup
from e2_steerable.group.irrep import IrreducibleRepresentation

__all__ = ["SO2"]

N_TESTING = 52


class SO2(Group):
    r"""The rotation group :math:`SO(2)`; an element is an angle (a float in :math:`[0, 2\pi)`).

    Irreps ``irrep_k``: the trivial one (``k = 0``) and :math:`R(k\theta)` for ``k >= 1``. The group
    lists the irreps up to ``maximum_frequency``; ``irrep()`` builds any other on demand.
    Subgroup ids: ``M >= 1`` for :math:`C_M`, ``-1`` for :math:`SO(2)` itself.
    Build it with :func:`~e2_steerable.group.so2_group`.

    Example:
        >>> from e2_steerable.group import so2_group
        >>> G = so2_group(3)
        >>> list(G.irreps)[:4]
        ['irrep_0', 'irrep_1', 'irrep_2', 'irrep_3']
        >>> round(G.combine(1.0, 2.0), 6)
        3.0
    """

    _instance: ClassVar[SO2 | None] = None

    @classmethod
    def _generator(cls, maximum_frequency: int) -> SO2:
        """The one cached instance (see :func:`~e2_steerable.group.so2_group`); asking for a higher
        ``maximum_frequency`` lists more irreps on it, which keeps every earlier one valid."""
        group: SO2 = c.cached_group(cls, maximum_frequency)
        return group

    def __init__(self, maximum_frequency: int) -> None:
        frequency = c.check_maximum_frequency(maximum_frequency)
        super().__init__("SO(2)", continuous=True, abelian=True)
        self.maximum_frequency = frequency

    @property
    def identity(self) -> float:
        return 0.0

    def combine(self, e1: float, e2: float) -> float:
        return c.wrap_angle(float(e1) + float(e2))

    def inverse(self, element: float) -> float:
        return c.wrap_angle(-float(element))

    def is_element(self, element: Any) -> bool:
        return c.is_real(element) and math.isfinite(float(element))

    def equal(self, e1: float, e2: float, atol: float = 1e-7) -> bool:
        return c.angle_distance(e1, e2) <= atol

    def testing_elements(self) -> list[float]:
        return [2.0 * math.pi * i / N_TESTING for i in range(N_TESTING)]

    def _solver_elements(self) -> list[float]:
        return [0.0, 1.0, 2.2360679774997896, 2.0 * math.pi / (2 * self.maximum_frequency + 3)]

    def _irrep_ids(self) -> list[int]:
        return list(range(self.maximum_frequency + 1))

    def _build_irrep(self, irrep_id: Any) -> IrreducibleRepresentation:
        k = irrep_id
        if not c.is_int(k) or k < 0:
            raise ValueError(f"irrep: SO(2) irreps are identified by a frequency k >= 0, got {k!r}")
        k = int(k)
        if k == 0:
            return IrreducibleRepresentation(
                self, 0, "irrep_0", 1, 1, c.TRIVIAL_CONTINUOUS, frequency=0
            )
        return IrreducibleRepresentation(self, k, f"irrep_{k}", 2, 2, c.PLANE, frequency=k)

    def irrep_matrix(self, irrep_id: Any, element: Any) -> np.ndarray:
        k = int(irrep_id)  # type: ignore[arg-type]
        if k == 0:
            return np.ones((1, 1))
        return c.rotation(k * float(element))

    def _check_sub_id(self, sub_id: Any) -> int:
        if not c.is_int(sub_id) or not (sub_id == -1 or sub_id >= 1):
            raise ValueError(
                f"id: subgroups of SO(2) are identified by M >= 1 (the rotations C_M) or -1 "
                f"(SO(2) itself), got {sub_id!r}"
            )
        return int(sub_id)

    def _subgroup(self, sub_id: Any) -> Group:
        m = self._check_sub_id(sub_id)
        return self if m == -1 else CyclicGroup._generator(m)

    def _to_parent(self, sub_id: Any, element: Any) -> float:
        m = self._check_sub_id(sub_id)
        if m == -1:
            return c.wrap_angle(element)
        return c.wrap_angle(2.0 * math.pi * int(element) / m)

    def _to_child(self, sub_id: Any, element: Any) -> Any:
        m = self._check_sub_id(sub_id)
        if m == -1:
            return c.wrap_angle(element)
        return c.as_int_multiple(element, m)

    def _finite_cosets(self, sub_id: Any) -> list[Any]:
        if self._check_sub_id(sub_id) == -1:
            return [0.0]
        return super()._finite_cosets(sub_id)

    def _factory(self) -> tuple[Any, tuple]:
        return SO2._generator, (self.maximum_frequency,)

    def _key(self) -> Hashable:
        return ("SO2",)
