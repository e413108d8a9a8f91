"""R2Diffop: G-steerable partial differential operators on the plane, as a convolution."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from e2_steerable._vendor import grid as _grid
from e2_steerable.diffops import cache as _cache
from e2_steerable.diffops.basis import OrderFilter
from e2_steerable.diffops.discretization import DiscretizationArgs
from e2_steerable.diffops.fd import largest_possible_order, required_points
from e2_steerable.kernels.bandlimit import CombinedFilter
from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.init import generalized_he_init
from e2_steerable.nn.modules.r2_conv._conv_base import SteerableConv2dBase, _is_int, _split_groups
from e2_steerable.nn.modules.r2_conv.basisexpansion_blocks import BlocksBasisExpansion

__all__ = ["R2Diffop", "resolve_sizes"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if not _is_int(value) or value < minimum:
        raise ValueError(f"R2Diffop: `{name}` must be an int >= {minimum}, got {value!r}")
    return int(value)


def resolve_sizes(
    kernel_size: int | None, accuracy: int | None, maximum_order: int | None
) -> tuple[int, int | None, int]:
    """Complete ``(kernel_size, accuracy, maximum_order)`` from any two (or one) of them.

    ``accuracy`` defaults to 2 (1 for a 1x1 kernel or order 0). The number of points per axis
    for an order ``n`` at accuracy ``a`` is ``n + a``, minus one when ``a`` is even (symmetric
    stencils gain an order).

    Raises:
        ValueError: if all three are given, none of kernel_size and maximum_order is given, or the
            combination cannot be satisfied.

    Example:
        >>> resolve_sizes(5, None, None), resolve_sizes(None, None, 2), resolve_sizes(None, 4, 2)
        ((5, 2, 4), (3, 2, 2), (5, 4, 2))
    """
    if kernel_size is not None:
        kernel_size = _positive_int(kernel_size, "kernel_size")
    if accuracy is not None:
        accuracy = _positive_int(accuracy, "accuracy")
    if maximum_order is not None:
        maximum_order = _positive_int(maximum_order, "maximum_order", minimum=0)
    if kernel_size is not None and accuracy is not None and maximum_order is not None:
        raise ValueError(
            "R2Diffop: set at most two of `kernel_size`, `accuracy` and `maximum_order` (the "
            f"third follows), got {kernel_size}, {accuracy} and {maximum_order}"
        )
    if kernel_size is None:
        if maximum_order is None:
            raise ValueError("R2Diffop: set `kernel_size` or `maximum_order` (or both)")
        if accuracy is None:
            accuracy = 2 if maximum_order > 0 else 1
        return required_points(maximum_order, accuracy), accuracy, maximum_order
    if maximum_order is None:
        if accuracy is None:
            accuracy = 2 if kernel_size > 1 else 1
        if accuracy > kernel_size:
            raise ValueError(
                f"R2Diffop: `accuracy`={accuracy} cannot be reached with `kernel_size`="
                f"{kernel_size} (at most {kernel_size} for order 0); use a larger kernel_size"
            )
        maximum_order = largest_possible_order(kernel_size, accuracy)
        if maximum_order < 2:
            warnings.warn(
                f"R2Diffop: kernel_size={kernel_size} with accuracy={accuracy} allows derivatives "
                f"up to order {maximum_order} only, which gives a small basis; consider a larger "
                "kernel_size",
                UserWarning,
                stacklevel=3,
            )
        return kernel_size, accuracy, maximum_order
    # kernel_size and maximum_order given
    if maximum_order >= kernel_size:
        raise ValueError(
            f"R2Diffop: derivatives of order `maximum_order`={maximum_order} need a kernel of at "
            f"least {maximum_order + 1} points per axis, got `kernel_size`={kernel_size}"
        )
    # order < kernel_size: accuracy >= 2 by the symmetric-stencil boost (required_points)
    return kernel_size, accuracy, maximum_order


class R2Diffop(SteerableConv2dBase):
    r"""G-steerable planar partial differential operator between two field types.

    The operator is a learnable combination of a basis of steerable PDOs :math:`D(P)` with
    :math:`P(gx) = \rho_\text{out}(g) P(x) \rho_\text{in}(g)^{-1}` (same angular solutions as the
    kernels, polynomials times powers of the Laplacian), discretised as a convolution stencil.
    Training and eval behave as for :class:`~e2_steerable.nn.R2Conv` (the eval-time filter is a
    non-persistent buffer, the ``state_dict`` holds ``weights`` and ``bias`` only). Weights are
    laid out as in e2cnn, whose basis dimensions this reproduces (e.g. 48/120/224 for C8 regular
    fields at kernel sizes 3/5/7).

    Set any two of ``kernel_size``, ``accuracy`` and ``maximum_order`` (the third follows), or
    only ``kernel_size`` or only ``maximum_order`` (``accuracy`` 2). A stencil of ``s`` points per
    axis reaches order ``s - accuracy`` (one more when that keeps the accuracy, by symmetry).

    Discretisations (all equivariant to rounding error for 90° rotations and axis flips, for every
    group including the reflection groups):

    * finite differences (default): tensor products of 1-D Fornberg stencils;
    * ``smoothing=sigma``: derivatives of a Gaussian. With ``smoothing_mode="std"`` (default)
      ``sigma`` is the standard deviation in pixels of a unit-mass Gaussian and the stencil
      computes :math:`D(G_\sigma * f)`. ``smoothing_mode="e2cnn"`` keeps e2cnn's convention, where
      the Gaussian is :math:`e^{-\lVert p \rVert^2/\sigma^4}` (standard deviation
      :math:`\sigma^2/\sqrt 2`, not :math:`\sigma`). ``kernel_size / 4`` is a sensible ``sigma``.
      A Gaussian cut off by the kernel is not isotropic (e2cnn's stencils, ``isotropic=False``,
      are off by 3-56 % under a 45 degree rotation at ``kernel_size=5`` for ``sigma`` 0.7-1.25);
      the default (``isotropic=None``, on in both modes) corrects the stencils so that their
      low-order moments are exact and those of one rotation-invariant smoothing shared by all
      derivatives of an order (C8, 45 degrees, ``kernel_size=5``: 0.2-1.3 % for ``sigma``
      0.75-1.25, 1.4-1.6 % for 2; finite differences: 1.7-2 %). Where the kernel truncates much
      of the Gaussian (``sigma`` above about ``kernel_size / 3``) the effective smoothing is
      then narrower than ``sigma``: use a larger ``kernel_size`` for wide smoothing;
    * ``rbffd=True``: RBF-FD on all kernel points with the RBF ``radial_basis_function`` (any
      treverhines/RBF name, e.g. ``'ga'``, ``'phs3'``, ``'imq'``), in-house
      (``rbffd_backend="numpy"``) or with treverhines/RBF (``"rbf"``, the ``e2-steerable[rbf]``
      extra). The in-house default is isotropic: a flatter RBF (shape parameter 0.5 per grid
      spacing) and two more polynomial degrees (1.7-2.1 % under 45 degrees for ``'ga'`` at
      ``kernel_size=5``, 0.6-1.1 % at 7). ``isotropic=False``, and the ``"rbf"`` backend,
      reproduce e2cnn (shape parameter 1, polynomials of the derivative's degree: 3.3-4.9 %).

    ``isotropic=False`` gives e2cnn's stencils exactly: weights trained with e2cnn's
    ``R2Diffop(rbffd=True)`` or ``R2Diffop(smoothing=s)`` reproduce its filters with
    ``isotropic=False`` (and ``smoothing_mode="e2cnn"`` for the latter); by default the filters
    differ slightly, by the isotropic correction of the stencils.

    Args:
        in_type: the type of the input field.
        out_type: the type of the output field.
        kernel_size: the size of the (square) stencil.
        accuracy: the order of accuracy of the discretisation.
        padding, stride, dilation, padding_mode, groups, bias: as in :class:`torch.nn.Conv2d`
            (``bias`` only on the trivial irreps of ``out_type``).
        basisexpansion: the basis expansion algorithm (only ``'blocks'``).
        maximum_order: the largest derivative order in the basis.
        maximum_power: the largest power of the Laplacian (capped by ``maximum_order // 2``).
        maximum_offset: largest aliasing offset of the frequencies (finite groups).
        recompute: sample the basis anew instead of reusing a cached one.
        angle_offset: rotate every operator by this angle (radians) before discretising.
        basis_filter: extra filter ``attributes -> bool`` over the basis elements.
        initialize: initialise ``weights`` with the generalised He scheme.
        cache: ``True`` loads the disk stencil cache before building and stores it afterwards;
            ``"load"`` or ``"store"`` do one of the two. Prefer calling
            :func:`e2_steerable.diffops.load_cache` / :func:`~e2_steerable.diffops.store_cache`
            once around a whole model.
        rbffd: discretise with RBF-FD.
        radial_basis_function: the RBF for RBF-FD (default ``'ga'``).
        smoothing: standard deviation of the Gaussian for Gaussian-derivative stencils.
        smoothing_mode: ``"std"`` or ``"e2cnn"`` (see above).
        rbffd_backend: ``"numpy"`` (default) or ``"rbf"``.
        isotropic: the isotropic variant of the ``smoothing`` or ``rbffd`` stencils (see
            above). ``None``: on wherever it exists (``smoothing`` in both modes, ``rbffd`` with
            the ``"numpy"`` backend), off for finite differences and the ``"rbf"`` backend.
            ``False``: e2cnn's stencils.

    Attributes:
        weights, bias, filter, expanded_bias: as in :class:`~e2_steerable.nn.R2Conv`.
        accuracy, maximum_order, maximum_power: the resolved discretisation parameters.
        discretization: the :class:`~e2_steerable.diffops.DiscretizationArgs` used.

    Raises:
        TypeError, ValueError: for invalid types or arguments (unsatisfiable sizes, unknown RBF
            names, ``smoothing <= 0``, ``smoothing`` together with ``rbffd``).
        EmptyBasisException: if no equivariant operator exists for these parameters.

    Warns:
        UserWarning: when ``kernel_size`` and ``accuracy`` leave a maximum order below 2 (e.g.
            ``kernel_size=2``): the basis then holds only low-order operators.
        e2_steerable.diffops.SmoothingTruncationWarning: when the Gaussian of ``smoothing`` is
            wider than the kernel (its standard deviation exceeds the kernel's radius).

    Shape:
        - Input: :math:`(B, C_\text{in}, H, W)` as a GeometricTensor of type ``in_type``.
        - Output: :math:`(B, C_\text{out}, H', W')` of type ``out_type``.

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces, nn
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> pdo = nn.R2Diffop(nn.FieldType(gs, [gs.trivial_repr]),
        ...                   nn.FieldType(gs, [gs.regular_repr] * 2), kernel_size=5, padding=2)
        >>> pdo(nn.GeometricTensor(torch.randn(1, 1, 9, 9), pdo.in_type)).shape
        torch.Size([1, 16, 9, 9])
        >>> pdo.maximum_order, pdo.weights.numel()
        (4, 30)
    """

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        kernel_size: int | None = None,
        accuracy: int | None = None,
        padding: int | tuple[int, int] = 0,
        stride: int | tuple[int, int] = 1,
        dilation: int = 1,
        padding_mode: str = "zeros",
        groups: int = 1,
        bias: bool = True,
        basisexpansion: str = "blocks",
        maximum_order: int | None = None,
        maximum_power: int | None = None,
        maximum_offset: int | None = None,
        recompute: bool = False,
        angle_offset: float | None = None,
        basis_filter: Callable[[dict[str, Any]], bool] | None = None,
        initialize: bool = True,
        cache: bool | str = False,
        rbffd: bool = False,
        radial_basis_function: str = "ga",
        smoothing: float | None = None,
        smoothing_mode: str = "std",
        rbffd_backend: str = "numpy",
        isotropic: bool | None = None,
    ) -> None:
        super().__init__()
        for name, ft in (("in_type", in_type), ("out_type", out_type)):
            if not isinstance(ft, FieldType):
                raise TypeError(f"R2Diffop: `{name}` must be a FieldType, got {type(ft).__name__}")
        if in_type.gspace != out_type.gspace:
            raise ValueError(
                "R2Diffop: in_type and out_type must live on the same gspace, got "
                f"{in_type.gspace.name} and {out_type.gspace.name}"
            )
        if not hasattr(in_type.gspace, "build_diffop_basis"):
            raise ValueError(f"R2Diffop: the gspace {in_type.gspace.name} has no PDO basis")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"R2Diffop: `padding_mode` must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        if cache not in (False, True, "load", "store"):
            raise ValueError(
                f"R2Diffop: `cache` must be False, True, 'load' or 'store', got {cache!r}"
            )
        if basisexpansion != "blocks":
            raise ValueError(f"R2Diffop: `basisexpansion` must be 'blocks', got {basisexpansion!r}")
        if smoothing is not None and rbffd:
            raise ValueError("R2Diffop: use either `smoothing` or `rbffd=True`, not both")
        if not isinstance(rbffd, bool):
            raise TypeError(f"R2Diffop: `rbffd` must be a bool, got {type(rbffd).__name__}")
        kernel_size, accuracy, maximum_order = resolve_sizes(kernel_size, accuracy, maximum_order)
        if maximum_power is None:
            maximum_power = maximum_order // 2
        else:
            maximum_power = min(
                _positive_int(maximum_power, "maximum_power", 0), maximum_order // 2
            )
        if maximum_offset is not None and (not _is_int(maximum_offset) or maximum_offset < 0):
            raise ValueError(
                f"R2Diffop: `maximum_offset` must be None or an int >= 0, got {maximum_offset!r}"
            )
        method = "gauss" if smoothing is not None else ("rbffd" if rbffd else "fd")
        try:
            disc = DiscretizationArgs(
                method=method,
                smoothing=smoothing,
                angle_offset=angle_offset,
                phi=radial_basis_function,
                smoothing_mode=smoothing_mode,
                backend=rbffd_backend,
                isotropic=isotropic,
            )
        except (TypeError, ValueError) as err:
            raise type(err)(f"R2Diffop: {err}") from err
        self.space = in_type.gspace
        self.in_type = in_type
        self.out_type = out_type
        self.kernel_size = kernel_size
        self.accuracy = accuracy
        self.maximum_order = maximum_order
        self.maximum_power = maximum_power
        self.discretization = disc
        self.dilation = _positive_int(dilation, "dilation")
        self.groups = _positive_int(groups, "groups")
        self.padding = _grid.to_tuple(padding, 2, "padding", minimum=0)
        self.stride = _grid.to_tuple(stride, 2, "stride", minimum=1)
        self.padding_mode = padding_mode
        exp_in = _split_groups(in_type, groups, "in_type") if groups > 1 else in_type
        if groups > 1:
            _split_groups(out_type, groups, "out_type")
        order_filter = OrderFilter(maximum_order)
        if basis_filter is None:
            full_filter: Any = order_filter
        else:
            if not callable(basis_filter):
                raise TypeError(
                    f"R2Diffop: `basis_filter` must be callable, got {type(basis_filter).__name__}"
                )
            full_filter = CombinedFilter(order_filter, basis_filter)
        points = _grid.kernel_grid(kernel_size, self.dilation, origin="centre", ndim=2)
        if cache in (True, "load"):
            _cache.load_cache()
        self._basisexpansion = BlocksBasisExpansion(
            exp_in,
            out_type,
            self.space.build_diffop_basis,
            np.asarray(points),
            basis_filter=full_filter,
            recompute=recompute,
            max_power=maximum_power,
            discretization=disc,
            maximum_frequency=maximum_order,
            maximum_offset=maximum_offset,
        )
        if cache in (True, "store"):
            _cache.store_cache()
        self.weights = nn.Parameter(torch.zeros(self._basisexpansion.dimension()))
        self._setup_bias(bias)
        self.register_buffer("filter", None, persistent=False)
        self.register_buffer("expanded_bias", None, persistent=False)
        self._cache_version = None
        if initialize:
            generalized_he_init(self.weights.data, self._basisexpansion)

    def expand_parameters(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Expand the filter ``(C_out, C_in/groups, s, s)`` and the bias ``(C_out,)`` (or None)."""
        return self._expand_filter(), self._expand_bias()

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Apply the expanded stencil (a convolution) and bias to ``input``."""
        x = self._check_input(input).tensor
        return GeometricTensor(self._conv2d(x), self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return self._conv2d_output_shape("R2Diffop", input_shape)

    def export(self) -> nn.Conv2d:
        """An equivalent :class:`torch.nn.Conv2d` (in eval mode) holding the expanded stencil."""
        return self._export_conv2d()

    def extra_repr(self) -> str:
        disc = self.discretization
        return (
            f"{self.in_type}, {self.out_type}, kernel_size={self.kernel_size}, "
            f"maximum_order={self.maximum_order}, method={disc.method!r}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, "
            f"padding_mode={self.padding_mode!r}, bias={self.bias is not None}"
        )
