"""Shared machinery of R2Conv and R2ConvTransposed: validation, basis, bias, eval-time cache."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from e2_steerable._vendor import grid as _grid
from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.init import generalized_he_init
from e2_steerable.nn.modules.equivariant_module import EquivariantModule
from e2_steerable.nn.modules.r2_conv.basis_params import compute_basis_params
from e2_steerable.nn.modules.r2_conv.basisexpansion_blocks import BlocksBasisExpansion

__all__ = ["SteerableConv2dBase", "SteerableConvBase"]

_ConvT = TypeVar("_ConvT", nn.Conv2d, nn.ConvTranspose2d)


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _pair(values: tuple[int, ...]) -> tuple[int, int]:
    """A validated 2-tuple (from ``grid.to_tuple(..., 2, ...)``) typed as one."""
    first, second = values
    return (first, second)


def _autocast_enabled(device_type: str) -> bool:
    try:
        return bool(torch.is_autocast_enabled(device_type))
    except TypeError:  # torch < 2.4
        if device_type == "cpu":
            return bool(torch.is_autocast_cpu_enabled())
        return bool(torch.is_autocast_enabled())


def _is_compiling() -> bool:
    compiler = getattr(torch, "compiler", None)
    if compiler is not None and hasattr(compiler, "is_compiling"):
        return bool(compiler.is_compiling())
    return False  # torch < 2.3: no torch.compile tracing to protect


def _split_groups(ft: FieldType, groups: int, name: str) -> FieldType:
    """The field type of one of ``groups`` identical consecutive groups of ``ft``."""
    reps = list(ft.representations)
    if len(reps) % groups != 0:
        raise ValueError(
            f"{name}: {len(reps)} fields cannot be split into groups={groups} equal groups"
        )
    n = len(reps) // groups
    first = [r.name for r in reps[:n]]
    for g in range(1, groups):
        if [r.name for r in reps[g * n : (g + 1) * n]] != first:
            raise ValueError(
                f"{name}: with groups={groups} the field type must consist of {groups} identical "
                f"consecutive groups of {n} fields; group {g} differs from group 0"
            )
    return FieldType(ft.gspace, reps[:n])


class SteerableConvBase(EquivariantModule):
    """Common parts of the steerable convolutions (not meant to be used directly)."""

    _transposed = False

    weights: nn.Parameter
    bias: nn.Parameter | None
    filter: torch.Tensor | None
    expanded_bias: torch.Tensor | None
    bias_expansion: torch.Tensor | None

    def _setup(
        self,
        in_type: FieldType,
        out_type: FieldType,
        kernel_size: int,
        dilation: int,
        groups: int,
        bias: bool,
        basisexpansion: str,
        sigma: Any,
        frequencies_cutoff: Any,
        rings: Any,
        maximum_offset: int | None,
        recompute: bool,
        basis_filter: Callable[[dict[str, Any]], bool] | None,
        initialize: bool,
    ) -> None:
        cls = type(self).__name__
        for name, ft in (("in_type", in_type), ("out_type", out_type)):
            if not isinstance(ft, FieldType):
                raise TypeError(f"{cls}: `{name}` must be a FieldType, got {type(ft).__name__}")
        if in_type.gspace != out_type.gspace:
            raise ValueError(
                f"{cls}: in_type and out_type must live on the same gspace, got "
                f"{in_type.gspace.name} and {out_type.gspace.name}"
            )
        if not hasattr(in_type.gspace, "build_kernel_basis"):
            raise ValueError(f"{cls}: the gspace {in_type.gspace.name} has no planar kernel basis")
        if not _is_int(kernel_size) or kernel_size < 1:
            raise ValueError(f"{cls}: `kernel_size` must be a positive int, got {kernel_size!r}")
        if not _is_int(dilation) or dilation < 1:
            raise ValueError(f"{cls}: `dilation` must be a positive int, got {dilation!r}")
        if not _is_int(groups) or groups < 1:
            raise ValueError(f"{cls}: `groups` must be a positive int, got {groups!r}")
        if basisexpansion != "blocks":
            raise ValueError(f"{cls}: `basisexpansion` must be 'blocks', got {basisexpansion!r}")
        if maximum_offset is not None and (not _is_int(maximum_offset) or maximum_offset < 0):
            raise ValueError(
                f"{cls}: `maximum_offset` must be None or an int >= 0, got {maximum_offset!r}"
            )
        self.space = in_type.gspace
        self.in_type = in_type
        self.out_type = out_type
        self.kernel_size = int(kernel_size)
        self.dilation = int(dilation)
        self.groups = int(groups)
        if self._transposed:
            exp_in = in_type
            exp_out = _split_groups(out_type, groups, "out_type") if groups > 1 else out_type
            if groups > 1:
                _split_groups(in_type, groups, "in_type")
        else:
            exp_in = _split_groups(in_type, groups, "in_type") if groups > 1 else in_type
            exp_out = out_type
            if groups > 1:
                _split_groups(out_type, groups, "out_type")
        params = compute_basis_params(
            self.kernel_size,
            frequencies_cutoff,
            rings,
            sigma,
            self.dilation,
            basis_filter,
            dilate_rings=not self._transposed,  # as e2cnn: same basis meaning for its weights
        )
        self._basisexpansion = BlocksBasisExpansion(
            exp_in,
            exp_out,
            self.space.build_kernel_basis,
            params.points,
            basis_filter=params.basis_filter,
            recompute=recompute,
            sigma=params.sigma,
            rings=params.rings,
            maximum_frequency=params.maximum_frequency,
            maximum_offset=maximum_offset,
        )
        self.weights = nn.Parameter(torch.zeros(self._basisexpansion.dimension()))
        self._setup_bias(bias)
        self.register_buffer("filter", None, persistent=False)
        self.register_buffer("expanded_bias", None, persistent=False)
        self._cache_version: tuple[int, int] | None = None
        if initialize:
            generalized_he_init(self.weights.data, self._basisexpansion)

    def _setup_bias(self, bias: bool) -> None:
        trivial = self.space.trivial_repr.name
        columns = []
        for rep, start in zip(self.out_type.representations, self.out_type.fields_start):
            offset = 0
            for irr_name in rep.irreps:
                size = rep.group.irrep_by_name(irr_name).size
                if irr_name == trivial:
                    col = np.zeros(self.out_type.size)
                    col[int(start) : int(start) + rep.size] = rep.change_of_basis[:, offset]
                    columns.append(col)
                offset += size
        if bias and columns:
            matrix = torch.from_numpy(np.stack(columns, axis=1).astype(np.float32))
            self.register_buffer("bias_expansion", matrix, persistent=False)
            self.bias = nn.Parameter(torch.zeros(len(columns)))
        else:
            self.register_buffer("bias_expansion", None, persistent=False)
            self.register_parameter("bias", None)

    @abstractmethod
    def expand_parameters(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The filter and bias (or ``None``) this convolution applies, expanded from the
        learnable coefficients."""

    @property
    def basisexpansion(self) -> BlocksBasisExpansion:
        """The submodule expanding :attr:`weights` into the filter ``(C_out, C_in, s*s)``."""
        return self._basisexpansion

    def _expand_filter(self) -> torch.Tensor:
        """The dense filter ``(C_out, C_in_per_group, k, k)`` (before any transposition)."""
        w = self.weights
        if _autocast_enabled(w.device.type):
            with torch.autocast(device_type=w.device.type, enabled=False):
                flat = self._basisexpansion(w.float())
        else:
            flat = self._basisexpansion(w)
        return flat.reshape(flat.shape[0], flat.shape[1], self.kernel_size, self.kernel_size)

    def _expand_bias(self) -> torch.Tensor | None:
        if self.bias is None:
            return None
        matrix = self.bias_expansion
        assert matrix is not None  # registered whenever there is a bias
        if matrix.dtype != self.bias.dtype:
            matrix = matrix.to(self.bias.dtype)
        return matrix @ self.bias

    def _parameters_version(self) -> tuple[int, int]:
        # not `_version`: nn.Module keeps its state-dict format version under that name
        return (self.weights._version, -1 if self.bias is None else self.bias._version)

    def _filter_and_bias(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.training:
            return self.expand_parameters()
        compiling = _is_compiling()
        if self.filter is None or (
            not compiling and self._cache_version != self._parameters_version()
        ):
            self._refresh_cache()
        assert self.filter is not None
        return self.filter, self.expanded_bias

    def _export_into(self, conv: _ConvT) -> _ConvT:
        """Copy the expanded (eval-mode) filter and bias into a plain torch convolution."""
        filt, bias = self._filter_and_bias()
        conv = conv.to(device=filt.device, dtype=filt.dtype)
        with torch.no_grad():
            conv.weight.copy_(filt)
            if bias is not None and conv.bias is not None:
                conv.bias.copy_(bias)
        return conv.eval()

    def _refresh_cache(self) -> None:
        with torch.no_grad():
            filt, bias = self.expand_parameters()
        self.filter = filt.detach()
        self.expanded_bias = None if bias is None else bias.detach()
        self._cache_version = self._parameters_version()

    def train(self, mode: bool = True) -> SteerableConvBase:
        """Training mode discards the cached filter; eval mode builds and caches it.

        Both are non-persistent buffers, so the ``state_dict`` is the same in both modes.
        """
        super().train(mode)
        if mode:
            self.filter = None
            self.expanded_bias = None
            self._cache_version = None
        else:
            self._refresh_cache()
        return self

    def _translate_foreign_state(self, state_dict: dict[str, Any], prefix: str) -> None:
        """Drop what e2cnn saves besides ``weights`` and ``bias``: all of it is derived.

        e2cnn's state dict also holds the sampled bases and ``bias_expansion`` and, in eval mode,
        the expanded ``filter`` and ``expanded_bias``; here they are rebuilt from the weights.
        """
        derived = (f"{prefix}filter", f"{prefix}expanded_bias", f"{prefix}bias_expansion")
        for key in [k for k in state_dict if k.startswith(prefix)]:
            rest = key[len(prefix) :]
            if key in derived or (
                rest.startswith("_basisexpansion.") and rest.endswith(".sampled_basis")
            ):
                del state_dict[key]

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._cache_version = None  # the cached filter (if any) is stale

    def _check_geometric_input(self, input: Any) -> GeometricTensor:
        return self._check_input(input)


class SteerableConv2dBase(SteerableConvBase):
    """Common parts of the (non-transposed) steerable 2D convolutions whose expanded filter is
    applied by :func:`torch.nn.functional.conv2d` (not meant to be used directly)."""

    stride: tuple[int, ...]
    padding: tuple[int, ...]
    padding_mode: str

    def _conv2d(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve the tensor ``x`` with the expanded filter and bias (honouring padding_mode)."""
        filt, bias = self._filter_and_bias()
        if self.padding_mode == "zeros":
            return F.conv2d(x, filt, bias, self.stride, self.padding, self.dilation, self.groups)
        ph, pw = self.padding
        x = F.pad(x, (pw, pw, ph, ph), mode=self.padding_mode)
        return F.conv2d(x, filt, bias, self.stride, 0, self.dilation, self.groups)

    def _conv2d_output_shape(
        self,
        module: str,
        input_shape: tuple[int, ...],
        check_spatial: Callable[[tuple[int, ...]], None] | None = None,
    ) -> tuple[int, ...]:
        """``(B, C_out, H_out, W_out)``; ``check_spatial`` (if given) vets ``(H, W)`` first."""
        shape = self._check_input_shape(input_shape)
        if len(shape) != 4:
            raise ValueError(f"{module}: `input_shape` must be (B, C, H, W), got {shape}")
        if check_spatial is not None:
            check_spatial(shape[2:])
        size = _grid.output_size(
            shape[2:], self.kernel_size, self.stride, self.padding, self.dilation, ndim=2
        )
        return (shape[0], self.out_type.size, *size)

    def _export_conv2d(self) -> nn.Conv2d:
        """An equivalent :class:`torch.nn.Conv2d` (in eval mode) holding the expanded filter."""
        self.eval()
        conv = nn.Conv2d(
            self.in_type.size,
            self.out_type.size,
            self.kernel_size,
            stride=(self.stride[0], self.stride[1]),
            padding=(self.padding[0], self.padding[1]),
            dilation=self.dilation,
            groups=self.groups,
            bias=self.bias is not None,
            padding_mode=self.padding_mode,  # type: ignore[arg-type]  # validated in __init__
        )
        return self._export_into(conv)
