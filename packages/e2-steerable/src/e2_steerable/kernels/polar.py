r"""e2cnn's composable kernel bases: a radial profile, angular solutions, and their product.

:class:`~e2_steerable.kernels.KernelBasis` is what the convolutions use (fast, vectorised). The
classes here give e2cnn users the building blocks they compose by hand, with e2cnn's names,
arguments and array layouts:

* :class:`GaussianRadialProfile` – Gaussian rings :math:`b_i(r)`;
* the irrep-pair solutions of ``e2_steerable.kernels.irreps_basis``;
* :class:`SteerableKernelBasis` – the angular solutions between two representations, built from
  an irrep-pair solution class;
* :class:`PolarBasis` – the products :math:`b_i(r)\,\kappa_j(\theta)`, sampled on points given as
  a ``(2, N)`` array of ``(x, y)`` rows, returning ``(C_out, C_in, dim, N)``.

Example:
    >>> import numpy as np
    >>> from e2_steerable import gspaces
    >>> from e2_steerable.kernels import GaussianRadialProfile, PolarBasis, SteerableKernelBasis
    >>> from e2_steerable.kernels.irreps_basis import R2DiscreteRotationsSolution
    >>> gs = gspaces.Rot2dOnR2(4)
    >>> angular = SteerableKernelBasis(
    ...     R2DiscreteRotationsSolution, gs.irrep(1), gs.irrep(1), max_frequency=2
    ... )
    >>> basis = PolarBasis(GaussianRadialProfile([0.0, 1.0], [0.005, 0.6]), angular)
    >>> points = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # (2, N)
    >>> basis.dim, basis.sample(points).shape
    (12, (2, 2, 12, 3))
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from e2_steerable.group import Group, IrreducibleRepresentation, Representation
from e2_steerable.kernels._angular import GroupKind, angular_table, evaluate
from e2_steerable.kernels.basis import EmptyBasisException

__all__ = [
    "Basis",
    "GaussianRadialProfile",
    "IrrepBasis",
    "PolarBasis",
    "SteerableKernelBasis",
]


class Basis(ABC):
    """A finite basis of maps between feature spaces (kernels here), as in e2cnn.

    Args:
        dim: the number of elements (a ValueError-derived
            :class:`~e2_steerable.kernels.EmptyBasisException` when 0).
        shape: ``(C_out, C_in)``.

    Attributes:
        dim: the number of elements.
        shape: ``(C_out, C_in)``.
    """

    def __init__(self, dim: int, shape: tuple[int, int]) -> None:
        if not isinstance(dim, int) or dim < 0:
            raise ValueError(f"dim: expected an int >= 0, got {dim!r}")
        if dim == 0:
            raise EmptyBasisException()
        self.dim = dim
        self.shape = (int(shape[0]), int(shape[1]))

    def __len__(self) -> int:
        return self.dim

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(self.dim):
            yield self[i]

    @abstractmethod
    def __getitem__(self, idx: int) -> dict[str, Any]:
        """The attributes of element ``idx`` (including ``"idx"``)."""

    @abstractmethod
    def sample(self, points: np.ndarray) -> np.ndarray:
        """Sample every element: ``(C_out, C_in, dim, N)`` for ``N`` points."""

    def _check_index(self, idx: int) -> int:
        if not 0 <= int(idx) < self.dim:
            raise IndexError(f"basis element index {idx} out of range [0, {self.dim})")
        return int(idx)


def _row(values: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[0] == 1:
        return arr[0]
    if arr.ndim == 1:
        return arr
    raise ValueError(f"{name}: expected an array of shape (1, N) or (N,), got {arr.shape}")


class GaussianRadialProfile(Basis):
    r"""Gaussian rings :math:`b_i(r) = \exp(-(r - r_i)^2 / 2\sigma_i^2)` (shape ``(1, 1)``).

    Args:
        radii: the ring centres, ``>= 0``.
        sigma: their widths (one per ring, or one for all), ``> 0``.

    Example:
        >>> profile = GaussianRadialProfile([0.0, 1.0], 0.5)
        >>> profile.sample(np.array([[0.0, 1.0]])).round(4).tolist()
        [[[[1.0, 0.1353], [0.1353, 1.0]]]]
    """

    def __init__(self, radii: Sequence[float], sigma: Sequence[float] | float) -> None:
        r = np.asarray(list(radii), dtype=np.float64).reshape(-1)
        if isinstance(sigma, (int, float)):
            s = np.full(r.shape, float(sigma))
        else:
            s = np.asarray(list(sigma), dtype=np.float64).reshape(-1)
        if s.shape != r.shape:
            raise ValueError(f"sigma: expected one width per radius ({r.size}), got {s.size}")
        if not np.isfinite(r).all() or (r < 0).any():
            raise ValueError(f"radii: expected finite radii >= 0, got {r.tolist()}")
        if not np.isfinite(s).all() or (s <= 0).any():
            raise ValueError(f"sigma: expected finite widths > 0, got {s.tolist()}")
        super().__init__(int(r.size), (1, 1))
        self.radii = r
        self.sigma = s

    def sample(self, points: np.ndarray) -> np.ndarray:
        """Sample on radii given as ``(1, N)`` (e2cnn's layout) or ``(N,)``.

        Shape:
            - points: :math:`(1, N)` or :math:`(N,)`.
            - Output: :math:`(1, 1, \\text{dim}, N)`.
        """
        r = _row(points, "radii")
        out = np.exp(-((r[None, :] - self.radii[:, None]) ** 2) / (2.0 * self.sigma[:, None] ** 2))
        return out[None, None]

    def __getitem__(self, idx: int) -> dict[str, Any]:
        i = self._check_index(idx)
        return {"radius": float(self.radii[i]), "sigma": float(self.sigma[i]), "idx": i}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, GaussianRadialProfile)
            and np.array_equal(self.radii, other.radii)
            and np.array_equal(self.sigma, other.sigma)
        )

    def __hash__(self) -> int:
        return hash((self.radii.tobytes(), self.sigma.tobytes()))


def _irrep_of(group: Group, irrep: Any) -> IrreducibleRepresentation:
    if isinstance(irrep, IrreducibleRepresentation):
        if irrep.group != group:
            raise ValueError(f"irrep: {irrep.name} belongs to {irrep.group.name}, not {group.name}")
        return irrep
    if isinstance(irrep, str):
        return group.irrep_by_name(irrep)
    ids = irrep if isinstance(irrep, tuple) else (irrep,)
    return group.irrep(*ids)


class IrrepBasis(Basis):
    """Angular solutions :math:`\\kappa(\\theta)` between two irreps (e2cnn's ``IrrepBasis``).

    Use the subclasses of ``e2_steerable.kernels.irreps_basis``, one per planar group.

    Args:
        group: the group.
        in_irrep: input irrep (object, name or id).
        out_irrep: output irrep (object, name or id).
        kind: the group's :class:`GroupKind` (axis included).
        max_frequency: the largest :math:`|\\mu|` listed.
        max_offset: the largest aliasing offset listed (finite groups; ``None``: no limit).
    """

    def __init__(
        self,
        group: Group,
        in_irrep: Any,
        out_irrep: Any,
        kind: GroupKind,
        max_frequency: int | None,
        max_offset: int | None,
    ) -> None:
        if max_frequency is None and max_offset is None:
            raise ValueError("max_frequency, max_offset: give at least one of the two")
        for name, value in (("max_frequency", max_frequency), ("max_offset", max_offset)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{name}: expected None or an int >= 0, got {value!r}")
        self.group = group
        self.in_irrep = _irrep_of(group, in_irrep)
        self.out_irrep = _irrep_of(group, out_irrep)
        self.kind = kind
        self.max_frequency = max_frequency
        self.max_offset = max_offset
        if max_frequency is None:  # offsets only: list every frequency the offsets reach
            assert max_offset is not None
            n = max(kind.N, 1)
            max_frequency = int(self._frequencies_sum() + (max_offset + 1) * n)
        self.table = angular_table(
            kind,
            _descriptor(kind, self.in_irrep),
            _descriptor(kind, self.out_irrep),
            max_frequency,
            max_offset,
        )
        super().__init__(len(self.table), (self.out_irrep.size, self.in_irrep.size))

    def _frequencies_sum(self) -> int:
        return int(self.in_irrep.attributes.get("frequency", 0)) + int(
            self.out_irrep.attributes.get("frequency", 0)
        )

    def sample(self, points: np.ndarray) -> np.ndarray:
        """Sample on angles given as ``(1, N)`` (e2cnn's layout) or ``(N,)``; a NaN angle marks
        the origin, where every element of non-zero frequency vanishes.

        Shape:
            - points: :math:`(1, N)` or :math:`(N,)`.
            - Output: :math:`(d_\\text{out}, d_\\text{in}, \\text{dim}, N)`.
        """
        angles = _row(points, "angles")
        at_origin = np.isnan(angles)
        theta = np.where(at_origin, 0.0, angles - self.kind.axis)
        t = self.table
        out = evaluate(t.out_size, t.in_size, t.mu, t.gamma, t.s, theta, at_origin)
        return out.transpose(1, 2, 0, 3)

    def __getitem__(self, idx: int) -> dict[str, Any]:
        i = self._check_index(idx)
        t = self.table
        return {
            "frequency": int(t.mu[i]),
            "gamma": float(t.gamma[i]),
            "s": int(t.s[i]),
            "offset": int(t.t[i]),
            "in_irrep": self.in_irrep.name,
            "out_irrep": self.out_irrep.name,
            "idx": i,
        }

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, IrrepBasis)
            and (self.kind, self.in_irrep, self.out_irrep, self.max_frequency, self.max_offset)
            == (other.kind, other.in_irrep, other.out_irrep, other.max_frequency, other.max_offset)
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.kind, self.in_irrep.name, self.out_irrep.name))


def _descriptor(kind: GroupKind, irrep: IrreducibleRepresentation) -> tuple[int, int, int]:
    attrs = irrep.attributes
    if kind.kind == "Flip":
        return (irrep.size, 0, int(attrs.get("frequency", 0)))
    return (irrep.size, int(attrs.get("frequency", 0)), int(attrs.get("flip_frequency", 0)))


class SteerableKernelBasis(Basis):
    """The angular solutions between two representations, from an irrep-pair solution class.

    Elements are ordered by input irrep slot, then output irrep slot, then the irrep pair's own
    solutions (e2cnn's order); each is mapped through the representations' change of basis.

    Args:
        irreps_basis: a class of ``e2_steerable.kernels.irreps_basis``.
        in_repr: the input representation.
        out_repr: the output representation.
        **kwargs: passed to ``irreps_basis`` (``max_frequency``, ``max_offset``, ``axis``).
    """

    def __init__(
        self,
        irreps_basis: type[IrrepBasis],
        in_repr: Representation,
        out_repr: Representation,
        **kwargs: Any,
    ) -> None:
        if in_repr.group != out_repr.group:
            raise ValueError(
                f"in_repr and out_repr belong to different groups: {in_repr.group.name} and "
                f"{out_repr.group.name}"
            )
        group = in_repr.group
        self.in_repr = in_repr
        self.out_repr = out_repr
        self.irreps_basis = irreps_basis
        self.blocks: list[tuple[int, int, IrrepBasis]] = []
        for ii, in_name in enumerate(in_repr.irreps):
            for oo, out_name in enumerate(out_repr.irreps):
                try:
                    block = irreps_basis(group, in_name, out_name, **kwargs)  # type: ignore[call-arg]
                except EmptyBasisException:
                    continue
                self.blocks.append((ii, oo, block))
        dim = sum(b.dim for _, _, b in self.blocks)
        super().__init__(dim, (out_repr.size, in_repr.size))
        self._in_start = np.concatenate([[0], np.cumsum(group.irrep_sizes(in_repr.irreps))])
        self._out_start = np.concatenate([[0], np.cumsum(group.irrep_sizes(out_repr.irreps))])

    def sample(self, points: np.ndarray) -> np.ndarray:
        """Sample on angles ``(1, N)`` or ``(N,)`` (NaN at the origin).

        Shape:
            - points: :math:`(1, N)` or :math:`(N,)`.
            - Output: :math:`(C_\\text{out}, C_\\text{in}, \\text{dim}, N)`.
        """
        n = _row(points, "angles").shape[0]
        q_out = self.out_repr.change_of_basis
        q_in_inv = self.in_repr.change_of_basis_inv
        out = np.zeros((self.shape[0], self.shape[1], self.dim, n))
        e = 0
        for ii, oo, block in self.blocks:
            sampled = block.sample(points)  # (do, di, d, N)
            o0, i0 = int(self._out_start[oo]), int(self._in_start[ii])
            left = q_out[:, o0 : o0 + block.shape[0]]
            right = q_in_inv[i0 : i0 + block.shape[1], :]
            out[:, :, e : e + block.dim] = np.einsum("ob,bcdn,ci->oidn", left, sampled, right)
            e += block.dim
        return out

    def __getitem__(self, idx: int) -> dict[str, Any]:
        i = self._check_index(idx)
        for ii, oo, block in self.blocks:
            if i < block.dim:
                attr = dict(block[i])
                attr.update(in_irrep_idx=ii, out_irrep_idx=oo, inner_idx=i, idx=int(idx))
                return attr
            i -= block.dim
        raise AssertionError("unreachable")  # pragma: no cover

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SteerableKernelBasis)
            and self.in_repr == other.in_repr
            and self.out_repr == other.out_repr
            and [b for *_, b in self.blocks] == [b for *_, b in other.blocks]
        )

    def __hash__(self) -> int:
        return hash((self.in_repr, self.out_repr, tuple(b for *_, b in self.blocks)))


class PolarBasis(Basis):
    r"""The products :math:`c_{ij}(x, y) = a_i(r)\, b_j(\theta)` of a radial and an angular basis.

    Element ``idx = idx1 * angular.dim + idx2`` pairs radial element ``idx1`` with angular
    element ``idx2``; its attributes merge both, plus ``idx``, ``idx1`` and ``idx2`` (e2cnn's
    keys, which ``basis_filter`` callables may read).

    Args:
        radial: e.g. a :class:`GaussianRadialProfile`.
        angular: e.g. a :class:`SteerableKernelBasis`.
    """

    def __init__(self, radial: Basis, angular: Basis) -> None:
        super().__init__(
            radial.dim * angular.dim,
            (radial.shape[0] * angular.shape[0], radial.shape[1] * angular.shape[1]),
        )
        self.radial = radial
        self.angular = angular

    def sample(self, points: np.ndarray) -> np.ndarray:
        """Sample on points given as a ``(2, N)`` array of ``(x, y)`` (e2cnn's layout).

        Shape:
            - points: :math:`(2, N)`.
            - Output: :math:`(C_\\text{out}, C_\\text{in}, \\text{dim}, N)`.
        """
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[0] != 2:
            raise ValueError(f"points: expected an array of shape (2, N), got {pts.shape}")
        radii = np.hypot(pts[0], pts[1])
        angles = np.arctan2(pts[1], pts[0])
        angles[radii < 1e-9] = np.nan
        a = self.radial.sample(radii[None])  # (m, n, A, N)
        b = self.angular.sample(angles[None])  # (q, r, B, N)
        m, n, na, p = a.shape
        q, r, nb, _ = b.shape
        out = np.einsum("mnap,qrbp->mqnrabp", a, b)
        return out.reshape(m * q, n * r, na * nb, p)

    def __getitem__(self, idx: int) -> dict[str, Any]:
        i = self._check_index(idx)
        idx1, idx2 = divmod(i, self.angular.dim)
        attr: dict[str, Any] = {}
        attr.update(self.radial[idx1])
        attr.update(self.angular[idx2])
        attr.update(idx=i, idx1=idx1, idx2=idx2)
        return attr

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PolarBasis)
            and self.radial == other.radial
            and self.angular == other.angular
        )

    def __hash__(self) -> int:
        return hash((self.radial, self.angular))
