"""The :class:`EquivariantModule` base class: typed ``nn.Module`` with an equivariance check."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import torch
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor

__all__ = ["EquivariantModule", "is_exact_element"]


def is_exact_element(gspace: Any, element: Any, size: int = 7) -> bool:
    """Whether ``element`` moves the pixel grid onto itself (k·90° rotations, flips, identity).

    Such elements transform sampled feature maps without interpolation, so equivariance can be
    checked to rounding error. The test moves an image of distinct integers and checks that the
    result is a permutation of it.

    Args:
        gspace: the gspace whose ``basespace``/``featurefield_action`` is used.
        element: an element of ``gspace.fibergroup``.
        size: odd side length of the probe image.

    Returns:
        ``True`` if the base-space action of ``element`` permutes the pixels exactly.
    """
    dims = int(getattr(gspace, "dimensionality", 2))
    count = size**dims
    probe = np.arange(count, dtype=np.float64).reshape((1, 1) + (size,) * dims)
    moved = np.asarray(gspace.featurefield_action(probe, gspace.trivial_repr, element))
    if moved.shape != probe.shape:
        return False
    return bool(np.array_equal(np.sort(moved.ravel()), probe.ravel()))


class EquivariantModule(nn.Module, ABC):
    """Base class of the equivariant modules: an ``nn.Module`` with typed input and output.

    Subclasses take and return :class:`GeometricTensor` s whose types are :attr:`in_type` and
    :attr:`out_type`, implement :meth:`forward` and :meth:`evaluate_output_shape`, and, when they
    can, :meth:`export` to a plain PyTorch module.

    Attributes:
        in_type: the :class:`FieldType` of the input.
        out_type: the :class:`FieldType` of the output.

    Example:
        A custom module: squaring every channel is equivariant for permutation representations.

        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import EquivariantModule, FieldType, GeometricTensor
        >>> class Square(EquivariantModule):
        ...     def __init__(self, in_type):
        ...         super().__init__()
        ...         self.in_type = self.out_type = in_type
        ...     def forward(self, x):
        ...         return GeometricTensor(self._check_input(x).tensor ** 2, self.out_type)
        ...     def evaluate_output_shape(self, input_shape):
        ...         return tuple(input_shape)
        >>> gs = gspaces.FlipRot2dOnR2(4)
        >>> square = Square(FieldType(gs, [gs.regular_repr]))
        >>> errors = square.check_equivariance()  # the 8 elements of D4 move the grid exactly
        >>> len(errors), max(err for _, err in errors) < 1e-12
        (8, True)
    """

    in_type: FieldType
    out_type: FieldType

    @abstractmethod
    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of the output for an input of shape ``input_shape`` (no computation).

        Args:
            input_shape: ``(B, in_type.size, *spatial)``.

        Returns:
            ``(B, out_type.size, *spatial_out)``.
        """

    def _check_input(self, input: Any) -> GeometricTensor:
        """Raise a clear error unless ``input`` is a GeometricTensor of type :attr:`in_type`."""
        if not isinstance(input, GeometricTensor):
            raise TypeError(
                f"{type(self).__name__}: expected a GeometricTensor input, got "
                f"{type(input).__name__}"
            )
        if input.type != self.in_type:
            raise ValueError(
                f"{type(self).__name__}: the input's field type {input.type} differs from the "
                f"module's in_type {self.in_type}"
            )
        return input

    def _check_input_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Validate ``(B, in_type.size, *spatial)`` for :meth:`evaluate_output_shape`."""
        input_shape = tuple(int(s) for s in input_shape)
        if len(input_shape) < 2 or input_shape[1] != self.in_type.size:
            raise ValueError(
                f"{type(self).__name__}: `input_shape` must be (B, {self.in_type.size}, ...), got "
                f"{input_shape}"
            )
        return input_shape

    def check_equivariance(
        self,
        atol: float = 1e-7,
        rtol: float = 1e-5,
        elements: list[Any] | None = None,
        spatial_size: int = 31,
        batch_size: int = 2,
        dtype: torch.dtype = torch.float64,
        raise_error: bool = True,
    ) -> list[tuple[Any, float]]:
        r"""Measure :math:`\|f(g.x) - g.f(x)\| / \|g.f(x)\|` on a random input, per element.

        The check runs on a copy of the module in eval mode cast to ``dtype`` (the module itself
        is not modified). It prints nothing and needs no image or plotting library.

        Args:
            atol: absolute tolerance of the element-wise comparison.
            rtol: relative tolerance of the element-wise comparison.
            elements: group elements to test. By default, the gspace's testing elements that
                move the pixel grid onto itself (multiples of 90°, flips), for which the check is
                exact up to rounding. Other elements involve interpolation and need a looser
                tolerance.
            spatial_size: side length of the random square input.
            batch_size: batch size of the random input.
            dtype: floating dtype the check runs in.
            raise_error: if ``True``, raise ``AssertionError`` when an element fails
                ``torch.allclose(f(g.x), g.f(x), atol=atol, rtol=rtol)``.

        Returns:
            One ``(element, relative L2 error)`` pair per tested element.

        Raises:
            AssertionError: if ``raise_error`` and the module is not equivariant within tolerance.
        """
        gspace = self.in_type.gspace
        if elements is None:
            elements = [g for g in self.in_type.testing_elements if is_exact_element(gspace, g)]
        device = next(
            (t.device for t in list(self.parameters()) + list(self.buffers())),
            torch.device("cpu"),
        )
        model = copy.deepcopy(self).to(dtype=dtype).eval()
        dims = int(getattr(gspace, "dimensionality", 2))
        shape = (batch_size, self.in_type.size) + (spatial_size,) * dims
        x = GeometricTensor(torch.randn(shape, dtype=dtype, device=device), self.in_type)
        results: list[tuple[Any, float]] = []
        failures: list[str] = []
        with torch.no_grad():
            y = model(x)
            for g in elements:
                out_moved = y.transform(g).tensor
                out_of_moved = model(x.transform(g)).tensor
                scale = out_moved.norm().clamp_min(torch.finfo(dtype).tiny)
                err = float((out_of_moved - out_moved).norm() / scale)
                results.append((g, err))
                if not torch.allclose(out_of_moved, out_moved, atol=atol, rtol=rtol):
                    max_abs = float((out_of_moved - out_moved).abs().max())
                    failures.append(f"{g!r}: relative error {err:.3g}, max abs error {max_abs:.3g}")
        if raise_error and failures:
            raise AssertionError(
                f"{type(self).__name__} is not equivariant within atol={atol}, rtol={rtol}: "
                + "; ".join(failures)
            )
        return results

    def export(self) -> nn.Module:
        """Convert to an equivalent plain PyTorch module (in eval mode).

        Raises:
            NotImplementedError: if this module has no plain-PyTorch equivalent.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement export()")
