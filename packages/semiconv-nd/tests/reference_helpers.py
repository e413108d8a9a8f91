"""Helpers to run the original ``pytorch_nd_semiconv`` package as a test oracle.

The original is a test-only dependency (``pytorch-nd-semiconv==0.1.2``). Its
``BroadcastSemifield`` runs on CPU; its compiled semifields need CUDA. Tests that use it call
:func:`reference_module` (skipping when it is not installed) and compare in float32/float64.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

#: Semifield constructors by name, with the arguments used in the tests.
SEMIFIELDS: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "tropical_max": ("tropical_max", (), {}),
    "tropical_max_channels_add": ("tropical_max", (), {"channels_add": True}),
    "tropical_max_spread": ("tropical_max", (), {"spread_gradient": True}),
    "tropical_max_channels_add_spread": (
        "tropical_max",
        (),
        {"channels_add": True, "spread_gradient": True},
    ),
    "tropical_min_negated": ("tropical_min_negated", (), {}),
    "tropical_min_channels_add": ("tropical_min_negated", (), {"channels_add": True}),
    "tropical_min_spread": ("tropical_min_negated", (), {"spread_gradient": True}),
    "linear": ("linear", (), {}),
    "root_3": ("root", (3.0,), {}),
    "root_0.5": ("root", (0.5,), {}),
    "log_1": ("log", (1.0,), {}),
    "log_-2": ("log", (-2.0,), {}),
}

#: Semifields whose values must be positive (root semifields).
POSITIVE_DOMAIN = {"root_3", "root_0.5"}


def original_package() -> Any:
    """Import the original package or skip the calling test."""
    return pytest.importorskip("pytorch_nd_semiconv")


def reference_module(name: str) -> torch.nn.Module:
    """The original's ``BroadcastSemifield.<name>(...).dynamic()`` module."""
    package = original_package()
    ctor, args, kwargs = SEMIFIELDS[name]
    return getattr(package.BroadcastSemifield, ctor)(*args, **kwargs).dynamic()


def our_module(name: str) -> torch.nn.Module:
    """Our ``BroadcastSemifield.<name>(...).dynamic()`` module."""
    import semiconv_nd

    ctor, args, kwargs = SEMIFIELDS[name]
    return getattr(semiconv_nd.BroadcastSemifield, ctor)(*args, **kwargs).dynamic()


def tie_free_inputs(
    shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    positive: bool,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random image and kernel whose window values are tie-free with probability one.

    Root semifields get values in ``[0.5, 1.5]`` so that powers stay well conditioned.
    """
    img = torch.rand(shape, dtype=torch.float64)
    kernel = torch.rand(kernel_shape, dtype=torch.float64)
    if positive:
        img, kernel = img + 0.5, kernel + 0.5
    else:
        img, kernel = 4 * img - 2, 4 * kernel - 2
    return img.to(dtype=dtype, device=device), kernel.to(dtype=dtype, device=device)


def run_with_grads(
    module: torch.nn.Module, img: torch.Tensor, kernel: torch.Tensor, **kwargs: Any
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Output and gradients (image, kernel) of ``sum(out * w)`` for a fixed random ``w``."""
    img = img.detach().clone().requires_grad_(True)
    kernel = kernel.detach().clone().requires_grad_(True)
    out = module(img, kernel, **kwargs)
    weights = torch.linspace(-1.0, 1.0, out.numel(), dtype=out.dtype, device=out.device)
    (out * weights.view(out.shape)).sum().backward()
    return out.detach(), img.grad, kernel.grad
