"""Plumbing shared by the compiled semifields (:mod:`.select` and :mod:`.subtract`).

Both are ``NamedTuple`` classes (which cannot inherit methods from a mixin), so their
``dynamic``/``lazy_fixed`` methods and their identity-by-``cache_name`` comparisons delegate to
the functions here. A semifield describes itself to :mod:`semiconv_nd.ops` with a
:class:`~semiconv_nd.ops.entries.SemifieldSpec` (its kind, operators and, for the built-ins,
the hand-written kernel and its parameter); :mod:`semiconv_nd.ops` never imports this package.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from semiconv_nd.ops.entries import SemifieldSpec

__all__ = ["compiled_module", "semifield_eq", "semifield_hash"]


def compiled_module(
    spec: SemifieldSpec,
    *,
    fixed: bool,
    default_block: int,
    thread_block_size: int | None,
    to_extension: bool,
    debug: bool,
    kernel_inflation: int,
) -> torch.nn.Module:
    """Build the compiled convolution module of a semifield.

    Args:
        spec: The description of the :class:`~semiconv_nd.SelectSemifield` or
            :class:`~semiconv_nd.SubtractSemifield`.
        fixed: ``True`` for a module whose geometry is fixed by its first call
            (``lazy_fixed``), ``False`` for one that adapts to every shape (``dynamic``).
        default_block: The CUDA block size used when ``thread_block_size`` is ``None``.
        thread_block_size: CUDA threads per block, or ``None``.
        to_extension: Passed on (``True`` is rejected by the module).
        debug: Print which compiled implementation runs.
        kernel_inflation: CUDA only: copies of the kernel gradient for atomic additions.

    Returns:
        The convolution module.
    """
    from semiconv_nd.ops.modules import CompiledConv, CompiledConvFixedLazy

    module_class = CompiledConvFixedLazy if fixed else CompiledConv
    return module_class(
        spec,
        thread_block_size=thread_block_size,
        to_extension=to_extension,
        debug=debug,
        kernel_inflation=kernel_inflation,
        default_block=default_block,
    )


def semifield_hash(semifield: NamedTuple, tag: str) -> int:
    """Hash by ``cache_name`` when there is one, else by identity."""
    cache_name = semifield.cache_name  # type: ignore[attr-defined]
    if cache_name is not None:
        return hash((tag, cache_name))
    return id(semifield)


def semifield_eq(semifield: NamedTuple, other: object, semifield_class: type) -> bool:
    """Equal by ``cache_name`` when there is one, else by identity (never by field values)."""
    if not isinstance(other, semifield_class):
        return False
    cache_name = semifield.cache_name  # type: ignore[attr-defined]
    if cache_name is not None:
        return cache_name == other.cache_name  # type: ignore[attr-defined]
    return semifield is other
