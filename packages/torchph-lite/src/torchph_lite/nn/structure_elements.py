r"""SLayers: differentiable vectorisations of multisets such as persistence diagrams.

Each layer holds ``N`` structure elements :math:`s_j: \mathbb{R}^D \to \mathbb{R}` and maps a
multiset :math:`M_b` to the vector :math:`\big(\sum_{p \in M_b} s_j(p)\big)_{j=1..N}`. A batch is
evaluated as one padded tensor operation (see :func:`~torchph_lite.nn.prepare_batch`);
padding points contribute nothing.

Inputs are either a list of ``(m_i, D)`` tensors (empty diagrams allowed) or the 4-tuple
returned by ``prepare_batch``. They must be on the layer's device and have the layer's dtype, and
must be finite: replace infinite deaths (essential classes) by a finite value first, or feed their
births alone to a layer with ``point_dimension=1``.

Reference: C. Hofer, R. Kwitt, M. Niethammer, A. Uhl, *Deep Learning with Topological Signatures*,
NIPS 2017; C. Hofer, R. Kwitt, M. Niethammer, *Learning Representations of Persistence Barcodes*,
JMLR 2019.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from torchph_lite.nn.batching import is_list_of_tensors, prepare_batch_if_necessary
from torchph_lite.nn.distances import (
    log1p_weighted_l1_distances,
    saturated_scaled_squared_distances,
    weighted_l1_distances,
)
from torchph_lite.nn.parameter_init import parameter_init_from_arg, resolve_factory_kwargs

__all__ = ["SLayerExponential", "SLayerRational", "SLayerRationalHat"]


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}")
    return value


class _SLayerBase(nn.Module):
    """Shared input handling: padding, device/dtype checks, finiteness, masked sum."""

    centers: nn.Parameter

    def __init__(self, n_elements: int, point_dimension: int) -> None:
        super().__init__()
        self.n_elements = _positive_int(n_elements, "n_elements")
        self.point_dimension = _positive_int(point_dimension, "point_dimension")

    def _padded_input(self, input: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the padded points ``(B, M, D)`` and the point weights ``(B, M)``."""
        if is_list_of_tensors(input) and all(d.shape[:1] == (0,) for d in input):
            # Only empty diagrams: they carry no values, so they take the layer's dtype.
            input = [d.to(self.centers.dtype) if d.is_floating_point() else d for d in input]
        points, not_dummy, _, _ = prepare_batch_if_necessary(input, self.point_dimension)
        if points.device != self.centers.device:
            raise ValueError(
                f"{type(self).__name__}: input is on {points.device} but the layer's parameters "
                f"are on {self.centers.device}; move one of them with .to()"
            )
        if points.dtype != self.centers.dtype:
            raise TypeError(
                f"{type(self).__name__}: input has dtype {points.dtype} but the layer's "
                f"parameters have dtype {self.centers.dtype}; convert one of them (e.g. "
                "layer.to(torch.float64) or diagram.float())"
            )
        if not bool(torch.isfinite(points).all()):
            raise ValueError(
                f"{type(self).__name__}: input points must be finite (no NaN or inf); replace "
                "infinite deaths of essential classes by a finite value, or pass their births "
                "alone to a layer with point_dimension=1"
            )
        return points, not_dummy.to(points.dtype)

    @staticmethod
    def _masked_sum(contributions: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Sum ``(B, M, N)`` point contributions over the real points: ``(B, N)``."""
        return (contributions * weights.unsqueeze(-1)).sum(dim=1)

    def extra_repr(self) -> str:
        return f"n_elements={self.n_elements}, point_dimension={self.point_dimension}"


class SLayerExponential(_SLayerBase):
    r"""Gaussian-like structure elements (Hofer et al., NIPS 2017).

    .. math::

        \mathrm{out}[b, j] = \sum_{p \in M_b}
            \exp\Big(-\sum_{d=1}^{D} s_{jd}^2\,(c_{jd} - p_d)^2\Big)

    The sharpness :math:`s` enters squared, so its sign does not matter.

    Args:
        n_elements: Number ``N`` of structure elements.
        point_dimension: Dimension ``D`` of the points (2 for birth/death pairs).
        centers_init: Initial centres, a tensor of shape ``(N, D)``; default
            ``torch.rand(N, D)``.
        sharpness_init: Initial sharpness, a tensor of shape ``(N, D)``; default all ``3``.

    Attributes:
        centers: Parameter of shape ``(N, D)``.
        sharpness: Parameter of shape ``(N, D)``.

    Shape:
        Input: list of ``B`` tensors :math:`(m_i, D)`, or the padded 4-tuple of
          :func:`~torchph_lite.nn.prepare_batch`.
        Output: :math:`(B, N)`, squeezed like the original: :math:`(N,)` for a batch of one,
          :math:`(B,)` when ``N = 1`` and a 0-d tensor when both are 1.

    Example:
        >>> import torch
        >>> from torchph_lite.nn import SLayerExponential
        >>> layer = SLayerExponential(2, centers_init=torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
        >>> layer([torch.tensor([[0.0, 0.0]]), torch.zeros(0, 2)])
        tensor([[1.0000e+00, 1.5230e-08],
                [0.0000e+00, 0.0000e+00]], grad_fn=<SqueezeBackward0>)
    """

    def __init__(
        self,
        n_elements: int,
        point_dimension: int = 2,
        centers_init: torch.Tensor | None = None,
        sharpness_init: torch.Tensor | None = None,
    ) -> None:
        super().__init__(n_elements, point_dimension)
        size = (self.n_elements, self.point_dimension)
        factory = resolve_factory_kwargs(centers_init=centers_init, sharpness_init=sharpness_init)
        self.centers = nn.Parameter(
            parameter_init_from_arg(centers_init, size, torch.rand, name="centers_init", **factory)
        )
        self.sharpness = nn.Parameter(
            parameter_init_from_arg(
                sharpness_init,
                size,
                lambda shape: torch.full(shape, 3.0),
                name="sharpness_init",
                **factory,
            )
        )

    def forward(self, input: Any) -> torch.Tensor:
        points, weights = self._padded_input(input)
        # (s (p - c))^2 with a gradient-free cap where exp(-.) is exactly 0: no 0 * inf = NaN
        # gradient for huge points, centres or sharpness.
        distances = saturated_scaled_squared_distances(points, self.centers, self.sharpness)
        return self._masked_sum(torch.exp(-distances), weights).squeeze()


class SLayerRational(_SLayerBase):
    r"""Rational structure elements with a weighted L1 distance.

    .. math::

        \mathrm{out}[b, j] = \sum_{p \in M_b}
            \frac{1}{\big(1 + \sum_{d} |s_{jd}|\,|c_{jd} - p_d|\big)^{|e_j|}}

    Args:
        n_elements: Number ``N`` of structure elements.
        point_dimension: Dimension ``D`` of the points.
        centers_init: Initial centres ``(N, D)``; default ``torch.rand(N, D)``.
        sharpness_init: Initial sharpness ``(N, D)`` (or ``(1,)`` if ``share_sharpness``), or a
            number; default all ones.
        exponent_init: Initial exponent ``(N,)`` (or ``(1,)`` if ``share_exponent``), or a number;
            default all ones.
        pointwise_activation_threshold: If given, per-point contributions below it are set to 0
            (a hard, non-differentiable cut).
        share_sharpness: One sharpness value shared by all elements and coordinates.
        share_exponent: One exponent shared by all elements.
        freeze_exponent: Keep the exponent fixed: it is then a buffer, not a parameter.

    Attributes:
        centers: Parameter ``(N, D)``.
        sharpness: Parameter ``(N, D)`` or ``(1,)``.
        exponent: Buffer (frozen) or parameter, ``(N,)`` or ``(1,)``.

    Shape:
        Input: list of ``B`` tensors :math:`(m_i, D)`, or the padded 4-tuple.
        Output: :math:`(B, N)` (never squeezed).

    Example:
        >>> import torch
        >>> from torchph_lite.nn import SLayerRational
        >>> layer = SLayerRational(2, centers_init=torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
        >>> layer([torch.tensor([[0.0, 0.0]])])
        tensor([[1.0000, 0.3333]], grad_fn=<SumBackward1>)
    """

    def __init__(
        self,
        n_elements: int,
        point_dimension: int = 2,
        centers_init: torch.Tensor | None = None,
        sharpness_init: torch.Tensor | float | None = None,
        exponent_init: torch.Tensor | float | None = None,
        pointwise_activation_threshold: float | None = None,
        share_sharpness: bool = False,
        share_exponent: bool = False,
        freeze_exponent: bool = True,
    ) -> None:
        super().__init__(n_elements, point_dimension)
        threshold = pointwise_activation_threshold
        self.pointwise_activation_threshold = None if threshold is None else float(threshold)
        self.share_sharpness = bool(share_sharpness)
        self.share_exponent = bool(share_exponent)
        self.freeze_exponent = bool(freeze_exponent)

        factory = resolve_factory_kwargs(
            centers_init=centers_init, sharpness_init=sharpness_init, exponent_init=exponent_init
        )
        n, dim = self.n_elements, self.point_dimension
        self.centers = nn.Parameter(
            parameter_init_from_arg(
                centers_init, (n, dim), torch.rand, name="centers_init", **factory
            )
        )
        self.sharpness = nn.Parameter(
            parameter_init_from_arg(
                sharpness_init,
                (1,) if self.share_sharpness else (n, dim),
                torch.ones,
                scalar_is_valid=True,
                name="sharpness_init",
                **factory,
            )
        )
        exponent = parameter_init_from_arg(
            exponent_init,
            (1,) if self.share_exponent else (n,),
            torch.ones,
            scalar_is_valid=True,
            name="exponent_init",
            **factory,
        )
        if self.freeze_exponent:
            self.register_buffer("exponent", exponent)
        else:
            self.exponent = nn.Parameter(exponent)

    def forward(self, input: Any) -> torch.Tensor:
        points, weights = self._padded_input(input)
        sharpness = self.sharpness.abs().expand(self.n_elements, self.point_dimension)
        distances = weighted_l1_distances(points, self.centers, sharpness)
        if bool(torch.isfinite(distances).all()):
            contributions = (1.0 + distances).pow(-self.exponent.abs())
        else:  # the distance overflowed: take it in log space (finite values and gradients)
            log1p = log1p_weighted_l1_distances(points, self.centers, sharpness)
            contributions = torch.exp(-self.exponent.abs() * log1p)
        if self.pointwise_activation_threshold is not None:
            below = contributions < self.pointwise_activation_threshold
            contributions = contributions.masked_fill(below, 0.0)
        return self._masked_sum(contributions, weights)


class SLayerRationalHat(_SLayerBase):
    r"""Rational "hat" structure elements: positive inside, negative around the centre.

    With :math:`\delta = \lVert p - c_j \rVert_1` and exponent :math:`q`:

    .. math::

        \mathrm{out}[b, j] = \sum_{p \in M_b}
            \frac{1}{(1 + \delta)^{q}} - \frac{1}{(1 + \big||r_j| - \delta\big|)^{q}}

    The element is positive for :math:`\delta < |r_j| / 2`, zero at :math:`\delta = |r_j| / 2`,
    negative beyond and tends to 0 far away.

    Args:
        n_elements: Number ``N`` of structure elements.
        point_dimension: Dimension ``D`` of the points.
        centers_init: Initial centres ``(N, D)``; default ``torch.rand(N, D)``.
        radius_init: Initial radius ``r``, a tensor ``(N,)`` or a number; default 1.
        exponent: The integer exponent ``q >= 1`` (fixed, not learned).

    Attributes:
        centers: Parameter ``(N, D)``.
        radius: Parameter ``(N,)``.
        norm_p: The norm used for :math:`\delta` (always 1).

    Shape:
        Input: list of ``B`` tensors :math:`(m_i, D)`, or the padded 4-tuple.
        Output: :math:`(B, N)` (never squeezed).

    Example:
        >>> import torch
        >>> from torchph_lite.nn import SLayerRationalHat
        >>> layer = SLayerRationalHat(2, centers_init=torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
        >>> layer([torch.tensor([[0.0, 0.0]])])
        tensor([[ 0.5000, -0.1667]], grad_fn=<SumBackward1>)
    """

    def __init__(
        self,
        n_elements: int,
        point_dimension: int = 2,
        centers_init: torch.Tensor | None = None,
        radius_init: torch.Tensor | float = 1,
        exponent: int = 1,
    ) -> None:
        super().__init__(n_elements, point_dimension)
        self.exponent = _positive_int(exponent, "exponent")
        self.norm_p = 1
        factory = resolve_factory_kwargs(centers_init=centers_init, radius_init=radius_init)
        n, dim = self.n_elements, self.point_dimension
        self.centers = nn.Parameter(
            parameter_init_from_arg(
                centers_init, (n, dim), torch.rand, name="centers_init", **factory
            )
        )
        self.radius = nn.Parameter(
            parameter_init_from_arg(
                radius_init, (n,), torch.ones, scalar_is_valid=True, name="radius_init", **factory
            )
        )

    def forward(self, input: Any) -> torch.Tensor:
        points, weights = self._padded_input(input)
        distances = weighted_l1_distances(points, self.centers)
        radius = self.radius.abs()
        inner = (1.0 + distances).pow(-self.exponent)
        outer = (1.0 + (radius - distances).abs()).pow(-self.exponent)
        return self._masked_sum(inner - outer, weights)
