"""CUDA kernels (numba-cuda, the ``cuda`` extra) with the algorithms of :mod:`semiconv_nd._cpu`.

One thread computes one output element. Select forward records the provenance; select backward
adds each output's gradient to its one source with atomics. Subtract forward accumulates with the
semifield's operators (log as a max-shifted log-sum-exp); subtract backward recomputes every tap.
Kernel gradients are accumulated into ``kernel_inflation`` copies (slot = thread index modulo
the inflation) to spread atomic contention, then summed.

* :mod:`.kernels`: kernel factories (compiled per semifield);
* :mod:`.launch`: launches on array-likes (device arrays, torch CUDA tensors, or numpy arrays
  under numba's CUDA simulator, as in the tests);
* :mod:`.runner`: the torch-facing functions called by the custom ops.
"""

from __future__ import annotations

import importlib.util
import os

__all__ = ["cuda_unavailable_reason", "require_cuda"]


def cuda_unavailable_reason() -> str | None:
    """Why the CUDA kernels cannot run here, or ``None`` when they can.

    The kernels need the ``numba-cuda`` package (the ``cuda`` extra): numba's own bundled
    ``numba.cuda`` is deprecated and imports even without it, so its presence proves nothing.

    Example:
        >>> reason = cuda_unavailable_reason()
        >>> reason is None or isinstance(reason, str)
        True
    """
    if not _simulated() and importlib.util.find_spec("numba_cuda") is None:
        return (
            "the numba-cuda package is not installed; install the extra: "
            "pip install 'semiconv-nd[cuda]'"
        )
    try:
        from numba import cuda
    except ImportError as exc:  # pragma: no cover - depends on the installation
        return f"numba's CUDA support cannot be imported ({exc}); reinstall 'semiconv-nd[cuda]'"
    try:
        if not cuda.is_available():
            return "numba cannot find a CUDA driver and GPU on this machine"
    except Exception as exc:  # pragma: no cover - driver errors
        return f"numba's CUDA support failed to initialise: {exc}"
    return None


def _simulated() -> bool:
    """Whether numba's CUDA simulator is on (``NUMBA_ENABLE_CUDASIM=1``, used by the tests)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def require_cuda() -> None:
    """Raise a clear ``RuntimeError`` when the CUDA kernels cannot run.

    Raises:
        RuntimeError: Naming the reason and the CPU alternative.
    """
    reason = cuda_unavailable_reason()
    if reason is not None:
        raise RuntimeError(
            f"img: the compiled semifields got CUDA tensors, but {reason}. The same semifields "
            "run on CPU with numba: move the image and kernel to the CPU (img.cpu(), "
            "kernel.cpu()), or use BroadcastSemifield on this device."
        )
