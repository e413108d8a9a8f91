"""The abstract :class:`GSpace`: a group acting on the plane, with its representations."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from e2_steerable.group import Group, IrreducibleRepresentation, Representation
from e2_steerable.gspaces._action import transform_image
from e2_steerable.kernels import GroupKind, KernelBasis, kernel_basis_on_rings

if TYPE_CHECKING:
    from e2_steerable.diffops import DiffopBasis, DiscretizationArgs

__all__ = ["GSpace", "GeneralOnR2"]


class GSpace(ABC):
    """A symmetry group (the *fiber group*) acting on a base space.

    Attributes:
        fibergroup: the group.
        name: a name identifying the gspace (two gspaces are equal when their names are).
        dimensionality: the dimension of the base space.
        basespace: the base space's name.
    """

    def __init__(self, fibergroup: Group, dimensionality: int, name: str) -> None:
        self.fibergroup = fibergroup
        self.dimensionality = dimensionality
        self.name = name
        self.basespace = f"R^{dimensionality}"

    @abstractmethod
    def restrict(self, id: Hashable) -> tuple[GSpace, Any, Any]:
        """Restrict to the subgroup ``id``: ``(sub_gspace, parent_map, child_map)``."""

    @abstractmethod
    def featurefield_action(
        self, input: Any, repr: Representation, element: Any, order: int = 3
    ) -> Any:
        r"""Transform a feature field, :math:`f'(x) = \rho(g) f(g^{-1} x)` (see subclasses)."""

    @property
    def trivial_repr(self) -> Representation:
        """The trivial representation of the fiber group (scalar fields)."""
        return self.fibergroup.trivial_representation

    @property
    def regular_repr(self) -> Representation:
        """The regular representation of the (finite) fiber group."""
        return self.fibergroup.regular_representation

    def irrep(self, *id: Any) -> Representation:
        """The irrep of the fiber group with this id."""
        return self.fibergroup.irrep(*id)

    @property
    def irreps(self) -> dict[str, IrreducibleRepresentation]:
        """The irreps of the fiber group by name, in the canonical order."""
        return self.fibergroup.irreps

    @property
    def representations(self) -> dict[str, Representation]:
        """Every representation built on the fiber group so far."""
        return self.fibergroup.representations

    def quotient_repr(self, subgroup_id: Hashable) -> Representation:
        """Permutation representation on the cosets of the subgroup ``subgroup_id``."""
        return self.fibergroup.quotient_representation(subgroup_id)

    def induced_repr(self, subgroup_id: Hashable, repr: Representation) -> Representation:
        """Representation induced from ``repr`` of the subgroup ``subgroup_id``."""
        return self.fibergroup.induced_representation(subgroup_id, repr)

    @property
    def testing_elements(self) -> list[Any]:
        """Group elements used to test equivariance."""
        return self.fibergroup.testing_elements()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GSpace) and self.name == other.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return self.name


class GeneralOnR2(GSpace):
    """A subgroup of :math:`O(2)` acting on the plane :math:`\\mathbb{R}^2` by its 2x2 matrices.

    Subclasses give :meth:`element_matrix` and the reflection ``axis`` (for groups with
    reflections); the kernel bases and the action on images follow from them.
    """

    axis: float = float(np.pi / 2)

    def __init__(self, fibergroup: Group, name: str) -> None:
        super().__init__(fibergroup, 2, name)

    @abstractmethod
    def kernel_group_kind(self) -> GroupKind:
        """What the kernel solver needs to know about the group (its kind, N and axis)."""

    @abstractmethod
    def element_matrix(self, element: Any) -> np.ndarray:
        """The 2x2 matrix by which ``element`` acts on :math:`(x, y)` coordinates."""

    def _check_element(self, element: Any) -> None:
        if not self.fibergroup.is_element(element):
            raise ValueError(
                f"element: {element!r} is not an element of the fiber group "
                f"{self.fibergroup.name} of {self.name}"
            )

    def basespace_action(self, input: Any, element: Any, order: int = 3) -> Any:
        """Move the pixels of ``input`` (``(..., H, W)``) by ``element``: ``f'(x) = f(g^{-1} x)``.

        Exact for maps that send the pixel grid onto a pixel grid (multiples of 90° and flips),
        interpolated otherwise. Maps that swap the axes turn ``H x W`` into ``W x H``, as
        :func:`torch.rot90` does. Works on ``numpy`` arrays and ``torch`` tensors.

        Shape:
            - Input: :math:`(*, H, W)`.
            - Output: :math:`(*, W, H)` for maps that swap the axes, else :math:`(*, H, W)`.
        """
        self._check_element(element)
        return transform_image(input, self.element_matrix(element), order=order)

    def featurefield_action(
        self, input: Any, repr: Representation, element: Any, order: int = 3
    ) -> Any:
        r"""Transform a feature field: :math:`f'(x) = \rho(g) f(g^{-1} x)`.

        Args:
            input: array or tensor of shape ``(B, C, H, W)`` (or ``(C, H, W)``) with
                ``C == repr.size``.
            repr: the representation of the channels.
            element: the group element.
            order: spline order of the interpolation for maps that do not preserve the grid.

        Shape:
            - Input: :math:`(B, C, H, W)`.
            - Output: :math:`(B, C, W, H)` for maps that swap the axes, else :math:`(B, C, H, W)`.

        Example:
            >>> import torch
            >>> from e2_steerable.gspaces import Rot2dOnR2
            >>> gs = Rot2dOnR2(4)
            >>> x = torch.randn(1, 4, 5, 5)
            >>> y = gs.featurefield_action(gs.featurefield_action(x, gs.regular_repr, 1),
            ...                            gs.regular_repr, 3)
            >>> torch.allclose(x, y)
            True
        """
        self._check_element(element)
        if repr.group != self.fibergroup:
            raise ValueError(
                f"repr: expected a representation of {self.fibergroup.name}, got one of "
                f"{repr.group.name}"
            )
        channel_axis = -3
        if input.shape[channel_axis] != repr.size:
            raise ValueError(
                f"input: expected {repr.size} channels (the size of '{repr.name}') on axis -3, "
                f"got shape {tuple(input.shape)}"
            )
        moved = self.basespace_action(input, element, order=order)
        rho = repr(element)
        if isinstance(moved, np.ndarray):
            return np.einsum("oc,...chw->...ohw", rho.astype(moved.dtype), moved)
        rho_t = torch.as_tensor(rho, dtype=moved.dtype, device=moved.device)
        return torch.einsum("oc,...chw->...ohw", rho_t, moved)

    def build_kernel_basis(
        self,
        in_repr: Representation,
        out_repr: Representation,
        sigma: float | list[float],
        rings: list[float],
        **kwargs: Any,
    ) -> KernelBasis:
        """The steerable kernel basis between two representations, on Gaussian rings.

        Args:
            in_repr: input representation of the fiber group.
            out_repr: output representation.
            sigma: width(s) of the rings.
            rings: radii of the rings.
            **kwargs: ``maximum_frequency`` (angular cut-off, default 6) and ``maximum_offset``.

        Returns:
            A :class:`~e2_steerable.kernels.KernelBasis`.
        """
        return kernel_basis_on_rings(self, in_repr, out_repr, rings, sigma, **kwargs)

    def build_diffop_basis(
        self,
        in_repr: Representation,
        out_repr: Representation,
        max_power: int,
        discretization: DiscretizationArgs | None = None,
        **kwargs: Any,
    ) -> DiffopBasis:
        """The basis of steerable partial differential operators between two representations.

        Thin wrapper around :func:`e2_steerable.diffops.diffop_basis`.

        Args:
            in_repr: input representation of the fiber group.
            out_repr: output representation.
            max_power: largest power of the Laplacian.
            discretization: a :class:`~e2_steerable.diffops.DiscretizationArgs` (default: FD).
            **kwargs: ``maximum_frequency`` (angular cut-off) and ``maximum_offset``.

        Returns:
            A :class:`~e2_steerable.diffops.TensorBasis`.
        """
        from e2_steerable.diffops import diffop_basis

        return diffop_basis(self, in_repr, out_repr, max_power, discretization, **kwargs)
