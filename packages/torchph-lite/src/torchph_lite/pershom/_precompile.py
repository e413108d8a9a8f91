"""Warm numba's on-disk cache ahead of time (Docker images, CI caches, shared machines).

:func:`precompile` runs every registered *kernel group* on tiny inputs, once per dtype it lists,
so that numba compiles (or loads from its cache) every specialisation the public functions use.
The registry is plain data: a module that adds kernels registers a group with
:func:`register_kernel_group` and :func:`precompile` (and ``python -m torchph_lite.precompile``)
warms it too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch

__all__ = ["KERNEL_GROUPS", "KernelGroup", "precompile", "register_kernel_group"]


@dataclass(frozen=True)
class KernelGroup:
    """Kernels that one tiny call warms.

    Attributes:
        name: the group's key in ``KERNEL_GROUPS``.
        description: one line for ``--list``.
        warm: runs the call for one dtype (forward and backward where the function has one).
        dtypes: the dtypes whose kernels are specialised (one entry if the kernels are not).
    """

    name: str
    description: str
    warm: Callable[[torch.dtype], None]
    dtypes: tuple[torch.dtype, ...] = (torch.float32, torch.float64)


#: every group :func:`precompile` knows, by name, in registration order
KERNEL_GROUPS: dict[str, KernelGroup] = {}


def register_kernel_group(group: KernelGroup) -> None:
    """Add (or replace) a group in ``KERNEL_GROUPS``."""
    KERNEL_GROUPS[group.name] = group


def precompile(
    groups: Iterable[str] | None = None, dtypes: Iterable[torch.dtype] | None = None
) -> dict[str, float]:
    """Compile the numba kernels now (or load them from numba's cache), instead of on first use.

    Args:
        groups: names from ``KERNEL_GROUPS``; ``None`` for all of them.
        dtypes: restrict the groups' dtypes to these; ``None`` for each group's own.

    Returns:
        Seconds spent per ``"group/dtype"`` (close to zero when the cache was warm already).

    Raises:
        ValueError: for an unknown group name.

    >>> seconds = precompile(["vr_points_dim0"], [torch.float64])
    >>> list(seconds)
    ['vr_points_dim0/float64']
    """
    names = list(KERNEL_GROUPS) if groups is None else list(groups)
    unknown = [n for n in names if n not in KERNEL_GROUPS]
    if unknown:
        raise ValueError(f"groups: unknown kernel group(s) {unknown}; known: {list(KERNEL_GROUPS)}")
    wanted = None if dtypes is None else set(dtypes)
    spent = {}
    for name in names:
        group = KERNEL_GROUPS[name]
        for dtype in group.dtypes:
            if wanted is not None and dtype not in wanted and len(group.dtypes) > 1:
                continue
            start = time.perf_counter()
            group.warm(dtype)
            spent[f"{name}/{str(dtype).removeprefix('torch.')}"] = time.perf_counter() - start
    return spent


# ----------------------------------------------------------------------------------------------
# the Vietoris-Rips groups
# ----------------------------------------------------------------------------------------------
def _tiny_cloud(dtype: torch.dtype) -> torch.Tensor:
    square = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.1], [0.5, 2.0]]
    return torch.tensor(square, dtype=dtype, requires_grad=True)


def _warm_points(max_dimension: int) -> Callable[[torch.dtype], None]:
    def warm(dtype: torch.dtype) -> None:
        from .api import vr_persistence_l1, vr_persistence_l2

        for fn in (vr_persistence_l1, vr_persistence_l2):
            cloud = _tiny_cloud(dtype)
            non_essential, essential = fn(cloud, max_dimension)
            loss = sum(p.sum() for p in non_essential) + sum(e.sum() for e in essential)
            loss.backward()  # type: ignore[union-attr]

    return warm


def _warm_matrix(dtype: torch.dtype) -> None:
    from .api import vr_persistence

    cloud = _tiny_cloud(dtype).detach()
    for max_dimension in (0, 1):
        vr_persistence(torch.cdist(cloud, cloud), max_dimension)


register_kernel_group(
    KernelGroup("vr_points_dim0", "vr_persistence_l1/_l2, dimension 0", _warm_points(0))
)
register_kernel_group(
    KernelGroup("vr_points", "vr_persistence_l1/_l2, dimensions >= 1 (cohomology)", _warm_points(1))
)


def _warm_higher(dtype: torch.dtype) -> None:
    # Dimensions >= 2 collapse edges by default; the uncollapsed driver is warmed as well.
    from .api import vr_persistence

    _warm_points(2)(dtype)
    cloud = _tiny_cloud(dtype).detach()
    for collapse_edges in (True, False):
        vr_persistence(torch.cdist(cloud, cloud), 2, collapse_edges=collapse_edges)


register_kernel_group(
    KernelGroup(
        "vr_higher",
        "vr_persistence*, dimensions >= 2 and edge collapse (compiled only when asked for)",
        _warm_higher,
        (torch.float64,),  # the engine is float64; the dtype-specialised kernels are shared
    )
)
register_kernel_group(
    KernelGroup(
        "vr_matrix",
        "vr_persistence (distance matrices) and the generic dtypes' path",
        _warm_matrix,
        (torch.float64,),
    )
)


# ----------------------------------------------------------------------------------------------
# filtered complexes: cubical and lower-star persistence, the boundary-array reduction
# ----------------------------------------------------------------------------------------------
def _warm_complexes(dtype: torch.dtype) -> None:
    # The kernels work in int64/float64 whatever the input dtype: one specialisation each.
    from .boundary import calculate_persistence
    from .cubical import cubical_persistence
    from .lower_star import lower_star_persistence

    cubical_persistence(torch.rand(4, 4, dtype=dtype), 1)
    cubical_persistence(torch.rand(3, 4, 5, dtype=dtype), 2)
    cubical_persistence(torch.rand(4, 4, dtype=dtype), 1, construction="T")
    edges = torch.tensor([[0, 1], [1, 2], [2, 0], [2, 3]])
    lower_star_persistence(torch.rand(4, dtype=dtype), [edges, torch.tensor([[0, 1, 2]])], 1)
    boundary = torch.tensor([[-1, -1]] * 3 + [[1, 0], [2, 0], [2, 1]])
    calculate_persistence(boundary, torch.arange(6), torch.tensor([0, 0, 0, 1, 1, 1]), 1)


register_kernel_group(
    KernelGroup(
        "complexes",
        "cubical_persistence, lower_star_persistence and calculate_persistence",
        _warm_complexes,
        (torch.float64,),
    )
)
