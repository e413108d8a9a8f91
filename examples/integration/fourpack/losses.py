"""The training objective: cross-entropy, the hourglass regulariser and a connectivity loss."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from hourglass_layer import regularization_loss


def connectivity_loss(death_times: list[torch.Tensor], eta: float) -> torch.Tensor:
    r"""Mean over the batch of :math:`\sum_t |\eta - \varepsilon_t|` (Hofer et al., ICML 2019).

    Args:
        death_times: Per sample, the 0-dimensional death times :math:`\varepsilon_t` of its cloud.
        eta: Target scale of the connectivity.

    Returns:
        A 0-dim tensor. Every sample contributes independently, so the mean over a batch split
        across DDP ranks equals the mean over the concatenated batch.
    """
    terms = [(eta - deaths).abs().sum() for deaths in death_times]
    return torch.stack(terms).mean()


def training_loss(
    model: nn.Module,
    logits: torch.Tensor,
    labels: torch.Tensor,
    death_times: list[torch.Tensor],
    eta: float = 1.0,
    connectivity_weight: float = 0.01,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy + hourglass regulariser + weighted connectivity loss, and its parts."""
    cross_entropy = F.cross_entropy(logits, labels)
    regulariser = regularization_loss(model)
    connectivity = connectivity_loss(death_times, eta)
    total = cross_entropy + regulariser + connectivity_weight * connectivity
    parts = {
        "cross_entropy": cross_entropy.item(),
        "hourglass": regulariser.item(),
        "connectivity": connectivity.item(),
    }
    return total, parts
