r"""The steerable kernel basis between two representations, on Gaussian rings.

An element is :math:`K_e(p) = B\, E_{j,i}[\kappa_e(\theta)\, b_\text{ring}(r)]\, A^{-1}`, where
:math:`A, B` are the input and output change-of-basis matrices, :math:`E_{j,i}` places the
irrep-pair block at output irrep slot ``j`` and input slot ``i``, :math:`\kappa_e` is an angular
solution (:mod:`._angular`) and :math:`b(r) = \exp(-(r - r_\text{ring})^2 / 2\sigma^2)`.

Elements are ordered ring first, then input irrep slot, then output irrep slot, then the angular
solution (phase, flip, offset): the order of e2cnn, so its checkpoints map one to one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from e2_steerable.group import Representation
from e2_steerable.kernels._angular import GroupKind, angular_table, evaluate

__all__ = ["EmptyBasisException", "KernelBasis"]


class EmptyBasisException(ValueError):
    """Raised when a kernel basis has no element (e.g. kernel size 2, or a high-frequency pair)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "the steerable kernel basis is empty for these representations and sampling "
            "parameters; use a larger kernel_size, more rings (`rings`) or a higher "
            "`frequencies_cutoff` (e.g. a float such as 3.0)"
        )


def _irrep_descriptor(kind: GroupKind, irrep: Representation) -> tuple[int, int, int]:
    attrs = irrep.attributes
    if kind.kind == "Flip":
        return (irrep.size, 0, int(attrs.get("frequency", 0)))
    return (irrep.size, int(attrs.get("frequency", 0)), int(attrs.get("flip_frequency", 0)))


class KernelBasis:
    r"""Steerable kernel basis for ``in_repr -> out_repr`` on rings, sampled on any points.

    Nothing is sampled at construction: the element attributes are kept as arrays, and
    :meth:`sample` evaluates any subset of elements on a set of points at once.

    Args:
        group_kind: the group's kind (see :class:`~e2_steerable.kernels._angular.GroupKind`).
        in_repr: input representation.
        out_repr: output representation.
        rings: ring radii.
        sigma: ring widths (one per ring, or one for all).
        maximum_frequency: largest angular frequency listed.
        maximum_offset: largest aliasing offset listed (finite groups; ``None``: no limit).

    Attributes:
        shape: ``(out_repr.size, in_repr.size)``.
        dim: number of elements.

    Example:
        >>> from e2_steerable import gspaces
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> basis = gs.build_kernel_basis(gs.trivial_repr, gs.regular_repr, sigma=[0.005, 0.6],
        ...                               rings=[0.0, 1.0], maximum_frequency=2)
        >>> basis.dim, basis.shape  # every listed element, before any band-limiting filter
        (10, (8, 1))
    """

    def __init__(
        self,
        group_kind: GroupKind,
        in_repr: Representation,
        out_repr: Representation,
        rings: Sequence[float],
        sigma: Sequence[float] | float,
        maximum_frequency: int,
        maximum_offset: int | None = None,
    ) -> None:
        rings_arr = np.asarray(list(rings), dtype=np.float64).reshape(-1)
        if rings_arr.size == 0 or (rings_arr < 0).any():
            raise ValueError(f"rings: expected a non-empty list of radii >= 0, got {list(rings)}")
        if np.isscalar(sigma):
            sigma_arr = np.full(rings_arr.shape, float(sigma))  # type: ignore[arg-type]
        else:
            sigma_arr = np.asarray(list(sigma), dtype=np.float64).reshape(-1)  # type: ignore[arg-type]
        if sigma_arr.shape != rings_arr.shape or (sigma_arr <= 0).any():
            raise ValueError(
                f"sigma: expected one positive width per ring ({rings_arr.size}), got {sigma}"
            )
        if in_repr.group != out_repr.group:
            raise ValueError(
                f"in_repr and out_repr belong to different groups: {in_repr.group.name} and "
                f"{out_repr.group.name}"
            )
        if maximum_offset is not None and (
            not isinstance(maximum_offset, int) or maximum_offset < 0
        ):
            raise ValueError(
                f"maximum_offset: expected None or an int >= 0, got {maximum_offset!r}"
            )
        self.group_kind = group_kind
        self.in_repr = in_repr
        self.out_repr = out_repr
        self.rings = rings_arr
        self.sigma = sigma_arr
        self.maximum_frequency = int(maximum_frequency)
        self.maximum_offset = maximum_offset
        self.shape = (out_repr.size, in_repr.size)
        self._arrays = self._build_attributes()
        self.dim = int(self._arrays["frequency"].shape[0])

    # ------------------------------------------------------------------ attributes
    def _build_attributes(self) -> dict[str, np.ndarray]:
        group = self.in_repr.group
        kind = self.group_kind
        in_irreps = [group.irrep_by_name(n) for n in self.in_repr.irreps]
        out_irreps = [group.irrep_by_name(n) for n in self.out_repr.irreps]
        cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("ii", "oo", "mu", "gamma", "s", "t", "inner", "out_size", "in_size")
        }
        for ii, irr_in in enumerate(in_irreps):
            for oo, irr_out in enumerate(out_irreps):
                table = angular_table(
                    kind,
                    _irrep_descriptor(kind, irr_in),
                    _irrep_descriptor(kind, irr_out),
                    self.maximum_frequency,
                    self.maximum_offset,
                )
                e = len(table)
                cols["ii"].append(np.full(e, ii))
                cols["oo"].append(np.full(e, oo))
                cols["mu"].append(table.mu)
                cols["gamma"].append(table.gamma)
                cols["s"].append(table.s)
                cols["t"].append(table.t)
                cols["inner"].append(np.arange(e))
                cols["out_size"].append(np.full(e, irr_out.size))
                cols["in_size"].append(np.full(e, irr_in.size))
        ang = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in cols.items()}
        n_ang = ang["mu"].shape[0]
        n_rings = self.rings.shape[0]
        ring = np.repeat(np.arange(n_rings), n_ang)
        arrays = {k: np.tile(v, n_rings) for k, v in ang.items()}
        arrays["ring"] = ring
        arrays["radius"] = self.rings[ring]
        arrays["sigma"] = self.sigma[ring]
        arrays["frequency"] = arrays.pop("mu")
        arrays["offset"] = arrays.pop("t")
        arrays["in_irrep_idx"] = arrays.pop("ii")
        arrays["out_irrep_idx"] = arrays.pop("oo")
        arrays["inner_idx"] = arrays.pop("inner")
        return arrays

    def attribute_arrays(self) -> dict[str, np.ndarray]:
        """Every element's attributes as arrays of length :attr:`dim` (read-only views)."""
        return self._arrays

    def __len__(self) -> int:
        return self.dim

    def dimension(self) -> int:
        """Number of elements."""
        return self.dim

    def __getitem__(self, idx: int) -> dict[str, Any]:
        if not 0 <= idx < self.dim:
            raise IndexError(f"basis element index {idx} out of range [0, {self.dim})")
        a = self._arrays
        attr: dict[str, Any] = {
            "radius": float(a["radius"][idx]),
            "sigma": float(a["sigma"][idx]),
            "frequency": int(a["frequency"][idx]),
            "gamma": float(a["gamma"][idx]),
            "s": int(a["s"][idx]),
            "offset": int(a["offset"][idx]),
            "in_irrep": self.in_repr.irreps[int(a["in_irrep_idx"][idx])],
            "out_irrep": self.out_repr.irreps[int(a["out_irrep_idx"][idx])],
            "in_irrep_idx": int(a["in_irrep_idx"][idx]),
            "out_irrep_idx": int(a["out_irrep_idx"][idx]),
            "inner_idx": int(a["inner_idx"][idx]),
            "shape": (int(a["out_size"][idx]), int(a["in_size"][idx])),
            "idx": int(idx),
            # e2cnn's PolarBasis keys: the radial (ring) and angular indices of the element
            "idx1": int(a["ring"][idx]),
            "idx2": int(idx) % (self.dim // self.rings.shape[0]),
        }
        return attr

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(self.dim):
            yield self[i]

    # ------------------------------------------------------------------ sampling
    def sample(self, points: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Sample the elements selected by ``mask`` on ``points``.

        Args:
            points: ``(P, 2)`` coordinates ``(x, y)``; e2cnn's ``(2, P)`` layout is accepted too
                (a ``(2, 2)`` array is read as two ``(x, y)`` rows).
            mask: optional boolean array of length :attr:`dim`.

        Returns:
            float64 array ``(n, out_size, in_size, P)`` for the ``n`` selected elements, in order.

        Shape:
            - points: :math:`(P, 2)`.
            - Output: :math:`(n, C_\\text{out}, C_\\text{in}, P)`.
        """
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim == 2 and pts.shape[0] == 2 and pts.shape[1] != 2:
            pts = pts.T  # e2cnn's (2, P) layout
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise ValueError(
                f"points: expected an array of shape (P, 2) or (2, P), got {pts.shape}"
            )
        idx = np.arange(self.dim) if mask is None else np.flatnonzero(mask)
        a = self._arrays
        radius = np.hypot(pts[:, 0], pts[:, 1])
        at_origin = radius < 1e-9
        theta = np.arctan2(pts[:, 1], pts[:, 0])
        theta[at_origin] = 0.0
        if self.group_kind.kind in ("D", "O2", "Flip"):
            theta = np.where(at_origin, 0.0, theta - self.group_kind.axis)
        radial = np.exp(
            -((radius[None, :] - self.rings[:, None]) ** 2) / (2.0 * self.sigma[:, None] ** 2)
        )
        o_sizes = self.in_repr.group.irrep_sizes(self.out_repr.irreps)
        i_sizes = self.in_repr.group.irrep_sizes(self.in_repr.irreps)
        o_start = np.concatenate([[0], np.cumsum(o_sizes)]).astype(int)
        i_start = np.concatenate([[0], np.cumsum(i_sizes)]).astype(int)
        q_out = self.out_repr.change_of_basis
        q_in_inv = self.in_repr.change_of_basis_inv
        out = np.zeros((idx.shape[0], self.shape[0], self.shape[1], pts.shape[0]))
        if idx.size == 0:
            return out
        slot_pair = a["in_irrep_idx"][idx] * len(o_sizes) + a["out_irrep_idx"][idx]
        order = np.argsort(slot_pair, kind="stable")
        bounds = np.flatnonzero(np.diff(slot_pair[order])) + 1
        for group_pos in np.split(order, bounds):
            sel = idx[group_pos]
            ii, oo = int(a["in_irrep_idx"][sel[0]]), int(a["out_irrep_idx"][sel[0]])
            do, di = o_sizes[oo], i_sizes[ii]
            block = evaluate(
                do, di, a["frequency"][sel], a["gamma"][sel], a["s"][sel], theta, at_origin
            )
            block = block * radial[a["ring"][sel]][:, None, None, :]
            left = q_out[:, o_start[oo] : o_start[oo] + do]
            right = q_in_inv[i_start[ii] : i_start[ii] + di, :]
            out[group_pos] = np.einsum("ob,nbcp,ci->noip", left, block, right, optimize=True)
        return out

    def sample_normalized(
        self, points: np.ndarray, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sample, normalise and drop the elements that vanish on the grid.

        Each element is divided by :math:`\\sqrt{\\sum K^2 / d}` (``d``: its output irrep's size),
        unless that energy is below 1e-12; elements whose energy is then at most 1e-2 are dropped.

        Returns:
            ``(sampled, kept)``: the float64 array ``(n, O, I, P)`` and the indices (into the
            full basis) of the ``n`` elements kept.
        """
        idx = np.arange(self.dim) if mask is None else np.flatnonzero(mask)
        sampled = self.sample(points, mask)
        energy = (sampled**2).sum(axis=(1, 2, 3))
        per_dim = energy / self._arrays["out_size"][idx]
        scale = np.where(per_dim < 1e-12, 1.0, 1.0 / np.sqrt(np.maximum(per_dim, 1e-300)))
        sampled *= scale[:, None, None, None]
        keep = (energy * scale**2) > 1e-2
        return sampled[keep], idx[keep]

    # ------------------------------------------------------------------ identity
    def key(self) -> tuple:
        """A hashable description of the basis (used for caching sampled bases)."""
        return (
            self.group_kind,
            _repr_key(self.in_repr),
            _repr_key(self.out_repr),
            self.rings.tobytes(),
            self.sigma.tobytes(),
            self.maximum_frequency,
            self.maximum_offset,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KernelBasis) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        return (
            f"KernelBasis({self.in_repr.name} -> {self.out_repr.name}, dim={self.dim}, "
            f"rings={self.rings.tolist()})"
        )


def _repr_key(rep: Representation) -> tuple:
    return (
        rep.group,
        rep.name,
        tuple(rep.irreps),
        rep.change_of_basis.tobytes(),
    )


def filter_mask(
    basis: KernelBasis, basis_filter: Callable[[dict[str, Any]], bool] | None
) -> np.ndarray:
    """Boolean keep-mask of ``basis_filter`` over ``basis`` (vectorised for bandlimit filters)."""
    from e2_steerable.kernels.bandlimit import BandlimitFilter, CombinedFilter

    if basis_filter is None:
        return np.ones(basis.dim, dtype=bool)
    if isinstance(basis_filter, BandlimitFilter):
        return basis_filter.mask(basis.attribute_arrays())
    if isinstance(basis_filter, CombinedFilter):
        mask = basis_filter.bandlimit.mask(basis.attribute_arrays())
        for i in np.flatnonzero(mask):
            mask[i] = bool(basis_filter.custom(basis[int(i)]))
        return mask
    return np.array([bool(basis_filter(attr)) for attr in basis], dtype=bool)
