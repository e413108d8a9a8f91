r"""Select semifields: semifield addition picks one of its two arguments.

For such semifields (e.g. the tropical :math:`T_+` and :math:`T_-`) the forward pass records, for
every output element, *which* tap was selected (its provenance: one small unsigned integer). The
backward pass then only visits that tap, so it costs O(outputs) and the forward pass stores only
the provenance. The kernels are compiled with numba for CPU (``njit(parallel=True)``) and, with
the ``cuda`` extra, for CUDA devices (numba-cuda); see :mod:`semiconv_nd.ops`.

**Ties.** A tap replaces the running selection only when ``add_select(acc, val)`` is true (a
strict comparison for the built-in semifields), so the *first* selected tap in the order
(input channel, axis 0, axis 1, ...) of the window wins and receives the whole gradient.

**NaN.** A NaN tap value (from a NaN pixel or kernel value) always replaces the running
selection, whatever ``add_select`` says, so NaN propagates to the output exactly like
``torch.nn.functional.max_pool2d``: the last NaN of a window is selected and receives the
gradient. This holds for the built-in and user-defined semifields, on CPU and CUDA.

Example:
    >>> import torch
    >>> dilation = SelectSemifield.tropical_max().dynamic()
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
from typing import NamedTuple

import torch

from semiconv_nd.ops.entries import SemifieldSpec
from semiconv_nd.semifields._compiled import compiled_module, semifield_eq, semifield_hash

__all__ = ["SelectSemifield"]


class SelectSemifield(NamedTuple):
    r"""A semifield whose addition :math:`\oplus` selects one of its arguments.

    The scalar operators are plain Python functions of floats; they are compiled with numba for
    every semifield (once per ``cache_name``, or once per instance without one).

    Args:
        add_select: ``(acc, val) -> bool``: whether ``val`` should replace the running selection
            ``acc``. Return ``False`` when there is no meaningful difference (ties keep the
            earlier tap).
        times: ``(img_val, kernel_val) -> float``: scalar semifield multiplication
            :math:`\otimes`.
        d_times_d_img: ``(img_val, kernel_val) -> float``: the derivative of ``times`` to its
            first argument.
        d_times_d_kernel: ``(img_val, kernel_val) -> float``: the derivative of ``times`` to
            its second argument.
        zero: The semifield zero: the output where no tap is selected.
        cache_name: Identifier of the compiled operators. Semifields with the same
            ``cache_name`` share compiled code, so meaningfully different semifields must not
            share one. Names starting with an underscore are reserved for the built-ins.

    Example:
        >>> import math
        >>> import torch
        >>> t_max = SelectSemifield(
        ...     add_select=lambda acc, val: acc < val,
        ...     times=lambda img_val, kernel_val: img_val + kernel_val,
        ...     d_times_d_img=lambda img_val, kernel_val: 1.0,
        ...     d_times_d_kernel=lambda img_val, kernel_val: 1.0,
        ...     zero=-math.inf,
        ...     cache_name="my_tropical_max",
        ... )
        >>> out = t_max.dynamic()(torch.ones(1, 1, 5), torch.zeros(1, 1, 3))
        >>> out.tolist()
        [[[1.0, 1.0, 1.0]]]
    """

    add_select: Callable[[float, float], bool]
    times: Callable[[float, float], float]
    d_times_d_img: Callable[[float, float], float]
    d_times_d_kernel: Callable[[float, float], float]
    zero: float
    cache_name: str | None = None

    @classmethod
    def tropical_max(cls) -> SelectSemifield:
        r"""The tropical max semifield :math:`T_+ = (\mathbb{R}\cup\{-\infty\}, \max, +)`.

        Returns:
            The semifield; a convolution with it is a (grey-value) dilation.

        Example:
            >>> SelectSemifield.tropical_max().cache_name
            '_tropical_max'
        """
        return cls(
            add_select=_tropical_max_select,
            times=_plus,
            d_times_d_img=_one,
            d_times_d_kernel=_one,
            zero=-math.inf,
            cache_name="_tropical_max",
        )

    @classmethod
    def tropical_min_negated(cls) -> SelectSemifield:
        r"""The tropical min semifield :math:`T_-` with the multiplication :math:`x - g`.

        :math:`T_- = (\mathbb{R}\cup\{\infty\}, \min, +)` would need a negated kernel for an
        erosion; with :math:`\otimes` taken as subtraction the kernel is used as given, like
        the kernel of :meth:`tropical_max`.

        Returns:
            The semifield; a convolution with it is a (grey-value) erosion.

        Example:
            >>> SelectSemifield.tropical_min_negated().zero
            inf
        """
        return cls(
            add_select=_tropical_min_select,
            times=_minus,
            d_times_d_img=_one,
            d_times_d_kernel=_minus_one,
            zero=math.inf,
            cache_name="_tropical_min",
        )

    def dynamic(
        self,
        thread_block_size: int | None = None,
        to_extension: bool = False,
        debug: bool = False,
        kernel_inflation: int = 16,
    ) -> torch.nn.Module:
        """A convolution module that adapts to every new input shape.

        The compiled kernels are generic over shapes (only the dtype and the semifield select a
        compiled specialisation), so nothing is recompiled when shapes change.

        Args:
            thread_block_size: CUDA threads per block (default 128); a multiple of 32 up to
                1024. Ignored on CPU.
            to_extension: Not supported (the original built a C++ launcher); the custom ops are
                registered with ``torch.library`` instead. ``True`` raises ``ValueError``.
            debug: Print which compiled implementation runs, and when it is compiled.
            kernel_inflation: CUDA only: the number of copies of the kernel gradient over which
                atomic additions are spread. The CPU backward uses one private copy per thread.

        Returns:
            A module called as ``conv(img, kernel, stride=1, padding=0, dilation=1, groups=1,
            group_broadcasting=False, kind="conv")``.

        Example:
            >>> import torch
            >>> conv = SelectSemifield.tropical_max().dynamic()
            >>> conv(torch.zeros(2, 4, 9, 9), torch.zeros(4, 1, 3, 3), groups=4).shape
            torch.Size([2, 4, 7, 7])
        """
        return compiled_module(
            self.compiled_spec(),
            fixed=False,
            default_block=128,
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
            >>> erosion = SelectSemifield.tropical_min_negated().lazy_fixed()
            >>> erosion(torch.zeros(1, 2, 8), torch.zeros(2, 1, 3), groups=2).shape
            torch.Size([1, 2, 6])
        """
        return compiled_module(
            self.compiled_spec(),
            fixed=True,
            default_block=128,
            thread_block_size=thread_block_size,
            to_extension=to_extension,
            debug=debug,
            kernel_inflation=kernel_inflation,
        )

    def compiled_spec(self) -> SemifieldSpec:
        """The description of this semifield that the compiled ops work from (internal plumbing).

        :meta private:

        Returns:
            A ``SemifieldSpec`` (``semiconv_nd.ops.entries``) of kind ``"select"``; the
            built-in tropical semifields name their hand-written kernel (``builtin`` = +1 for
            max, -1 for min).

        Example:
            >>> SelectSemifield.tropical_max().compiled_spec().builtin
            1
        """
        builtin = next(
            (
                sign
                for (name, select), sign in _BUILTIN_SIGNS.items()
                if name == self.cache_name and select is self.add_select
            ),
            None,
        )
        return SemifieldSpec(
            kind="select",
            operators=(self.add_select, self.times, self.d_times_d_img, self.d_times_d_kernel),
            zero=self.zero,
            cache_name=self.cache_name,
            builtin=builtin,
            source=self,
        )

    def __hash__(self) -> int:
        return semifield_hash(self, "SelectSemifield")

    def __eq__(self, other: object) -> bool:
        return semifield_eq(self, other, SelectSemifield)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)


def _tropical_max_select(acc: float, val: float) -> bool:
    return acc < val


def _tropical_min_select(acc: float, val: float) -> bool:
    return acc > val


def _plus(img_val: float, kernel_val: float) -> float:
    return img_val + kernel_val


def _minus(img_val: float, kernel_val: float) -> float:
    return img_val - kernel_val


def _one(img_val: float, kernel_val: float) -> float:
    return 1.0


def _minus_one(img_val: float, kernel_val: float) -> float:
    return -1.0


_BUILTIN_SIGNS = {
    ("_tropical_max", _tropical_max_select): 1,
    ("_tropical_min", _tropical_min_select): -1,
}
