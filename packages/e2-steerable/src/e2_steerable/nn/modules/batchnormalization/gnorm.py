""":class:`GNormBatchNorm`: batch normalization of generic fields, irrep by irrep."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from e2_steerable.group.representation import Representation
from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import require_field_type
from e2_steerable.nn.modules._fields import E2cnnStateMixin, keyed_runs
from e2_steerable.nn.modules.batchnormalization._stats import check_bn_args, update_running
from e2_steerable.nn.modules.equivariant_module import EquivariantModule

__all__ = ["GNormBatchNorm"]


def _key(name: str) -> str:
    """A representation name usable in a state-dict key (no dots)."""
    return name.replace(".", ",")


class GNormBatchNorm(E2cnnStateMixin, EquivariantModule):
    r"""Batch normalization of any fields, irrep by irrep.

    Each field is expressed in its irrep basis :math:`y = Q^{-1} v`. The components of trivial
    irreps are centred by their mean; every irrep component :math:`y_i` (of size :math:`d_i`) is
    divided by :math:`\sqrt{\sigma_i^2 + \epsilon}` with :math:`\sigma_i^2 = \mathbb{E}\|y_i -
    \mu_i\|^2 / d_i`, scaled by a learnable weight, and trivial components get a learnable bias;
    the result is mapped back with :math:`Q`. Fields containing trivial irreps (e.g. regular
    ones) are supported. In training the batch statistics are used; the running ones are updated
    with the unbiased variance. Buffers and parameters are kept per representation with e2cnn's
    names (``'<repr>_running_var'`` of shape ``(fields, irreps)``, ``'<repr>_running_mean'``,
    ``'<repr>_weight'``, ``'<repr>_bias'``).

    Args:
        in_type: the input field type (also the output type).
        eps: added to the variances.
        momentum: factor of the running-statistics update; ``None`` for a cumulative average.
        affine: learn the per-irrep scales and the trivial biases.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, GNormBatchNorm
        >>> gs = gspaces.Rot2dOnR2(4)
        >>> bn = GNormBatchNorm(FieldType(gs, [gs.regular_repr, gs.irrep(1)]))
        >>> tuple(bn.regular_running_var.shape), tuple(bn.regular_running_mean.shape)
        ((1, 3), (1, 1))
        >>> bn(GeometricTensor(torch.randn(4, 6, 5, 5), bn.in_type)).shape
        torch.Size([4, 6, 5, 5])
    """

    num_batches_tracked: torch.Tensor

    def __init__(
        self,
        in_type: FieldType,
        eps: float = 1e-05,
        momentum: float | None = 0.1,
        affine: bool = True,
    ) -> None:
        super().__init__()
        name = "GNormBatchNorm"
        require_field_type(name, in_type)
        self.eps, self.momentum = check_bn_args(name, eps, momentum)
        self.in_type = in_type
        self.out_type = in_type
        self.affine = bool(affine)
        group = in_type.fibergroup
        names = [_key(r.name) for r in in_type.representations]
        reps: dict[str, Representation] = {}
        for key, rep in zip(names, in_type.representations):
            reps.setdefault(key, rep)
        counts = {k: names.count(k) for k in reps}
        self._keys = list(reps)
        self._identity_basis: dict[str, bool] = {}
        legacy: list[str] = []
        for key, rep in reps.items():
            irreps = [group._irreps[i] if isinstance(i, str) else i for i in rep.irreps]
            sizes = [int(irr.size) for irr in irreps]
            starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
            trivial = [int(starts[j]) for j, irr in enumerate(irreps) if irr.is_trivial()]
            aggregate = torch.zeros(rep.size, len(irreps), dtype=torch.float64)
            for j, s in enumerate(sizes):
                aggregate[starts[j] : starts[j + 1], j] = 1.0 / s
            select = torch.zeros(rep.size, len(trivial), dtype=torch.float64)
            for t, c in enumerate(trivial):
                select[c, t] = 1.0
            dtype = torch.get_default_dtype()
            self.register_buffer(f"_aggregate_{key}", aggregate.to(dtype), persistent=False)
            self.register_buffer(f"_propagate_{key}", (aggregate > 0).to(dtype), persistent=False)
            self.register_buffer(f"_trivial_{key}", select.to(dtype), persistent=False)
            q = np.asarray(rep.change_of_basis, dtype=np.float64)
            q_inv = np.asarray(rep.change_of_basis_inv, dtype=np.float64)
            self._identity_basis[key] = bool(np.allclose(q, np.eye(rep.size)))
            self.register_buffer(f"_basis_{key}", torch.tensor(q, dtype=dtype), persistent=False)
            self.register_buffer(
                f"_basis_inv_{key}", torch.tensor(q_inv, dtype=dtype), persistent=False
            )
            n = counts[key]
            self.register_buffer(f"{key}_running_var", torch.ones(n, len(irreps)))
            self.register_buffer(f"{key}_running_mean", torch.zeros(n, len(trivial)))
            if self.affine:
                self.register_parameter(f"{key}_weight", nn.Parameter(torch.ones(n, len(irreps))))
                self.register_parameter(f"{key}_bias", nn.Parameter(torch.zeros(n, len(trivial))))
            legacy += [
                f"{key}_indices",
                f"{key}_change_of_basis",
                f"{key}_change_of_basis_inv",
                f"vars_aggregator_{key}",
                f"vars_propagator_{key}",
            ]
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        self._runs = [
            (str(r.key), r.channel_start, r.channel_end, r.rank, r.rank + r.nfields)
            for r in keyed_runs(in_type, names)
        ]
        self._sizes = {k: int(r.size) for k, r in reps.items()}
        self._legacy_keys = tuple(legacy)

    def reset_running_stats(self) -> None:
        """Reset the running variances to 1, the means to 0 and the batch counter to 0."""
        for k in self._keys:
            getattr(self, f"{k}_running_var").fill_(1.0)
            getattr(self, f"{k}_running_mean").zero_()
        self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics, the scales to 1 and the biases to 0."""
        self.reset_running_stats()
        if self.affine:
            for k in self._keys:
                nn.init.ones_(getattr(self, f"{k}_weight"))
                nn.init.zeros_(getattr(self, f"{k}_bias"))

    def _to_irreps(self, key: str, fm: torch.Tensor) -> torch.Tensor:
        if self._identity_basis[key]:
            return fm
        return torch.einsum("ds,bnshw->bndhw", getattr(self, f"_basis_inv_{key}").to(fm.dtype), fm)

    def _from_irreps(self, key: str, fm: torch.Tensor) -> torch.Tensor:
        if self._identity_basis[key]:
            return fm
        return torch.einsum("ds,bnshw->bndhw", getattr(self, f"_basis_{key}").to(fm.dtype), fm)

    def _eval_affine(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The eval-mode map as a ``(C, C)`` block-diagonal matrix and a ``(C,)`` offset."""
        blocks: list[torch.Tensor] = []
        offsets: list[torch.Tensor] = []
        for key, _, _, f0, f1 in self._runs:
            propagate = getattr(self, f"_propagate_{key}")
            trivial = getattr(self, f"_trivial_{key}")
            q = getattr(self, f"_basis_{key}")
            q_inv = getattr(self, f"_basis_inv_{key}")
            var = getattr(self, f"{key}_running_var")[f0:f1]
            mean = getattr(self, f"{key}_running_mean")[f0:f1]
            scale = torch.rsqrt(var + self.eps)
            shift = -mean
            if self.affine:
                scale = scale * getattr(self, f"{key}_weight")[f0:f1]
            scale_ch = scale @ propagate.T  # (n, d)
            shift_ch = (shift @ trivial.T) * scale_ch
            if self.affine:
                shift_ch = shift_ch + getattr(self, f"{key}_bias")[f0:f1] @ trivial.T
            for i in range(f1 - f0):
                blocks.append(q @ torch.diag(scale_ch[i]) @ q_inv)
                offsets.append(q @ shift_ch[i])
        return torch.block_diag(*blocks), torch.cat(offsets)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Normalize every field of ``input`` irrep by irrep."""
        x = self._check_input(input).tensor
        if not self.training:
            matrix, offset = self._eval_affine()
            c = self.in_type.size
            out = F.conv2d(x, matrix.to(x.dtype).reshape(c, c, 1, 1), offset.to(x.dtype))
            return GeometricTensor(out, self.out_type)
        self.num_batches_tracked.add_(1)
        factor = self.momentum
        if factor is None:  # cumulative average (reads the counter)
            factor = 1.0 / float(self.num_batches_tracked)
        b, h, w = x.shape[0], x.shape[2], x.shape[3]
        count = b * h * w
        correction = count / (count - 1) if count > 1 else 1.0
        pieces = []
        for key, c0, c1, f0, f1 in self._runs:
            d = self._sizes[key]
            n = f1 - f0
            y = self._to_irreps(key, x[:, c0:c1].reshape(b, n, d, h, w))
            trivial = getattr(self, f"_trivial_{key}").to(y.dtype)
            propagate = getattr(self, f"_propagate_{key}").to(y.dtype)
            aggregate = getattr(self, f"_aggregate_{key}").to(y.dtype)
            mean = y.mean(dim=(0, 3, 4)) @ trivial  # (n, trivials)
            centred = y - (mean @ trivial.T).view(1, n, d, 1, 1)
            var = centred.pow(2).mean(dim=(0, 3, 4)) @ aggregate  # (n, irreps)
            update_running(getattr(self, f"{key}_running_var")[f0:f1], var * correction, factor)
            update_running(getattr(self, f"{key}_running_mean")[f0:f1], mean, factor)
            scale = torch.rsqrt(var + self.eps)
            if self.affine:
                scale = scale * getattr(self, f"{key}_weight")[f0:f1]
            out = centred * (scale @ propagate.T).view(1, n, d, 1, 1)
            if self.affine:
                bias = getattr(self, f"{key}_bias")[f0:f1] @ trivial.T
                out = out + bias.view(1, n, d, 1, 1)
            pieces.append(self._from_irreps(key, out).reshape(b, c1 - c0, h, w))
        result = pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)
        return GeometricTensor(result, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def export(self) -> nn.Conv2d:
        """The eval-mode map as a ``torch.nn.Conv2d`` with a 1x1 block-diagonal kernel."""
        self.eval()
        with torch.no_grad():
            matrix, offset = self._eval_affine()
        c = self.in_type.size
        conv = nn.Conv2d(c, c, 1).to(device=matrix.device, dtype=matrix.dtype)
        assert conv.bias is not None  # Conv2d has a bias by default
        with torch.no_grad():
            conv.weight.copy_(matrix.reshape(c, c, 1, 1))
            conv.bias.copy_(offset)
        return conv.eval()

    def extra_repr(self) -> str:
        return f"{self.in_type}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
