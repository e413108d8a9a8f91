"""The abstract :class:`BasisExpansion`: turns learnable coefficients into a sampled filter."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

__all__ = ["BasisExpansion"]


class BasisExpansion(ABC, nn.Module):
    """Interface of the basis expansion algorithms used by the steerable convolutions.

    A basis expansion owns a (sampled) basis of equivariant kernels and maps a vector of
    coefficients (one per basis element) to the filter ``sum_b w_b K_b``.
    """

    @abstractmethod
    def forward(self, weights: torch.Tensor) -> torch.Tensor:
        """Expand ``weights`` (one coefficient per basis element) into a filter."""

    @abstractmethod
    def get_basis_names(self) -> list[str]:
        """Identification names of the basis elements, one per coefficient."""

    @abstractmethod
    def get_element_info(self, name: str | int) -> dict[str, Any]:
        """Attributes of one basis element, by name or by index."""

    @abstractmethod
    def get_basis_info(self) -> Iterator[dict[str, Any]]:
        """Attributes of every basis element, in coefficient order."""

    @abstractmethod
    def dimension(self) -> int:
        """Number of basis elements (= number of coefficients)."""
