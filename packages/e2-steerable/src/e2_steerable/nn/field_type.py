r"""The :class:`FieldType`: the data type of a feature space.

A field type pairs a :class:`~e2_steerable.gspaces.GSpace` (the base space and its symmetries) with
an ordered list of representations of the gspace's fiber group, one per feature field. It decides
how the channels of a tensor transform under the group and how they are grouped into fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from e2_steerable.group import Group, Representation, block_diag

if TYPE_CHECKING:
    from e2_steerable.gspaces import GSpace

__all__ = ["FieldType"]


_block_diagonal = block_diag  # the historical name, kept for existing callers


class FieldType:
    r"""The data type of a feature space: a gspace plus one representation per feature field.

    The channels of a tensor of this type are the concatenation of the fields: the :math:`i`-th
    field occupies channels ``fields_start[i]:fields_end[i]`` and transforms with
    ``representations[i]``. The whole feature space transforms with the direct sum
    :math:`\rho = \bigoplus_i \rho_i` (:attr:`representation`).

    Args:
        gspace: the space the feature fields live on, with its symmetries.
        representations: representations of ``gspace.fibergroup``, one per feature field.

    Attributes:
        gspace: the gspace.
        representations: the list of representations, one per field.
        size: the number of channels (the sum of the representations' sizes).

    Raises:
        TypeError: if ``representations`` is not a list or tuple of representations.
        ValueError: if it is empty or a representation belongs to another group.

    Example:
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> ft = FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.trivial_repr])
        >>> len(ft), ft.size
        (3, 7)
        >>> ft.fields_start.tolist(), ft.fields_end.tolist()
        ([0, 4, 6], [4, 6, 7])
    """

    def __init__(self, gspace: GSpace, representations: Sequence[Representation]) -> None:
        if not hasattr(gspace, "fibergroup"):
            raise TypeError(
                f"FieldType: `gspace` must be a GSpace (with a `fibergroup`), got "
                f"{type(gspace).__name__}"
            )
        if not isinstance(representations, (list, tuple)):
            raise TypeError(
                "FieldType: `representations` must be a list of representations, got "
                f"{type(representations).__name__}"
            )
        if len(representations) == 0:
            raise ValueError("FieldType: `representations` must contain at least one field")
        group = gspace.fibergroup
        for i, rep in enumerate(representations):
            if not hasattr(rep, "size") or not hasattr(rep, "group"):
                raise TypeError(
                    f"FieldType: representations[{i}] must be a Representation, got "
                    f"{type(rep).__name__}"
                )
            if rep.group != group:
                raise ValueError(
                    f"FieldType: representations[{i}] ('{rep.name}') belongs to group "
                    f"'{rep.group.name}', but the gspace's fiber group is '{group.name}'"
                )
        self.gspace = gspace
        self.representations: list[Representation] = list(representations)
        sizes = [int(rep.size) for rep in self.representations]
        starts: list[int] = []
        total = 0
        for s in sizes:
            starts.append(total)
            total += s
        self.size: int = total
        # Python ints: slice bounds that torch.compile can treat as constants.
        self._sizes: tuple[int, ...] = tuple(sizes)
        self._starts: tuple[int, ...] = tuple(starts)
        self._ends: tuple[int, ...] = tuple(st + s for st, s in zip(starts, sizes))
        self._names: tuple[str, ...] = tuple(rep.name for rep in self.representations)
        self._representation: Representation | None = None

    # ------------------------------------------------------------------ properties
    @property
    def fibergroup(self) -> Group:
        """The fiber group of :attr:`gspace`."""
        return self.gspace.fibergroup

    @property
    def representation(self) -> Representation:
        """The direct sum of :attr:`representations`: how a whole feature vector transforms.

        It is built on first use and cached.
        """
        if self._representation is None:
            if len(self.representations) == 1:
                self._representation = self.representations[0]
            else:
                from e2_steerable.group import directsum

                self._representation = directsum(self.representations)
        return self._representation

    @property
    def irreps(self) -> list[str]:
        """The irreps of :attr:`representation` in order (each field's irreps, concatenated)."""
        out: list[str] = []
        for rep in self.representations:
            out.extend(rep.irreps)
        return out

    @property
    def change_of_basis(self) -> Any:
        """The block-diagonal change of basis into irreps, as a ``scipy.sparse.coo_matrix``.

        Block :math:`i` is ``representations[i].change_of_basis``. Needs scipy; see
        :meth:`get_dense_change_of_basis` for a dense torch version without it.
        """
        from scipy import sparse

        return sparse.block_diag([rep.change_of_basis for rep in self.representations], "coo")

    @property
    def change_of_basis_inv(self) -> Any:
        """Inverse of :attr:`change_of_basis` (block diagonal, ``scipy.sparse.coo_matrix``)."""
        from scipy import sparse

        return sparse.block_diag([rep.change_of_basis_inv for rep in self.representations], "coo")

    def get_dense_change_of_basis(self) -> torch.Tensor:
        """A dense float32 copy of :attr:`change_of_basis`, shape ``(size, size)``."""
        blocks = [np.asarray(rep.change_of_basis) for rep in self.representations]
        return torch.from_numpy(_block_diagonal(blocks)).to(torch.float32)

    def get_dense_change_of_basis_inv(self) -> torch.Tensor:
        """A dense float32 copy of :attr:`change_of_basis_inv`, shape ``(size, size)``."""
        blocks = [np.asarray(rep.change_of_basis_inv) for rep in self.representations]
        return torch.from_numpy(_block_diagonal(blocks)).to(torch.float32)

    @property
    def sizes(self) -> tuple[int, ...]:
        """The size of each field, as Python ints (safe as slice bounds under ``torch.compile``)."""
        return self._sizes

    @property
    def starts(self) -> tuple[int, ...]:
        """The first channel of each field, as Python ints (see :attr:`fields_start`)."""
        return self._starts

    @property
    def ends(self) -> tuple[int, ...]:
        """One past the last channel of each field, as Python ints (see :attr:`fields_end`)."""
        return self._ends

    def field_runs(self) -> list[tuple[int, int, int, int]]:
        """Maximal runs of consecutive fields of equal size, as Python ints.

        Returns:
            One ``(first_field, end_field, first_channel, field_size)`` per run, in order: the
            fields ``first_field:end_field`` occupy the channels
            ``first_channel:first_channel + (end_field - first_field) * field_size``.

        Example:
            >>> from e2_steerable import gspaces
            >>> from e2_steerable.nn import FieldType
            >>> gs = gspaces.Rot2dOnR2(4)
            >>> FieldType(gs, [gs.regular_repr] * 2 + [gs.trivial_repr]).field_runs()
            [(0, 2, 0, 4), (2, 3, 8, 1)]
        """
        runs: list[tuple[int, int, int, int]] = []
        sizes = self._sizes
        f = 0
        while f < len(sizes):
            end = f
            while end < len(sizes) and sizes[end] == sizes[f]:
                end += 1
            runs.append((f, end, self._starts[f], sizes[f]))
            f = end
        return runs

    @property
    def fields_start(self) -> np.ndarray:
        """Index of the first channel of each field (int64 array of length ``len(self)``)."""
        return np.array(self._starts, dtype=np.int64)

    @property
    def fields_end(self) -> np.ndarray:
        """Index one past the last channel of each field (int64 array of length ``len(self)``)."""
        return np.array(self._ends, dtype=np.int64)

    @property
    def testing_elements(self) -> list[Any]:
        """Alias for ``self.gspace.testing_elements``."""
        return self.gspace.testing_elements

    # ------------------------------------------------------------------ methods
    def fields_names(self) -> list[str]:
        """The names of the fields' representations, in order."""
        return list(self._names)

    def transform(self, input: torch.Tensor, element: Any) -> torch.Tensor:
        """Transform a tensor of this type by a fiber-group element.

        The base space is moved by the element (exactly for multiples of 90° and flips,
        interpolated otherwise) and every feature vector is multiplied by
        :math:`\\rho(g)`. The result is detached: no gradient flows through this operation.

        Args:
            input: tensor of shape ``(B, size, H, W)``.
            element: an element of :attr:`fibergroup`.

        Returns:
            The transformed tensor, with the dtype and device of ``input``.

        Shape:
            - input: :math:`(B, C, H, W)` with :math:`C` = ``size``
            - output: :math:`(B, C, W, H)` for elements that swap the axes (±90° rotations,
              diagonal reflections; as :func:`torch.rot90`), else :math:`(B, C, H, W)`
        """
        self._check_tensor(input, "input")
        if not self.fibergroup.is_element(element):
            raise ValueError(
                f"FieldType.transform: `element` {element!r} is not an element of "
                f"{self.fibergroup.name}"
            )
        out = self.gspace.featurefield_action(input.detach(), self.representation, element)
        if isinstance(out, np.ndarray):
            out = torch.from_numpy(np.ascontiguousarray(out))
        return out.to(device=input.device, dtype=input.dtype)

    def restrict(self, id: Any) -> FieldType:
        """Restrict every field to the subgroup of the fiber group chosen by ``id``.

        Args:
            id: subgroup identifier, as accepted by ``self.gspace.restrict``.

        Returns:
            The restricted field type, on the restricted gspace.
        """
        subspace, _, _ = self.gspace.restrict(id)
        return FieldType(subspace, [rep.restrict(id) for rep in self.representations])

    def sorted(self) -> FieldType:
        """A field type with the same fields sorted by size (stable)."""
        order = sorted(range(len(self)), key=lambda i: self._sizes[i])
        return self.index_select(order)

    def index_select(self, index: Sequence[int]) -> FieldType:
        """A field type made of the fields at the positions in ``index``.

        Args:
            index: field indices in ``range(len(self))``; repetitions are allowed.

        Raises:
            IndexError: if an index is out of range.
        """
        n = len(self)
        reps = []
        for i in index:
            i = int(i)
            if not -n <= i < n:
                raise IndexError(
                    f"FieldType.index_select: index {i} is out of range for {n} fields"
                )
            reps.append(self.representations[i])
        return FieldType(self.gspace, reps)

    def group_by_labels(self, labels: Sequence[str]) -> dict[str, FieldType]:
        """Group the fields by a label per field.

        Args:
            labels: one label per field.

        Returns:
            A dict from each distinct label (in order of first appearance) to the field type of
            the fields carrying it, in their original order.

        Raises:
            ValueError: if ``len(labels) != len(self)``.
        """
        if len(labels) != len(self):
            raise ValueError(
                f"FieldType.group_by_labels: expected {len(self)} labels (one per field), "
                f"got {len(labels)}"
            )
        groups: dict[str, list[Representation]] = {}
        for label, rep in zip(labels, self.representations):
            groups.setdefault(label, []).append(rep)
        return {label: FieldType(self.gspace, reps) for label, reps in groups.items()}

    def _check_tensor(self, tensor: Any, name: str) -> None:
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"`{name}` must be a torch.Tensor, got {type(tensor).__name__}")
        if tensor.dim() < 2 or tensor.shape[1] != self.size:
            raise ValueError(
                f"`{name}` must have shape (B, {self.size}, ...) for field type {self}, "
                f"got {tuple(tensor.shape)}"
            )

    # ------------------------------------------------------------------ dunder
    def __len__(self) -> int:
        return len(self.representations)

    def __iter__(self) -> Iterator[Representation]:
        return iter(self.representations)

    def __add__(self, other: FieldType) -> FieldType:
        """Direct sum: the concatenation of the two lists of fields (same gspace required)."""
        if not isinstance(other, FieldType):
            return NotImplemented
        if self.gspace != other.gspace:
            raise ValueError(
                f"cannot add field types on different gspaces: '{self.gspace.name}' and "
                f"'{other.gspace.name}'"
            )
        return FieldType(self.gspace, self.representations + other.representations)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, FieldType):
            return False
        return self._names == other._names and self.gspace == other.gspace

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((self.gspace.name, self._names))

    def __repr__(self) -> str:
        return f"[{self.gspace.name}: {{{', '.join(self._names)}}}]"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_representation"] = None  # rebuilt on demand
        return state
