"""Irreducible representations: thin, picklable wrappers around ``Group.irrep_matrix``."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from e2_steerable.group.representation import Representation

if TYPE_CHECKING:
    from e2_steerable.group.group import Group

__all__ = ["IrreducibleRepresentation"]


class IrreducibleRepresentation(Representation):
    """An irrep of a group: its matrices come from ``group.irrep_matrix(irrep_id, g)``.

    Args:
        group: the group.
        irrep_id: the id of the irrep within the group (a frequency, or a
            ``(flip_frequency, frequency)`` pair).
        name: the irrep's name, e.g. ``"irrep_1"`` or ``"irrep_1,2"``.
        size: its dimension (1 or 2).
        sum_of_squares_constituents: 1 for irreps of real type, 2 for irreps of complex type
            (the 2-dimensional irreps of :math:`C_N` and :math:`SO(2)`).
        supported_nonlinearities: non-linearity tags.
        **attributes: ``frequency`` and, for reflection groups, ``flip_frequency``.

    Example:
        >>> from e2_steerable.group import dihedral_group
        >>> psi = dihedral_group(4).irrep(1, 1)
        >>> psi.name, psi.size, psi.attributes
        ('irrep_1,1', 2, {'frequency': 1, 'flip_frequency': 1})
    """

    irreducible = True

    def __init__(
        self,
        group: Group,
        irrep_id: Hashable,
        name: str,
        size: int,
        sum_of_squares_constituents: int,
        supported_nonlinearities: Iterable[str],
        **attributes: Any,
    ) -> None:
        self.id = irrep_id
        self.sum_of_squares_constituents = sum_of_squares_constituents
        # the irrep must be known to the group before Representation.__init__ checks the names
        group._irreps[name] = self
        self.size = size
        super().__init__(
            group,
            name,
            [name],
            np.eye(size),
            supported_nonlinearities,
            change_of_basis_inv=np.eye(size),
            **attributes,
        )
        for key, value in attributes.items():
            setattr(self, key, value)

    def __call__(self, element: Any) -> np.ndarray:
        return self.group.irrep_matrix(self.id, element)
