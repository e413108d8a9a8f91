"""The :class:`EquivariantModule` base class: typed ``nn.Module`` with an equivariance check."""

from __future__ import annotations

import copy
import itertools
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import torch
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_geometric_input

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
    :attr:`out_type`, implement ``forward`` and :meth:`evaluate_output_shape`, and, when they
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
        """Validate the input of :meth:`forward`; call it first in every ``forward``.

        Checks that ``input`` is a :class:`GeometricTensor` of type :attr:`in_type` with shape
        ``(B, C, H, W)`` (one spatial axis per base-space dimension) and, when this module owns
        parameters or buffers, that the input has their device and floating dtype (a different
        dtype is allowed under autocast).

        Raises:
            TypeError: not a GeometricTensor, or a dtype that differs from the module's.
            ValueError: another field type, the wrong number of axes, or another device.
        """
        references = itertools.chain(self._parameters.values(), self._buffers.values())
        return require_geometric_input(type(self).__name__, input, self.in_type, references)

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
        spatial_size: int | tuple[int, ...] = 31,
        batch_size: int = 2,
        dtype: torch.dtype = torch.float64,
        raise_error: bool = True,
        assertion: bool | None = None,
        verbose: bool = False,
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
            spatial_size: side length of the random square input, or its spatial shape, e.g.
                ``(29, 33)``: exact elements are checked on non-square inputs as well (a 90°
                rotation turns ``H x W`` into ``W x H``).
            batch_size: batch size of the random input.
            dtype: floating dtype the check runs in.
            raise_error: if ``True``, raise ``AssertionError`` when an element fails
                ``torch.allclose(f(g.x), g.f(x), atol=atol, rtol=rtol)``.
            assertion: e2cnn's name for ``raise_error`` (takes precedence when given).
            verbose: print one line per element with its errors (as e2cnn does).

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
        if assertion is not None:
            raise_error = bool(assertion)
        dims = int(getattr(gspace, "dimensionality", 2))
        spatial = (
            (int(spatial_size),) * dims
            if isinstance(spatial_size, int)
            else tuple(int(n) for n in spatial_size)
        )
        if len(spatial) != dims or min(spatial) < 1:
            raise ValueError(
                f"check_equivariance: `spatial_size` must be a positive int or {dims} positive "
                f"ints, got {spatial_size!r}"
            )
        shape = (batch_size, self.in_type.size, *spatial)
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
                if verbose:
                    max_abs = float((out_of_moved - out_moved).abs().max())
                    print(f"{g!r}: relative error {err:.3g}, max abs error {max_abs:.3g}")
                if not torch.allclose(out_of_moved, out_moved, atol=atol, rtol=rtol):
                    max_abs = float((out_of_moved - out_moved).abs().max())
                    failures.append(f"{g!r}: relative error {err:.3g}, max abs error {max_abs:.3g}")
        if raise_error and failures:
            raise AssertionError(
                f"{type(self).__name__} is not equivariant within atol={atol}, rtol={rtol}: "
                + "; ".join(failures)
            )
        return results

    # ----------------------------------------------------------------------------------------
    # checkpoints written by other libraries (e2cnn)
    # ----------------------------------------------------------------------------------------
    #: Names (prefixes) of buffers e2cnn saves for this module that are derived from its field
    #: types (e.g. ``("indices_",)``): dropped when loading, since they are rebuilt here.
    _e2cnn_derived_buffers: tuple[str, ...] = ()

    def _translate_foreign_state(self, state_dict: dict[str, Any], prefix: str) -> None:
        """Rewrite, in place, another library's keys for this module into this module's own.

        Called by :meth:`_load_from_state_dict` before the keys are matched, so that
        ``load_state_dict`` (strict included) accepts e2cnn 0.2.3 checkpoints while our own
        ``state_dict`` stays the native format. The default drops this module's entries named
        in :attr:`_e2cnn_derived_buffers`. Subclasses whose e2cnn state differs more override
        it; they must only rename, reshape or drop entries that start with ``prefix``.

        Args:
            state_dict: the whole state dict being loaded (modified in place).
            prefix: this module's key prefix, e.g. ``"block.0."``.
        """
        if not self._e2cnn_derived_buffers:
            return
        for key in [k for k in state_dict if k.startswith(prefix)]:
            name = key[len(prefix) :]
            if "." not in name and name.startswith(self._e2cnn_derived_buffers):
                del state_dict[key]

    def _load_from_state_dict(
        self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any
    ) -> None:
        self._translate_foreign_state(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def export(self) -> nn.Module:
        """Convert to an equivalent plain PyTorch module (in eval mode).

        Raises:
            NotImplementedError: if this module has no plain-PyTorch equivalent.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement export()")
