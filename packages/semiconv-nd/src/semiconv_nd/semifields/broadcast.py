r"""Broadcast semifields: semifield convolutions from plain PyTorch tensor operations.

A :class:`BroadcastSemifield` describes a semifield by three tensor functions (``add_reduce``,
``multiply``, an optional ``add_reduce_channels``) and its ``zero``. Its
:meth:`~BroadcastSemifield.dynamic` module runs on every device PyTorch supports, with no
compilation.

**How it is computed.** The original package materialised the full broadcast product
``(B, G, O, I, *k, *out)``, whose size grows with the kernel volume. Here the output is processed
in blocks whose temporary memory is bounded:

* the built-in semifields (:meth:`~BroadcastSemifield.tropical_max`,
  :meth:`~BroadcastSemifield.tropical_min_negated`, :meth:`~BroadcastSemifield.linear`,
  :meth:`~BroadcastSemifield.root`, :meth:`~BroadcastSemifield.log`) use a *shift* engine: a loop
  over the kernel taps that accumulates ``x_shifted ⊗ g[tap]`` into an output block of at most
  ``chunk_elements`` elements. The tropical ones store the index of the selected tap (one byte per
  output while there are at most 256 taps) and their backward pass is O(outputs); the summing ones
  recompute the taps in the backward pass and save only the padded input, the kernel and the
  output;
* user-defined semifields apply their own functions, exactly as documented, to one block of
  windows at a time, sized so that the product holds at most ``chunk_bytes`` bytes, and
  recompute each block in the backward pass.

**Memory bound.** Beyond the image, the kernel and the output, a call allocates the padded image
(and its gradient in the backward pass), plus, for the shift engines, a handful of buffers of
``chunk_elements`` elements and the tap indices (a quarter of the output in float32), and for
user-defined semifields about ``chunk_bytes`` (plus what their functions save for autograd, for one
block).

**Deviations from the original** (all documented fixes): ``root(p)`` with ``p < 0`` pads with
``+inf`` (its true zero) instead of float32 ``eps``, so border outputs no longer collapse to about
``7e-8``; :meth:`~BroadcastSemifield.root` and :meth:`~BroadcastSemifield.log` reject a zero,
infinite or NaN parameter with a ``ValueError`` instead of an ``assert``.

Example:
    >>> import torch
    >>> dilation = BroadcastSemifield.tropical_max().dynamic()
    >>> img = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> dilation(img, torch.zeros(1, 1, 3, 3), padding="same")[0, 0]
    tensor([[ 5.,  6.,  7.,  7.],
            [ 9., 10., 11., 11.],
            [13., 14., 15., 15.],
            [13., 14., 15., 15.]])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, NamedTuple

import torch
from torch import nn

from semiconv_nd._geometry import ConvGeometry, resolve_geometry
from semiconv_nd._shift.accumulate import sum_shift
from semiconv_nd._shift.generic import _Reducer, generic_broadcast
from semiconv_nd._shift.plan import DEFAULT_CHUNK_ELEMENTS, ShiftPlan, pad_image
from semiconv_nd._shift.select import tropical_shift
from semiconv_nd._shift.small import is_small, small_sum
from semiconv_nd._vendor import grid

__all__ = ["BroadcastConv", "BroadcastSemifield"]

#: Default byte budget of one block of the broadcast product for user-defined semifields.
DEFAULT_CHUNK_BYTES = 32 * 1024 * 1024

_FLOAT32_EPS = float(torch.finfo(torch.float32).eps)


# ------------------------------------------------------------------ built-in tensor operators
class _Extremum:
    """``add_reduce`` of the tropical semifields: max or min over several axes."""

    def __init__(self, largest: bool, spread: bool) -> None:
        self.largest, self.spread = largest, spread

    def __call__(self, values: torch.Tensor, dims: int | tuple[int, ...]) -> torch.Tensor:
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        if self.spread:
            return values.amax(dim=dims) if self.largest else values.amin(dim=dims)
        # One axis at a time, last axis first: the first extremal element (row-major) wins.
        reduce = torch.max if self.largest else torch.min
        for dim in sorted(dims, reverse=True):
            values = reduce(values, dim=dim).values
        return values

    def __repr__(self) -> str:
        name = "max" if self.largest else "min"
        return f"{name}(spread_gradient={self.spread})"


class _Sum:
    """``add_reduce`` of the linear semifield (and ``channels_add``): an ordinary sum."""

    def __call__(self, values: torch.Tensor, dims: int | tuple[int, ...]) -> torch.Tensor:
        return values.sum(dim=dims)

    def __repr__(self) -> str:
        return "sum"


class _PowerSum:
    """``add_reduce`` of :math:`R_p`: ``(sum x^p)^(1/p)``."""

    def __init__(self, p: float) -> None:
        self.p = p

    def __call__(self, values: torch.Tensor, dims: int | tuple[int, ...]) -> torch.Tensor:
        return values.pow(self.p).sum(dim=dims).pow(1.0 / self.p)

    def __repr__(self) -> str:
        return f"power_sum(p={self.p})"


class _LogSumExp:
    """``add_reduce`` of :math:`L_\\mu`: ``logsumexp(mu x) / mu``."""

    def __init__(self, mu: float) -> None:
        self.mu = mu

    def __call__(self, values: torch.Tensor, dims: int | tuple[int, ...]) -> torch.Tensor:
        return torch.logsumexp(values * self.mu, dim=dims) / self.mu

    def __repr__(self) -> str:
        return f"logsumexp(mu={self.mu})"


class _Plus:
    def __call__(self, img: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        return img + kernel

    def __repr__(self) -> str:
        return "plus"


class _Minus:
    def __call__(self, img: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        return img - kernel

    def __repr__(self) -> str:
        return "minus"


class _Times:
    def __call__(self, img: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        return img * kernel

    def __repr__(self) -> str:
        return "times"


def _check_parameter(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    if value == 0.0 or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite, non-zero number, got {value!r}")
    return value


# ------------------------------------------------------------------------- the semifield
class BroadcastSemifield(NamedTuple):
    r"""A semifield given by broadcasting PyTorch tensor operations.

    Args:
        add_reduce: ``(tensor, dims) -> tensor``: the semifield sum :math:`\bigoplus` of
            ``tensor`` over the axes ``dims``, e.g. ``lambda arr, dims: torch.sum(arr, dim=dims)``.
        multiply: ``(img, kernel) -> tensor``: the broadcasting, element-wise semifield product
            :math:`\otimes`, e.g. ``lambda img, krn: img * krn``.
        zero: The semifield zero (absorbing for :math:`\otimes`, neutral for :math:`\oplus`); the
            image is padded with it.
        add_reduce_channels: Optional ``(tensor, dim) -> tensor`` used instead of ``add_reduce``
            for the sum over the input channels of a group (e.g. ordinary addition, see
            ``channels_add`` of :meth:`tropical_max`).

    All functions must accept PyTorch tensors and be differentiable by autograd. They receive a
    window view of layout ``(B, G, 1, I, *k, *out)``, the kernel as ``(1, G, O, I, *k, 1, ...)``,
    and ``add_reduce`` reduces the axes ``(3, 4, ..., 3 + N)`` (``(4, ..., 3 + N)`` followed by
    ``add_reduce_channels`` over axis 3 when that is given). Blocks of the output are computed
    one at a time, so the functions may be called several times per convolution.

    Example:
        >>> import torch
        >>> dilation = BroadcastSemifield.tropical_max().dynamic()
        >>> log = BroadcastSemifield.log(-3.0).dynamic()
        >>> soft_max = BroadcastSemifield(
        ...     add_reduce=lambda arr, dims: torch.logsumexp(arr, dim=dims),
        ...     multiply=lambda img, krn: img + krn,
        ...     zero=-float("inf"),
        ... ).dynamic()
        >>> soft_max(torch.zeros(1, 1, 3), torch.zeros(1, 1, 2)).shape
        torch.Size([1, 1, 2])
    """

    add_reduce: Callable[[torch.Tensor, tuple[int, ...]], torch.Tensor]
    multiply: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    zero: float
    add_reduce_channels: Callable[[torch.Tensor, int], torch.Tensor] | None = None

    @classmethod
    def tropical_max(
        cls, channels_add: bool = False, spread_gradient: bool = False
    ) -> BroadcastSemifield:
        r"""The tropical max semifield :math:`T_+ = (\mathbb{R}\cup\{-\infty\}, \max, +)`.

        Args:
            channels_add: Sum the input channels of a group with ordinary :math:`+` instead of
                :math:`\max` (max-plus per channel, then a linear mix).
            spread_gradient: Share the gradient equally among tied maxima instead of giving it
                to the first maximal tap in (channel, axis 0, axis 1, ...) order.

        Example:
            >>> import torch
            >>> dil = BroadcastSemifield.tropical_max().dynamic()
            >>> dil(torch.tensor([[[0.0, 3.0, 1.0]]]), torch.zeros(1, 1, 2)).tolist()
            [[[3.0, 3.0]]]
        """
        return cls(
            add_reduce=_Extremum(largest=True, spread=bool(spread_gradient)),
            multiply=_Plus(),
            zero=-math.inf,
            add_reduce_channels=_Sum() if channels_add else None,
        )

    @classmethod
    def tropical_min_negated(
        cls, channels_add: bool = False, spread_gradient: bool = False
    ) -> BroadcastSemifield:
        r"""The semifield :math:`(\mathbb{R}\cup\{\infty\}, \min, -)`: erosion, kernel not negated.

        The usual :math:`T_- = (\mathbb{R}\cup\{\infty\}, \min, +)` needs a negated kernel for an
        erosion; this variant multiplies with :math:`x - g`, so the same (non-negated) kernel
        serves a dilation in :meth:`tropical_max` and the adjoint erosion here.

        Args:
            channels_add: Sum the input channels of a group with ordinary :math:`+` instead of
                :math:`\min`.
            spread_gradient: Share the gradient equally among tied minima.

        Example:
            >>> import torch
            >>> ero = BroadcastSemifield.tropical_min_negated().dynamic()
            >>> ero(torch.tensor([[[0.0, 3.0, 1.0]]]), torch.ones(1, 1, 2)).tolist()
            [[[-1.0, 0.0]]]
        """
        return cls(
            add_reduce=_Extremum(largest=False, spread=bool(spread_gradient)),
            multiply=_Minus(),
            zero=math.inf,
            add_reduce_channels=_Sum() if channels_add else None,
        )

    @classmethod
    def linear(cls) -> BroadcastSemifield:
        r"""The linear field :math:`(\mathbb{R}, +, \times)`, mainly for comparisons.

        Example:
            >>> import torch
            >>> conv = BroadcastSemifield.linear().dynamic()
            >>> conv(torch.tensor([[[1.0, 2.0, 3.0]]]), torch.ones(1, 1, 2)).tolist()
            [[[3.0, 5.0]]]
        """
        return cls(add_reduce=_Sum(), multiply=_Times(), zero=0.0)

    @classmethod
    def root(cls, p: float) -> BroadcastSemifield:
        r"""The root semifield :math:`R_p = (\mathbb{R}_+, \oplus_p, \times)`.

        Here :math:`a \oplus_p b = \sqrt[p]{a^p + b^p}`; its one is 1. Its zero is :math:`0`
        for :math:`p > 0` (the image is padded with float32 ``eps``, as in the original, so that
        powers stay finite) and :math:`+\infty` for :math:`p < 0` (a fix: the original padded
        with ``eps`` there too).

        Args:
            p: The power; finite and non-zero.

        Raises:
            ValueError: If ``p`` is zero, infinite or NaN.

        Example:
            >>> import torch
            >>> conv = BroadcastSemifield.root(2.0).dynamic()
            >>> conv(torch.tensor([[[3.0, 4.0]]]), torch.ones(1, 1, 2)).tolist()
            [[[5.0]]]
        """
        p = _check_parameter(p, "p")
        return cls(
            add_reduce=_PowerSum(p), multiply=_Times(), zero=_FLOAT32_EPS if p > 0 else math.inf
        )

    @classmethod
    def log(cls, mu: float) -> BroadcastSemifield:
        r"""The log semifield :math:`L_\mu = (\mathbb{R}\cup\{\pm\infty\}, \oplus_\mu, +)`.

        Here :math:`a \oplus_\mu b = \frac{1}{\mu}\ln(e^{\mu a} + e^{\mu b})`, evaluated stably.
        The zero is :math:`-\infty` for :math:`\mu > 0` and :math:`+\infty` otherwise; the one
        is 0. Large :math:`\mu` approaches :math:`T_+`, large negative :math:`\mu` approaches
        :math:`T_-`.

        Args:
            mu: The base; finite and non-zero.

        Raises:
            ValueError: If ``mu`` is zero, infinite or NaN.

        Example:
            >>> import torch
            >>> conv = BroadcastSemifield.log(1.0).dynamic()
            >>> conv(torch.zeros(1, 1, 2), torch.zeros(1, 1, 2)).tolist()  # ln 2
            [[[0.6931471824645996]]]
        """
        mu = _check_parameter(mu, "mu")
        return cls(
            add_reduce=_LogSumExp(mu), multiply=_Plus(), zero=-math.inf if mu > 0 else math.inf
        )

    def dynamic(
        self,
        unfold_copy: bool = False,
        *,
        chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ) -> BroadcastConv:
        """A convolution module for this semifield that adapts to every new input shape.

        Args:
            unfold_copy: Build the windows of a user-defined semifield with
                :func:`torch.nn.functional.unfold` (a copy; 2-D only) instead of a view. Kept
                for comparisons with the original; it does not affect the built-in semifields.
            chunk_elements: Output elements per block for the built-in semifields.
            chunk_bytes: Byte budget of one block of the broadcast product for user-defined
                semifields.

        Returns:
            A :class:`BroadcastConv`, suitable as the ``conv`` of
            :class:`~semiconv_nd.GenericConv`.

        Example:
            >>> conv = BroadcastSemifield.root(3.0).dynamic()
            >>> type(conv).__name__
            'BroadcastConv'
        """
        return BroadcastConv(
            self, unfold_copy, chunk_elements=chunk_elements, chunk_bytes=chunk_bytes
        )


# ------------------------------------------------------------------------------ the module
class BroadcastConv(nn.Module):
    """Semifield convolution module of a :class:`BroadcastSemifield` (see its ``dynamic``).

    Args:
        semifield: The semifield.
        unfold_copy: See :meth:`BroadcastSemifield.dynamic`.
        chunk_elements: See :meth:`BroadcastSemifield.dynamic`.
        chunk_bytes: See :meth:`BroadcastSemifield.dynamic`.

    Shape:
        - img: :math:`(B, C_{in}, S_1, \\ldots, S_N)`
        - kernel: :math:`(K_o, C_{in} / G, k_1, \\ldots, k_N)`
        - Output: :math:`(B, C_{out}, O_1, \\ldots, O_N)` with :math:`C_{out} = K_o`, or
          :math:`K_o G` with ``group_broadcasting``.

    Example:
        >>> import torch
        >>> conv = BroadcastSemifield.tropical_max().dynamic()
        >>> conv(torch.zeros(2, 6, 9, 9), torch.zeros(3, 2, 3, 3), groups=3, stride=2).shape
        torch.Size([2, 3, 4, 4])
    """

    def __init__(
        self,
        semifield: BroadcastSemifield,
        unfold_copy: bool = False,
        *,
        chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ) -> None:
        super().__init__()
        if not isinstance(semifield, BroadcastSemifield):
            raise TypeError(
                f"semifield: expected a BroadcastSemifield, got {type(semifield).__name__}"
            )
        for name, value in (("chunk_elements", chunk_elements), ("chunk_bytes", chunk_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        self.semifield = semifield
        self.unfold_copy = bool(unfold_copy)
        self.chunk_elements = chunk_elements
        self.chunk_bytes = chunk_bytes

    def forward(
        self,
        img: torch.Tensor,
        kernel: torch.Tensor,
        stride: grid.IntOrTuple = 1,
        padding: grid.Padding = 0,
        dilation: grid.IntOrTuple = 1,
        groups: int = 1,
        group_broadcasting: bool = False,
        kind: Literal["conv", "corr"] = "conv",
    ) -> torch.Tensor:
        """Convolve ``img`` with ``kernel`` in this semifield.

        Args:
            img: ``(B, C_in, *spatial)`` image.
            kernel: ``(K_o, C_in / groups, *kernel_size)`` kernel (same device and dtype).
            stride: Stride, one int or one per spatial axis.
            padding: ``P``, ``(P0, ...)``, ``((b0, e0), ...)``, ``"valid"`` or ``"same"``; the
                image is padded with the semifield zero.
            dilation: Dilation, one int or one per spatial axis.
            groups: Number of groups.
            group_broadcasting: Apply all ``K_o`` kernels to every group.
            kind: ``"conv"`` (mirrored kernel) or ``"corr"``.

        Returns:
            The ``(B, C_out, *out)`` output.
        """
        geo = resolve_geometry(
            img, kernel, stride, padding, dilation, groups, group_broadcasting, kind
        )
        if self.unfold_copy and geo.ndim != 2:
            raise ValueError(
                f"unfold_copy: only supported for 2-D convolutions, got {geo.ndim} spatial axes"
            )
        if kind == "conv":
            kernel = kernel.flip(tuple(range(2, 2 + geo.ndim)))
        padded = pad_image(img, geo, float(self.semifield.zero))
        taps = geo.in_per_group * math.prod(geo.kernel_size)
        fast = _builtin_engine(self.semifield)
        if fast is not None:
            engine, args = fast
            if args[0] in ("linear", "root", "log") and is_small(padded, geo):
                if args[0] != "linear" or taps <= _SMALL_LINEAR_TAPS:
                    return small_sum(padded, kernel, geo, *args)
                if geo.ndim in _TORCH_CONV:
                    return _torch_linear_conv(padded, kernel, geo)
            return engine(padded, kernel, ShiftPlan(geo, self.chunk_elements), *args)
        reducer = _Reducer(
            self.semifield.multiply,
            self.semifield.add_reduce,
            self.semifield.add_reduce_channels,
            geo.ndim,
        )
        plan = ShiftPlan(geo, max(1, self.chunk_bytes // (taps * img.element_size())))
        return generic_broadcast(padded, kernel, plan, reducer, self.unfold_copy)

    def extra_repr(self) -> str:
        return f"{self.semifield!r}" + (", unfold_copy=True" if self.unfold_copy else "")


# Small linear, root and log calls (:func:`~semiconv_nd._shift.small.is_small`) skip the shift
# engine, whose per-tap operations dominate the time of tiny inputs: they materialise all windows
# at once (:mod:`semiconv_nd._shift.small`), except linear calls with more than this many taps
# per window, for which torch's own convolution is faster.
_SMALL_LINEAR_TAPS = 25
_TORCH_CONV = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d}
_TORCH_CONV[3] = torch.nn.functional.conv3d


def _torch_linear_conv(
    padded: torch.Tensor, kernel: torch.Tensor, geo: ConvGeometry
) -> torch.Tensor:
    """The linear semifield by ``torch.nn.functional.conv{1,2,3}d`` (kernel already mirrored)."""
    weight = kernel
    if geo.group_broadcasting:  # every group applies all K_o kernels: output g * K_o + o
        weight = kernel.repeat(geo.groups, *([1] * (kernel.dim() - 1)))
    return _TORCH_CONV[geo.ndim](
        padded, weight, stride=geo.stride, dilation=geo.dilation, groups=geo.groups
    )


def _builtin_engine(semifield: BroadcastSemifield) -> tuple[Callable, tuple] | None:
    """The shift engine and its arguments for a built-in semifield, or ``None``."""
    reduce, multiply, zero = semifield.add_reduce, semifield.multiply, semifield.zero
    channels = semifield.add_reduce_channels
    if isinstance(reduce, _Extremum) and (channels is None or isinstance(channels, _Sum)):
        expected = (_Plus, -math.inf) if reduce.largest else (_Minus, math.inf)
        if isinstance(multiply, expected[0]) and zero == expected[1]:
            return tropical_shift, (reduce.largest, channels is not None, reduce.spread)
        return None
    if channels is not None:
        return None
    if isinstance(reduce, _Sum) and isinstance(multiply, _Times) and zero == 0.0:
        return sum_shift, ("linear", 1.0)
    if isinstance(reduce, _PowerSum) and isinstance(multiply, _Times):
        expected_zero = _FLOAT32_EPS if reduce.p > 0 else math.inf
        if zero == expected_zero:
            return sum_shift, ("root", reduce.p)
    log_zero = -math.inf if isinstance(reduce, _LogSumExp) and reduce.mu > 0 else math.inf
    if isinstance(reduce, _LogSumExp) and isinstance(multiply, _Plus) and zero == log_zero:
        return sum_shift, ("log", reduce.mu)
    return None
