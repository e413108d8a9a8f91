"""What the compiled backends get: registry entries, ``geo`` slot names, the provenance dtype.

This is the leaf of :mod:`semiconv_nd.ops`: it imports nothing from ``semiconv_nd``, so the
backends (:mod:`semiconv_nd._cpu`, :mod:`semiconv_nd._cuda`) depend on it alone, and the
semifields (:mod:`semiconv_nd.semifields`) describe themselves to :mod:`semiconv_nd.ops` with a
:class:`SemifieldSpec` instead of being inspected with ``isinstance``. The layering is one-way:
``semifields`` -> ``ops`` -> ``_cpu``/``_cuda`` -> ``ops.entries``.

``geo`` is the int64 array ``[sD, sH, sW, pD, pH, pW, dD, dH, dW, O, broadcast]`` handed to every
kernel; the ``GEO_*`` constants name its slots (module-level ints, which numba folds into the
compiled code as constants).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

__all__ = [
    "GEO_BROADCAST",
    "GEO_DILATION_D",
    "GEO_DILATION_H",
    "GEO_DILATION_W",
    "GEO_OUT_PER_GROUP",
    "GEO_PAD_D",
    "GEO_PAD_H",
    "GEO_PAD_W",
    "GEO_SIZE",
    "GEO_STRIDE_D",
    "GEO_STRIDE_H",
    "GEO_STRIDE_W",
    "LINEAR",
    "LOG",
    "ROOT",
    "SelectEntry",
    "SemifieldSpec",
    "SubtractEntry",
    "provenance_dtype",
]

GEO_STRIDE_D, GEO_STRIDE_H, GEO_STRIDE_W = 0, 1, 2
GEO_PAD_D, GEO_PAD_H, GEO_PAD_W = 3, 4, 5
GEO_DILATION_D, GEO_DILATION_H, GEO_DILATION_W = 6, 7, 8
GEO_OUT_PER_GROUP = 9  # output channels per group (kernels per group without broadcasting)
GEO_BROADCAST = 10  # 1 with group broadcasting (every kernel applied to every group)
GEO_SIZE = 11

# Built-in subtract kernel modes (``SubtractEntry.mode``).
LINEAR = 0
ROOT = 1
LOG = 2


@dataclass(frozen=True, eq=False)
class SemifieldSpec:
    """A compiled semifield as the ops see it, built by the semifield itself.

    Attributes:
        kind: ``"select"`` or ``"subtract"``.
        operators: The scalar operators, in the argument order of the kernel factories
            (select: ``add_select, times, d_times_d_img, d_times_d_kernel``; subtract: ``add,
            times, d_times_d_img, d_times_d_kernel, subtract, d_add_d_right, post_sum,
            undo_post_sum, d_post_d_acc``, the last three possibly ``None``).
        zero: The semifield zero.
        cache_name: The name compiled code is shared under, or ``None`` (per semifield).
        builtin: The hand-written kernel to use: select ``+1``/``-1`` (tropical max/min),
            subtract :data:`LINEAR`, :data:`ROOT` or :data:`LOG`; ``None`` for user-defined.
        param: ``p`` for root, ``mu`` for log, else 0.
        source: The semifield object described (its identity names anonymous semifields).
    """

    kind: Literal["select", "subtract"]
    operators: tuple[Callable[..., Any] | None, ...]
    zero: float
    cache_name: str | None
    builtin: int | None = None
    param: float = 0.0
    source: Any = None


@dataclass
class SelectEntry:
    """A registered select semifield.

    Attributes:
        key: The registry key.
        spec: The semifield's :class:`SemifieldSpec`.
        kernels: Per device kind, the compiled ``(forward, backward)`` pair (filled lazily).
    """

    key: str
    spec: SemifieldSpec
    kernels: dict[str, Any] = field(default_factory=dict)

    @property
    def sign(self) -> int:
        """``+1``/``-1`` for the built-in tropical max/min (hand-written kernels), else 0."""
        return self.spec.builtin or 0

    @property
    def needs_image(self) -> bool:
        """Whether the backward pass reads the image (the tropical built-ins do not)."""
        return self.sign == 0

    @property
    def zero(self) -> float:
        """The semifield zero."""
        return float(self.spec.zero)

    @property
    def operators(self) -> tuple[Any, ...]:
        """The scalar operators, in the argument order of the kernel factories."""
        return self.spec.operators


@dataclass
class SubtractEntry:
    """A registered subtract semifield.

    Attributes:
        key: The registry key.
        spec: The semifield's :class:`SemifieldSpec`.
        kernels: Per device kind, the compiled ``(forward, backward)`` pair (filled lazily).
    """

    key: str
    spec: SemifieldSpec
    kernels: dict[str, Any] = field(default_factory=dict)

    @property
    def mode(self) -> int:
        """The built-in kernel mode (:data:`LINEAR`, :data:`ROOT`, :data:`LOG`), or -1."""
        return -1 if self.spec.builtin is None else self.spec.builtin

    @property
    def param(self) -> float:
        """``p`` for root, ``mu`` for log, else 0."""
        return float(self.spec.param)

    @property
    def zero(self) -> float:
        """The semifield zero."""
        return float(self.spec.zero)

    @property
    def operators(self) -> tuple[Any, ...]:
        """The scalar operators and ``post_sum`` transforms, in the kernel factories' order."""
        return self.spec.operators


def provenance_dtype(n_taps: int) -> tuple[torch.dtype, int]:
    """The smallest provenance dtype for ``n_taps`` taps per window, and its sentinel.

    Args:
        n_taps: Taps per window, input channels of a group included.

    Returns:
        ``(dtype, sentinel)``: uint8 up to 255 taps, uint16 up to 65535, else int32. The sentinel
        (the dtype's largest value) marks outputs where no tap was selected.

    Example:
        >>> provenance_dtype(121)
        (torch.uint8, 255)
        >>> provenance_dtype(256)
        (torch.uint16, 65535)
    """
    if n_taps <= 255:
        return torch.uint8, 255
    if n_taps <= 65535:
        return torch.uint16, 65535
    return torch.int32, 2**31 - 1
