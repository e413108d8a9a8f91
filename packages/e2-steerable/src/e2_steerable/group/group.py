"""The abstract :class:`Group`: elements, composition, irreps and the representations built on them.

Concrete groups (:mod:`.cyclic`, :mod:`.dihedral`, :mod:`.so2`, :mod:`.o2`) only describe their
elements, their irreps and their subgroups; everything generic (regular, quotient and induced
representations, restriction to subgroups) lives here and works from those descriptions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from e2_steerable.group import _linalg
from e2_steerable.group._induced import induced_decomposition
from e2_steerable.group.irrep import IrreducibleRepresentation
from e2_steerable.group.representation import Representation

__all__ = ["Group", "SubgroupMap"]

Element = Any


class SubgroupMap:
    """Picklable map between the elements of a subgroup and those of its parent.

    ``SubgroupMap(parent, sub_id, "parent")`` sends a subgroup element to the parent's element;
    ``SubgroupMap(parent, sub_id, "child")`` sends a parent element to the subgroup's element, or to
    ``None`` when it is not in the subgroup.

    Example:
        >>> from e2_steerable.group import cyclic_group
        >>> _, parent_map, child_map = cyclic_group(8).subgroup(4)
        >>> parent_map(1), child_map(2), child_map(1)
        (2, 1, None)
    """

    def __init__(self, parent: Group, sub_id: Any, direction: str) -> None:
        if direction not in ("parent", "child"):
            raise ValueError(f"direction: expected 'parent' or 'child', got {direction!r}")
        self.parent = parent
        self.sub_id = sub_id
        self.direction = direction

    def __call__(self, element: Element) -> Element:
        if self.direction == "parent":
            return self.parent._to_parent(self.sub_id, element)
        return self.parent._to_child(self.sub_id, element)

    def __repr__(self) -> str:
        return f"SubgroupMap({self.parent.name}, {self.sub_id!r}, {self.direction!r})"


class Group(ABC):
    """A compact group with a finite list of real irreps (all of them, or up to a frequency).

    Attributes:
        name: the group's name, e.g. ``"C8"``, ``"D4"``, ``"SO(2)"``.
        continuous: whether the group is a Lie group (SO(2), O(2)) rather than finite.
        abelian: whether the group is commutative.
        representations: every representation built on this group so far, by name.
    """

    def __init__(self, name: str, continuous: bool, abelian: bool) -> None:
        self.name = name
        self.continuous = continuous
        self.abelian = abelian
        self.representations: dict[str, Representation] = {}
        self._irreps: dict[str, IrreducibleRepresentation] = {}
        self._irrep_by_id: dict[Hashable, IrreducibleRepresentation] = {}
        self._restricted_irreps: dict[tuple[str, Hashable], tuple[list[str], np.ndarray]] = {}

    # ----------------------------------------------------------------------------------------
    # what a concrete group must describe
    # ----------------------------------------------------------------------------------------
    @property
    @abstractmethod
    def identity(self) -> Element:
        """The identity element."""

    @abstractmethod
    def combine(self, e1: Element, e2: Element) -> Element:
        """The product ``e1 · e2`` (apply ``e2`` first, then ``e1``)."""

    @abstractmethod
    def inverse(self, element: Element) -> Element:
        """The inverse of ``element``."""

    @abstractmethod
    def is_element(self, element: Element) -> bool:
        """Whether ``element`` is a valid element of this group."""

    @abstractmethod
    def equal(self, e1: Element, e2: Element, atol: float = 1e-7) -> bool:
        """Whether two elements are the same (up to ``atol`` for continuous coordinates)."""

    @abstractmethod
    def testing_elements(self) -> list[Element]:
        """A finite list of elements used to test equivariance (all elements of a finite group)."""

    @abstractmethod
    def _irrep_ids(self) -> Sequence[Any]:
        """Ids of the irreps this group lists, in the canonical order."""

    @abstractmethod
    def _build_irrep(self, irrep_id: Any) -> IrreducibleRepresentation:
        """Create the irrep with this id (called once per id)."""

    @abstractmethod
    def irrep_matrix(self, irrep_id: Any, element: Element) -> np.ndarray:
        """The matrix of the irrep ``irrep_id`` at ``element``."""

    @abstractmethod
    def _subgroup(self, sub_id: Any) -> Group:
        """The abstract subgroup identified by ``sub_id`` (raises ValueError for unknown ids)."""

    @abstractmethod
    def _to_parent(self, sub_id: Any, element: Element) -> Element:
        """Send an element of subgroup ``sub_id`` to this group."""

    @abstractmethod
    def _to_child(self, sub_id: Any, element: Element) -> Element | None:
        """Send an element of this group to subgroup ``sub_id``, or ``None`` if it is not there."""

    def _require_elements(self, *elements: Element) -> None:
        """Raise ValueError naming the first argument that is not an element of this group."""
        for i, e in enumerate(elements):
            if not self.is_element(e):
                raise ValueError(f"e{i + 1}: {e!r} is not an element of {self.name}")

    def _solver_elements(self) -> list[Element]:
        """Elements whose constraints characterise intertwiners (all of them for finite groups)."""
        return self.testing_elements()

    # ----------------------------------------------------------------------------------------
    # generic API
    # ----------------------------------------------------------------------------------------
    @property
    def elements(self) -> list[Element] | None:
        """All elements of a finite group (``None`` for continuous groups)."""
        return None

    @property
    def elements_names(self) -> list[str] | None:
        """Readable names of :attr:`elements` (as e2cnn's), ``None`` for continuous groups."""
        return None

    def order(self) -> int:
        """Number of elements, or ``-1`` for a continuous group."""
        elements = self.elements
        return -1 if elements is None else len(elements)

    @property
    def irreps(self) -> dict[str, IrreducibleRepresentation]:
        """The irreps of this group by name, in the canonical order."""
        return {irr.name: irr for irr in (self._get_irrep(i) for i in self._irrep_ids())}

    def _get_irrep(self, irrep_id: Any) -> IrreducibleRepresentation:
        irr = self._irrep_by_id.get(irrep_id)
        if irr is None:
            irr = self._build_irrep(irrep_id)
            self._irrep_by_id[irrep_id] = irr
            self._irreps[irr.name] = irr
            self.representations.setdefault(irr.name, irr)
        return irr

    def irrep(self, *irrep_id: Any) -> IrreducibleRepresentation:
        """The irrep with the given id (a frequency, or ``(flip_frequency, frequency)``).

        Raises:
            ValueError: if no irrep has this id.
        """
        key: Hashable = irrep_id[0] if len(irrep_id) == 1 else tuple(irrep_id)
        return self._get_irrep(key)

    @property
    def trivial_representation(self) -> IrreducibleRepresentation:
        """The trivial (one-dimensional, constant) representation."""
        return self._get_irrep(self._irrep_ids()[0])

    def irrep_by_name(self, name: str) -> IrreducibleRepresentation:
        """The irrep called ``name`` (e.g. ``"irrep_1"``, ``"irrep_1,2"``) among those built so far.

        Raises:
            ValueError: if this group has no irrep of that name.

        Example:
            >>> from e2_steerable.group import dihedral_group
            >>> dihedral_group(4).irrep_by_name("irrep_1,1").size
            2
        """
        irr = self._irreps.get(name)
        if irr is None:
            raise ValueError(
                f"name: {self.name} has no irrep called {name!r}; known irreps: "
                f"{sorted(self._irreps)}"
            )
        return irr

    def irrep_sizes(self, names: Iterable[str]) -> list[int]:
        """The sizes of the irreps called ``names``, in order."""
        return [self.irrep_by_name(n).size for n in names]

    def register(self, rep: Representation) -> Representation:
        """Add ``rep`` to :attr:`representations` under its name; an existing one of the same
        name wins and is returned (so equal names always mean the same representation)."""
        existing = self.representations.get(rep.name)
        if existing is not None:
            return existing
        self.representations[rep.name] = rep
        return rep

    _register = register  # the historical private name, kept for existing callers

    @property
    def regular_representation(self) -> Representation:
        """The regular representation (permutation of the group elements); finite groups only.

        Its change of basis is the orthogonal matrix of the Fourier transform on the group: every
        irrep appears ``size / sum_of_squares_constituents`` times, in the canonical irrep order.
        """
        if self.continuous:
            raise ValueError(
                f"regular_representation: the group {self.name} is continuous and has no (finite) "
                "regular representation"
            )
        if "regular" in self.representations:
            return self.representations["regular"]
        elements = self.elements
        assert elements is not None
        n = len(elements)
        irreps: list[str] = []
        columns = []
        for irr in self.irreps.values():
            copies = irr.size // irr.sum_of_squares_constituents
            mats = np.stack([irr(g) for g in elements])  # (n, d, d)
            for c in range(copies):
                irreps.append(irr.name)
                columns.append(np.sqrt(irr.size) * mats[:, :, c])
        q = np.concatenate(columns, axis=1) / np.sqrt(n)
        nonlinearities = {"pointwise", "norm", "gated", "concatenated"}
        if self.abelian:
            nonlinearities.add("vectorfield")
        rep = Representation(self, "regular", irreps, q, nonlinearities, change_of_basis_inv=q.T)
        return self.register(rep)

    def _finite_cosets(self, sub_id: Any) -> list[Element]:
        """One representative per coset of a continuous group's subgroup of finite index.

        Continuous groups override this for their subgroups of finite index; the default says
        why there is no finite quotient.
        """
        sub = self._subgroup(sub_id)
        raise ValueError(
            f"quotient/induced representations of {self.name} need a subgroup of finite index, "
            f"but {self.name}/{sub.name} (subgroup id {sub_id!r}) is infinite: it would be "
            "infinite-dimensional"
        )

    def _coset_representatives(self, sub_id: Any) -> list[Element]:
        elements = self.elements
        if elements is None:
            return self._finite_cosets(sub_id)
        reps: list[Element] = []
        covered: list[Element] = []
        sub = self._subgroup(sub_id)
        sub_elements = [self._to_parent(sub_id, h) for h in (sub.elements or [])]
        for g in elements:
            if any(self.equal(g, c) for c in covered):
                continue
            reps.append(g)
            covered.extend(self.combine(g, h) for h in sub_elements)
        return reps

    def induced_representation(self, subgroup_id: Hashable, repr: Representation) -> Representation:
        """The representation induced from ``repr`` of the subgroup ``subgroup_id``.

        Finite groups accept every subgroup; :math:`SO(2)` and :math:`O(2)` only their subgroups
        of finite index (:math:`O(2)` from :math:`SO(2)`, or a group from itself): for the others
        the quotient is infinite and a ValueError says so.

        Args:
            subgroup_id: the id of the subgroup (see :meth:`subgroup`).
            repr: a representation of that subgroup.

        Returns:
            The induced representation, named ``induced[<id>][<repr name>]``, decomposed into
            irreps of this group.
        """
        sub, _, child_map = self.subgroup(subgroup_id)
        if repr.group != sub:
            raise ValueError(
                f"induced_representation: `repr` must belong to the subgroup {sub.name} of id "
                f"{subgroup_id!r}, got a representation of {repr.group.name}"
            )
        name = f"induced[{subgroup_id}][{repr.name}]"
        if name in self.representations:
            return self.representations[name]
        cosets = self._coset_representatives(subgroup_id)
        d = repr.size
        k = len(cosets)

        def matrix(g: Element) -> np.ndarray:
            out = np.zeros((k * d, k * d))
            for i, ri in enumerate(cosets):
                for j, rj in enumerate(cosets):
                    h = child_map(self.combine(self.inverse(ri), self.combine(g, rj)))
                    if h is not None:
                        out[i * d : (i + 1) * d, j * d : (j + 1) * d] = repr(h)
            return out

        q_inv: np.ndarray | None = None
        if self.elements is None:  # a continuous group: decompose from generating elements
            elements = self._solver_elements()
            irreps, q = _linalg.decompose(self, [matrix(g) for g in elements], elements)
            q_inv = q.T
        elif isinstance(repr, IrreducibleRepresentation):
            elements = self.elements
            mats = [matrix(g) for g in elements]
            # e2cnn's change of basis, so that weights of such fields keep e2cnn's meaning
            irreps, q, q_inv = induced_decomposition(self, subgroup_id, repr, cosets, mats)
        else:
            elements = self.elements
            irreps, q = _linalg.decompose(self, [matrix(g) for g in elements], elements)
        nonlinearities = {"norm", "gated", "concatenated"}
        nonlinearities.add(f"induced_norm_{d}")
        nonlinearities.add(f"induced_gated_{d}")
        if repr.is_trivial():
            nonlinearities |= {"pointwise", "induced_gate"}
        rep = Representation(self, name, irreps, q, nonlinearities, change_of_basis_inv=q_inv)
        return self.register(rep)

    def quotient_representation(self, subgroup_id: Hashable) -> Representation:
        """The permutation representation on the cosets ``G/H`` of the subgroup ``subgroup_id``.

        Example:
            >>> from e2_steerable.group import cyclic_group
            >>> rep = cyclic_group(8).quotient_representation(2)
            >>> rep.name, rep.size, rep.irreps
            ('quotient[2]', 4, ['irrep_0', 'irrep_2', 'irrep_4'])
        """
        name = f"quotient[{subgroup_id}]"
        if name in self.representations:
            return self.representations[name]
        sub, _, _ = self.subgroup(subgroup_id)
        induced = self.induced_representation(subgroup_id, sub.trivial_representation)
        rep = Representation(
            self,
            name,
            induced.irreps,
            induced.change_of_basis,
            induced.supported_nonlinearities | {"pointwise"},
            change_of_basis_inv=induced.change_of_basis_inv,
        )
        return self.register(rep)

    def subgroup(self, id: Hashable) -> tuple[Group, SubgroupMap, SubgroupMap]:
        """The subgroup ``id`` with the maps between its elements and this group's.

        Returns:
            ``(subgroup, parent_map, child_map)``: ``parent_map`` sends a subgroup element into
            this group, ``child_map`` sends an element of this group into the subgroup (``None``
            when it is not in the subgroup).

        Raises:
            ValueError: if ``id`` does not identify a subgroup.
        """
        sub = self._subgroup(id)
        return sub, SubgroupMap(self, id, "parent"), SubgroupMap(self, id, "child")

    def _restrict_irrep(self, irrep_name: str, sub_id: Any) -> tuple[list[str], np.ndarray]:
        key = (irrep_name, sub_id)
        cached = self._restricted_irreps.get(key)
        if cached is not None:
            return cached
        sub, parent_map, _ = self.subgroup(sub_id)
        irrep = self.irrep_by_name(irrep_name)
        frequency = int(irrep.attributes.get("frequency", 0))
        if sub.continuous and getattr(sub, "maximum_frequency", frequency) < frequency:
            sub.maximum_frequency = frequency  # type: ignore[attr-defined]  # list enough irreps
        explicit = self._explicit_restriction(irrep_name, sub_id)
        if explicit is not None:
            result = (explicit[1], explicit[0])
        else:
            sub_elements = sub._solver_elements()
            mats = [irrep(parent_map(h)) for h in sub_elements]
            result = _linalg.decompose(sub, mats, sub_elements)
        self._restricted_irreps[key] = result
        return result

    def _explicit_restriction(
        self, irrep_name: str, sub_id: Any
    ) -> tuple[np.ndarray, list[str]] | None:
        """``(Q, sub_irreps)`` of an irrep restricted to a subgroup, written out explicitly.

        Finite groups give e2cnn's closed forms, so restricted, induced and quotient
        representations have e2cnn's (deterministic) change of basis; ``None`` (the default)
        falls back to a numerical decomposition.
        """
        return None

    def _restriction_for_induction(
        self, irrep_name: str, sub_id: Any
    ) -> tuple[np.ndarray, list[str]]:
        """``(Q, sub_irreps)`` of the restricted irrep, as induced representations use it."""
        names, q = self._restrict_irrep(irrep_name, sub_id)
        return q, names

    def restrict_representation(self, id: Hashable, repr: Representation) -> Representation:
        """Restrict ``repr`` to the subgroup ``id``, decomposed into the subgroup's irreps."""
        if repr.group != self:
            raise ValueError(
                f"restrict_representation: `repr` belongs to {repr.group.name}, not to {self.name}"
            )
        sub, _, _ = self.subgroup(id)
        irreps: list[str] = []
        blocks = []
        for name in repr.irreps:
            sub_irreps, q = self._restrict_irrep(name, id)
            irreps.extend(sub_irreps)
            blocks.append(q)
        q_total = repr.change_of_basis @ _linalg.block_diag(blocks)
        nonlinearities = set(repr.supported_nonlinearities) & {
            "pointwise",
            "norm",
            "gated",
            "concatenated",
        }
        if repr.is_trivial():
            nonlinearities.add("gate")
        # e2cnn's name, which also orders the convolution's weight blocks; another restriction
        # landing on the same name (another id, same subgroup) gets a name with the id
        for name in (f"{self.name}:{repr.name}", f"restricted_{repr.name}|[{self.name}:{id}]"):
            existing = sub.representations.get(name)
            if existing is None:
                rep = Representation(sub, name, irreps, q_total, nonlinearities)
                return sub.register(rep)
            if existing.irreps == irreps and np.allclose(
                existing.change_of_basis, q_total, atol=1e-12
            ):
                return existing
        raise AssertionError("unreachable: the id-qualified name is unique")  # pragma: no cover

    # ----------------------------------------------------------------------------------------
    # identity and pickling
    # ----------------------------------------------------------------------------------------
    @abstractmethod
    def _factory(self) -> tuple[Any, tuple]:
        """``(factory_function, args)`` that rebuilds this (cached) group."""

    def __reduce__(self) -> tuple[Any, tuple]:
        return self._factory()

    @abstractmethod
    def _key(self) -> Hashable:
        """Identity of the group (two groups with equal keys are the same group)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Group) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return self.name
