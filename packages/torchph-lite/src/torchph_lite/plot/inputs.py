"""Conversion of persistence diagrams given as tensors, arrays or lists into numpy arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["DimensionDiagram", "as_dimension_diagrams", "to_numpy"]


@dataclass(frozen=True)
class DimensionDiagram:
    """The diagram of one homology dimension, ready to plot.

    Attributes:
        dimension: The homology dimension ``k``.
        finite: ``(m, 2)`` float64 (birth, death) pairs with finite death.
        essential: ``(e,)`` float64 births of the classes that never die.
    """

    dimension: int
    finite: np.ndarray
    essential: np.ndarray


def to_numpy(values: Any, name: str) -> np.ndarray:
    """A float64 numpy copy of a tensor (detached, moved to the CPU), array or nested list.

    Example:
        >>> import torch
        >>> from torchph_lite.plot.inputs import to_numpy
        >>> to_numpy(torch.tensor([1.0, 2.0], requires_grad=True), "x")
        array([1., 2.])
    """
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a tensor or array of numbers; got {values!r}") from error


def _finite_pairs(values: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    array = to_numpy(values, name)
    if array.size == 0:
        return np.zeros((0, 2)), np.zeros(0)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{name} must have shape (m, 2) of (birth, death); got {array.shape}")
    if np.isnan(array).any() or np.isinf(array[:, 0]).any():
        raise ValueError(f"{name} must have finite births and no NaN (deaths may be +inf)")
    infinite = np.isposinf(array[:, 1])
    return array[~infinite], array[infinite, 0]


def _births(values: Any, name: str) -> np.ndarray:
    array = to_numpy(values, name).reshape(-1) if values is not None else np.zeros(0)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite birth values")
    return array


def as_dimension_diagrams(
    diagrams: Any, essential: Any = None, dimensions: Sequence[int] | None = None
) -> list[DimensionDiagram]:
    """Normalise one or several diagrams (and optional essential births) per homology dimension.

    Args:
        diagrams: One ``(m, 2)`` tensor/array, or a list of them, one per homology dimension (the
            ``non_essential`` list of :func:`torchph_lite.pershom.vr_persistence_l2`). Deaths equal
            to ``+inf`` are treated as essential classes.
        essential: ``None``, or births of essential classes: one ``(e,)`` tensor/array for a single
            diagram, or a list with one per dimension (pershom's ``essential`` list).
        dimensions: The homology dimension of each diagram; default ``0, 1, ...``.

    Returns:
        One :class:`DimensionDiagram` per dimension.

    Raises:
        ValueError: On shapes other than ``(m, 2)``, NaN values, or length mismatches.

    Example:
        >>> import torch
        >>> from torchph_lite.plot.inputs import as_dimension_diagrams
        >>> diagram = torch.tensor([[0.0, 1.0], [0.0, float("inf")]])
        >>> [d.essential for d in as_dimension_diagrams(diagram)]
        [array([0.])]
    """
    single = isinstance(diagrams, (torch.Tensor, np.ndarray))
    if not single and not isinstance(diagrams, Sequence):
        raise TypeError(
            "diagrams must be a (m, 2) tensor/array or a list of them; got "
            + type(diagrams).__name__
        )
    items = [diagrams] if single else list(diagrams)
    if essential is None:
        extra = [None] * len(items)
    elif single:
        extra = [essential]
    else:
        extra = list(essential)
    if len(extra) != len(items):
        raise ValueError(
            f"essential must have one entry per diagram: got {len(extra)} for {len(items)} diagrams"
        )
    dims = list(range(len(items))) if dimensions is None else [int(k) for k in dimensions]
    if len(dims) != len(items):
        raise ValueError(f"dimensions must have {len(items)} entries; got {len(dims)}")

    result = []
    for k, values, births in zip(dims, items, extra):
        finite, infinite_births = _finite_pairs(values, f"diagram of dimension {k}")
        all_births = np.concatenate([infinite_births, _births(births, f"essential[{k}]")])
        result.append(DimensionDiagram(k, finite, all_births))
    return result
