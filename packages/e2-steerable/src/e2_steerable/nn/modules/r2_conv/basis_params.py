"""Sampling parameters of R2Conv's kernel basis: grid, rings, widths, cut-off and filter."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from e2_steerable._vendor import grid as _grid
from e2_steerable.kernels.bandlimit import BandlimitFilter, CombinedFilter, make_frequency_cutoff

__all__ = ["BasisParams", "compute_basis_params"]


@dataclass
class BasisParams:
    """Everything needed to sample a kernel basis for one kernel size and dilation.

    Attributes:
        points: ``(P, 2)`` sampling points ``(x, y)``, row-major (``P = kernel_size**2``).
        rings: ring radii.
        sigma: ring widths.
        maximum_frequency: the largest angular frequency any ring accepts.
        basis_filter: the band-limiting filter (combined with the user's filter, if any).
    """

    points: np.ndarray
    rings: list[float]
    sigma: list[float]
    maximum_frequency: int
    basis_filter: Any


def compute_basis_params(
    kernel_size: int,
    frequencies_cutoff: float | str | Callable[[float], float] | None = None,
    rings: Sequence[float] | None = None,
    sigma: Sequence[float] | float | None = None,
    dilation: int = 1,
    custom_basis_filter: Callable[[dict[str, Any]], bool] | None = None,
    dilate_rings: bool = True,
) -> BasisParams:
    """e2cnn's default sampling policy (notes §2.1–2.2), with the same arguments as R2Conv.

    * grid: the ``kernel_size x kernel_size`` taps, ``x`` right and ``y`` up, times ``dilation``;
    * rings: ``ceil(s/2)`` radii evenly spaced in ``[0, (s-1)//2]``, times ``dilation`` unless
      ``dilate_rings`` is false (e2cnn's R2ConvTransposed keeps them undilated, so its basis,
      and its parameter count, do not grow with the dilation);
    * widths: 0.6, the last ring 0.4, a ring at the origin 0.005;
    * cut-off: see :class:`~e2_steerable.kernels.FrequencyCutoff`.

    Example:
        >>> params = compute_basis_params(5)
        >>> params.rings, params.sigma, params.maximum_frequency
        ([0.0, 1.0, 2.0], [0.005, 0.6, 0.4], 2)
    """
    if not isinstance(kernel_size, int) or isinstance(kernel_size, bool) or kernel_size < 1:
        raise ValueError(f"kernel_size: expected a positive int, got {kernel_size!r}")
    if not isinstance(dilation, int) or isinstance(dilation, bool) or dilation < 1:
        raise ValueError(f"dilation: expected a positive int, got {dilation!r}")
    points = _grid.kernel_grid(kernel_size, dilation, origin="centre", ndim=2)
    max_radius = float(np.sqrt((points**2).sum(axis=1)).max())
    if rings is None:
        n_rings = math.ceil(kernel_size / 2)
        scale = dilation if dilate_rings else 1
        ring_list = (np.linspace(0.0, (kernel_size - 1) // 2, n_rings) * scale).tolist()
    else:
        ring_list = [float(r) for r in rings]
        bad = [r for r in ring_list if not 0.0 <= r <= max_radius + 1e-9]
        if not ring_list or bad:
            raise ValueError(
                f"rings: expected radii in [0, {max_radius:.4g}] (the kernel's extent), got "
                f"{list(rings)}"
            )
    if sigma is None:
        sigma_list = [0.6] * (len(ring_list) - 1) + [0.4]
        sigma_list = [0.005 if r == 0.0 else s for r, s in zip(ring_list, sigma_list)]
    elif isinstance(sigma, (int, float)) and not isinstance(sigma, bool):
        sigma_list = [float(sigma)] * len(ring_list)
    else:
        sigma_list = [float(s) for s in sigma]  # type: ignore[union-attr]
        if len(sigma_list) != len(ring_list):
            raise ValueError(
                f"sigma: expected one width per ring ({len(ring_list)}), got {len(sigma_list)}"
            )
    if any(s <= 0 for s in sigma_list):
        raise ValueError(f"sigma: widths must be positive, got {sigma_list}")
    cutoff = make_frequency_cutoff(frequencies_cutoff, kernel_size, dilation)
    maximum_frequency = int(max(cutoff(r) for r in ring_list))
    bandlimit = BandlimitFilter(cutoff)
    basis_filter: Any = bandlimit
    if custom_basis_filter is not None:
        if not callable(custom_basis_filter):
            raise TypeError(
                f"basis_filter: expected a callable, got {type(custom_basis_filter).__name__}"
            )
        basis_filter = CombinedFilter(bandlimit, custom_basis_filter)
    return BasisParams(points, ring_list, sigma_list, maximum_frequency, basis_filter)
