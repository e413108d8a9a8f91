r"""Learnable quadratic structuring functions :math:`g(v) = -v^\top \Sigma^{-1} v`.

Every kernel module takes no arguments in ``forward`` and returns a ``(O, I, *kernel_size)``
tensor (``OIHW`` in 2-D) that is 0 at the origin and negative elsewhere (no factor ½), ready to
be the ``kernel`` of :class:`~semiconv_nd.GenericConv`. Offsets ``v`` are measured per tensor
axis (``(row, column)`` in 2-D) from the tap ``(k - 1) // 2``, the origin that ``padding="same"``
aligns with each output pixel; for even ``k`` they run ``-(k/2 - 1), ..., k/2``.

Parameterisations of the covariance :math:`\Sigma`:

* :class:`QuadraticKernelSpectral2D`: :math:`\Sigma^{-1} = R(\theta)\,\mathrm{diag}(
  \sigma_0^{-2}, \sigma_1^{-2})\,R(\theta)^\top`, with the first principal axis along
  :math:`(\cos\theta, \sin\theta)` in (row, column) coordinates;
* :class:`QuadraticKernelCholesky2D`: :math:`\Sigma = LL^\top` with
  :math:`L = [[\sigma_0, 0], [r\sigma_1, \sigma_1\sqrt{1 - r^2}]]` and :math:`r = \tanh(c)`
  (Pearson's correlation);
* :class:`QuadraticKernelCholeskyND`: any ``N``, :math:`\Sigma = LL^\top` with a free lower
  triangular factor (positive diagonal :math:`e^{\mathrm{log\_std}}`);
* :class:`QuadraticKernelIso2D` and :class:`QuadraticKernelIsoND`: :math:`\Sigma = \sigma^2 I`.

Extreme but finite parameters (``log_std = -50``, ``corr = 100``, ...) never give NaN: each
tap's form is evaluated in float64 with its largest term factored out of the exponentials, so
the origin tap is 0 and every other tap is finite and negative, or ``-inf`` beyond a quarter of
the parameters' dtype range (with a zero gradient there); gradients of finite taps are finite
wherever their exact value fits the dtype (float32 parameters: always a number, possibly
``inf``). Limit: with float64 parameters a gradient whose exact value exceeds the float64 range
(e.g. an angle of ``1e-243`` with ``log_std = -800``) can come out NaN.

Fixes relative to the original package: the Cholesky kernel computes in the parameters' dtype
(``.double()`` works and passes gradcheck), its default variance initialisation is the documented
``"skewed"`` (the original silently used ``"uniform"``), and the scale-space initialisations of a
``kernel_size=1`` kernel use variance 1 instead of 0 (which made the original's kernel NaN).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from semiconv_nd.kernels._base import KernelModule
from semiconv_nd.kernels._init import (
    init_angles,
    init_variances,
    kernel_positions,
    resolve_init,
)

__all__ = [
    "QuadraticKernelCholesky2D",
    "QuadraticKernelCholeskyND",
    "QuadraticKernelIso1D",
    "QuadraticKernelIso2D",
    "QuadraticKernelIso3D",
    "QuadraticKernelIsoND",
    "QuadraticKernelSpectral2D",
]


def _wide(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The tensors in float64 (at least): the forms are evaluated there and cast back, so the
    exponentials of float32 parameters (``e^{100}`` for ``log_std = -50``) and their tiny
    reciprocals are normal numbers; kernels are small, so this costs nothing measurable."""
    wide = torch.promote_types(tensors[0].dtype, torch.float64)
    return tuple(t.to(wide) for t in tensors)


def _tap_log_magnitude(coefficients: torch.Tensor, logs: torch.Tensor) -> torch.Tensor:
    """Detached ``max log|c e^l|`` over the component and term axes: ``(O, I, T)``."""
    coefficients, logs = coefficients.detach(), logs.detach()
    nonzero = coefficients != 0
    magnitude = torch.where(nonzero, coefficients.abs().log() + logs, -math.inf)
    return magnitude.flatten(-3, -2).amax(dim=-2)


def _normalized_components(
    coefficients: torch.Tensor, logs: torch.Tensor, log_norm: torch.Tensor
) -> torch.Tensor:
    """``sum_k c_k e^{l_k - log_norm}`` per component, without ``0 * inf``: ``(O, I, C, T)``."""
    exponent = logs - log_norm[..., None, None, :]
    exponent = torch.where(coefficients.detach() != 0, exponent, 0.0)
    return (coefficients * exponent.exp()).sum(dim=-2)


def _negative_form(
    components: torch.Tensor, log_norm: torch.Tensor, out_dtype: torch.dtype
) -> torch.Tensor:
    r"""Taps :math:`-e^{2 \nu} |w|^2` from normalised components, without NaN or overflow.

    Every kernel writes its quadratic form as :math:`|u|^2` with components
    :math:`u_c = \sum_k c_{ck} e^{l_{ck}}` (offsets times exponentials of the parameters). Each
    tap's components are divided by their largest term :math:`e^{\nu}` *inside* the
    exponentials (:math:`\nu` is a detached constant, so any value is exact), so they are
    at most about 1 and no intermediate under- or overflows into ``0 * inf``; the scale
    :math:`e^{2\nu}` is applied once at the end. A tap without any nonzero term (the origin) is
    ``-0.0`` with a zero gradient; taps beyond a quarter of ``out_dtype``'s range become ``-inf``
    with a zero gradient, so every finite tap's gradient stays finite.

    Args:
        components: ``(O, I, C, T)`` normalised components :math:`u / e^{\nu}`.
        log_norm: ``(O, I, T)`` the detached :math:`\nu` (``-inf`` where all terms are 0).
        out_dtype: The dtype the taps will be cast to; its range decides ``-inf``.

    Returns:
        ``(O, I, T)`` taps: -0.0 at the origin, finite and negative or ``-inf`` elsewhere.
    """
    info = torch.finfo(out_dtype)
    limit = math.log(info.max / 4)
    positive = log_norm > -math.inf
    log_factor = 2.0 * torch.where(positive, log_norm, 0.0)
    squared = components.square().sum(dim=-2)
    log_form = log_factor + torch.log(torch.where(squared > 0, squared, 1.0)).detach()
    fits = positive & (squared > 0) & (log_form <= limit)
    # e^{nu} twice rather than e^{2 nu} once: finite even when cancellation makes |u|^2 tiny.
    half = torch.exp(torch.where(fits, log_norm, 0.0))
    form = (half * torch.where(fits, squared, 0.0)) * half
    beyond = positive & (squared > 0) & ~fits
    return torch.where(beyond, -math.inf, -form)


def _form_from_terms(
    coefficients: torch.Tensor, logs: torch.Tensor, out_dtype: torch.dtype
) -> torch.Tensor:
    """Taps ``-|u|^2`` with ``u_c = sum_k c_ck e^{l_ck}``; coefficients ``(O, I, C, K, T)``."""
    log_norm = _tap_log_magnitude(coefficients, logs)
    components = _normalized_components(coefficients, logs, log_norm)
    return _negative_form(components, log_norm, out_dtype)


class _QuadraticKernel(KernelModule):
    """Shared plumbing: tap offsets, the ``log_std`` parameter and the output shape."""

    _positions: torch.Tensor

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...], ndim: int
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, ndim)
        self.register_buffer("_positions", kernel_positions(self._sizes, ndim), persistent=False)

    def _init_log_std(
        self,
        init: dict[str, str | float] | None,
        defaults: dict[str, str],
        axes: tuple[int, ...] = (),
        normal_std: float = 4.0,
    ) -> dict[str, str | float]:
        """Resolve ``init``, create ``log_std`` (shape ``(O, I, *axes)``), return the options."""
        name = type(self).__name__
        options = resolve_init(init, defaults, name)
        shape = (self.out_channels, self.in_channels, *axes)
        variances = init_variances(options["var"], shape, self._sizes, name, normal_std)
        self.log_std = nn.Parameter(variances.log().mul(0.5))
        return options

    def _shape(self, values: torch.Tensor) -> torch.Tensor:
        return values.reshape(self.out_channels, self.in_channels, *self._sizes)


class QuadraticKernelSpectral2D(_QuadraticKernel):
    r"""Quadratic kernels :math:`-v^\top \Sigma^{-1} v` with an angle-and-scales covariance.

    :math:`\Sigma^{-1} = R(\theta)\,\mathrm{diag}(e^{-2 s_0}, e^{-2 s_1})\,R(\theta)^\top` with
    ``s = log_std`` and :math:`R(\theta) = [[\cos\theta, -\sin\theta], [\sin\theta,
    \cos\theta]]` acting on ``(row, column)`` offsets: ``theta = 0`` puts the first principal
    axis (standard deviation :math:`e^{s_0}`) along the rows.

    Args:
        in_channels: Input channels per group: the ``I`` of ``OIHW``.
        out_channels: Number of kernels: the ``O`` of ``OIHW``.
        kernel_size: Height and width ``k`` of the square kernel.
        init: Initialisation, a dict with keys ``"var"`` (a positive number, ``"normal"``
            (truncated normal around 8 on [1, 16]), ``"uniform"`` (U(1, 16)), ``"uniform-iso"``,
            ``"ss-iso"`` (scale space), ``"log-ss-iso"`` or ``"skewed"`` (**default**: U(1, 8) on
            the first axis, U(20, 24) on the second)) and ``"theta"`` (``"uniform"`` in
            [0, π) or ``"spin"`` (**default**: evenly spaced, shuffled)). Missing keys take
            their defaults.

    Attributes:
        log_std: ``(O, I, 2)`` logarithms of the standard deviations along the principal axes.
        theta: ``(O, I)`` counter-clockwise angles of the first principal axis.

    Shape:
        - Output: :math:`(O, I, k, k)`

    Example:
        >>> kernel = QuadraticKernelSpectral2D(5, 6, 3, {"var": 3.0, "theta": "spin"})
        >>> tuple(kernel().shape)
        (6, 5, 3, 3)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        init: dict[str, str | float] | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, 2)
        options = self._init_log_std(init, {"var": "skewed", "theta": "spin"}, (2,))
        angles = init_angles(options["theta"], (out_channels, in_channels), type(self).__name__)
        self.theta = nn.Parameter(angles)

    def forward(self) -> torch.Tensor:
        """The ``(O, I, k, k)`` kernels."""
        dtype = self.log_std.dtype
        positions, theta, log_std = _wide(self._positions, self.theta, self.log_std)
        rows, cols = positions[:, 0], positions[:, 1]
        cos, sin = theta.cos().unsqueeze(-1), theta.sin().unsqueeze(-1)
        along = cos * rows + sin * cols
        across = cos * cols - sin * rows
        # -(along^2 e^{-2 s0} + across^2 e^{-2 s1}): one term per component, computed with
        # each tap's largest term factored out of the exponentials (no overflow of e^{-2s}).
        coefficients = torch.stack([along, across], dim=-2).unsqueeze(-2)  # (O, I, 2, 1, T)
        logs = (-log_std)[..., None, None]  # (O, I, 2, 1, 1)
        return self._shape(_form_from_terms(coefficients, logs, dtype).to(dtype))

    def inspect_parameters(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The covariance parameters.

        Returns:
            ``(log_std, theta)``: the ``(O, I, 2)`` log standard deviations along the principal
            axes and the ``(O, I)`` counter-clockwise angles of the first axis.
        """
        return self.log_std, self.theta


class QuadraticKernelCholesky2D(_QuadraticKernel):
    r"""Quadratic kernels :math:`-|L^{-1} v|^2` with a Cholesky-factored covariance.

    :math:`L = [[\sigma_0, 0], [r\sigma_1, \sigma_1\sqrt{1 - r^2}]]`, so
    :math:`\Sigma = LL^\top = [[\sigma_0^2, r\sigma_0\sigma_1], [r\sigma_0\sigma_1,
    \sigma_1^2]]` with :math:`\sigma = e^{\mathrm{log\_std}}` and Pearson's
    :math:`r = \tanh(\mathrm{corr})`, on ``(row, column)`` offsets.

    Args:
        in_channels: Input channels per group: the ``I`` of ``OIHW``.
        out_channels: Number of kernels: the ``O`` of ``OIHW``.
        kernel_size: Height and width ``k`` of the square kernel.
        init: Initialisation, a dict with the key ``"var"``: a positive number, ``"normal"``,
            ``"uniform"``, ``"uniform-iso"``, ``"ss-iso"``, ``"log-ss-iso"`` or ``"skewed"``
            (**default**; the original used ``"uniform"`` despite documenting ``"skewed"``). The
            correlation parameter is drawn from a normal distribution (std 0.5) clipped to
            [-1, 1].

    Attributes:
        log_std: ``(O, I, 2)`` logarithms of the standard deviations of the two axes.
        corr: ``(O, I)`` unconstrained correlation parameters (Pearson's r is ``tanh(corr)``).

    Shape:
        - Output: :math:`(O, I, k, k)`

    Example:
        >>> kernel = QuadraticKernelCholesky2D(5, 6, 3, {"var": 3.0})
        >>> tuple(kernel().shape)
        (6, 5, 3, 3)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        init: dict[str, str | float] | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, 2)
        self._init_log_std(init, {"var": "skewed"}, (2,))
        shape = (out_channels, in_channels)
        corr = nn.init.trunc_normal_(torch.empty(shape), mean=0.0, std=0.5, a=-1.0, b=1.0)
        self.corr = nn.Parameter(corr)

    def forward(self) -> torch.Tensor:
        """The ``(O, I, k, k)`` kernels."""
        dtype = self.log_std.dtype
        positions, log_std, corr = _wide(self._positions, self.log_std, self.corr)
        rows, cols = positions[:, 0], positions[:, 1]
        # L^{-1} v by forward substitution, with sqrt(1 - tanh(c)^2) = 1 / cosh(c):
        #   w0 = rows e^{-s0},  w1 = cols e^{-s1} cosh(c) - rows e^{-s0} sinh(c).
        # With a = |c|, cosh(c) = e^a (1 + e^{-2a}) / 2 and sinh(c) = sign(c) e^a (1 - e^{-2a}) / 2,
        # so every term is (offset) * (bounded factor) * e^(log), and no exponential of a large
        # corr or a tiny std is ever formed on its own.
        magnitude = corr.abs()[..., None, None]  # (O, I, 1, 1)
        decay = torch.exp(-2.0 * magnitude)
        sign = corr.sign()[..., None, None]
        zeros = torch.zeros_like(rows).expand(*corr.shape, 1, rows.shape[-1])
        first = torch.cat([rows.expand_as(zeros), zeros], dim=-2)  # (O, I, 2, T)
        second = torch.cat([cols * (1.0 + decay), -sign * rows * (1.0 - decay)], dim=-2)
        coefficients = torch.stack([first, second], dim=-3)  # (O, I, 2, 2, T)
        half_growth = magnitude - math.log(2.0)
        logs = torch.stack(
            [
                torch.cat([-log_std[..., 0:1], torch.zeros_like(log_std[..., 0:1])], dim=-1),
                torch.cat(
                    [
                        half_growth[..., 0] - log_std[..., 1:2],
                        half_growth[..., 0] - log_std[..., 0:1],
                    ],
                    dim=-1,
                ),
            ],
            dim=-2,
        ).unsqueeze(-1)  # (O, I, 2, 2, 1)
        return self._shape(_form_from_terms(coefficients, logs, dtype).to(dtype))

    def inspect_parameters(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The covariance parameters.

        Returns:
            ``(log_std, r)``: the ``(O, I, 2)`` log standard deviations and the ``(O, I)``
            correlations as values of Pearson's r (``tanh`` of the ``corr`` parameter).
        """
        return self.log_std, self.corr.tanh()


class QuadraticKernelIsoND(_QuadraticKernel):
    r"""Isotropic quadratic kernels :math:`-|v|^2 / \sigma^2` in ``ndim`` spatial dimensions.

    Args:
        in_channels: Input channels per group: the ``I`` of ``(O, I, *k)``.
        out_channels: Number of kernels: the ``O``.
        kernel_size: One int (a cube) or one int per spatial axis.
        ndim: Number of spatial dimensions.
        init: Initialisation, a dict with the key ``"var"``: a positive number, ``"normal"``
            (truncated normal, mean 8, std 1, on [1, 16]), ``"uniform"`` (U(1, 16)), ``"ss"``
            (**default**: scale space, evenly spaced in ``[1, N * (max(k) // 2)^2]`` and
            shuffled) or ``"log-ss"``.

    Attributes:
        log_std: ``(O, I)`` logarithms of the standard deviations.

    Shape:
        - Output: :math:`(O, I, k_1, \ldots, k_N)`

    Example:
        >>> kernel = QuadraticKernelIsoND(2, 3, (3, 5, 5), ndim=3)
        >>> tuple(kernel().shape)
        (3, 2, 3, 5, 5)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        ndim: int,
        init: dict[str, str | float] | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, ndim)
        self._init_log_std(init, {"var": "ss"}, normal_std=1.0)

    def forward(self) -> torch.Tensor:
        """The ``(O, I, *kernel_size)`` kernels."""
        dtype = self.log_std.dtype
        positions, log_std = _wide(self._positions, self.log_std)
        offsets = positions.t()  # (N, T)
        coefficients = offsets.expand(*log_std.shape, *offsets.shape).unsqueeze(-2)  # (O,I,N,1,T)
        logs = (-log_std)[..., None, None, None]  # -|v|^2 e^{-2 log_std}
        return self._shape(_form_from_terms(coefficients, logs, dtype).to(dtype))


class QuadraticKernelIso2D(QuadraticKernelIsoND):
    r"""Isotropic quadratic kernels :math:`-|v|^2 / \sigma^2` on square 2-D kernels.

    Args:
        in_channels: Input channels per group: the ``I`` of ``OIHW``.
        out_channels: Number of kernels: the ``O`` of ``OIHW``.
        kernel_size: Height and width ``k`` of the square kernel.
        init: Initialisation, a dict with the key ``"var"``: a positive number, ``"normal"``,
            ``"uniform"``, ``"ss"`` (**default**: scale space, evenly spaced in
            ``[1, 2 (k // 2)^2]``, shuffled) or ``"log-ss"``.

    Attributes:
        log_std: ``(O, I)`` logarithms of the standard deviations.

    Shape:
        - Output: :math:`(O, I, k, k)`

    Example:
        >>> kernel = QuadraticKernelIso2D(5, 6, 3, {"var": 3.0})
        >>> tuple(kernel().shape)
        (6, 5, 3, 3)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        init: dict[str, str | float] | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, 2, init)


class QuadraticKernelIso1D(QuadraticKernelIsoND):
    r"""Isotropic quadratic kernels :math:`-v^2 / \sigma^2` for 1-D signals.

    Args:
        in_channels: Input channels per group.
        out_channels: Number of kernels.
        kernel_size: Length ``k`` of the kernel.
        init: As for :class:`QuadraticKernelIsoND`.

    Shape:
        - Output: :math:`(O, I, k)`

    Example:
        >>> QuadraticKernelIso1D(1, 1, 5, {"var": 1.0})().flatten().tolist()
        [-4.0, -1.0, -0.0, -1.0, -4.0]
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        init: dict[str, str | float] | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, 1, init)


class QuadraticKernelIso3D(QuadraticKernelIsoND):
    r"""Isotropic quadratic kernels :math:`-|v|^2 / \sigma^2` for volumes.

    Args:
        in_channels: Input channels per group.
        out_channels: Number of kernels.
        kernel_size: One int (a cube) or ``(kD, kH, kW)``.
        init: As for :class:`QuadraticKernelIsoND`.

    Shape:
        - Output: :math:`(O, I, k_D, k_H, k_W)`

    Example:
        >>> tuple(QuadraticKernelIso3D(2, 4, 3)().shape)
        (4, 2, 3, 3, 3)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int, int],
        init: dict[str, str | float] | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, 3, init)


class QuadraticKernelCholeskyND(_QuadraticKernel):
    r"""Anisotropic quadratic kernels :math:`-|L^{-1} v|^2` in ``ndim`` spatial dimensions.

    :math:`\Sigma = LL^\top` with a lower triangular :math:`L`: its diagonal is
    :math:`\sigma = e^{\mathrm{log\_std}}` and the entry below it at ``(i, j)`` is
    :math:`\mathrm{offdiag}_{ij}\,\sigma_i`, so every parameter value gives a valid covariance.
    Offsets ``v`` are per tensor axis, as for the 2-D kernels.

    Args:
        in_channels: Input channels per group: the ``I``.
        out_channels: Number of kernels: the ``O``.
        kernel_size: One int (a cube) or one int per spatial axis.
        ndim: Number of spatial dimensions.
        init: Initialisation, a dict with the key ``"var"`` (the options of
            :class:`QuadraticKernelCholesky2D`; **default** ``"skewed"``: U(1, 8) on the first
            axis, U(20, 24) on the others). The off-diagonal parameters are drawn from a normal
            distribution (std 0.5) clipped to [-1, 1].

    Attributes:
        log_std: ``(O, I, N)`` logarithms of the diagonal of :math:`L`.
        offdiag: ``(O, I, N (N - 1) / 2)`` relative entries below the diagonal, row by row.

    Shape:
        - Output: :math:`(O, I, k_1, \ldots, k_N)`

    Example:
        >>> kernel = QuadraticKernelCholeskyND(2, 3, (3, 5, 5), ndim=3)
        >>> tuple(kernel().shape)
        (3, 2, 3, 5, 5)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        ndim: int,
        init: dict[str, str | float] | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, ndim)
        self._init_log_std(init, {"var": "skewed"}, (ndim,))
        shape = (out_channels, in_channels)
        below = ndim * (ndim - 1) // 2
        offdiag = nn.init.trunc_normal_(torch.empty(*shape, below), std=0.5, a=-1.0, b=1.0)
        self.offdiag = nn.Parameter(offdiag)
        rows, cols = torch.tril_indices(ndim, ndim, offset=-1)
        placement = torch.zeros(below, ndim, ndim)  # one-hot position of each entry below
        placement[torch.arange(below), rows, cols] = 1.0
        self.register_buffer("_rows", rows, persistent=False)
        self.register_buffer("_placement", placement, persistent=False)

    def cholesky(self) -> torch.Tensor:
        """The ``(O, I, N, N)`` lower triangular factors :math:`L`."""
        std = self.log_std.exp()
        below = self.offdiag * std[..., self._rows]
        placement = self._placement.to(std.dtype)
        return torch.diag_embed(std) + torch.einsum("oim,mab->oiab", below, placement)

    def forward(self) -> torch.Tensor:
        """The ``(O, I, *kernel_size)`` kernels."""
        # L = diag(e^s) U with U unit lower triangular (the offdiag entries), so
        # L^{-1} v = e^nu U^{-1} (e^{-s} v / e^nu) with nu each tap's largest log term: tiny or
        # huge stds only move nu. Evaluated in float64 (cheap: O * I * N^2 * T), where the
        # growth of U^{-1} with large offdiag entries stays in range for float32 parameters.
        dtype = self.log_std.dtype
        positions, log_std, offdiag = _wide(self._positions, self.log_std, self.offdiag)
        offsets = positions.t()  # (N, T)
        coefficients = offsets.expand(*log_std.shape[:2], *offsets.shape)[..., None, :]
        logs = (-log_std)[..., None, None]  # (O, I, N, 1, 1)
        log_norm = _tap_log_magnitude(coefficients, logs)
        rhs = _normalized_components(coefficients, logs, log_norm)  # e^{-s} v / e^nu, (O,I,N,T)
        unit = torch.eye(len(self._sizes), dtype=rhs.dtype, device=rhs.device) + torch.einsum(
            "oim,mab->oiab", offdiag, self._placement.to(rhs.dtype)
        )
        solved = torch.linalg.solve_triangular(unit, rhs, upper=False, unitriangular=True)
        return self._shape(_negative_form(solved, log_norm, dtype).to(dtype))

    def inspect_parameters(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The covariance parameters.

        Returns:
            ``(log_std, offdiag)`` as described in the class attributes.
        """
        return self.log_std, self.offdiag
