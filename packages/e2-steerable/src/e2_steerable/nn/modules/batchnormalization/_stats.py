"""Argument checks and running-statistics updates shared by the batch normalizations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from e2_steerable.nn.field_type import FieldType

__all__ = ["check_bn_args", "reject_trivial_fields", "update_running"]


def check_bn_args(module: str, eps: object, momentum: object) -> tuple[float, float | None]:
    """``(eps, momentum)`` validated: ``eps > 0`` and ``momentum`` in ``[0, 1]`` or ``None``."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ValueError(f"{module}: `eps` must be a positive number, got {eps!r}")
    if momentum is not None and (
        isinstance(momentum, bool)
        or not isinstance(momentum, (int, float))
        or not 0.0 <= momentum <= 1.0
    ):
        raise ValueError(f"{module}: `momentum` must be in [0, 1] or None, got {momentum!r}")
    return float(eps), None if momentum is None else float(momentum)


def update_running(running: torch.Tensor, batch: torch.Tensor, factor: float) -> None:
    """``running <- (1 - factor) running + factor batch`` in place (no gradient)."""
    with torch.no_grad():
        running.mul_(1.0 - factor).add_(batch.detach().to(running.dtype), alpha=factor)


def reject_trivial_fields(module: str, in_type: FieldType, alternative: str) -> None:
    """Raise ``ValueError`` if a field of ``in_type`` contains a trivial irrep (its mean need not
    vanish); the message suggests ``alternative``."""
    for i, rep in enumerate(in_type.representations):
        if rep.contains_trivial():
            raise ValueError(
                f"{module}: field {i} ('{rep.name}') contains a trivial irrep, so its mean "
                f"need not vanish; use {alternative} for it"
            )
