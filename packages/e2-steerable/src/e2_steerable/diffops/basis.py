r"""Bases of steerable partial differential operators (PDOs) on the plane.

A PDO :math:`D(P)` is a matrix :math:`P` of polynomials in which :math:`x, y` stand for
:math:`\partial_x, \partial_y`. It is equivariant iff :math:`P(gx) = \rho_\text{out}(g) P(x)
\rho_\text{in}(g)^{-1}`: the kernel constraint. Its solutions are the angular solutions of the
kernels (:mod:`e2_steerable.kernels`) with :math:`r^{|\mu|}\cos(\mu\theta + \gamma)` and
:math:`r^{|\mu|}\sin(\mu\theta + \gamma)` read as homogeneous polynomials, times powers of the
Laplacian :math:`(x^2 + y^2)^p`.

Elements are ordered as in e2cnn: input irrep slot, output irrep slot, angular solution (phase,
flip, offset), then the power of the Laplacian innermost, so e2cnn's ``R2Diffop`` weights map one
to one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from e2_steerable.diffops.discretization import DiscretizationArgs, monomial_stencils
from e2_steerable.diffops.polynomials import (
    display_diffop,
    laplacian_power,
    multiply_polynomials,
    rotated_power,
    transform_polynomial,
)
from e2_steerable.group import Representation
from e2_steerable.kernels._angular import GroupKind, angular_table
from e2_steerable.kernels.bandlimit import BandlimitFilter
from e2_steerable.kernels.basis import (
    KernelBasis,
    _irrep_descriptor,
    _repr_key,
)

__all__ = [
    "DiffopBasis",
    "LaplaceProfile",
    "OrderFilter",
    "SteerableDiffopBasis",
    "TensorBasis",
]

_NO_LIMIT = 10**9


class DiffopBasis:
    """A finite basis of (matrix-valued) homogeneous PDOs, discretised on demand.

    Element ``e`` is the ``O x I`` matrix of homogeneous polynomials of degree ``degrees[e]``
    with coefficients ``coefficients[e, :, :, :degrees[e] + 1]`` (of
    :math:`x^{n-k} y^k`, ``k = 0..n``).

    Args:
        coefficients: ``(E, O, I, D + 1)`` float64, zero-padded beyond each element's degree.
        degrees: ``(E,)`` the degree of each element.
        attributes: per-element attribute arrays of length ``E`` (must include ``out_size``,
            the size of the output irrep the element lives on, for normalisation).
        discretization: how to turn the operators into stencils.

    Attributes:
        dim: number of elements; shape: ``(O, I)``; maximum_order: the largest degree.
    """

    def __init__(
        self,
        coefficients: np.ndarray,
        degrees: np.ndarray,
        attributes: dict[str, np.ndarray],
        discretization: DiscretizationArgs | None = None,
    ) -> None:
        if discretization is None:
            discretization = DiscretizationArgs()
        if not isinstance(discretization, DiscretizationArgs):
            raise TypeError(
                "discretization: expected a DiscretizationArgs, got "
                f"{type(discretization).__name__}"
            )
        coefficients = np.asarray(coefficients, dtype=np.float64)
        coefficients = np.where(np.abs(coefficients) < 1e-12, 0.0, coefficients)
        self.coefficients = coefficients
        self.degrees = np.asarray(degrees, dtype=np.int64)
        self.disc = discretization
        self.dim = int(coefficients.shape[0])
        self.shape = (int(coefficients.shape[1]), int(coefficients.shape[2]))
        self.maximum_order = int(self.degrees.max()) if self.dim else 0
        self._arrays = attributes

    # ------------------------------------------------------------------ attributes
    def attribute_arrays(self) -> dict[str, np.ndarray]:
        """Every element's attributes as arrays of length :attr:`dim`."""
        return self._arrays

    def __len__(self) -> int:
        return self.dim

    def dimension(self) -> int:
        """Number of elements."""
        return self.dim

    def __getitem__(self, idx: int) -> dict[str, Any]:
        if not 0 <= idx < self.dim:
            raise IndexError(f"basis element index {idx} out of range [0, {self.dim})")
        attr: dict[str, Any] = {}
        for key, values in self._arrays.items():
            if key in ("out_size", "in_size", "radius"):
                continue
            value = values[idx]
            attr[key] = value.item() if isinstance(value, np.generic) else value
        attr["order"] = int(self.degrees[idx])
        attr["idx"] = int(idx)
        return attr

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(self.dim):
            yield self[i]

    def element(self, idx: int) -> np.ndarray:
        """The coefficients ``(O, I, n + 1)`` of element ``idx``."""
        return self.coefficients[idx, :, :, : int(self.degrees[idx]) + 1]

    def pretty_print(self) -> str:
        """Every element as a matrix of operators (``x``, ``y`` standing for the partials)."""
        blocks = []
        for e in range(self.dim):
            c = self.element(e)
            rows = [
                "\t".join(display_diffop(c[i, j]) for j in range(self.shape[1]))
                for i in range(self.shape[0])
            ]
            blocks.append("\n".join(rows))
        return "\n----------------------------------\n".join(blocks)

    # ------------------------------------------------------------------ sampling
    def _oriented_coefficients(self, idx: np.ndarray) -> np.ndarray:
        coeffs = self.coefficients[idx]
        angle = self.disc.angle_offset
        if angle is None or angle == 0.0:
            return coeffs
        c, s = np.cos(angle), np.sin(angle)
        rot = np.array([[c, -s], [s, c]])
        out = np.zeros_like(coeffs)
        degrees = self.degrees[idx]
        for n in np.unique(degrees):
            sel = degrees == n
            # P(R(-angle) v): the operator rotated by +angle
            out[sel, :, :, : n + 1] = transform_polynomial(coeffs[sel, :, :, : n + 1], rot)
        return out

    def sample(self, points: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Discretise the elements selected by ``mask`` as stencils on ``points``.

        Args:
            points: ``(P, 2)`` kernel points ``(x, y)`` (``x`` right, ``y`` up).
            mask: optional boolean array of length :attr:`dim`.

        Returns:
            float64 array ``(n, O, I, P)``.

        Shape:
            - points: :math:`(P, 2)`.
            - Output: :math:`(n, C_\\text{out}, C_\\text{in}, P)`.
        """
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise ValueError(f"points: expected an array of shape (P, 2), got {pts.shape}")
        idx = np.arange(self.dim) if mask is None else np.flatnonzero(mask)
        coeffs = self._oriented_coefficients(idx)
        degrees = self.degrees[idx]
        out = np.zeros((idx.shape[0], self.shape[0], self.shape[1], pts.shape[0]))
        for n in np.unique(degrees):
            sel = np.flatnonzero(degrees == n)
            stencils = monomial_stencils(pts, int(n), self.disc)
            out[sel] = np.einsum("eoik,kp->eoip", coeffs[sel, :, :, : n + 1], stencils)
        return out

    def sample_normalized(
        self, points: np.ndarray, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sample, normalise and drop vanishing elements, exactly as for kernel bases
        (see :meth:`e2_steerable.kernels.KernelBasis.sample_normalized`)."""
        return KernelBasis.sample_normalized(self, points, mask)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ identity
    def key(self) -> tuple:
        """A hashable description including every discretisation parameter."""
        return (
            type(self).__name__,
            self.coefficients.shape,
            self.coefficients.tobytes(),
            self.degrees.tobytes(),
            self.disc.key(),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DiffopBasis) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


def _dense_attributes(rows: dict[str, list[Any]]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in rows.items()}


class LaplaceProfile(DiffopBasis):
    """The rotation- and reflection-invariant operators :math:`\\Delta^p`, ``p = 0..max_power``.

    Example:
        >>> [a["order"] for a in LaplaceProfile(2)]
        [0, 2, 4]
    """

    def __init__(self, max_power: int, discretization: DiscretizationArgs | None = None) -> None:
        if not isinstance(max_power, (int, np.integer)) or max_power < 0:
            raise ValueError(f"max_power: expected an int >= 0, got {max_power!r}")
        self.max_power = int(max_power)
        size = 2 * self.max_power + 1
        coeffs = np.zeros((self.max_power + 1, 1, 1, size))
        for p in range(self.max_power + 1):
            coeffs[p, 0, 0, : 2 * p + 1] = laplacian_power(p)
        attrs = {
            "power": np.arange(self.max_power + 1),
            "out_size": np.ones(self.max_power + 1, dtype=np.int64),
        }
        super().__init__(coeffs, 2 * np.arange(self.max_power + 1), attrs, discretization)


class SteerableDiffopBasis(DiffopBasis):
    r"""The angular part of the steerable PDOs between two representations (no Laplacian).

    The element for an angular solution :math:`(\mu, \gamma, s)` between irrep slots
    ``(j, i)`` is :math:`B\, E_{j,i}[\kappa(x, y)]\, A^{-1}`, where :math:`\kappa` is the
    kernel-constraint solution with :math:`r^{|\mu|} \cos(\mu\theta' + \gamma)` and
    :math:`r^{|\mu|} \sin(\mu\theta' + \gamma)` written as polynomials
    (:math:`\theta' = \theta - \beta`, :math:`\beta` the reflection axis). A 1x1 block with
    :math:`\gamma = \pi/2` uses :math:`+\sin`, e2cnn's sign.

    Args:
        group_kind: the group's kind.
        in_repr: input representation.
        out_repr: output representation.
        maximum_frequency: largest :math:`|\mu|` listed (``None``: no limit; finite groups then
            need ``maximum_offset``).
        maximum_offset: largest aliasing offset (finite groups).
        discretization: the discretisation.
    """

    def __init__(
        self,
        group_kind: GroupKind,
        in_repr: Representation,
        out_repr: Representation,
        maximum_frequency: int | None = None,
        maximum_offset: int | None = None,
        discretization: DiscretizationArgs | None = None,
    ) -> None:
        if in_repr.group != out_repr.group:
            raise ValueError(
                f"in_repr and out_repr belong to different groups: {in_repr.group.name} and "
                f"{out_repr.group.name}"
            )
        if maximum_frequency is None:
            if group_kind.kind not in ("SO2", "O2") and maximum_offset is None:
                raise ValueError(
                    "maximum_frequency: finite groups need a maximum frequency or a maximum "
                    "offset (the aliased frequencies are unbounded)"
                )
            maximum_frequency = _NO_LIMIT
        if not isinstance(maximum_frequency, (int, np.integer)) or maximum_frequency < 0:
            raise ValueError(f"maximum_frequency: expected an int >= 0, got {maximum_frequency!r}")
        if maximum_offset is not None and (
            not isinstance(maximum_offset, (int, np.integer)) or maximum_offset < 0
        ):
            raise ValueError(
                f"maximum_offset: expected None or an int >= 0, got {maximum_offset!r}"
            )
        self.group_kind = group_kind
        self.in_repr = in_repr
        self.out_repr = out_repr
        self.maximum_frequency = int(maximum_frequency)
        self.maximum_offset = maximum_offset
        coeffs, degrees, attrs = self._build()
        super().__init__(coeffs, degrees, attrs, discretization)

    def _build(self) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        kind = self.group_kind
        group = self.in_repr.group
        in_irreps = [group._irreps[n] for n in self.in_repr.irreps]
        out_irreps = [group._irreps[n] for n in self.out_repr.irreps]
        i_start = np.concatenate([[0], np.cumsum([r.size for r in in_irreps])]).astype(int)
        o_start = np.concatenate([[0], np.cumsum([r.size for r in out_irreps])]).astype(int)
        q_out = self.out_repr.change_of_basis
        q_in_inv = self.in_repr.change_of_basis_inv
        axis = kind.axis if kind.kind in ("D", "O2", "Flip") else 0.0
        blocks: list[tuple[int, int, np.ndarray, int]] = []
        rows: dict[str, list[Any]] = {
            k: []
            for k in (
                "frequency", "gamma", "invert", "s", "offset", "in_irrep", "out_irrep",
                "in_irrep_idx", "out_irrep_idx", "inner_idx", "out_size", "in_size",
            )
        }  # fmt: skip
        for ii, irr_in in enumerate(in_irreps):
            for oo, irr_out in enumerate(out_irreps):
                table = angular_table(
                    kind,
                    _irrep_descriptor(kind, irr_in),
                    _irrep_descriptor(kind, irr_out),
                    self.maximum_frequency,
                    self.maximum_offset,
                )
                do, di = irr_out.size, irr_in.size
                for e in range(len(table)):
                    mu, gamma, s = int(table.mu[e]), float(table.gamma[e]), int(table.s[e])
                    re, im = rotated_power(mu, gamma - mu * axis)
                    block = np.zeros((do, di, abs(mu) + 1))
                    if do == 2 and di == 2:
                        sign = -1.0 if s else 1.0
                        block[0, 0], block[0, 1] = re, -sign * im
                        block[1, 0], block[1, 1] = im, sign * re
                    elif do == 2:
                        block[0, 0], block[1, 0] = re, im
                    elif di == 2:
                        block[0, 0], block[0, 1] = re, im
                    else:
                        block[0, 0] = re if gamma == 0.0 else -re
                    blocks.append((ii, oo, block, abs(mu)))
                    rows["frequency"].append(mu)
                    rows["gamma"].append(gamma)
                    rows["invert"].append(int(gamma != 0.0))
                    rows["s"].append(s)
                    rows["offset"].append(int(table.t[e]))
                    rows["in_irrep"].append(irr_in.name)
                    rows["out_irrep"].append(irr_out.name)
                    rows["in_irrep_idx"].append(ii)
                    rows["out_irrep_idx"].append(oo)
                    rows["inner_idx"].append(e)
                    rows["out_size"].append(do)
                    rows["in_size"].append(di)
        top = max((b[3] for b in blocks), default=0)
        coeffs = np.zeros((len(blocks), self.out_repr.size, self.in_repr.size, top + 1))
        for e, (ii, oo, block, n) in enumerate(blocks):
            left = q_out[:, o_start[oo] : o_start[oo + 1]]
            right = q_in_inv[i_start[ii] : i_start[ii + 1], :]
            coeffs[e, :, :, : n + 1] = np.einsum("ob,bck,ci->oik", left, block, right)
        degrees = np.array([b[3] for b in blocks], dtype=np.int64)
        attrs = _dense_attributes(rows)
        for key in ("frequency", "s", "offset", "invert", "in_irrep_idx", "out_irrep_idx"):
            attrs[key] = attrs[key].astype(np.int64)  # also when empty
        return coeffs, degrees, attrs

    def key(self) -> tuple:
        return (
            "SteerableDiffopBasis",
            self.group_kind,
            _repr_key(self.in_repr),
            _repr_key(self.out_repr),
            self.maximum_frequency,
            self.maximum_offset,
            self.disc.key(),
        )


class TensorBasis(DiffopBasis):
    """Products :math:`a \\circ \\Delta^p` of an angular basis and a :class:`LaplaceProfile`.

    The Laplacian power is the inner index. ``order`` is ``|frequency| + 2 power``.

    Args:
        angular: the :class:`SteerableDiffopBasis`.
        profile: the :class:`LaplaceProfile`.

    Example:
        >>> from e2_steerable import gspaces
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> basis = gs.build_diffop_basis(gs.trivial_repr, gs.trivial_repr, max_power=1,
        ...                               maximum_frequency=2)
        >>> [a["order"] for a in basis]  # the identity and the Laplacian (C8: nothing else)
        [0, 2]
    """

    def __init__(self, angular: SteerableDiffopBasis, profile: LaplaceProfile) -> None:
        if angular.disc != profile.disc:
            raise ValueError("angular and profile: the two bases use different discretisations")
        self.basis1 = angular
        self.basis2 = profile
        self.in_repr = angular.in_repr
        self.out_repr = angular.out_repr
        self.group_kind = angular.group_kind
        n1, n2 = angular.dim, profile.dim
        top = int(angular.degrees.max(initial=0)) + 2 * profile.max_power
        coeffs = np.zeros((n1, n2, *angular.shape, top + 1))
        for p in range(n2):
            lap = laplacian_power(p)
            prod = multiply_polynomials(angular.coefficients, lap)
            coeffs[:, p, :, :, : prod.shape[-1]] = prod
        degrees = (angular.degrees[:, None] + 2 * np.arange(n2)[None, :]).reshape(-1)
        attrs = {k: np.repeat(v, n2) for k, v in angular.attribute_arrays().items()}
        attrs["power"] = np.tile(np.arange(n2), n1)
        attrs["radius"] = degrees.astype(np.float64)  # what generic code reads as the "ring"
        super().__init__(coeffs.reshape((n1 * n2, *coeffs.shape[2:])), degrees, attrs, angular.disc)

    def key(self) -> tuple:
        return ("TensorBasis", self.basis1.key(), self.basis2.max_power)


class OrderFilter(BandlimitFilter):
    """Keep an element iff its order (``|frequency| + 2 power``) is at most ``maximum_order``.

    Example:
        >>> keep = OrderFilter(2)
        >>> keep({"order": 2}), keep({"order": 3})
        (True, False)
    """

    def __init__(self, maximum_order: int) -> None:
        self.maximum_order = int(maximum_order)
        self.cutoff = self  # type: ignore[assignment]

    def __call__(self, attributes: dict[str, Any]) -> bool:
        return bool(attributes["order"] <= self.maximum_order)

    def mask(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        return np.abs(arrays["frequency"]) + 2 * arrays["power"] <= self.maximum_order

    def __repr__(self) -> str:
        return f"OrderFilter(maximum_order={self.maximum_order})"
