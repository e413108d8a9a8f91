"""Compiled implementations of semifields, registered under string keys.

The ``torch.library`` custom ops take the semifield as a string key (custom ops accept only
tensors and plain values). :func:`register` maps a :class:`~semiconv_nd.ops.entries.SemifieldSpec`
(built by the semifield) to its key and keeps the implementation:

* built-ins (``spec.builtin`` set: tropical max/min, linear, root, log) use the hand-written
  kernels of :mod:`semiconv_nd._cpu.select_builtin` and :mod:`semiconv_nd._cpu.subtract_builtin`
  (cached on disk by numba);
* any other semifield gets kernels compiled from its scalar operators on first use, kept for the
  process per ``cache_name`` (or per semifield object without one).

Registration is per process: a module unpickled in a new process (``torch.load``, spawned
workers) registers its semifield again (see :class:`semiconv_nd.ops.modules.CompiledConv`).
CUDA kernels are compiled lazily by :mod:`semiconv_nd._cuda` from the same entry.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from semiconv_nd.ops.entries import SelectEntry, SemifieldSpec, SubtractEntry

__all__ = ["lookup", "register"]

_LOCK = threading.Lock()
_BY_KEY: dict[str, SelectEntry | SubtractEntry] = {}
_BY_IDENTITY: dict[Any, str] = {}
_ANONYMOUS = itertools.count()

_OPERATOR_NAMES = {
    "select": ("add_select", "times", "d_times_d_img", "d_times_d_kernel"),
    "subtract": (
        "add",
        "times",
        "d_times_d_img",
        "d_times_d_kernel",
        "subtract",
        "d_add_d_right",
        "post_sum",
        "undo_post_sum",
        "d_post_d_acc",
    ),
}
_REQUIRED = {"select": 4, "subtract": 6}


def _check(spec: SemifieldSpec) -> None:
    owner = type(spec.source).__name__ if spec.source is not None else spec.kind
    names = _OPERATOR_NAMES[spec.kind]
    operators = tuple(spec.operators) + (None,) * (len(names) - len(spec.operators))
    for name, function in zip(names[: _REQUIRED[spec.kind]], operators, strict=False):
        if not callable(function):
            raise TypeError(
                f"{owner}.{name}: expected a Python function of floats, got {function!r}"
            )
    transforms = operators[_REQUIRED[spec.kind] :]
    if any(f is not None for f in transforms) and not all(callable(f) for f in transforms):
        raise ValueError(
            f"{owner}.post_sum: post_sum, undo_post_sum and d_post_d_acc must be given "
            f"together as functions, got {transforms!r}"
        )
    zero = spec.zero
    if isinstance(zero, bool) or not isinstance(zero, (int, float)):
        raise TypeError(f"{owner}.zero: expected a float, got {zero!r}")
    name = spec.cache_name
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{owner}.cache_name: expected a str or None, got {name!r}")


def register(spec: SemifieldSpec) -> str:
    """Register a semifield (idempotent per ``cache_name``) and return its key.

    Args:
        spec: The semifield's description, from its ``compiled_spec()`` method.

    Returns:
        The key under which the custom ops find its implementation.

    Raises:
        TypeError: If ``spec`` is not a :class:`SemifieldSpec`, or its operators are not
            callables.
        ValueError: If a subtract semifield gives only some of its ``post_sum`` transforms.

    Example:
        >>> from semiconv_nd import SelectSemifield
        >>> register(SelectSemifield.tropical_max().compiled_spec())
        'select/_tropical_max'
    """
    if not isinstance(spec, SemifieldSpec) or spec.kind not in _OPERATOR_NAMES:
        raise TypeError(
            "semifield: expected the SemifieldSpec of a SelectSemifield or SubtractSemifield, "
            f"got {type(spec).__name__}"
        )
    _check(spec)
    if spec.cache_name is not None:
        identity: Any = (spec.kind, spec.cache_name)
    else:  # per semifield object (identity-hashed), or per spec without one
        identity = (spec.kind, spec if spec.source is None else spec.source)
    with _LOCK:
        key = _BY_IDENTITY.get(identity)
        if key is not None:
            return key
        if spec.cache_name is not None:
            key = f"{spec.kind}/{spec.cache_name}"
        else:
            key = f"{spec.kind}/<anonymous {next(_ANONYMOUS)}>"
        entry_class = SelectEntry if spec.kind == "select" else SubtractEntry
        _BY_KEY[key] = entry_class(key, spec)
        _BY_IDENTITY[identity] = key
        return key


def lookup(key: str) -> SelectEntry | SubtractEntry:
    """The registered entry for ``key``.

    Args:
        key: A key returned by :func:`register`.

    Returns:
        The entry.

    Raises:
        KeyError: If nothing is registered under ``key``.
    """
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(
            f"semifield key {key!r} is not registered in this process (modules register their "
            "semifield when built or unpickled)"
        ) from None
