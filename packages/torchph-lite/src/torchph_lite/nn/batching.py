"""Padding a batch of multisets (persistence diagrams) into one dense tensor.

SLayers evaluate a whole batch with a single tensor operation. Diagrams have different numbers of
points, so they are zero-padded to a common length ``M`` and a mask marks the real points.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import torch

__all__ = [
    "PreparedBatch",
    "is_list_of_tensors",
    "is_prepared_batch",
    "prepare_batch",
    "prepare_batch_if_necessary",
]


class PreparedBatch(NamedTuple):
    """The padded form of a batch of multisets, as returned by :func:`prepare_batch`.

    It is a plain tuple ``(batch, not_dummy_points, max_points, batch_size)``, so it unpacks like
    the 4-tuple of the original torchph.

    Shape:
        batch: :math:`(B, M, D)`, real points first, zero padding after them.
        not_dummy_points: :math:`(B, M)`, ``1`` for a real point and ``0`` for padding, in the
          dtype of ``batch``.
    """

    batch: torch.Tensor
    not_dummy_points: torch.Tensor
    max_points: int
    batch_size: int


def _is_empty_diagram(diagram: torch.Tensor) -> bool:
    return diagram.dim() in (1, 2) and diagram.shape[0] == 0


def _infer_point_dim(batch: Sequence[torch.Tensor]) -> int:
    for diagram in batch:
        if diagram.dim() == 2 and diagram.shape[0] > 0:
            return int(diagram.shape[1])
    for diagram in batch:
        if diagram.dim() == 2:
            return int(diagram.shape[1])
    raise ValueError(
        "prepare_batch: point_dim could not be inferred because every diagram is a 1-D empty "
        "tensor; pass point_dim explicitly"
    )


def _check_diagrams(batch: Any, point_dim: int | None) -> tuple[int, torch.dtype, torch.device]:
    """Validate a list of diagrams; return the point dimension, the common dtype and device."""
    if isinstance(batch, torch.Tensor) or not isinstance(batch, Sequence):
        raise ValueError(
            "batch must be a list of tensors of shape (m_i, D); got " + type(batch).__name__
        )
    if len(batch) == 0:
        raise ValueError("batch must contain at least one diagram; got an empty list")
    for i, diagram in enumerate(batch):
        if not isinstance(diagram, torch.Tensor):
            raise ValueError(
                f"batch[{i}] must be a torch.Tensor of shape (m, D); got {type(diagram).__name__}"
            )
    if point_dim is None:
        point_dim = _infer_point_dim(batch)
    if isinstance(point_dim, bool) or not isinstance(point_dim, int) or point_dim < 1:
        raise ValueError(f"point_dim must be a positive int; got {point_dim!r}")

    device = batch[0].device
    dtype: torch.dtype | None = None
    for i, diagram in enumerate(batch):
        if diagram.device != device:
            raise ValueError(
                f"all diagrams must be on one device; batch[0] is on {device} but batch[{i}] "
                f"is on {diagram.device}"
            )
        if _is_empty_diagram(diagram) and (diagram.dim() == 1 or diagram.shape[1] == point_dim):
            continue
        if diagram.dim() != 2:
            hint = " (use t.unsqueeze(1) for a 1-D tensor of birth values)" * (diagram.dim() == 1)
            raise ValueError(
                f"batch[{i}] must be a 2-D tensor of shape (m, {point_dim}); got shape "
                f"{tuple(diagram.shape)}{hint}"
            )
        if diagram.shape[1] != point_dim:
            raise ValueError(
                f"batch[{i}] must have points of dimension point_dim={point_dim}; got shape "
                f"{tuple(diagram.shape)}"
            )
        if not diagram.is_floating_point():
            raise TypeError(
                f"batch[{i}] must have a floating point dtype; got {diagram.dtype} "
                "(convert it, e.g. with .float())"
            )
        if dtype is None:
            dtype = diagram.dtype
        elif diagram.dtype != dtype:
            raise TypeError(
                f"all non-empty diagrams must share one dtype; got {dtype} and {diagram.dtype} "
                f"(batch[{i}])"
            )
    if dtype is None:  # only empty diagrams: follow the first one if it is floating point
        first = batch[0]
        dtype = first.dtype if first.is_floating_point() else torch.get_default_dtype()
    return point_dim, dtype, device


def prepare_batch(batch: Sequence[torch.Tensor], point_dim: int | None = None) -> PreparedBatch:
    """Zero-pad a list of multisets into one dense tensor plus a mask of the real points.

    The padded length is ``M = max_i m_i``, or 1 if every diagram is empty. The result keeps the
    dtype and device of the inputs and is differentiable with respect to them.

    Args:
        batch: ``B`` tensors of shape ``(m_i, D)``. Empty diagrams may have shape ``(0, D)`` or
            ``(0,)``. All tensors must be on one device; non-empty ones must share one floating
            point dtype.
        point_dim: The point dimension ``D``. Inferred from the first non-empty diagram when
            ``None``.

    Returns:
        A :class:`PreparedBatch` ``(batch, not_dummy_points, max_points, batch_size)``.

    Raises:
        ValueError: If ``batch`` is not a non-empty list of tensors, a diagram is not 2-D, has the
            wrong point dimension, or the diagrams are on different devices.
        TypeError: If a non-empty diagram is not floating point, or the dtypes differ.

    Shape:
        batch: list of :math:`(m_i, D)`
        Output: ``batch`` :math:`(B, M, D)` and ``not_dummy_points`` :math:`(B, M)`

    Example:
        >>> import torch
        >>> from torchph_lite.nn.batching import prepare_batch
        >>> padded, not_dummy, max_points, batch_size = prepare_batch(
        ...     [torch.ones(1, 2), torch.zeros(0, 2), torch.ones(3, 2, dtype=torch.float32)]
        ... )
        >>> padded.shape, max_points, batch_size
        (torch.Size([3, 3, 2]), 3, 3)
        >>> not_dummy
        tensor([[1., 0., 0.],
                [0., 0., 0.],
                [1., 1., 1.]])
    """
    point_dim, dtype, device = _check_diagrams(batch, point_dim)
    batch_size = len(batch)
    lengths = [int(diagram.shape[0]) for diagram in batch]
    max_points = max(max(lengths), 1)

    diagrams = [
        diagram if diagram.shape[0] > 0 else diagram.new_zeros((0, point_dim), dtype=dtype)
        for diagram in batch
    ]
    padded = torch.nn.utils.rnn.pad_sequence(diagrams, batch_first=True, padding_value=0.0)
    if padded.shape[1] < max_points:  # every diagram was empty
        padded = padded.new_zeros((batch_size, max_points, point_dim))

    counts = torch.tensor(lengths, device=device)
    positions = torch.arange(max_points, device=device)
    not_dummy_points = (positions.unsqueeze(0) < counts.unsqueeze(1)).to(dtype)
    return PreparedBatch(padded, not_dummy_points, max_points, batch_size)


def is_prepared_batch(input: Any) -> bool:
    """Whether ``input`` looks like the 4-tuple returned by :func:`prepare_batch`.

    Example:
        >>> import torch
        >>> from torchph_lite.nn.batching import is_prepared_batch, prepare_batch
        >>> diagrams = [torch.rand(4, 2)]
        >>> is_prepared_batch(prepare_batch(diagrams)), is_prepared_batch(diagrams)
        (True, False)
    """
    if not (isinstance(input, tuple) and len(input) == 4):
        return False
    batch, not_dummy_points, max_points, batch_size = input
    return (
        isinstance(batch, torch.Tensor)
        and isinstance(not_dummy_points, torch.Tensor)
        and isinstance(max_points, int)
        and isinstance(batch_size, int)
        and max_points > 0
        and batch_size > 0
    )


def is_list_of_tensors(input: Any) -> bool:
    """Whether ``input`` is a list (or tuple) whose items are all tensors.

    Example:
        >>> import torch
        >>> from torchph_lite.nn.batching import is_list_of_tensors
        >>> diagrams = [torch.ones(2, 2), torch.ones(0, 2)]
        >>> is_list_of_tensors(diagrams), is_list_of_tensors(torch.ones(2))
        (True, False)
    """
    if isinstance(input, torch.Tensor) or not isinstance(input, Sequence):
        return False
    return all(isinstance(item, torch.Tensor) for item in input)


def _check_prepared_batch(prepared: tuple, point_dimension: int | None) -> PreparedBatch:
    batch, not_dummy_points, max_points, batch_size = prepared
    if batch.dim() != 3:
        raise ValueError(
            f"prepared batch: batch must have shape (B, M, D); got {tuple(batch.shape)}"
        )
    if point_dimension is not None and batch.shape[2] != point_dimension:
        raise ValueError(
            f"prepared batch: points must have dimension point_dimension={point_dimension}; "
            f"got batch of shape {tuple(batch.shape)}"
        )
    if tuple(batch.shape[:2]) != (batch_size, max_points):
        raise ValueError(
            f"prepared batch: batch of shape {tuple(batch.shape)} does not match "
            f"batch_size={batch_size} and max_points={max_points}"
        )
    if tuple(not_dummy_points.shape) != (batch_size, max_points):
        raise ValueError(
            f"prepared batch: not_dummy_points must have shape ({batch_size}, {max_points}); "
            f"got {tuple(not_dummy_points.shape)}"
        )
    if not_dummy_points.device != batch.device:
        raise ValueError(
            f"prepared batch: not_dummy_points is on {not_dummy_points.device} but batch is on "
            f"{batch.device}"
        )
    if not batch.is_floating_point():
        raise TypeError(f"prepared batch: batch must be floating point; got {batch.dtype}")
    return PreparedBatch(batch, not_dummy_points, max_points, batch_size)


def prepare_batch_if_necessary(input: Any, point_dimension: int | None = None) -> PreparedBatch:
    """Return ``input`` in padded form, padding it with :func:`prepare_batch` if it is a list.

    Args:
        input: A list of ``(m_i, D)`` tensors or the 4-tuple from :func:`prepare_batch`.
        point_dimension: The expected point dimension ``D`` (inferred when ``None``).

    Returns:
        A :class:`PreparedBatch`.

    Raises:
        ValueError: If ``input`` is neither form, or the shapes are inconsistent.

    Example:
        >>> import torch
        >>> from torchph_lite.nn.batching import prepare_batch_if_necessary
        >>> prepare_batch_if_necessary([torch.rand(5, 2), torch.rand(2, 2)], 2).batch.shape
        torch.Size([2, 5, 2])
    """
    if is_prepared_batch(input):
        return _check_prepared_batch(input, point_dimension)
    if is_list_of_tensors(input):
        return prepare_batch(input, point_dimension)
    raise ValueError(
        "SLayer input must be a list of tensors of shape (m_i, D) or the 4-tuple returned by "
        f"prepare_batch; got {type(input).__name__}"
    )
