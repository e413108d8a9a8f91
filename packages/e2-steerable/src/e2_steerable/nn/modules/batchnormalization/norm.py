""":class:`NormBatchNorm`: batch normalization of the norms of zero-mean fields."""

from __future__ import annotations

from collections.abc import Hashable

import torch
import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type, require_support
from e2_steerable.nn.modules._fields import E2cnnStateMixin, keyed_runs
from e2_steerable.nn.modules.batchnormalization._stats import (
    check_bn_args,
    reject_trivial_fields,
    update_running,
)
from e2_steerable.nn.modules.equivariant_module import EquivariantModule

__all__ = ["NormBatchNorm"]


class NormBatchNorm(E2cnnStateMixin, EquivariantModule):
    r"""Batch normalization of fields whose representation contains no trivial irrep.

    Such fields average to zero over the group, so only their scale is normalized: each field
    :math:`v` (of size :math:`d`) becomes :math:`w\, v / \sqrt{\sigma^2 + \epsilon}` with
    :math:`\sigma^2 = \mathbb{E}\|v\|^2 / d` over the batch and the pixels, and a learnable
    per-field scale :math:`w`. In training the batch statistics are used (like
    ``torch.nn.BatchNorm2d``; e2cnn 0.2.3 normalized with the just-updated running estimate);
    the running variance is updated with the unbiased estimate. Buffers and parameters are
    grouped by field size with e2cnn's names (``'<size>_running_var'``, ``'<size>_weight'``), so
    e2cnn checkpoints load.

    Args:
        in_type: the input field type (also the output type); no field may contain a trivial
            irrep, and all must support ``'norm'``.
        eps: added to the variance.
        momentum: factor of the running-statistics update; ``None`` for a cumulative average.
        affine: learn the per-field scale.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, NormBatchNorm
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> bn = NormBatchNorm(FieldType(gs, [gs.irrep(1), gs.irrep(2), gs.irrep(1)]))
        >>> sorted(bn.state_dict())
        ['2_running_var', '2_weight', 'num_batches_tracked']
        >>> bn(GeometricTensor(torch.randn(4, 6, 5, 5), bn.in_type)).shape
        torch.Size([4, 6, 5, 5])
    """

    _stat_dims = 3
    num_batches_tracked: torch.Tensor

    def __init__(
        self,
        in_type: FieldType,
        eps: float = 1e-05,
        momentum: float | None = 0.1,
        affine: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        require_field_type(name, in_type)
        self.eps, self.momentum = check_bn_args(name, eps, momentum)
        self._check_fields(in_type)
        self.in_type = in_type
        self.out_type = in_type
        self.affine = bool(affine)
        keys, split = self._field_keys(in_type)
        counts: dict[Hashable, int] = {}
        for k in keys:
            counts[k] = counts.get(k, 0) + 1
        self._keys = list(counts)  # first-appearance order, as e2cnn registers them
        # (prefix of the key's tensors, first channel, end channel, sub-fields, sub-field size,
        #  first field in the key's tensors, end field)
        self._runs = [
            (str(r.key), r.channel_start, r.channel_end, *split[r.key], r.rank, r.rank + r.nfields)
            for r in keyed_runs(in_type, keys)
        ]
        shape_tail = (1,) * self._stat_dims
        for k, n in counts.items():
            self.register_buffer(f"{k}_running_var", torch.ones((1, n, *shape_tail)))
            if self.affine:
                self.register_parameter(
                    f"{k}_weight", nn.Parameter(torch.ones((1, n, *shape_tail)))
                )
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        self._legacy_keys = tuple(f"{k}_indices" for k in self._keys)

    def _check_fields(self, in_type: FieldType) -> None:
        name = type(self).__name__
        require_support(name, in_type, "norm")
        reject_trivial_fields(name, in_type, "GNormBatchNorm (or InnerBatchNorm)")

    def _field_keys(
        self, in_type: FieldType
    ) -> tuple[list[Hashable], dict[Hashable, tuple[int, int]]]:
        """Per-field key and, per key, ``(sub-fields, sub-field size)``."""
        sizes = list(in_type._sizes)
        return sizes, {s: (1, s) for s in sizes}  # type: ignore[return-value]

    def reset_running_stats(self) -> None:
        """Reset the running variances to 1 and the batch counter to 0."""
        for k in self._keys:
            getattr(self, f"{k}_running_var").fill_(1.0)
        self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics and the scales to 1."""
        self.reset_running_stats()
        if self.affine:
            for k in self._keys:
                nn.init.ones_(getattr(self, f"{k}_weight"))

    def _field_values(self, suffix: str) -> list[torch.Tensor]:
        return [
            getattr(self, f"{key}_{suffix}").reshape(-1)[f0:f1]
            for key, _, _, _, _, f0, f1 in self._runs
        ]

    def _per_channel(self, values: list[torch.Tensor]) -> torch.Tensor:
        pieces = [
            v.repeat_interleave(q * d) for v, (_, _, _, q, d, _, _) in zip(values, self._runs)
        ]
        return pieces[0] if len(pieces) == 1 else torch.cat(pieces)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Normalize the scale of every field of ``input``."""
        x = self._check_input(input).tensor
        weights = self._field_values("weight") if self.affine else None
        if not self.training:
            var = self._per_channel(self._field_values("running_var"))
            out = F.batch_norm(
                x,
                torch.zeros_like(var),
                var,
                None if weights is None else self._per_channel(weights),
                None,
                False,
                0.0,
                self.eps,
            )
            return GeometricTensor(out, self.out_type)
        self.num_batches_tracked.add_(1)
        factor = self.momentum
        if factor is None:  # cumulative average (reads the counter)
            factor = 1.0 / float(self.num_batches_tracked)
        b, h, w = x.shape[0], x.shape[2], x.shape[3]
        pieces = []
        for i, (_, c0, c1, q, d, _, _) in enumerate(self._runs):
            n = (c1 - c0) // (q * d)
            fm = x[:, c0:c1].reshape(b, n, q, d, h, w)
            var = fm.pow(2).sum(dim=3).mean(dim=(0, 2, 3, 4)) / d
            count = b * q * h * w
            update_running(
                self._field_values("running_var")[i],
                var * (count / (count - 1) if count > 1 else 1.0),
                factor,
            )
            scale = torch.rsqrt(var + self.eps)
            if weights is not None:
                scale = scale * weights[i]
            pieces.append((fm * scale.view(1, n, 1, 1, 1, 1)).reshape(b, c1 - c0, h, w))
        out = pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def export(self) -> nn.BatchNorm2d:
        """An equivalent ``torch.nn.BatchNorm2d`` in eval mode (zero means, per-channel copies of
        the per-field variances and scales)."""
        self.eval()
        var = self._per_channel(self._field_values("running_var")).detach()
        bn = nn.BatchNorm2d(
            self.in_type.size, eps=self.eps, momentum=self.momentum, affine=True
        ).to(device=var.device, dtype=var.dtype)
        # BatchNorm2d tracks running statistics by default, so its buffers are tensors
        assert bn.running_var is not None
        assert bn.running_mean is not None
        assert bn.num_batches_tracked is not None
        with torch.no_grad():
            bn.running_var.copy_(var)
            bn.running_mean.zero_()
            if self.affine:
                bn.weight.copy_(self._per_channel(self._field_values("weight")))
            bn.bias.zero_()
            bn.num_batches_tracked.copy_(self.num_batches_tracked)
        return bn.eval()

    def extra_repr(self) -> str:
        return f"{self.in_type}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
