"""The :class:`GeometricTensor`: a ``torch.Tensor`` typed with a :class:`FieldType`.

Also holds :func:`tensor_directsum`, the channel-wise concatenation of geometric tensors.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import torch

from e2_steerable.group import Representation
from e2_steerable.nn.field_type import FieldType

__all__ = ["GeometricTensor", "tensor_directsum"]


def _as_scalar(other: Any, op: str) -> float | torch.Tensor:
    """Validate a scalar factor: a Python number or a one-element tensor."""
    if isinstance(other, bool) or not isinstance(other, (int, float, torch.Tensor)):
        raise TypeError(
            f"GeometricTensor {op}: expected a number or a one-element tensor, got "
            f"{type(other).__name__}"
        )
    if isinstance(other, torch.Tensor) and other.numel() != 1:
        raise ValueError(
            f"GeometricTensor {op}: a tensor factor must contain exactly one element, got shape "
            f"{tuple(other.shape)}"
        )
    return other


def _axis_slice(index: int | slice, length: int, axis: int) -> slice:
    """Turn an index on a non-fiber axis into a slice; an int keeps the axis (size 1)."""
    if isinstance(index, slice):
        return index
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for axis {axis} of size {length}")
    index = index % length
    return slice(index, index + 1)


class GeometricTensor:
    r"""A tensor whose channels are typed by a :class:`FieldType`.

    The first axis is the batch, the second the fibers (channels), the remaining ones the base
    space. Addition, subtraction and multiplication by a scalar are supported between tensors of
    the same type. Indexing works as for ``torch.Tensor`` on the batch and spatial axes, but

    * on the fiber axis it selects *fields*, not channels (``t[:, 1:3]`` keeps fields 1 and 2,
      whatever their sizes), so a field is never cut in two;
    * an integer index keeps its axis with size 1, so the result is still a geometric tensor;
    * a fiber slice with step > 1 or a negative step copies (it becomes an index over channels);
    * only basic indexing (ints, slices, ``...``) is supported, and item assignment is not.

    Args:
        tensor: the data, of shape ``(B, type.size, ...)``.
        type: its field type.

    Attributes:
        tensor: the wrapped ``torch.Tensor``.
        type: the field type.

    Shape:
        - tensor: :math:`(B, C, *)` with :math:`C` = ``type.size``

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> ft = FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.trivial_repr])
        >>> x = GeometricTensor(torch.randn(2, ft.size, 5, 5), ft)
        >>> x[:, 1:].shape  # fields 1 and 2: 2 + 1 channels
        torch.Size([2, 3, 5, 5])
        >>> x[0, 0].shape  # integer indices keep their axis
        torch.Size([1, 4, 5, 5])
    """

    def __init__(self, tensor: torch.Tensor, type: FieldType) -> None:
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(
                f"GeometricTensor: `tensor` must be a torch.Tensor, got {_type_name(tensor)}"
            )
        if not isinstance(type, FieldType):
            raise TypeError(f"GeometricTensor: `type` must be a FieldType, got {_type_name(type)}")
        if tensor.dim() < 2 or tensor.shape[1] != type.size:
            raise ValueError(
                f"GeometricTensor: `tensor` must have shape (B, {type.size}, ...) to match the "
                f"field type {type}, got {tuple(tensor.shape)}"
            )
        self.tensor = tensor
        self.type = type

    @property
    def shape(self) -> torch.Size:
        """Alias for ``self.tensor.shape``."""
        return self.tensor.shape

    def size(self) -> torch.Size:
        """Alias for ``self.tensor.size()``."""
        return self.tensor.size()

    # ------------------------------------------------------------------ conversions
    def to(self, *args: Any, **kwargs: Any) -> GeometricTensor:
        """Apply ``torch.Tensor.to`` to the data and keep the type."""
        return GeometricTensor(self.tensor.to(*args, **kwargs), self.type)

    def restrict(self, id: Any) -> GeometricTensor:
        """The same data typed with the field type restricted to a subgroup (shares storage).

        Args:
            id: subgroup identifier, as accepted by ``self.type.gspace.restrict``.
        """
        return GeometricTensor(self.tensor, self.type.restrict(id))

    def split(self, breaks: Sequence[int] | None = None) -> list[GeometricTensor]:
        """Split along the fiber axis at the given field indices.

        Args:
            breaks: strictly increasing field indices in ``1 .. len(self.type) - 1``; the
                :math:`j`-th piece holds fields ``breaks[j-1]`` to ``breaks[j] - 1``. ``None``
                splits after every field.

        Returns:
            The pieces, as geometric tensors (views of this tensor's data).

        Raises:
            ValueError: if ``breaks`` is not strictly increasing inside that range.
        """
        n = len(self.type)
        if breaks is None:
            breaks = list(range(1, n))
        breaks = [int(b) for b in breaks]
        bounds = [0, *breaks, n]
        for a, b in itertools.pairwise(bounds):
            if not a < b:
                raise ValueError(
                    "GeometricTensor.split: `breaks` must be strictly increasing field indices "
                    f"between 1 and {n - 1}, got {breaks}"
                )
        starts = self.type.starts
        ends = self.type.ends
        pieces = []
        for a, b in itertools.pairwise(bounds):
            sub = self.type.index_select(list(range(a, b)))
            pieces.append(GeometricTensor(self.tensor[:, starts[a] : ends[b - 1]], sub))
        return pieces

    # ------------------------------------------------------------------ group action
    def transform(self, element: Any) -> GeometricTensor:
        """Transform base space and fibers by a fiber-group element (detached, no gradient).

        See :meth:`FieldType.transform`.
        """
        return GeometricTensor(self.type.transform(self.tensor, element), self.type)

    def transform_fibers(self, element: Any) -> GeometricTensor:
        r"""Multiply every feature vector by :math:`\rho(g)`, leaving the base space in place.

        Args:
            element: an element of the fiber group.

        Returns:
            :math:`f'(x) = \rho(g) f(x)` as a new geometric tensor of the same type.
        """
        if not self.type.fibergroup.is_element(element):
            raise ValueError(
                f"GeometricTensor.transform_fibers: `element` {element!r} is not an element of "
                f"{self.type.fibergroup.name}"
            )
        rho = torch.as_tensor(
            self.type.representation(element), dtype=self.tensor.dtype, device=self.tensor.device
        )
        moved = self.tensor.movedim(1, -1)
        return GeometricTensor((moved @ rho.T).movedim(-1, 1), self.type)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, slices: Any) -> GeometricTensor:
        if not isinstance(slices, tuple):
            slices = (slices,)
        if any(s is Ellipsis for s in slices):
            if sum(s is Ellipsis for s in slices) > 1:
                raise IndexError("GeometricTensor: an index can contain only one Ellipsis")
            pos = next(i for i, s in enumerate(slices) if s is Ellipsis)
            fill = self.tensor.dim() - (len(slices) - 1)
            slices = slices[:pos] + (slice(None),) * fill + slices[pos + 1 :]
        if len(slices) > self.tensor.dim():
            raise IndexError(
                f"GeometricTensor: too many indices ({len(slices)}) for a tensor with "
                f"{self.tensor.dim()} axes"
            )
        for s in slices:
            if isinstance(s, bool) or not isinstance(s, (int, slice)):
                raise TypeError(
                    "GeometricTensor supports only basic indexing with ints, slices and '...', "
                    f"got {type(s).__name__}"
                )
        index: list[Any] = [
            _axis_slice(s, self.tensor.shape[axis], axis) for axis, s in enumerate(slices)
        ]
        new_type = self.type
        if len(slices) > 1:
            fields = slices[1]
            n = len(self.type)
            if isinstance(fields, int):
                fields = _axis_slice(fields, n, 1)
            selected = list(range(n))[fields]
            if len(selected) == 0:
                raise IndexError(f"GeometricTensor: the fiber index {slices[1]} selects no field")
            new_type = self.type.index_select(selected)
            starts, ends = self.type.starts, self.type.ends
            step = 1 if fields.step is None else fields.step
            if step == 1:
                index[1] = slice(starts[selected[0]], ends[selected[-1]])
            else:
                channels = [c for f in selected for c in range(starts[f], ends[f])]
                index[1] = torch.tensor(channels, dtype=torch.long, device=self.tensor.device)
        return GeometricTensor(self.tensor[tuple(index)], new_type)

    # ------------------------------------------------------------------ arithmetic
    def _check_compatible(self, other: Any, op: str) -> GeometricTensor:
        if not isinstance(other, GeometricTensor):
            raise TypeError(
                f"GeometricTensor {op}: the other operand must be a GeometricTensor, got "
                f"{_type_name(other)}"
            )
        if self.type != other.type:
            raise ValueError(
                f"GeometricTensor {op}: field types differ: {self.type} and {other.type}"
            )
        if self.tensor.shape != other.tensor.shape:
            raise ValueError(
                f"GeometricTensor {op}: shapes differ: {tuple(self.tensor.shape)} and "
                f"{tuple(other.tensor.shape)}"
            )
        return other

    def __add__(self, other: GeometricTensor) -> GeometricTensor:
        other = self._check_compatible(other, "addition")
        return GeometricTensor(self.tensor + other.tensor, self.type)

    def __sub__(self, other: GeometricTensor) -> GeometricTensor:
        other = self._check_compatible(other, "subtraction")
        return GeometricTensor(self.tensor - other.tensor, self.type)

    def __iadd__(self, other: GeometricTensor) -> GeometricTensor:
        other = self._check_compatible(other, "addition")
        self.tensor += other.tensor
        return self

    def __isub__(self, other: GeometricTensor) -> GeometricTensor:
        other = self._check_compatible(other, "subtraction")
        self.tensor -= other.tensor
        return self

    def __mul__(self, other: float | torch.Tensor) -> GeometricTensor:
        factor = _as_scalar(other, "multiplication")
        return GeometricTensor(self.tensor * factor, self.type)

    __rmul__ = __mul__

    def __imul__(self, other: float | torch.Tensor) -> GeometricTensor:
        factor = _as_scalar(other, "multiplication")
        self.tensor *= factor
        return self

    def __repr__(self) -> str:
        return f"g_tensor({self.tensor!r}, {self.type})"


def _type_name(obj: Any) -> str:
    """Class name of ``obj``, for error messages."""
    return type(obj).__name__


def tensor_directsum(tensors: Sequence[GeometricTensor]) -> GeometricTensor:
    """Concatenate geometric tensors along the fiber axis; the type is the sum of the types.

    Args:
        tensors: geometric tensors on the same gspace with equal batch and spatial shapes.

    Returns:
        Their direct sum: channels concatenated, fields in order.

    Raises:
        TypeError: if an item is not a GeometricTensor.
        ValueError: if the list is empty, the gspaces differ or the other axes don't match.

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, tensor_directsum
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> a = GeometricTensor(torch.randn(2, 4, 3, 3), FieldType(gs, [gs.regular_repr]))
        >>> b = GeometricTensor(torch.randn(2, 1, 3, 3), FieldType(gs, [gs.trivial_repr]))
        >>> tensor_directsum([a, b]).type
        [4-Rotations: {regular, irrep_0}]
    """
    tensors = list(tensors)
    if len(tensors) == 0:
        raise ValueError("tensor_directsum: `tensors` must not be empty")
    for i, t in enumerate(tensors):
        if not isinstance(t, GeometricTensor):
            raise TypeError(
                f"tensor_directsum: tensors[{i}] must be a GeometricTensor, got {_type_name(t)}"
            )
    first = tensors[0]
    reps: list[Representation] = []
    for i, t in enumerate(tensors):
        if t.type.gspace != first.type.gspace:
            raise ValueError(
                f"tensor_directsum: tensors[{i}] lives on '{t.type.gspace.name}', tensors[0] on "
                f"'{first.type.gspace.name}'"
            )
        if (
            t.tensor.shape[:1] != first.tensor.shape[:1]
            or t.tensor.shape[2:] != (first.tensor.shape[2:])
        ):
            raise ValueError(
                "tensor_directsum: all tensors must have the same batch and spatial shape; "
                f"tensors[0] has {tuple(first.tensor.shape)}, tensors[{i}] has "
                f"{tuple(t.tensor.shape)}"
            )
        reps.extend(t.type.representations)
    data = torch.cat([t.tensor for t in tensors], dim=1)
    return GeometricTensor(data, FieldType(first.type.gspace, reps))
