"""The numba decorator of the kernels: on-disk caching that never crashes, and a compile notice.

Every kernel of :mod:`torchph_lite.pershom` is decorated with :func:`kernel` (``njit`` with
``cache=True, nogil=True``). Three things are added to plain ``numba.njit``:

* **One specialisation per argument type.** When a kernel calls another kernel with a constant
  (``f(x, 0)``), numba types the argument as that literal value (``Literal[int](0)``) and compiles
  the callee once for the literal and again for plain ``int64`` callers: every constant argument
  multiplied the compile time of whole call trees. A kernel's callers here always get the
  signature of the plain types (:func:`_plain_call_templates`), so each kernel compiles once per
  dtype combination. (No kernel of this package uses ``numba.literally``.)

* **Read-only installs.** numba caches next to the module (``__pycache__``) or, when that is not
  writable, in a user-wide directory (``NUMBA_CACHE_DIR``, else ``~/.cache/numba``). When neither
  is writable (a package installed as root and run as another user without a home), numba refuses
  to decorate the function ("cannot cache function ...: no locator available"). :func:`kernel` then
  caches in a private directory under the temporary directory (created with mode ``0o700`` and
  used only if this user owns it), or, if even that fails, compiles without caching.
* **A compile notice.** The first time a kernel of this package is compiled in a process (a
  cache miss: the first use on a machine, or after an upgrade), one message is logged on the
  ``torchph_lite`` logger at level ``WARNING``. Python's logging shows it on stderr by default;
  ``logging.getLogger("torchph_lite").setLevel(logging.ERROR)`` silences it. It is a log record
  rather than a :class:`Warning` so that it is never turned into an exception by ``-W error`` or
  pytest's ``filterwarnings = error`` in the user's (or this package's) test suite.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba as nb
from numba.core import config as nb_config
from numba.core import event as nb_event
from numba.core import types as nb_types

__all__ = ["compile_notice_emitted", "kernel", "logger"]

logger = logging.getLogger("torchph_lite")

_PACKAGE = __name__.rsplit(".", 2)[0]  # "torchph_lite"
#: where kernels are cached when numba has no locator of its own ("" until needed)
_fallback_dir: list[str] = []
#: whether some kernel had to be compiled without caching
_uncached: list[str] = []
_state = {"notice": False}


def compile_notice_emitted() -> bool:
    """Whether the compile notice was logged in this process."""
    return _state["notice"]


def _private_temp_cache() -> str | None:
    """A directory under the temporary directory owned by this user only, or ``None``."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = Path(tempfile.gettempdir()) / f"{_PACKAGE}-numba-cache-{uid}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
        shared = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == uid and not shared:
            probe = tempfile.NamedTemporaryFile(dir=path)  # noqa: SIM115 - closed just below
            probe.close()
            return str(path)
    except OSError:
        pass
    try:  # someone else's or unusable: a fresh private directory (no reuse across processes)
        return tempfile.mkdtemp(prefix=f"{_PACKAGE}-numba-cache-")
    except OSError:
        return None


def _decorate_with_fallback_cache(fn: Callable, options: dict[str, Any]) -> Any:
    if not _fallback_dir:
        _fallback_dir.append(_private_temp_cache() or "")
    if _fallback_dir[0]:
        saved = nb_config.CACHE_DIR
        nb_config.CACHE_DIR = _fallback_dir[0]  # read by numba's locator at decoration only
        try:
            return nb.njit(cache=True, **options)(fn)
        except RuntimeError:
            pass
        finally:
            nb_config.CACHE_DIR = saved
    _uncached.append(fn.__qualname__)
    return nb.njit(cache=False, **options)(fn)


def _plain_call_templates(dispatcher: Any) -> Any:
    """Make ``dispatcher`` compile for the non-literal types of its arguments when called from a
    kernel (see the module docs); calls from Python are typed that way by numba already."""
    original = getattr(dispatcher, "get_call_template", None)
    if original is None:  # a numba without the hook: literal specialisation stays
        return dispatcher

    def get_call_template(args: tuple, kws: dict) -> Any:
        plain_args = tuple(nb_types.unliteral(a) for a in args)
        plain_kws = {k: nb_types.unliteral(v) for k, v in kws.items()}
        return original(plain_args, plain_kws)

    dispatcher.get_call_template = get_call_template
    return dispatcher


def kernel(fn: Callable | None = None, **options: Any) -> Any:
    """``numba.njit(cache=True, nogil=True, **options)``, compiled once per argument type, that
    falls back instead of crashing when it cannot cache.

    Usable bare (``@kernel``) or with numba options (``@kernel(inline="always")``).
    """
    options.setdefault("nogil", True)

    def decorate(f: Callable) -> Any:
        try:
            dispatcher = nb.njit(cache=True, **options)(f)
        except RuntimeError as exc:
            if "no locator available" not in str(exc):
                raise
            dispatcher = _decorate_with_fallback_cache(f, options)
        return _plain_call_templates(dispatcher)

    return decorate if fn is None else decorate(fn)


def _cache_location() -> str:
    if _uncached:
        return "not cached (no writable cache directory here), so every new process compiles"
    if _fallback_dir and _fallback_dir[0]:
        return f"cached in {_fallback_dir[0]} (the package directory is read-only)"
    return "cached on disk, so this happens once per machine and version"


class _CompileNotice(nb_event.Listener):
    """Logs one notice at the start of the first compile of one of this package's kernels."""

    def on_start(self, event: nb_event.Event) -> None:
        if _state["notice"]:
            return
        func = getattr(event.data.get("dispatcher"), "py_func", None)
        if not getattr(func, "__module__", "").startswith(_PACKAGE + "."):
            return
        _state["notice"] = True
        logger.warning(
            "%s: compiling the numba kernels of torchph_lite.pershom (starting with %s); this "
            "takes a few seconds up to a minute and is %s. To compile ahead of time (Docker "
            "images, CI caches) run `python -m torchph_lite.precompile`; to silence this "
            "message: logging.getLogger('torchph_lite').setLevel(logging.ERROR).",
            _PACKAGE,
            func.__qualname__,
            _cache_location(),
        )

    def on_end(self, event: nb_event.Event) -> None:
        pass


nb_event.register("numba:compile", _CompileNotice())
