"""The cyclic group :math:`C_N` of rotations by multiples of :math:`2\\pi/N`."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any, ClassVar

import numpy as np

from e2_steerable.group.group import Group
from e2_steerable.group.groups import _common as c
from e2_steerable.group.irrep import IrreducibleRepresentation

__all__ = ["CyclicGroup"]


class CyclicGroup(Group):
    r"""The cyclic group :math:`C_N`; element ``k`` (an int in ``[0, N)``) is the rotation by
    :math:`2\pi k/N`.

    Irreps: ``irrep_k`` for :math:`0 \le k \le \lfloor N/2 \rfloor`; ``irrep_0`` is trivial,
    ``irrep_{N/2}`` (even ``N``) is the sign :math:`(-1)^g`, the others are the 2-dimensional
    rotations :math:`R(2\pi k g/N)`. Subgroup ids: any divisor ``M`` of ``N`` (the subgroup
    :math:`C_M`). Build it with :func:`~e2_steerable.group.cyclic_group`.

    Example:
        >>> from e2_steerable.group import cyclic_group
        >>> G = cyclic_group(8)
        >>> G.combine(5, 6), G.inverse(3), G.order()
        (3, 5, 8)
    """

    _instances: ClassVar[dict[int, CyclicGroup]] = {}

    @classmethod
    def _generator(cls, N: int) -> CyclicGroup:
        """The one cached instance of :math:`C_N` (built, with its regular representation, on
        first use); :func:`~e2_steerable.group.cyclic_group` is the public way to call it."""
        if not c.is_int(N) or N < 1:
            raise ValueError(f"N: expected a positive int, got {N!r}")
        group = cls._instances.get(int(N))
        if group is None:
            group = cls._instances[int(N)] = cls(int(N))
            _ = group.regular_representation  # list the irreps and 'regular'
        return group

    def __init__(self, N: int) -> None:
        if not c.is_int(N) or N < 1:
            raise ValueError(f"N: expected a positive int, got {N!r}")
        super().__init__(f"C{N}", continuous=False, abelian=True)
        self.N = int(N)

    @property
    def elements(self) -> list[int]:
        return list(range(self.N))

    @property
    def elements_names(self) -> list[str]:
        """``['e', 'r1', ..., 'r{N-1}']``."""
        return ["e"] + [f"r{k}" for k in range(1, self.N)]

    @property
    def identity(self) -> int:
        return 0

    def combine(self, e1: int, e2: int) -> int:
        return (int(e1) + int(e2)) % self.N

    def inverse(self, element: int) -> int:
        return (-int(element)) % self.N

    def is_element(self, element: Any) -> bool:
        return c.is_int(element) and 0 <= element < self.N

    def equal(self, e1: int, e2: int, atol: float = 1e-7) -> bool:
        self._require_elements(e1, e2)
        return int(e1) == int(e2)

    def testing_elements(self) -> list[int]:
        return self.elements

    def _irrep_ids(self) -> list[int]:
        return list(range(self.N // 2 + 1))

    def _build_irrep(self, irrep_id: Any) -> IrreducibleRepresentation:
        k = irrep_id
        if not c.is_int(k) or not 0 <= k <= self.N // 2:
            raise ValueError(
                f"irrep: {self.name} has irreps 0..{self.N // 2} (frequencies), got {k!r}"
            )
        if k == 0:
            size, nonlin = 1, c.TRIVIAL_FINITE
        elif 2 * k == self.N:
            size, nonlin = 1, c.SIGN_FINITE
        else:
            size, nonlin = 2, c.PLANE
        return IrreducibleRepresentation(
            self, int(k), f"irrep_{k}", size, size, nonlin, frequency=int(k)
        )

    def irrep_matrix(self, irrep_id: Any, element: Any) -> np.ndarray:
        k = int(irrep_id)  # type: ignore[arg-type]
        g = int(element)
        if k == 0:
            return np.ones((1, 1))
        if 2 * k == self.N:
            return np.full((1, 1), -1.0 if g % 2 else 1.0)
        return c.rotation(2.0 * math.pi * k * g / self.N)

    def _check_sub_id(self, sub_id: Any) -> int:
        if not c.is_int(sub_id) or sub_id < 1 or self.N % sub_id != 0:
            raise ValueError(
                f"id: subgroups of {self.name} are identified by a divisor M of {self.N} "
                f"(the subgroup C_M), got {sub_id!r}"
            )
        return int(sub_id)

    def _subgroup(self, sub_id: Any) -> Group:
        return CyclicGroup._generator(self._check_sub_id(sub_id))

    def _to_parent(self, sub_id: Any, element: Any) -> int:
        m = self._check_sub_id(sub_id)
        return (int(element) * (self.N // m)) % self.N

    def _to_child(self, sub_id: Any, element: Any) -> int | None:
        m = self._check_sub_id(sub_id)
        step = self.N // m
        g = int(element) % self.N
        return g // step if g % step == 0 else None

    def _explicit_restriction(self, irrep_name: str, sub_id: Any) -> tuple[np.ndarray, list[str]]:
        # irrep k restricted to C_M is irrep (k mod M), conjugated (diag(1, -1)) past M/2
        m = self._check_sub_id(sub_id)
        irr = self.irreps[irrep_name]
        f = int(irr.attributes["frequency"]) % m
        q = np.eye(irr.size)
        if f > m / 2:
            f, q = m - f, c.FLIP_X.copy()
        name = f"irrep_{f}"
        sub_size = 1 if f == 0 or 2 * f == m else 2
        return q, [name] * (irr.size // sub_size)

    def _factory(self) -> tuple[Any, tuple]:
        return CyclicGroup._generator, (self.N,)

    def _key(self) -> Hashable:
        return ("C", self.N)
