"""The dihedral group :math:`D_N` of rotations by multiples of :math:`2\\pi/N` and reflections."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any, ClassVar

import numpy as np

from e2_steerable.group.group import Group
from e2_steerable.group.groups import _common as c
from e2_steerable.group.groups.cyclic import CyclicGroup
from e2_steerable.group.irrep import IrreducibleRepresentation

__all__ = ["DihedralGroup"]


class DihedralGroup(Group):
    r"""The dihedral group :math:`D_N` of order :math:`2N`.

    An element is a pair ``(f, k)`` with ``f`` in ``{0, 1}`` and ``k`` in ``[0, N)``: first reflect
    ``f`` times, then rotate by :math:`2\pi k/N`. So
    :math:`(f_1, k_1)(f_2, k_2) = (f_1 + f_2, k_1 + (-1)^{f_1} k_2)`.

    Irreps ``irrep_j,k`` (flip frequency ``j``, frequency ``k``), in the order
    ``(0,0), (1,0), (1,1), ..., (1,⌊(N-1)/2⌋)`` then, for even ``N``, ``(1,N/2), (0,N/2)``.
    The 2-dimensional ones are :math:`R(2\pi k r/N) \operatorname{diag}(1,-1)^f`.

    Subgroup ids ``(k, M)``: ``(None, M)`` the rotations :math:`C_M`; ``(k, M)`` with
    ``0 <= k < N/M`` the dihedral :math:`D_M` whose reflection is ``(1, k)`` (``M = 1``: the
    reflection group :math:`C_2`).

    Example:
        >>> from e2_steerable.group import dihedral_group
        >>> G = dihedral_group(4)
        >>> G.combine((1, 1), (0, 1)), G.inverse((0, 1)), G.order()
        ((1, 0), (0, 3), 8)
    """

    _instances: ClassVar[dict[int, DihedralGroup]] = {}

    @classmethod
    def _generator(cls, N: int) -> DihedralGroup:
        """The one cached instance of :math:`D_N` (built on first use; see ``dihedral_group``)."""
        if not c.is_int(N) or N < 1:
            raise ValueError(f"N: expected a positive int, got {N!r}")
        group = cls._instances.get(int(N))
        if group is None:
            group = cls._instances[int(N)] = cls(int(N))
            _ = group.regular_representation
        return group

    def __init__(self, N: int) -> None:
        if not c.is_int(N) or N < 1:
            raise ValueError(f"N: expected a positive int, got {N!r}")
        super().__init__(f"D{N}", continuous=False, abelian=N <= 2)
        self.N = int(N)

    @property
    def elements(self) -> list[tuple[int, int]]:
        return [(f, k) for f in range(2) for k in range(self.N)]

    @property
    def elements_names(self) -> list[str]:
        """``['e', 'r1', ..., 'f', 'r1f', ...]``: ``rkf`` reflects, then rotates ``k`` times."""
        rotations = ["e"] + [f"r{k}" for k in range(1, self.N)]
        return rotations + ["f"] + [f"r{k}f" for k in range(1, self.N)]

    @property
    def rotation_order(self) -> int:
        """The number of rotations, ``N``."""
        return self.N

    @property
    def reflection(self) -> tuple[int, int]:
        """The reflection element ``(1, 0)``."""
        return (1, 0)

    @property
    def identity(self) -> tuple[int, int]:
        return (0, 0)

    def combine(self, e1: tuple[int, int], e2: tuple[int, int]) -> tuple[int, int]:
        f1, k1 = e1
        f2, k2 = e2
        sign = -1 if f1 % 2 else 1
        return ((f1 + f2) % 2, (k1 + sign * k2) % self.N)

    def inverse(self, element: tuple[int, int]) -> tuple[int, int]:
        f, k = element
        return (f % 2, k % self.N if f % 2 else (-k) % self.N)

    def is_element(self, element: Any) -> bool:
        return (
            isinstance(element, tuple)
            and len(element) == 2
            and element[0] in (0, 1)
            and c.is_int(element[1])
            and 0 <= element[1] < self.N
        )

    def equal(self, e1: Any, e2: Any, atol: float = 1e-7) -> bool:
        self._require_elements(e1, e2)
        return bool(e1[0] == e2[0] and e1[1] == e2[1])

    def testing_elements(self) -> list[tuple[int, int]]:
        return self.elements

    def _irrep_ids(self) -> list[tuple[int, int]]:
        ids = [(0, 0), (1, 0)] + [(1, k) for k in range(1, (self.N - 1) // 2 + 1)]
        if self.N % 2 == 0:
            ids += [(1, self.N // 2), (0, self.N // 2)]
        return ids

    def _build_irrep(self, irrep_id: Any) -> IrreducibleRepresentation:
        if irrep_id not in self._irrep_ids():
            raise ValueError(
                f"irrep: {self.name} has the irreps (j, k) = {self._irrep_ids()}, got {irrep_id!r}"
            )
        j, k = irrep_id  # type: ignore[misc]
        two_dim = k > 0 and 2 * k != self.N
        if two_dim:
            size, nonlin = 2, c.PLANE
        elif (j, k) == (0, 0):
            size, nonlin = 1, c.TRIVIAL_FINITE
        else:
            size, nonlin = 1, c.SIGN_FINITE
        return IrreducibleRepresentation(
            self, (j, k), f"irrep_{j},{k}", size, 1, nonlin, frequency=k, flip_frequency=j
        )

    def irrep_matrix(self, irrep_id: Any, element: Any) -> np.ndarray:
        j, k = irrep_id  # type: ignore[misc]
        f, r = int(element[0]) % 2, int(element[1])
        if k == 0:
            return np.full((1, 1), -1.0 if (j and f) else 1.0)
        if 2 * k == self.N:
            return np.full((1, 1), -1.0 if (r + j * f) % 2 else 1.0)
        m = c.rotation(2.0 * math.pi * k * r / self.N)
        return m @ c.FLIP_X if f else m

    def _check_sub_id(self, sub_id: Any) -> tuple[int | None, int]:
        ok = isinstance(sub_id, tuple) and len(sub_id) == 2
        if ok:
            k, m = sub_id  # type: ignore[misc]
            ok = c.is_int(m) and m >= 1 and self.N % m == 0
            ok = ok and (k is None or (c.is_int(k) and 0 <= k < self.N // m))
        if not ok:
            raise ValueError(
                f"id: subgroups of {self.name} are identified by (k, M) with M dividing {self.N}: "
                f"(None, M) for the rotations C_M, (k, M) with 0 <= k < {self.N}/M for the "
                f"dihedral D_M whose reflection is (1, k); got {sub_id!r}"
            )
        return sub_id  # type: ignore[return-value]

    def _subgroup(self, sub_id: Any) -> Group:
        k, m = self._check_sub_id(sub_id)
        if k is None:
            return CyclicGroup._generator(m)
        if m == 1:
            return CyclicGroup._generator(2)
        return DihedralGroup._generator(m)

    def _to_parent(self, sub_id: Any, element: Any) -> tuple[int, int]:
        k, m = self._check_sub_id(sub_id)
        step = self.N // m
        if k is None:
            return (0, (int(element) * step) % self.N)
        if m == 1:
            return (1, k) if int(element) % 2 else (0, 0)
        f, r = element
        return (f % 2, (f * k + r * step) % self.N)

    def _to_child(self, sub_id: Any, element: Any) -> Any:
        k, m = self._check_sub_id(sub_id)
        step = self.N // m
        f, r = element[0] % 2, element[1] % self.N
        if k is None:
            return r // step if f == 0 and r % step == 0 else None
        shift = (r - f * k) % self.N
        if shift % step != 0:
            return None
        if m == 1:
            return f
        return (f, (shift // step) % m)

    def _explicit_restriction(self, irrep_name: str, sub_id: Any) -> tuple[np.ndarray, list[str]]:
        # e2cnn's explicit restriction of the irrep (j, k) to the subgroup (t, M)
        t, m = self._check_sub_id(sub_id)
        irr = self.irreps[irrep_name]
        j = int(irr.attributes["flip_frequency"])
        k = int(irr.attributes["frequency"])
        if t is not None and 2 * k == self.N:
            j = (j + t) % 2  # the sign irreps see the turned reflection differently
        turn = c.rotation(math.pi * t * k / self.N) if t is not None and irr.size == 2 else None
        if t is not None and m == 1:
            names = (["irrep_0"] if irr.size == 2 else []) + [f"irrep_{j}"]
            return (np.eye(irr.size) if turn is None else turn), names
        f = k % m
        q = np.eye(irr.size)
        if f > m / 2:
            f, q = m - f, c.FLIP_X.copy()
        one_dim = f == 0 or 2 * f == m
        if t is None:
            return q, [f"irrep_{f}"] * (2 if one_dim and irr.size == 2 else 1)
        name = f"irrep_{j},{f}"
        names = [f"irrep_0,{f}", name] if one_dim and irr.size == 2 else [name]
        return (q if turn is None else turn @ q), names

    def _factory(self) -> tuple[Any, tuple]:
        return DihedralGroup._generator, (self.N,)

    def _key(self) -> Hashable:
        return ("D", self.N)
