"""Compiled implementations of semifields, registered under string keys.

The ``torch.library`` custom ops take the semifield as a string key (custom ops accept only
tensors and plain values). :func:`register` maps a :class:`SelectSemifield` or
:class:`SubtractSemifield` to its key and keeps the implementation:

* the built-ins (``cache_name`` ``"_tropical_max"``, ``"_tropical_min"``, ``"_linear"``,
  ``"_root_<p>"``, ``"_log_<mu>"``) use the hand-written kernels of
  :mod:`semiconv_nd._cpu.select_builtin` and :mod:`semiconv_nd._cpu.subtract_builtin`
  (cached on disk by numba);
* any other semifield gets kernels compiled from its scalar operators on first use, kept for the
  process per ``cache_name`` (or per instance without one).

CUDA kernels are compiled lazily by :mod:`semiconv_nd._cuda` from the same entry.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from semiconv_nd.semifields.select import SelectSemifield
from semiconv_nd.semifields.subtract import SubtractSemifield

__all__ = ["SelectEntry", "SubtractEntry", "lookup", "register"]

_LOCK = threading.Lock()
_BY_KEY: dict[str, SelectEntry | SubtractEntry] = {}
_BY_SEMIFIELD: dict[Any, str] = {}
_ANONYMOUS = itertools.count()

_SELECT_OPERATORS = ("add_select", "times", "d_times_d_img", "d_times_d_kernel")
_SUBTRACT_OPERATORS = (
    "add",
    "times",
    "d_times_d_img",
    "d_times_d_kernel",
    "subtract",
    "d_add_d_right",
)
_SUBTRACT_TRANSFORMS = ("post_sum", "undo_post_sum", "d_post_d_acc")


@dataclass
class SelectEntry:
    """A registered select semifield.

    Attributes:
        key: The registry key.
        semifield: The semifield.
        sign: ``+1``/``-1`` for the built-in tropical max/min (hand-written kernels), else 0.
        kernels: Per device kind, the compiled ``(forward, backward)`` pair (filled lazily).
    """

    key: str
    semifield: SelectSemifield
    sign: int
    kernels: dict[str, Any] = field(default_factory=dict)

    @property
    def needs_image(self) -> bool:
        """Whether the backward pass reads the image (the tropical built-ins do not)."""
        return self.sign == 0

    @property
    def operators(self) -> tuple[Any, ...]:
        """The scalar operators, in the argument order of the kernel factories."""
        return tuple(getattr(self.semifield, name) for name in _SELECT_OPERATORS)


@dataclass
class SubtractEntry:
    """A registered subtract semifield.

    Attributes:
        key: The registry key.
        semifield: The semifield.
        mode: The built-in kernel mode (0 linear, 1 root, 2 log), or -1 for user-defined ones.
        param: ``p`` for root, ``mu`` for log, else 0.
        kernels: Per device kind, the compiled ``(forward, backward)`` pair (filled lazily).
    """

    key: str
    semifield: SubtractSemifield
    mode: int
    param: float
    kernels: dict[str, Any] = field(default_factory=dict)

    @property
    def operators(self) -> tuple[Any, ...]:
        """The scalar operators and ``post_sum`` transforms, in the kernel factories' order."""
        names = _SUBTRACT_OPERATORS + _SUBTRACT_TRANSFORMS
        return tuple(getattr(self.semifield, name) for name in names)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value != 0.0 else None


def _check_callables(semifield: Any, names: tuple[str, ...]) -> None:
    for name in names:
        if not callable(getattr(semifield, name)):
            raise TypeError(
                f"{type(semifield).__name__}.{name}: expected a Python function of floats, "
                f"got {getattr(semifield, name)!r}"
            )
    zero = semifield.zero
    if isinstance(zero, bool) or not isinstance(zero, (int, float)):
        raise TypeError(f"{type(semifield).__name__}.zero: expected a float, got {zero!r}")
    name = semifield.cache_name
    if name is not None and not isinstance(name, str):
        raise TypeError(
            f"{type(semifield).__name__}.cache_name: expected a str or None, got {name!r}"
        )


def _select_entry(semifield: SelectSemifield, key: str) -> SelectEntry:
    _check_callables(semifield, _SELECT_OPERATORS)
    sign = {"_tropical_max": 1, "_tropical_min": -1}.get(semifield.cache_name or "", 0)
    return SelectEntry(key, semifield, sign)


def _subtract_entry(semifield: SubtractSemifield, key: str) -> SubtractEntry:
    _check_callables(semifield, _SUBTRACT_OPERATORS)
    transforms = tuple(getattr(semifield, name) for name in _SUBTRACT_TRANSFORMS)
    if any(f is not None for f in transforms) and not all(callable(f) for f in transforms):
        raise ValueError(
            "SubtractSemifield.post_sum: post_sum, undo_post_sum and d_post_d_acc must be given "
            f"together as functions, got {transforms!r}"
        )
    name = semifield.cache_name or ""
    mode, param = -1, 0.0
    if name == "_linear":
        mode = 0
    elif name.startswith("_root_") and _number(name[6:]) is not None:
        mode, param = 1, float(name[6:])
    elif name.startswith("_log_") and _number(name[5:]) is not None:
        mode, param = 2, float(name[5:])
    return SubtractEntry(key, semifield, mode, param)


def register(semifield: SelectSemifield | SubtractSemifield) -> str:
    """Register a semifield (idempotent per ``cache_name``) and return its key.

    Args:
        semifield: A :class:`SelectSemifield` or :class:`SubtractSemifield`.

    Returns:
        The key under which the custom ops find its implementation.

    Raises:
        TypeError: If ``semifield`` is neither, or its operators are not callables.
        ValueError: If a subtract semifield gives only some of its ``post_sum`` transforms.

    Example:
        >>> register(SelectSemifield.tropical_max())
        'select/_tropical_max'
    """
    if isinstance(semifield, SelectSemifield):
        prefix, make = "select", _select_entry
    elif isinstance(semifield, SubtractSemifield):
        prefix, make = "subtract", _subtract_entry
    else:
        raise TypeError(
            f"semifield: expected a SelectSemifield or SubtractSemifield, got "
            f"{type(semifield).__name__}"
        )
    with _LOCK:
        key = _BY_SEMIFIELD.get(semifield)
        if key is not None:
            return key
        if semifield.cache_name is not None:
            key = f"{prefix}/{semifield.cache_name}"
        else:
            key = f"{prefix}/<anonymous {next(_ANONYMOUS)}>"
        _BY_KEY[key] = make(semifield, key)
        _BY_SEMIFIELD[semifield] = key
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
        raise KeyError(f"semifield key {key!r} is not registered in this process") from None
