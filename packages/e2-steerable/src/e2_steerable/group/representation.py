"""Group representations written as a change of basis of a direct sum of irreps.

A :class:`Representation` :math:`\\rho` of a group :math:`G` is stored as
:math:`\\rho(g) = Q \\left(\\bigoplus_i \\psi_i(g)\\right) Q^{-1}`, where the :math:`\\psi_i` are
irreps of :math:`G` (listed by name in :attr:`Representation.irreps`) and :math:`Q` is
:attr:`Representation.change_of_basis`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from e2_steerable.group import _linalg

if TYPE_CHECKING:
    from e2_steerable.group.group import Group

__all__ = ["Representation", "change_basis", "directsum", "disentangle"]


class Representation:
    r"""A real orthogonal representation of a group, decomposed into irreps.

    Args:
        group: the group being represented.
        name: a name, unique within ``group.representations``.
        irreps: names of the irreps of ``group`` in the decomposition, in order.
        change_of_basis: the square matrix :math:`Q` with
            :math:`\rho(g) = Q (\bigoplus_i \psi_i(g)) Q^{-1}`.
        supported_nonlinearities: tags of the non-linearities this representation supports
            (``'pointwise'``, ``'norm'``, ``'gated'``, ``'concatenated'``, ...).
        representation: optional callable ``g -> matrix`` used instead of the irrep formula.
        character: optional callable ``g -> trace``; computed from the matrices otherwise.
        change_of_basis_inv: optional inverse of ``change_of_basis``; computed when omitted.
        **kwargs: extra attributes stored in :attr:`attributes`.

    Attributes:
        group: the group.
        name: the name.
        size: the dimension of the representation.
        irreps: irrep names, in order.
        change_of_basis: :math:`Q` as a float64 ``(size, size)`` array.
        change_of_basis_inv: :math:`Q^{-1}`.
        supported_nonlinearities: set of non-linearity tags.
        attributes: extra attributes.

    Example:
        >>> from e2_steerable.group import cyclic_group
        >>> G = cyclic_group(4)
        >>> rho = G.regular_representation
        >>> rho.size, rho.irreps
        (4, ['irrep_0', 'irrep_1', 'irrep_2'])
        >>> rho(1).round(6).astype(int).tolist()
        [[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    """

    irreducible = False

    def __init__(
        self,
        group: Group,
        name: str,
        irreps: Sequence[str],
        change_of_basis: np.ndarray,
        supported_nonlinearities: Iterable[str],
        representation: Callable[[Any], np.ndarray] | None = None,
        character: Callable[[Any], float] | None = None,
        change_of_basis_inv: np.ndarray | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name: expected a string, got {type(name).__name__}")
        irreps = list(irreps)
        for irr in irreps:
            if irr not in group._irreps:  # the group's own storage: irrep_by_name's message
                raise ValueError(f"irreps: '{irr}' is not an irrep of {group.name}")
        q = np.asarray(change_of_basis, dtype=np.float64)
        size = sum(group.irrep_sizes(irreps))
        if q.shape != (size, size):
            raise ValueError(
                f"change_of_basis: expected a ({size}, {size}) matrix (the sum of the irreps' "
                f"sizes), got shape {q.shape}"
            )
        self.group = group
        self.name = name
        self.irreps = irreps
        self.size = size
        self.change_of_basis = q
        if change_of_basis_inv is None:
            change_of_basis_inv = np.linalg.inv(q)
        self.change_of_basis_inv = np.asarray(change_of_basis_inv, dtype=np.float64)
        self.supported_nonlinearities = set(supported_nonlinearities)
        self._representation = representation
        self._character = character
        self.attributes = dict(kwargs)

    def __call__(self, element: Any) -> np.ndarray:
        """The matrix :math:`\\rho(g)`, a float64 ``(size, size)`` array."""
        if self._representation is not None:
            return np.asarray(self._representation(element), dtype=np.float64)
        blocks = [self.group.irrep_by_name(irr)(element) for irr in self.irreps]
        return self.change_of_basis @ _linalg.block_diag(blocks) @ self.change_of_basis_inv

    def representation(self, element: Any) -> np.ndarray:
        """Alias of calling the representation, ``rho(element)``."""
        return self(element)

    def character(self, element: Any) -> float:
        """The trace of :math:`\\rho(g)`."""
        if self._character is not None:
            return float(self._character(element))
        return float(sum(np.trace(self.group.irrep_by_name(irr)(element)) for irr in self.irreps))

    def is_trivial(self) -> bool:
        """Whether this is the (one-dimensional) trivial representation."""
        return self.size == 1 and self.irreps == [self.group.trivial_representation.name]

    def contains_trivial(self) -> bool:
        """Whether the trivial irrep occurs in the decomposition."""
        return self.group.trivial_representation.name in self.irreps

    def restrict(self, id: Hashable) -> Representation:
        """Restrict to the subgroup ``id`` of :attr:`group` (see :meth:`Group.subgroup`)."""
        return self.group.restrict_representation(id, self)

    def __add__(self, other: Representation) -> Representation:
        """Direct sum ``self ⊕ other`` (see :func:`directsum`).

        Example:
            >>> from e2_steerable.group import cyclic_group
            >>> G = cyclic_group(4)
            >>> (G.trivial_representation + G.irrep(1)).irreps
            ['irrep_0', 'irrep_1']
        """
        if not isinstance(other, Representation):
            return NotImplemented
        return directsum([self, other])

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Representation)
            and self.name == other.name
            and self.group == other.group
        )

    def __hash__(self) -> int:
        return hash((self.group, self.name))

    def __repr__(self) -> str:
        return f"{self.group.name}|[{self.name}]:{self.size}"


def change_basis(
    repr: Representation,
    change_of_basis: np.ndarray,
    name: str,
    supported_nonlinearities: Iterable[str] | None = None,
) -> Representation:
    r"""The representation :math:`g \mapsto C \rho(g) C^{-1}` for an invertible matrix :math:`C`.

    Example:
        >>> import numpy as np
        >>> from e2_steerable.group import cyclic_group, change_basis
        >>> G = cyclic_group(4)
        >>> flipped = change_basis(G.irrep(1), np.diag([1.0, -1.0]), "flipped")
        >>> flipped(1).round(6).tolist()
        [[0.0, 1.0], [-1.0, 0.0]]
    """
    c = np.asarray(change_of_basis, dtype=np.float64)
    if c.shape != (repr.size, repr.size):
        raise ValueError(
            f"change_of_basis: expected a ({repr.size}, {repr.size}) matrix, got shape {c.shape}"
        )
    nonlinearities = set() if supported_nonlinearities is None else set(supported_nonlinearities)
    rep = Representation(repr.group, name, repr.irreps, c @ repr.change_of_basis, nonlinearities)
    return repr.group.register(rep)


def directsum(
    reprs: Sequence[Representation],
    change_of_basis: np.ndarray | None = None,
    name: str | None = None,
) -> Representation:
    r"""Direct sum :math:`\bigoplus_i \rho_i`, optionally followed by a change of basis.

    Args:
        reprs: representations of the same group.
        change_of_basis: optional matrix :math:`C`; the result is
            :math:`C (\bigoplus_i \rho_i) C^{-1}`.
        name: name of the result (a name listing the summands by default).

    Returns:
        The direct sum, whose supported non-linearities are those shared by every summand.

    Example:
        >>> from e2_steerable.group import cyclic_group, directsum
        >>> G = cyclic_group(4)
        >>> rho = directsum([G.trivial_representation, G.irrep(1)])
        >>> rho.size, rho.irreps
        (3, ['irrep_0', 'irrep_1'])
    """
    reprs = list(reprs)
    if not reprs:
        raise ValueError("directsum: `reprs` must contain at least one representation")
    group = reprs[0].group
    for r in reprs:
        if not isinstance(r, Representation):
            raise TypeError(f"directsum: expected Representations, got {type(r).__name__}")
        if r.group != group:
            raise ValueError(
                f"directsum: every representation must belong to the same group; got "
                f"{group.name} and {r.group.name}"
            )
    if name is None:
        name = "_".join(f"[{r.name}]" for r in reprs)
        if change_of_basis is None and name in group.representations:
            return group.representations[name]
    irreps = [irr for r in reprs for irr in r.irreps]
    q = _linalg.block_diag([r.change_of_basis for r in reprs])
    q_inv = _linalg.block_diag([r.change_of_basis_inv for r in reprs])
    if change_of_basis is not None:
        c = np.asarray(change_of_basis, dtype=np.float64)
        if c.shape != q.shape:
            raise ValueError(f"change_of_basis: expected a {q.shape} matrix, got shape {c.shape}")
        q = c @ q
        q_inv = q_inv @ np.linalg.inv(c)
    nonlinearities = set.intersection(*(set(r.supported_nonlinearities) for r in reprs))
    rep = Representation(group, name, irreps, q, nonlinearities, change_of_basis_inv=q_inv)
    if change_of_basis is None:
        return group.register(rep)
    return rep


def disentangle(repr: Representation) -> tuple[np.ndarray, list[Representation]]:
    r"""Split a representation into independent sub-representations by permuting its channels.

    Channels and irreps that the change of basis couples are grouped together; each group becomes
    one representation.

    Returns:
        ``(P, reprs)``: a permutation matrix ``P`` and the list of representations, such that
        ``P @ repr(g) @ P.T == directsum(reprs)(g)`` for every ``g``.

    Example:
        >>> from e2_steerable.group import cyclic_group, directsum, disentangle
        >>> G = cyclic_group(4)
        >>> P, parts = disentangle(directsum([G.irrep(1), G.trivial_representation]))
        >>> [p.name for p in parts]
        ['irrep_1', 'irrep_0']
    """
    q = repr.change_of_basis
    sizes = repr.group.irrep_sizes(repr.irreps)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    n_ch = repr.size
    n_irr = len(sizes)
    parent = list(range(n_ch + n_irr))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for j in range(n_irr):
        block = np.abs(q[:, starts[j] : starts[j + 1]]).max(axis=1) > 1e-9
        for i in np.nonzero(block)[0].tolist():
            a, b = find(int(i)), find(n_ch + j)
            if a != b:
                parent[a] = b
    groups: dict[int, tuple[list[int], list[int]]] = {}
    order: list[int] = []
    for i in range(n_ch):
        root = find(i)
        if root not in groups:
            groups[root] = ([], [])
            order.append(root)
        groups[root][0].append(i)
    for j in range(n_irr):
        groups[find(n_ch + j)][1].append(j)
    perm: list[int] = []
    parts: list[Representation] = []
    for k, root in enumerate(order):
        channels, slots = groups[root]
        perm.extend(channels)
        cols = np.concatenate([np.arange(starts[j], starts[j + 1]) for j in slots])
        sub_q = q[np.ix_(np.asarray(channels, dtype=np.int64), cols)]
        sub_irreps = [repr.irreps[j] for j in slots]
        if len(order) == 1:
            parts.append(repr)
            continue
        if len(sub_irreps) == 1 and np.allclose(sub_q, np.eye(len(channels))):
            parts.append(repr.group.irrep_by_name(sub_irreps[0]))
            continue
        known = next(
            (
                r
                for r in repr.group.representations.values()
                if r.irreps == sub_irreps and np.allclose(r.change_of_basis, sub_q, atol=1e-12)
            ),
            None,
        )
        if known is not None:
            parts.append(known)  # e.g. the regular representation inside a direct sum
            continue
        name = f"{repr.name}_{k}"
        existing = repr.group.representations.get(name)
        if existing is not None and existing.irreps == sub_irreps:
            parts.append(existing)
            continue
        nonlin = set(repr.supported_nonlinearities) & {"norm", "gated", "concatenated"}
        parts.append(
            repr.group.register(Representation(repr.group, name, sub_irreps, sub_q, nonlin))
        )
    p = np.zeros((n_ch, n_ch))
    p[np.arange(n_ch), perm] = 1.0
    return p, parts
