"""Where numba caches the compiled kernels, and the one-time compile notice.

numba caches a ``cache=True`` function next to its module (``__pycache__``), in
``NUMBA_CACHE_DIR``, or in the user-wide cache directory; when none is writable (a read-only
site-packages in a container run as another user without a writable home) it refuses to
decorate the function at all ("cannot cache function ...: no locator available"), which would
make ``import semiconv_nd`` crash. :data:`CACHE` is computed once, before any kernel module is
imported:

* ``True`` when numba finds a writable place itself;
* ``True`` after installing :class:`_PrivateTempLocator`, a last-resort locator that caches
  *only this package's* kernels in a private per-user directory under the system temp dir;
* ``False`` (compile in every process, uncached) when even that is impossible.

Notices go to the ``semiconv_nd`` :mod:`logging` logger at ``WARNING`` level: with no logging
configured, Python's last-resort handler prints them to stderr, so a user sees them by default;
``logging.getLogger("semiconv_nd").setLevel(logging.ERROR)`` silences them. Unlike a
``warnings.warn`` they can never become exceptions under ``-W error``.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

__all__ = ["CACHE", "CACHE_DIR_NOTE", "compile_notice", "logger", "notice_if_compiling"]

logger = logging.getLogger("semiconv_nd")

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_NOTICE_LOCK = threading.Lock()
_NOTICED: set[str] = set()


def _locator_base() -> tuple[Any, Any]:
    """numba's cache implementation class and its user-directory locator (names vary by version)."""
    from numba.core import caching

    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
    base = getattr(caching, "UserProvidedCacheLocator", None) or caching._UserProvidedCacheLocator
    return impl, base


def _private_temp_dir() -> str | None:
    """A directory only this user can write, under the system temp dir (``None`` if none)."""
    path = Path(tempfile.gettempdir()) / f"semiconv_nd-numba-cache-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
        private = (
            stat.S_ISDIR(info.st_mode)
            and info.st_uid == os.getuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        )
        if private and os.access(path, os.W_OK):
            return str(path)
        return tempfile.mkdtemp(prefix="semiconv_nd-numba-cache-")  # someone else's: a fresh one
    except OSError:
        return None


def _probe() -> None:  # pragma: no cover - a function numba is asked to locate
    pass


def _numba_can_cache_here() -> bool:
    impl, _ = _locator_base()
    from numba.core import config

    # the user chose the locators (NUMBA_CACHE_LOCATOR_CLASSES, absent from older numba): trust them
    if getattr(config, "CACHE_LOCATOR_CLASSES", ""):
        return True
    source = str(Path(__file__).resolve())
    return any(cls.from_function(_probe, source) is not None for cls in impl._locator_classes)


def _install_temp_locator() -> str | None:
    impl, base = _locator_base()
    directory = _private_temp_dir()
    if directory is None:
        return None

    class _PrivateTempLocator(base):  # type: ignore[misc, valid-type]
        """Caches semiconv_nd's kernels (and nothing else) in a private temp directory."""

        def __init__(self, py_func: Any, py_file: str) -> None:
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = os.path.join(directory, self.get_suitable_cache_subpath(py_file))

        @classmethod
        def from_function(cls, py_func: Any, py_file: str) -> Any:
            if not Path(py_file).resolve().is_relative_to(_PACKAGE_DIR):
                return None
            self = cls(py_func, py_file)
            try:
                self.ensure_cache_path()
            except OSError:
                return None
            return self

    impl._locator_classes.append(_PrivateTempLocator)
    source = str(Path(__file__).resolve())
    if _PrivateTempLocator.from_function(_probe, source) is None:
        impl._locator_classes.remove(_PrivateTempLocator)
        return None
    return directory


def _decide_cache() -> tuple[bool, str]:
    try:
        if _numba_can_cache_here():
            return True, ""
        directory = _install_temp_locator()
    except Exception as exc:  # pragma: no cover - unexpected numba internals
        return False, f"numba's cache could not be set up ({exc}); kernels compile in every process"
    if directory is None:
        return False, (
            "numba can cache neither next to the package, nor in NUMBA_CACHE_DIR, the user cache "
            "or the temp dir; kernels compile in every process"
        )
    return True, (
        "the package directory and the user cache are not writable, so the compiled kernels are "
        f"cached in {directory} (set NUMBA_CACHE_DIR to choose a persistent place)"
    )


CACHE, CACHE_DIR_NOTE = _decide_cache()
if CACHE_DIR_NOTE:
    logger.warning("semiconv_nd: %s", CACHE_DIR_NOTE)


def compile_notice(what: str, per_process: bool = False) -> None:
    """Log, once per process and ``what``, that a kernel family is being compiled.

    Args:
        what: The kernel family, e.g. ``"tropical select kernels (float32)"``.
        per_process: ``True`` for kernels that are never cached on disk (user-defined
            semifields), which compile once per process instead of once per machine.
    """
    with _NOTICE_LOCK:
        if what in _NOTICED:
            return
        _NOTICED.add(what)
    if per_process or not CACHE:
        when = "once per process (these kernels are not cached on disk)"
    else:
        when = (
            "once per machine; later processes load them from numba's cache. Warm the cache "
            "ahead of time (Docker images, CI caches) with `python -m semiconv_nd.precompile`"
        )
    logger.warning("semiconv_nd: compiling the %s with numba, %s.", what, when)


_CHECKED: set[tuple[str, str, str]] = set()


def notice_if_compiling(dispatcher: Any, family: str, args: tuple[Any, ...]) -> None:
    """Call :func:`compile_notice` when calling ``dispatcher`` with ``args`` will compile.

    Checked once per process, kernel and dtype: it will compile when numba has neither an
    in-memory nor an on-disk (cached) version for these argument types.

    Args:
        dispatcher: A numba ``njit`` dispatcher.
        family: The kernel family named in the notice.
        args: The arguments of the coming call (their numba types select the version).
    """
    dtype = str(getattr(args[0], "dtype", "?"))
    token = (family, f"{dispatcher.py_func.__module__}.{dispatcher.py_func.__qualname__}", dtype)
    if token in _CHECKED:
        return
    _CHECKED.add(token)
    try:
        signature = tuple(dispatcher.typeof_pyval(arg) for arg in args)
        if signature in dispatcher.overloads:
            return
        cache = getattr(dispatcher, "_cache", None)
        cache_file = getattr(cache, "_cache_file", None)
        if (
            CACHE
            and cache_file is not None
            and any(key[0] == signature for key in cache_file._load_index())
        ):
            return
    except Exception:  # pragma: no cover - numba internals changed: no notice, no failure
        return
    compile_notice(f"{family} ({dtype})")
