"""Frequency cut-offs: the maximum angular frequency a ring of a given radius may carry.

All cut-offs and filters here are small picklable classes (no closures), and
:class:`BandlimitFilter` also works on whole attribute arrays at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["BandlimitFilter", "CombinedFilter", "FrequencyCutoff", "make_frequency_cutoff"]


class FrequencyCutoff:
    r"""A cut-off policy ``f(r)``: the largest :math:`|\mu|` allowed on the ring of radius ``r``.

    Args:
        policy: ``"default"`` (e2cnn's policy, ``-1``), ``"policy2"`` (``-2``), ``"policy3"``
            (``-3``) or ``"linear"``.
        max_radius: the radius ``R`` of the outer ring for the tabulated policies
            (``kernel_size // 2``, *not* multiplied by the dilation, as in e2cnn).
        factor: the slope for ``"linear"``: ``f(r) = factor * r``.
        dilation: radii are divided by this before applying the policy. ``1`` reproduces e2cnn;
            the dilation of the layer makes the cut-off dilation-aware (the basis then has the
            same size for every dilation).

    The default policy: :math:`f(0) = 0`; :math:`f(R) = \min(2R, 2)`; otherwise
    :math:`f(r) = \min(2r, 2r - ((r + 1) \bmod 2))`.

    Example:
        >>> f = FrequencyCutoff("default", max_radius=4)
        >>> [f(r) for r in (0.0, 1.0, 2.0, 3.0, 4.0)]
        [0.0, 2.0, 3.0, 6.0, 2.0]
    """

    def __init__(
        self, policy: str, max_radius: float = 0.0, factor: float = 0.0, dilation: float = 1.0
    ) -> None:
        if policy not in ("default", "policy2", "policy3", "linear"):
            raise ValueError(f"policy: unknown frequency cut-off policy {policy!r}")
        self.policy = policy
        self.max_radius = float(max_radius)
        self.factor = float(factor)
        self.dilation = float(dilation)

    def __call__(self, r: float) -> float:
        r = float(r) / self.dilation
        if self.policy == "linear":
            return self.factor * r
        if r == 0.0:
            return 0.0
        at_border = r == self.max_radius
        if self.policy == "policy3":
            return 1.0 if at_border else 2.0
        border = 2.0 if self.policy == "default" else 1.0
        return float(min(2 * r, border if at_border else 2 * r - (r + 1) % 2))

    def __repr__(self) -> str:
        return (
            f"FrequencyCutoff({self.policy!r}, max_radius={self.max_radius}, "
            f"factor={self.factor}, dilation={self.dilation})"
        )


def make_frequency_cutoff(
    frequencies_cutoff: float | str | Callable[[float], float] | None,
    kernel_size: int,
    dilation: int = 1,
) -> Callable[[float], float]:
    """Turn R2Conv's ``frequencies_cutoff`` argument into a cut-off function.

    Args:
        frequencies_cutoff: ``None`` or ``-1.0`` (the default policy), ``-2.0``/``-3.0`` (the
            alternative tables), another float ``c`` (``f(r) = c r``), ``"dilated"`` (the default
            policy measured in units of the dilation) or a callable ``r -> f(r)``.
        kernel_size: the kernel size.
        dilation: the dilation (used by ``"dilated"``).

    Example:
        >>> make_frequency_cutoff(None, 5)(2.0), make_frequency_cutoff(1.5, 5)(2.0)
        (2.0, 3.0)
    """
    radius = kernel_size // 2
    if frequencies_cutoff is None:
        return FrequencyCutoff("default", radius)
    if isinstance(frequencies_cutoff, str):
        if frequencies_cutoff == "dilated":
            return FrequencyCutoff("default", radius, dilation=dilation)
        raise ValueError(
            "frequencies_cutoff: expected None, a float, 'dilated' or a callable, got "
            f"{frequencies_cutoff!r}"
        )
    if isinstance(frequencies_cutoff, (int, float)) and not isinstance(frequencies_cutoff, bool):
        value = float(frequencies_cutoff)
        table = {-1.0: "default", -2.0: "policy2", -3.0: "policy3"}
        if value in table:
            return FrequencyCutoff(table[value], radius)
        if value < 0:
            raise ValueError(
                f"frequencies_cutoff: negative values select a policy (-1, -2 or -3), got {value}"
            )
        return FrequencyCutoff("linear", factor=value)
    if callable(frequencies_cutoff):
        return frequencies_cutoff
    raise TypeError(
        "frequencies_cutoff: expected None, a float, 'dilated' or a callable, got "
        f"{type(frequencies_cutoff).__name__}"
    )


class BandlimitFilter:
    """Keep a basis element iff ``|frequency| <= cutoff(radius)``.

    Works on one attribute dictionary (``__call__``) or on whole arrays (:meth:`mask`).

    Example:
        >>> keep = BandlimitFilter(FrequencyCutoff("default", max_radius=2))
        >>> keep({"radius": 1.0, "frequency": 2}), keep({"radius": 0.0, "frequency": 1})
        (True, False)
    """

    def __init__(self, cutoff: Callable[[float], float]) -> None:
        self.cutoff = cutoff

    def __call__(self, attributes: dict[str, Any]) -> bool:
        return bool(abs(attributes["frequency"]) <= self.cutoff(attributes["radius"]))

    def mask(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """Boolean keep-mask over the elements described by attribute ``arrays``."""
        radius = arrays["radius"]
        unique, inverse = np.unique(radius, return_inverse=True)
        limits = np.array([self.cutoff(float(r)) for r in unique], dtype=np.float64)
        return np.abs(arrays["frequency"]) <= limits[inverse.reshape(-1)]


class CombinedFilter:
    """Keep an element iff a :class:`BandlimitFilter` and a user's ``basis_filter`` both keep it."""

    def __init__(
        self, bandlimit: BandlimitFilter, custom: Callable[[dict[str, Any]], bool]
    ) -> None:
        self.bandlimit = bandlimit
        self.custom = custom

    def __call__(self, attributes: dict[str, Any]) -> bool:
        return self.bandlimit(attributes) and bool(self.custom(attributes))
