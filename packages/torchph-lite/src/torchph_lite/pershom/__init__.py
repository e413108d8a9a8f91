"""Differentiable Vietoris-Rips persistent homology on CPU (numba) and CUDA tensors.

Re-creates ``torchph.pershom`` (the functions' docstrings give the exact semantics):

* :func:`vr_persistence` for distance matrices,
* :func:`vr_persistence_l1` and :func:`vr_persistence_l2` for point clouds.

Layout: ``api`` (public functions) builds on ``_validation`` (argument checks), ``_batch`` (numba
drivers for a whole batch), ``_h0`` (Prim spanning forests), ``_cohomology`` (persistent cohomology
in dimensions >= 1), ``_combinatorics`` (combinatorial number system), ``_containers`` (hash map,
heap of runs), ``_metrics`` (L1/L2 distances), ``_torch_h0`` (dimension 0 with torch ops, used on
CUDA), ``_assemble`` (gather plan, per-input split), ``_edge_lengths`` (differentiable
critical-edge lengths) and ``_cpu_values`` (float32/float64 CPU clouds: values and gradients
straight from numba, one autograd node; the fast path of the training loop).

First use: numba compiles the kernels (once per machine; a notice is logged on the
``torchph_lite`` logger) and caches them; :func:`precompile` or ``python -m
torchph_lite.precompile`` does it ahead of time (see ``torchph_lite.pershom._jit`` for the
cache location, read-only installs and the notice).

Compile time (issue #15): a new user's first call waits for numba to compile the kernels, so they
are written to compile little. Every kernel compiles once per argument type, never per literal
constant (see ``_jit``); dimension 0 of point clouds is one flat kernel (``_h0.forest_plan``);
dimensions >= 1 have two drivers, ``_batch.records_h1`` (dimension <= 1) and
``_batch.records_higher`` (compiled only when dimension 2 or more is asked for); the call tree is
shallow (numba re-optimises, in every kernel, all the code it calls); kernels avoid numba overloads
(``min``/``max``, ``np.full``/``np.zeros``/``np.arange``, slice assignment) and typed containers;
only the small kernels of ``_cpu_values`` are specialised per dtype.

Development note: numba's on-disk cache (``cache=True``) is keyed on each file's own source, not on
the modules it calls. After editing a kernel module, delete ``pershom/__pycache__/*.nbi`` and
``*.nbc`` so that its callers in other modules are recompiled too.
"""

from __future__ import annotations

from ._precompile import precompile
from .api import vr_persistence, vr_persistence_l1, vr_persistence_l2

# filtered complexes beyond Vietoris-Rips (issue #14)
from .boundary import calculate_persistence
from .cubical import cubical_persistence
from .lower_star import lower_star_persistence

__all__ = [
    "calculate_persistence",
    "cubical_persistence",
    "lower_star_persistence",
    "precompile",
    "vr_persistence",
    "vr_persistence_l1",
    "vr_persistence_l2",
]
