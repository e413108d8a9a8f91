"""``python -m semiconv_nd.precompile``: warm numba's cache of the built-in CPU kernels.

See :func:`semiconv_nd.precompile`. Importing this module keeps ``semiconv_nd.precompile``
callable (the package attribute becomes this module once it is imported).
"""

from __future__ import annotations

import sys
import types
from typing import Any

from semiconv_nd._precompile import main, precompile

__all__ = ["main", "precompile"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> dict[str, float]:
        return precompile(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess
    raise SystemExit(main())
