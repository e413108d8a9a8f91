"""The stencil cache: in memory for the process, on disk on request.

Stencils are stored under a digest of *every* parameter that determines them (method, RBF and
its shape parameter, smoothing and its convention, backend, the points, the derivative order),
so two discretisations never share an entry. The disk file is a plain ``.npz`` (no pickle), written
to a temporary file and moved into place atomically, so a reader always sees a complete file.
Writers take an exclusive lock on ``<file>.lock`` (``fcntl.flock`` on POSIX; elsewhere the lock
file itself, created with ``O_CREAT | O_EXCL``, and taken over when older than a minute), re-read
the file and merge it with their entries before replacing it, so several processes storing at
once all end up on disk.

The directory is, in order: the one given to :func:`set_cache_dir`, the environment variable
``E2_STEERABLE_CACHE_DIR``, or the user cache directory (``$XDG_CACHE_HOME/e2_steerable`` or
``~/.cache/e2_steerable`` on Linux, ``~/Library/Caches/e2_steerable`` on macOS,
``%LOCALAPPDATA%\\e2_steerable\\Cache`` on Windows). Never the working directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]

__all__ = [
    "cache_dir",
    "cache_file",
    "clear_cache",
    "load_cache",
    "set_cache_dir",
    "store_cache",
]

_STENCILS: dict[str, np.ndarray] = {}
_CACHE_DIR: Path | None = None
_FILE_NAME = "diffop_stencils.npz"
_ENV = "E2_STEERABLE_CACHE_DIR"
_STALE_LOCK_S = 60.0  # a lock file (fallback lock) older than this was left by a dead process
_POLL_S = 0.01


def _default_dir() -> Path:
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local"))
        return base / "e2_steerable" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "e2_steerable"
    return Path(os.environ.get("XDG_CACHE_HOME", home / ".cache")) / "e2_steerable"


def set_cache_dir(path: str | os.PathLike[str] | None) -> None:
    """Use ``path`` as the cache directory (``None``: back to the default)."""
    global _CACHE_DIR
    _CACHE_DIR = None if path is None else Path(path).expanduser()


def cache_dir() -> Path:
    """The directory the disk cache lives in (see the module documentation)."""
    if _CACHE_DIR is not None:
        return _CACHE_DIR
    env = os.environ.get(_ENV)
    if env:
        return Path(env).expanduser()
    return _default_dir()


def cache_file(path: str | os.PathLike[str] | None = None) -> Path:
    """The cache file: ``path`` if given (a directory gets the default file name), else the
    default file in :func:`cache_dir`."""
    if path is None:
        return cache_dir() / _FILE_NAME
    p = Path(path).expanduser()
    return p / _FILE_NAME if p.is_dir() else p


def digest(key: tuple) -> str:
    """A stable text key for a tuple of primitives (the same in every process)."""
    return hashlib.sha256(repr(key).encode()).hexdigest()


def lookup(key: str) -> np.ndarray | None:
    return _STENCILS.get(key)


def remember(key: str, value: np.ndarray) -> None:
    value = np.array(value, dtype=np.float64)
    value.setflags(write=False)
    _STENCILS[key] = value


def clear_cache() -> None:
    """Forget every stencil held in memory (the disk file is left alone)."""
    _STENCILS.clear()


def load_cache(path: str | os.PathLike[str] | None = None) -> int:
    """Load stencils from disk into the in-memory cache (see :func:`store_cache`).

    Args:
        path: the cache file or its directory (default: the default file in
            :func:`~e2_steerable.diffops.cache_dir`).

    Returns:
        The number of stencils loaded (0 if there is no cache file yet).

    Raises:
        ValueError: if the file exists but is not a stencil cache.
    """
    file = cache_file(path)
    if not file.is_file():
        return 0
    try:
        with np.load(file, allow_pickle=False) as data:
            loaded = {k: data[k] for k in data.files}
    except (OSError, ValueError) as err:
        raise ValueError(f"path: {file} is not a readable diffop stencil cache ({err})") from err
    for key, value in loaded.items():
        if key not in _STENCILS:
            remember(key, value)
    return len(loaded)


def _lock_file(file: Path) -> Path:
    return file.with_name(file.name + ".lock")


@contextlib.contextmanager
def _flock(lock: Path, timeout: float) -> Iterator[None]:
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"timeout: could not lock {lock} within {timeout} s (another process "
                        "is writing the diffop stencil cache)"
                    ) from None
                time.sleep(_POLL_S)
        try:
            yield
        finally:
            _fcntl.flock(fd, _fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _exclusive_file(lock: Path, timeout: float) -> Iterator[None]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            try:
                if time.time() - lock.stat().st_mtime > _STALE_LOCK_S:
                    lock.unlink()  # its writer died; the next attempt takes it over
                    continue
            except FileNotFoundError:
                continue
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"timeout: could not lock {lock} within {timeout} s (another process is "
                    f"writing the diffop stencil cache, or delete {lock} if none is)"
                ) from None
            time.sleep(_POLL_S)
    try:
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def _locked(file: Path, timeout: float) -> contextlib.AbstractContextManager[None]:
    """Hold the exclusive writer lock of the cache ``file``."""
    if _fcntl is not None:
        return _flock(_lock_file(file), timeout)
    return _exclusive_file(_lock_file(file), timeout)


def _read(file: Path) -> dict[str, np.ndarray]:
    if not file.is_file():
        return {}
    try:
        with np.load(file, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError):
        return {}  # a foreign or damaged file is replaced


def store_cache(path: str | os.PathLike[str] | None = None, timeout: float = 60.0) -> Path:
    """Write the in-memory stencils to disk, merged with the file's current content.

    The merge happens under an exclusive lock on ``<file>.lock``, so processes storing at the
    same time never drop each other's entries.

    Args:
        path: the cache file or its directory (default: the default file in
            :func:`~e2_steerable.diffops.cache_dir`).
        timeout: seconds to wait for another writer's lock.

    Returns:
        The path written.

    Raises:
        TimeoutError: if the lock is not free within ``timeout`` seconds.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise ValueError(f"timeout: expected seconds >= 0, got {timeout!r}")
    file = cache_file(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    with _locked(file, float(timeout)):
        merged = _read(file)
        merged.update(_STENCILS)
        fd, tmp = tempfile.mkstemp(prefix=".diffops-", suffix=".npz", dir=file.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, **merged)  # type: ignore[arg-type]  # numpy's stub: **kwds bool
            os.replace(tmp, file)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return file
