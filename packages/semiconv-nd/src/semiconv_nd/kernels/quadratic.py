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

Fixes relative to the original package: the Cholesky kernel computes in the parameters' dtype
(``.double()`` works and passes gradcheck), its default variance initialisation is the documented
``"skewed"`` (the original silently used ``"uniform"``), and the scale-space initialisations of a
``kernel_size=1`` kernel use variance 1 instead of 0 (which made the original's kernel NaN).
"""

from __future__ import annotations

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
        rows, cols = self._positions[:, 0], self._positions[:, 1]
        cos, sin = self.theta.cos().unsqueeze(-1), self.theta.sin().unsqueeze(-1)
        along = cos * rows + sin * cols
        across = cos * cols - sin * rows
        precision = self.log_std.mul(-2.0).exp()
        form = along.square() * precision[..., 0:1] + across.square() * precision[..., 1:2]
        return self._shape(-form)

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
        rows, cols = self._positions[:, 0], self._positions[:, 1]
        std = self.log_std.exp()
        r = self.corr.tanh().unsqueeze(-1)
        # Solve L w = v by forward substitution; sqrt(1 - tanh(c)^2) = 1 / cosh(c).
        w0 = rows / std[..., 0:1]
        w1 = (cols - r * std[..., 1:2] * w0) * (self.corr.cosh().unsqueeze(-1) / std[..., 1:2])
        return self._shape(-(w0.square() + w1.square()))

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
        squared = self._positions.square().sum(dim=-1)
        return self._shape(-squared * self.log_std.mul(-2.0).exp().unsqueeze(-1))


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
        offsets = self._positions.t().to(self.log_std.dtype)  # (N, T)
        factor = self.cholesky()
        solved = torch.linalg.solve_triangular(
            factor, offsets.expand(*factor.shape[:-1], offsets.shape[-1]), upper=False
        )
        return self._shape(-solved.square().sum(dim=-2))

    def inspect_parameters(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The covariance parameters.

        Returns:
            ``(log_std, offdiag)`` as described in the class attributes.
        """
        return self.log_std, self.offdiag
