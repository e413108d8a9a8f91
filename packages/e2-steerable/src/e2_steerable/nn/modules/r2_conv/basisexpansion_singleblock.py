"""Expansion of the basis between one input representation and one output representation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from e2_steerable.kernels.basis import EmptyBasisException, KernelBasis, filter_mask
from e2_steerable.nn.modules.r2_conv._sampled_cache import sampled_basis
from e2_steerable.nn.modules.r2_conv.basisexpansion import BasisExpansion

__all__ = ["SingleBlockBasisExpansion", "block_basisexpansion"]


def element_id(attr: dict[str, Any]) -> str:
    """e2cnn-style identifier of a basis element from its attributes."""
    radial = attr.get("radius", attr.get("order"))
    return (
        f"({attr['in_irrep']}-{attr['in_irrep_idx']},{attr['out_irrep']}-{attr['out_irrep_idx']})"
        f"_({radial}/{attr['frequency']})_{attr['inner_idx']}"
    )


class SingleBlockBasisExpansion(BasisExpansion):
    sampled_basis: torch.Tensor

    r"""Sampled basis for kernels from one input representation to one output representation.

    The basis is sampled once (vectorised), normalised, and stored as the non-persistent buffer
    ``sampled_basis`` of shape ``(dim, O, I, P)``; it is not part of the ``state_dict``.
    Prefer :func:`block_basisexpansion`, which reuses already sampled bases.

    Args:
        basis: the analytical basis.
        points: ``(P, 2)`` points where to sample it.
        basis_filter: optional filter ``attributes -> bool`` over the basis elements.

    Raises:
        EmptyBasisException: if no element survives the filter and the sampling.

    Shape:
        - weights: :math:`(*, \text{dim})`.
        - Output: :math:`(*, O, I, P)`.

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable._vendor import grid
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> basis = gs.build_kernel_basis(gs.regular_repr, gs.regular_repr, sigma=[0.005, 0.6],
        ...                               rings=[0.0, 1.0], maximum_frequency=2)
        >>> block = SingleBlockBasisExpansion(basis, grid.kernel_grid(3))
        >>> block(torch.randn(block.dimension())).shape
        torch.Size([4, 4, 9])
    """

    def __init__(
        self,
        basis: KernelBasis,
        points: np.ndarray,
        basis_filter: Callable[[dict[str, Any]], bool] | None = None,
        recompute: bool = False,
    ) -> None:
        super().__init__()
        self.basis = basis
        mask = filter_mask(basis, basis_filter)
        if not mask.any():
            raise EmptyBasisException()
        tensor, kept = sampled_basis(basis, np.asarray(points, dtype=np.float64), mask, recompute)
        if kept.size == 0:
            raise EmptyBasisException()
        self._kept = kept
        self.register_buffer("sampled_basis", tensor, persistent=False)

    def dimension(self) -> int:
        return int(self._kept.shape[0])

    def forward(self, weights: torch.Tensor) -> torch.Tensor:
        b = self.sampled_basis
        n = b.shape[0]
        if weights.shape[-1] != n:
            raise ValueError(
                f"weights: expected a last axis of size {n} (the basis dimension), got shape "
                f"{tuple(weights.shape)}"
            )
        out = weights.reshape(-1, n) @ b.reshape(n, -1)
        return out.reshape(*weights.shape[:-1], *b.shape[1:])

    def attribute_arrays(self) -> dict[str, np.ndarray]:
        """The kept elements' attributes as arrays (see
        :meth:`~e2_steerable.kernels.KernelBasis.attribute_arrays`)."""
        return {k: v[self._kept] for k, v in self.basis.attribute_arrays().items()}

    def get_element_info(self, name: str | int) -> dict[str, Any]:
        if isinstance(name, str):
            names = self.get_basis_names()
            if name not in names:
                raise KeyError(f"no basis element named {name!r}")
            name = names.index(name)
        attr = self.basis[int(self._kept[int(name)])]
        attr["id"] = element_id(attr)
        attr["idx"] = int(name)
        return attr

    def get_basis_info(self) -> Iterator[dict[str, Any]]:
        for i in range(self.dimension()):
            yield self.get_element_info(i)

    def get_basis_names(self) -> list[str]:
        return [element_id(self.basis[int(k)]) for k in self._kept]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SingleBlockBasisExpansion)
            and self.basis == other.basis
            and np.array_equal(self._kept, other._kept)
            and torch.equal(self.sampled_basis, other.sampled_basis)
        )

    def __hash__(self) -> int:
        return hash((self.basis, self._kept.tobytes()))


def block_basisexpansion(
    basis: KernelBasis,
    points: np.ndarray,
    basis_filter: Callable[[dict[str, Any]], bool] | None = None,
    recompute: bool = False,
) -> SingleBlockBasisExpansion:
    """A new :class:`SingleBlockBasisExpansion`, reusing an already sampled basis when possible.

    The sampled tensor may be shared with other layers (read-only); the returned module is always
    new, so moving one layer never moves another.

    Args:
        basis: the analytical basis.
        points: ``(P, 2)`` sampling points.
        basis_filter: optional filter over the elements' attributes.
        recompute: sample the basis anew instead of reusing a cached one.
    """
    return SingleBlockBasisExpansion(basis, points, basis_filter, recompute=recompute)
