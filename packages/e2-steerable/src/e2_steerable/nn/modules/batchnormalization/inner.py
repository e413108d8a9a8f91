""":class:`InnerBatchNorm`: batch normalization with statistics shared inside each field."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.geometric_tensor import GeometricTensor
from e2_steerable.nn.modules._checks import field_runs, require_field_type, require_support
from e2_steerable.nn.modules.equivariant_module import EquivariantModule

__all__ = ["InnerBatchNorm"]


class InnerBatchNorm(EquivariantModule):
    """Batch normalization for permutation representations (regular, quotient, trivial).

    The channels of a field are permuted by the group, so they share one mean, one variance and
    one affine pair: the statistics of a field are taken over the batch, the spatial axes *and* its
    channels. Running statistics and affine parameters are stored per field.

    The state dict holds only ``weight``, ``bias`` (if ``affine``), ``running_mean``,
    ``running_var`` and ``num_batches_tracked`` (if ``track_running_stats``), in train and eval
    mode alike.

    Args:
        in_type: the input field type (also the output type); every field must support
            pointwise nonlinearities.
        eps: added to the variance for numerical stability (positive, finite).
        momentum: factor of the running-statistics update, in ``[0, 1]``; ``None`` for a
            cumulative average.
        affine: learn a per-field scale and shift.
        track_running_stats: keep running statistics and use them in eval mode; otherwise batch
            statistics are always used.

    Shape:
        - input: :math:`(B, C, *)`
        - output: same as input

    Example:
        >>> import torch
        >>> from e2_steerable import gspaces
        >>> from e2_steerable.nn import FieldType, GeometricTensor, InnerBatchNorm
        >>> gs = gspaces.Rot2dOnR2(8)
        >>> bn = InnerBatchNorm(FieldType(gs, [gs.regular_repr] * 3))
        >>> sorted(bn.state_dict())
        ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
        >>> bn.export()  # doctest: +ELLIPSIS
        BatchNorm2d(24, eps=1e-05, momentum=0.1, affine=True, ...track_running_stats=True)
    """

    def __init__(
        self,
        in_type: FieldType,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        require_field_type("InnerBatchNorm", in_type)
        require_support("InnerBatchNorm", in_type, "pointwise")
        self.in_type = in_type
        self.out_type = in_type
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0.0:
            raise ValueError(f"InnerBatchNorm: `eps` must be a positive float, got {eps!r}")
        if eps == float("inf"):
            raise ValueError(f"InnerBatchNorm: `eps` must be finite, got {eps!r}")
        if momentum is not None and (
            isinstance(momentum, bool)
            or not isinstance(momentum, (int, float))
            or not 0.0 <= momentum <= 1.0
        ):
            raise ValueError(
                f"InnerBatchNorm: `momentum` must be None or a float in [0, 1], got {momentum!r}"
            )
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self._runs = field_runs(in_type)
        n_fields = len(in_type)
        if self.affine:
            self.weight = nn.Parameter(torch.ones(n_fields))
            self.bias = nn.Parameter(torch.zeros(n_fields))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", torch.zeros(n_fields))
            self.register_buffer("running_var", torch.ones(n_fields))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    _e2cnn_derived_buffers = ("indices_",)

    weight: nn.Parameter | None
    bias: nn.Parameter | None
    running_mean: torch.Tensor | None
    running_var: torch.Tensor | None
    num_batches_tracked: torch.Tensor | None

    def _translate_foreign_state(self, state_dict: dict[str, Any], prefix: str) -> None:
        """Accept e2cnn's layout: one ``batch_norm_[<size>]`` per field size, plus ``indices_*``.

        e2cnn keeps a ``BatchNorm3d`` per distinct field size, over the fields of that size in
        order of appearance; here they become the per-field vectors.
        """
        super()._translate_foreign_state(state_dict, prefix)  # drops e2cnn's `indices_<size>`
        foreign = [k for k in state_dict if k.startswith(f"{prefix}batch_norm_[")]
        if not foreign:
            return
        sizes = self.in_type.sizes
        by_size: dict[int, list[int]] = {}
        for field, size in enumerate(sizes):
            by_size.setdefault(size, []).append(field)
        merged: dict[str, torch.Tensor] = {}
        for name in ("weight", "bias", "running_mean", "running_var"):
            parts = {s: state_dict.pop(f"{prefix}batch_norm_[{s}].{name}", None) for s in by_size}
            if all(v is None for v in parts.values()):
                continue
            out = torch.empty(
                len(sizes), dtype=next(v for v in parts.values() if v is not None).dtype
            )
            for s, fields in by_size.items():
                value = parts[s]
                if value is None or value.shape != (len(fields),):
                    raise ValueError(
                        f"InnerBatchNorm: e2cnn entry {prefix}batch_norm_[{s}].{name} must hold "
                        f"{len(fields)} values (fields of size {s}), got "
                        f"{None if value is None else tuple(value.shape)}"
                    )
                out[fields] = value
            merged[name] = out
        counts = [
            state_dict.pop(f"{prefix}batch_norm_[{s}].num_batches_tracked", None) for s in by_size
        ]
        counts = [c for c in counts if c is not None]
        for name, value in merged.items():
            state_dict[f"{prefix}{name}"] = value
        if counts:
            state_dict[f"{prefix}num_batches_tracked"] = max(counts, key=int)

    def reset_running_stats(self) -> None:
        """Reset the running statistics to mean 0, variance 1, no batches seen."""
        if self.running_mean is not None:
            assert self.running_var is not None
            assert self.num_batches_tracked is not None
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics and the affine parameters to the identity."""
        self.reset_running_stats()
        if self.weight is not None and self.bias is not None:
            nn.init.ones_(self.weight)
            nn.init.zeros_(self.bias)

    def forward(self, input: GeometricTensor) -> GeometricTensor:
        """Normalize ``input`` field-wise.

        Args:
            input: geometric tensor of type :attr:`~e2_steerable.nn.EquivariantModule.in_type`.

        Returns:
            The normalized geometric tensor, of the same type.
        """
        x = self._check_input(input).tensor
        if not self.training and self.running_mean is not None and self.running_var is not None:
            # Running statistics: one per-channel affine map, computed exactly as the exported
            # BatchNorm2d computes it (so the two agree bit for bit).
            out = F.batch_norm(
                x,
                self._per_channel(self.running_mean),
                self._per_channel(self.running_var),
                None if self.weight is None else self._per_channel(self.weight),
                None if self.bias is None else self._per_channel(self.bias),
                False,
                0.0,
                self.eps,
            )
            return GeometricTensor(out, self.out_type)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative average (reads the counter: not compiled)
                factor = 1.0 / float(self.num_batches_tracked)
        pieces = []
        for f0, f1, c0, s in self._runs:
            # the channels of a field become a new axis, so statistics pool over them too
            grouped = x[:, c0 : c0 + (f1 - f0) * s].unflatten(1, (f1 - f0, s))
            normed = F.batch_norm(
                grouped,
                None if self.running_mean is None else self.running_mean[f0:f1],
                None if self.running_var is None else self.running_var[f0:f1],
                None if self.weight is None else self.weight[f0:f1],
                None if self.bias is None else self.bias[f0:f1],
                True,
                factor,
                self.eps,
            )
            pieces.append(normed.flatten(1, 2))
        out = pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)
        return GeometricTensor(out, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape equals the input shape."""
        return self._check_input_shape(input_shape)

    def _per_channel(self, values: torch.Tensor) -> torch.Tensor:
        """Repeat a per-field vector once per channel of each field (Python-int bounds only)."""
        pieces = [values[f0:f1].repeat_interleave(s) for f0, f1, _, s in self._runs]
        return pieces[0] if len(pieces) == 1 else torch.cat(pieces)

    def export(self) -> nn.BatchNorm2d:
        """The equivalent ``torch.nn.BatchNorm2d`` (in eval mode).

        Its statistics and affine parameters are per-channel copies of the per-field ones.

        Raises:
            NotImplementedError: if ``track_running_stats`` is ``False``.
        """
        if not self.track_running_stats:
            raise NotImplementedError(
                "InnerBatchNorm.export: with track_running_stats=False the statistics are pooled "
                "over each field's channels at run time, which BatchNorm2d cannot express"
            )
        self.eval()
        ref = self.running_mean
        assert ref is not None
        assert self.running_var is not None
        assert self.num_batches_tracked is not None
        bn = nn.BatchNorm2d(
            self.in_type.size,
            eps=self.eps,
            momentum=self.momentum,
            affine=self.affine,
            track_running_stats=self.track_running_stats,
            device=ref.device,
            dtype=ref.dtype,
        )
        with torch.no_grad():
            if self.weight is not None and self.bias is not None:
                bn.weight.copy_(self._per_channel(self.weight.detach()))
                bn.bias.copy_(self._per_channel(self.bias.detach()))
            assert bn.running_mean is not None
            assert bn.running_var is not None
            assert bn.num_batches_tracked is not None
            bn.running_mean.copy_(self._per_channel(ref))
            bn.running_var.copy_(self._per_channel(self.running_var))
            bn.num_batches_tracked.copy_(self.num_batches_tracked)
        return bn.eval()

    def extra_repr(self) -> str:
        return (
            f"{self.in_type}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )
