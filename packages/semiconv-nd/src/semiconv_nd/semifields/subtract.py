r"""Subtract semifields: semifield addition has an inverse.

The forward pass accumulates every tap with the scalar operators and stores nothing but its
inputs and output. The backward pass recomputes every tap and recovers "the sum of all other
taps" by semifield subtraction, so memory stays O(input + output) for any kernel size. The
kernels are compiled with numba for CPU and, with the ``cuda`` extra, for CUDA devices; see
:mod:`semiconv_nd.ops`.

The built-in :meth:`SubtractSemifield.linear`, :meth:`SubtractSemifield.root` and
:meth:`SubtractSemifield.log` use hand-written kernels with the same results; ``log`` is
computed stably (a max-shifted log-sum-exp), where the original overflowed for
:math:`\mu(x + g) \gtrsim 88` in float32.

Example:
    >>> import torch
    >>> linear = SubtractSemifield.linear().dynamic()
    >>> linear(torch.ones(1, 1, 5), torch.full((1, 1, 3), 2.0)).tolist()
    [[[6.0, 6.0, 6.0]]]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch

from semiconv_nd.ops.entries import LINEAR, LOG, ROOT, SemifieldSpec
from semiconv_nd.semifields._compiled import compiled_module, semifield_eq, semifield_hash

__all__ = ["SubtractSemifield"]


class SubtractSemifield(NamedTuple):
    r"""A semifield whose addition :math:`\oplus` can be undone ("subtracted").

    The scalar operators are plain Python functions of floats; they are compiled with numba for
    every semifield (once per ``cache_name``, or once per instance without one).

    Args:
        add: ``(acc, val) -> float``: scalar semifield addition :math:`\oplus` of the running
            accumulator and one multiplied value.
        times: ``(img_val, kernel_val) -> float``: scalar semifield multiplication.
        d_times_d_img: ``(img_val, kernel_val) -> float``: derivative of ``times`` to its first
            argument.
        d_times_d_kernel: ``(img_val, kernel_val) -> float``: derivative of ``times`` to its
            second argument.
        subtract: ``(res, val) -> float``: the ``acc`` with ``add(acc, val) == res``.
        d_add_d_right: ``(acc, val) -> float``: derivative of ``add`` to its second argument.
        zero: The semifield zero, the accumulator's initial value.
        cache_name: Identifier of the compiled operators. Semifields with the same
            ``cache_name`` share compiled code, so meaningfully different semifields must not
            share one. Names starting with an underscore are reserved for the built-ins.
        post_sum: Optional ``(acc) -> out`` applied to the final accumulator (e.g. the
            :math:`p`-th root of :math:`R_p`, whose ``times`` then returns
            :math:`(x g)^p` and whose ``add`` is ``+``). With ``post_sum``, ``subtract`` and
            ``d_add_d_right`` receive untransformed accumulator values.
        undo_post_sum: The inverse of ``post_sum``; required with ``post_sum``.
        d_post_d_acc: The derivative of ``post_sum``; required with ``post_sum``.

    Example:
        >>> import math
        >>> import torch
        >>> sum_of_squares = SubtractSemifield(
        ...     add=lambda acc, val: acc + val,
        ...     times=lambda img_val, kernel_val: (img_val * kernel_val) ** 2,
        ...     d_times_d_img=lambda i, k: 2.0 * i * k * k,
        ...     d_times_d_kernel=lambda i, k: 2.0 * i * i * k,
        ...     subtract=lambda res, val: res - val,
        ...     d_add_d_right=lambda acc, val: 1.0,
        ...     zero=0.0,
        ...     post_sum=lambda acc: math.sqrt(acc),
        ...     undo_post_sum=lambda res: res * res,
        ...     d_post_d_acc=lambda acc: 0.5 / math.sqrt(acc),
        ... )
        >>> out = sum_of_squares.dynamic()(torch.full((1, 1, 4), 3.0), torch.ones(1, 1, 2))
        >>> torch.allclose(out, torch.full((1, 1, 3), math.sqrt(18.0)))
        True
    """

    add: Callable[[float, float], float]
    times: Callable[[float, float], float]
    d_times_d_img: Callable[[float, float], float]
    d_times_d_kernel: Callable[[float, float], float]
    subtract: Callable[[float, float], float]
    d_add_d_right: Callable[[float, float], float]
    zero: float
    cache_name: str | None = None
    post_sum: Callable[[float], float] | None = None
    undo_post_sum: Callable[[float], float] | None = None
    d_post_d_acc: Callable[[float], float] | None = None

    @classmethod
    def linear(cls) -> SubtractSemifield:
        r"""The linear field :math:`(\mathbb{R}, +, \times)`, mainly for comparisons.

        Returns:
            The semifield; a convolution with it is an ordinary convolution.

        Example:
            >>> SubtractSemifield.linear().cache_name
            '_linear'
        """
        return cls(
            add=_add,
            times=_mul,
            d_times_d_img=_second,
            d_times_d_kernel=_first,
            subtract=_sub,
            d_add_d_right=_one,
            zero=0.0,
            cache_name="_linear",
        )

    @classmethod
    def root(cls, p: float) -> SubtractSemifield:
        r"""The root semifield :math:`R_p = (\mathbb{R}_+, \oplus_p, \times)`, :math:`p \ne 0`.

        :math:`a \oplus_p b = \sqrt[p]{a^p + b^p}`; the zero is 0 and the one is 1. Taps outside
        the image are skipped (for :math:`p > 0` that is the same as padding with the zero).
        Inputs and kernels are meant to be positive: negative products give NaN for
        non-integer :math:`p`, as in the original.

        Args:
            p: The power; any non-zero finite number.

        Returns:
            The semifield.

        Raises:
            ValueError: If ``p`` is zero or not finite.

        Example:
            >>> SubtractSemifield.root(3.0).cache_name
            '_root_3.0'
        """
        p = _check_nonzero(p, "p")
        return cls(
            add=_add,
            times=_BuiltinOperator(_root_times, ROOT, p),
            d_times_d_img=_BuiltinOperator(_root_d_times_d_img, ROOT, p),
            d_times_d_kernel=_BuiltinOperator(_root_d_times_d_kernel, ROOT, p),
            subtract=_sub,
            d_add_d_right=_one,
            zero=0.0,
            cache_name=f"_root_{p!r}",
            post_sum=_BuiltinOperator(_root_post_sum, ROOT, p),
            undo_post_sum=_BuiltinOperator(_root_undo_post_sum, ROOT, p),
            d_post_d_acc=_BuiltinOperator(_root_d_post_d_acc, ROOT, p),
        )

    @classmethod
    def log(cls, mu: float) -> SubtractSemifield:
        r"""The log semifield :math:`L_\mu`, :math:`\mu \ne 0`.

        :math:`a \oplus_\mu b = \frac{1}{\mu}\ln(e^{\mu a} + e^{\mu b})` with :math:`\otimes = +`;
        the zero is :math:`-\infty` for :math:`\mu > 0` and :math:`+\infty` otherwise. The
        built-in kernels compute it as a max-shifted log-sum-exp, so large :math:`\mu(x + g)`
        do not overflow.

        Args:
            mu: The base; any non-zero finite number.

        Returns:
            The semifield.

        Raises:
            ValueError: If ``mu`` is zero or not finite.

        Example:
            >>> SubtractSemifield.log(-2.0).cache_name
            '_log_-2.0'
        """
        mu = _check_nonzero(mu, "mu")
        d_times = _BuiltinOperator(_log_d_times, LOG, mu)
        return cls(
            add=_add,
            times=_BuiltinOperator(_log_times, LOG, mu),
            d_times_d_img=d_times,
            d_times_d_kernel=d_times,
            subtract=_sub,
            d_add_d_right=_one,
            zero=0.0,
            cache_name=f"_log_{mu!r}",
            post_sum=_BuiltinOperator(_log_post_sum, LOG, mu),
            undo_post_sum=_BuiltinOperator(_log_undo_post_sum, LOG, mu),
            d_post_d_acc=_BuiltinOperator(_log_d_post_d_acc, LOG, mu),
        )

    def dynamic(
        self,
        thread_block_size: int | None = None,
        to_extension: bool = False,
        debug: bool = False,
        kernel_inflation: int = 16,
    ) -> torch.nn.Module:
        """A convolution module that adapts to every new input shape.

        Args:
            thread_block_size: CUDA threads per block (default 256); a multiple of 32 up to
                1024. Ignored on CPU.
            to_extension: Not supported (the original built a C++ launcher); the custom ops are
                registered with ``torch.library`` instead. ``True`` raises ``ValueError``.
            debug: Print which compiled implementation runs, and when it is compiled.
            kernel_inflation: CUDA only: the number of copies of the kernel gradient over which
                atomic additions are spread.

        Returns:
            A module called as ``conv(img, kernel, stride=1, padding=0, dilation=1, groups=1,
            group_broadcasting=False, kind="conv")``.

        Example:
            >>> import torch
            >>> conv = SubtractSemifield.log(1.0).dynamic()
            >>> conv(torch.zeros(1, 2, 6, 6), torch.zeros(2, 2, 3, 3)).shape
            torch.Size([1, 2, 4, 4])
        """
        return compiled_module(
            self.compiled_spec(),
            fixed=False,
            default_block=256,
            thread_block_size=thread_block_size,
            to_extension=to_extension,
            debug=debug,
            kernel_inflation=kernel_inflation,
        )

    def lazy_fixed(
        self,
        thread_block_size: int | None = None,
        to_extension: bool = False,
        debug: bool = False,
        kernel_inflation: int = 16,
    ) -> torch.nn.Module:
        """A convolution module whose geometry is fixed by its first call.

        After the first call only the batch size may change; any other change raises a
        ``ValueError``. The module is traceable by ``torch.compile(fullgraph=True)``.

        Args:
            thread_block_size: See :meth:`dynamic`.
            to_extension: See :meth:`dynamic`.
            debug: See :meth:`dynamic`.
            kernel_inflation: See :meth:`dynamic`.

        Returns:
            A module with the call signature of :meth:`dynamic`'s module.

        Example:
            >>> import torch
            >>> root = SubtractSemifield.root(3.0).lazy_fixed()
            >>> root(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3)).shape
            torch.Size([1, 1, 3, 3])
        """
        return compiled_module(
            self.compiled_spec(),
            fixed=True,
            default_block=256,
            thread_block_size=thread_block_size,
            to_extension=to_extension,
            debug=debug,
            kernel_inflation=kernel_inflation,
        )

    def compiled_spec(self) -> SemifieldSpec:
        """The description of this semifield that the compiled ops work from (internal plumbing).

        :meta private:

        Returns:
            A ``SemifieldSpec`` (``semiconv_nd.ops.entries``) of kind ``"subtract"``; the
            built-ins name their hand-written kernel mode and its parameter (``p``, ``mu``).

        Example:
            >>> spec = SubtractSemifield.root(3.0).compiled_spec()
            >>> spec.builtin == ROOT, spec.param
            (True, 3.0)
        """
        builtin, param = None, 0.0
        reserved = self.cache_name is not None and self.cache_name.startswith("_")
        if reserved and self.times is _mul and self.cache_name == "_linear":
            builtin = LINEAR
        elif reserved and isinstance(self.times, _BuiltinOperator):
            builtin, param = self.times.mode, self.times.param
        return SemifieldSpec(
            kind="subtract",
            operators=(
                self.add,
                self.times,
                self.d_times_d_img,
                self.d_times_d_kernel,
                self.subtract,
                self.d_add_d_right,
                self.post_sum,
                self.undo_post_sum,
                self.d_post_d_acc,
            ),
            zero=self.zero,
            cache_name=self.cache_name,
            builtin=builtin,
            param=param,
            source=self,
        )

    def __hash__(self) -> int:
        return semifield_hash(self, "SubtractSemifield")

    def __eq__(self, other: object) -> bool:
        return semifield_eq(self, other, SubtractSemifield)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)


def _check_nonzero(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    if value == 0.0 or not math.isfinite(value):
        raise ValueError(f"{name}: expected a non-zero finite number, got {value!r}")
    return value


def _add(acc: float, val: float) -> float:
    return acc + val


def _sub(res: float, val: float) -> float:
    return res - val


def _mul(img_val: float, kernel_val: float) -> float:
    return img_val * kernel_val


def _first(img_val: float, kernel_val: float) -> float:
    return img_val


def _second(img_val: float, kernel_val: float) -> float:
    return kernel_val


def _one(acc: float, val: float) -> float:
    return 1.0


@dataclass(frozen=True)
class _BuiltinOperator:
    """A scalar operator of :meth:`SubtractSemifield.root`/:meth:`SubtractSemifield.log`.

    A module-level function and its parameter instead of a closure, so the semifield pickles and
    deep-copies; ``mode`` and ``param`` name the hand-written kernel that replaces it.
    """

    function: Callable[..., float]
    mode: int
    param: float

    def __call__(self, *args: float) -> float:
        return self.function(*args, self.param)


def _root_times(img_val: float, kernel_val: float, p: float) -> float:
    return (img_val * kernel_val) ** p


def _root_d_times_d_img(img_val: float, kernel_val: float, p: float) -> float:
    return p * (img_val * kernel_val) ** (p - 1.0) * kernel_val


def _root_d_times_d_kernel(img_val: float, kernel_val: float, p: float) -> float:
    return p * (img_val * kernel_val) ** (p - 1.0) * img_val


def _root_post_sum(acc: float, p: float) -> float:
    return acc ** (1.0 / p)


def _root_undo_post_sum(res: float, p: float) -> float:
    return res**p


def _root_d_post_d_acc(acc: float, p: float) -> float:
    return acc ** (1.0 / p - 1.0) / p


def _log_times(img_val: float, kernel_val: float, mu: float) -> float:
    return math.exp((img_val + kernel_val) * mu)


def _log_d_times(img_val: float, kernel_val: float, mu: float) -> float:
    return mu * math.exp((img_val + kernel_val) * mu)


def _log_post_sum(acc: float, mu: float) -> float:
    return math.log(acc) / mu


def _log_undo_post_sum(res: float, mu: float) -> float:
    return math.exp(res * mu)


def _log_d_post_d_acc(acc: float, mu: float) -> float:
    return 1.0 / (mu * acc)
