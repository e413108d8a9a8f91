"""Weight initialisation for steerable convolutions (vectorised; no per-element Python loop)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["deltaorthonormal_init", "generalized_he_init"]

_HE_CACHE: dict[int, tuple[Any, torch.Tensor]] = {}


def _attributes(basisexpansion: Any) -> dict[str, np.ndarray]:
    if hasattr(basisexpansion, "weight_attributes"):
        return basisexpansion.weight_attributes()
    # a user-defined BasisExpansion: fall back to its per-element dictionaries
    infos = list(basisexpansion.get_basis_info())
    codes: dict[str, int] = {}
    return {
        "in_irrep": np.array([codes.setdefault(a["in_irrep"], len(codes)) for a in infos]),
        "out_irrep": np.array([codes.setdefault(a["out_irrep"], len(codes)) for a in infos]),
        "in_irreps_position": np.array([a["in_irreps_position"] for a in infos]),
        "out_irreps_position": np.array([a["out_irreps_position"] for a in infos]),
        "radius": np.array([a.get("radius", a.get("order", 0.0)) for a in infos], dtype=float),
    }


def _he_std(basisexpansion: Any) -> torch.Tensor:
    r"""Per-coefficient std :math:`1/\sqrt{T_o C_{a,o}}` of the generalised He initialisation.

    ``o`` is the coefficient's global output irrep slot, ``a`` its input irrep type, ``T_o`` the
    number of distinct input irrep types reaching ``o`` and ``C_{a,o}`` the number of
    coefficients from type ``a`` into ``o``.
    """
    a = _attributes(basisexpansion)
    out_pos = a["out_irreps_position"].astype(np.int64)
    in_type = a["in_irrep"].astype(np.int64)
    n_types = int(in_type.max()) + 1 if in_type.size else 1
    key = out_pos * n_types + in_type
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    c = counts[inverse.reshape(-1)]
    unique_keys = np.unique(key)
    types_per_slot = np.bincount(unique_keys // n_types, minlength=int(out_pos.max()) + 1)
    t = types_per_slot[out_pos]
    return torch.from_numpy(1.0 / np.sqrt(t * c))


def generalized_he_init(tensor: torch.Tensor, basisexpansion: Any, cache: bool = False) -> None:
    r"""Generalised He initialisation of steerable-convolution coefficients, in place.

    Each coefficient is drawn from :math:`\mathcal{N}(0, 1/(T_o C_{a,o}))` (see the research
    notes §2.4), so every output channel starts with unit-order variance.

    Args:
        tensor: the coefficients, shape ``(basisexpansion.dimension(),)``.
        basisexpansion: the basis expansion the coefficients belong to.
        cache: keep the std vector for this expansion object (for repeated re-initialisation).

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces, nn
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> conv = nn.R2Conv(nn.FieldType(gs, [gs.regular_repr] * 2),
        ...                  nn.FieldType(gs, [gs.regular_repr] * 2), 3, initialize=False)
        >>> generalized_he_init(conv.weights.data, conv.basisexpansion)
        >>> bool(conv.weights.abs().sum() > 0)
        True
    """
    dim = basisexpansion.dimension()
    if tuple(tensor.shape) != (dim,):
        raise ValueError(
            f"tensor: expected shape ({dim},) (the basis dimension), got {tuple(tensor.shape)}"
        )
    std = None
    if cache:
        hit = _HE_CACHE.get(id(basisexpansion))
        if hit is not None and hit[0] is basisexpansion:
            std = hit[1]
    if std is None:
        std = _he_std(basisexpansion)
        if cache:
            _HE_CACHE[id(basisexpansion)] = (basisexpansion, std)
    with torch.no_grad():
        noise = torch.randn(dim, dtype=torch.float64)
        tensor.copy_((noise * std).to(dtype=tensor.dtype, device=tensor.device))


def _orthogonal(rows: int, cols: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random ``rows x cols`` matrix with orthonormal rows or columns (Haar distributed)."""
    n = max(rows, cols)
    q, r = torch.linalg.qr(torch.randn(n, n, dtype=torch.float64, generator=generator))
    q = q * torch.sign(torch.diagonal(r))[None, :]
    return q[:rows, :cols]


def deltaorthonormal_init(tensor: torch.Tensor, basisexpansion: Any) -> None:
    r"""Delta-orthogonal initialisation: only the centre tap, an orthogonal map between irreps.

    For every irrep type, the coefficients of the centre-ring elements mapping that irrep to the
    same irrep are set so that the input-to-output irrep map is a random orthogonal matrix,
    scaled by a random unit vector over the elements of each slot pair. Everything else is 0.

    Args:
        tensor: the coefficients, shape ``(basisexpansion.dimension(),)``.
        basisexpansion: the basis expansion the coefficients belong to.
    """
    dim = basisexpansion.dimension()
    if tuple(tensor.shape) != (dim,):
        raise ValueError(
            f"tensor: expected shape ({dim},) (the basis dimension), got {tuple(tensor.shape)}"
        )
    a = _attributes(basisexpansion)
    values = torch.zeros(dim, dtype=torch.float64)
    names = getattr(basisexpansion, "irrep_names", None)
    same = a["in_irrep"] == a["out_irrep"]
    if names is not None:
        same = np.array([names[i] == names[o] for i, o in zip(a["in_irrep"], a["out_irrep"])])
    centre = same & (np.abs(a["radius"]) < 1e-12)
    for irrep in np.unique(a["in_irrep"][centre]):
        sel = np.flatnonzero(centre & (a["in_irrep"] == irrep))
        in_pos, in_idx = np.unique(a["in_irreps_position"][sel], return_inverse=True)
        out_pos, out_idx = np.unique(a["out_irreps_position"][sel], return_inverse=True)
        in_idx, out_idx = in_idx.reshape(-1), out_idx.reshape(-1)
        # rank of each element inside its (in slot, out slot) pair
        pair = out_idx * len(in_pos) + in_idx
        order = np.argsort(pair, kind="stable")
        starts = np.searchsorted(pair[order], pair[order])
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size) - starts
        n_elem = int(rank.max()) + 1
        w = _orthogonal(len(out_pos), len(in_pos))
        unit = torch.randn(len(out_pos), n_elem, dtype=torch.float64)
        unit = unit / unit.norm(dim=1, keepdim=True)
        values[torch.from_numpy(sel)] = (
            unit[torch.from_numpy(out_idx), torch.from_numpy(rank)]
            * w[torch.from_numpy(out_idx), torch.from_numpy(in_idx)]
        )
    with torch.no_grad():
        tensor.copy_(values.to(dtype=tensor.dtype, device=tensor.device))
