"""Steerable convolutions on the plane and the basis expansions behind them."""

from e2_steerable.nn.modules.r2_conv.basis_params import compute_basis_params
from e2_steerable.nn.modules.r2_conv.basisexpansion import BasisExpansion
from e2_steerable.nn.modules.r2_conv.basisexpansion_blocks import BlocksBasisExpansion
from e2_steerable.nn.modules.r2_conv.basisexpansion_singleblock import (
    SingleBlockBasisExpansion,
    block_basisexpansion,
)
from e2_steerable.nn.modules.r2_conv.r2convolution import R2Conv
from e2_steerable.nn.modules.r2_conv.r2convolution_transposed import R2ConvTransposed

__all__ = [
    "BasisExpansion",
    "BlocksBasisExpansion",
    "R2Conv",
    "R2ConvTransposed",
    "SingleBlockBasisExpansion",
    "block_basisexpansion",
    "compute_basis_params",
]

from e2_steerable.nn.modules.r2_conv.r2diffop import R2Diffop

__all__ += ["R2Diffop"]
