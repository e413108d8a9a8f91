"""Module-level semifields and helpers for the serialization tests (importable by a new process)."""

from __future__ import annotations

import math

import torch
from torch import nn

import semiconv_nd as semiconv


def max_select(acc: float, val: float) -> bool:
    return acc < val


def plus(img_val: float, kernel_val: float) -> float:
    return img_val + kernel_val


def one(img_val: float, kernel_val: float) -> float:
    return 1.0


def add(acc: float, val: float) -> float:
    return acc + val


def sub(res: float, val: float) -> float:
    return res - val


def times(img_val: float, kernel_val: float) -> float:
    return img_val * kernel_val


def first(img_val: float, kernel_val: float) -> float:
    return img_val


def second(img_val: float, kernel_val: float) -> float:
    return kernel_val


def user_select(cache_name: str | None = "serialization_user_max") -> semiconv.SelectSemifield:
    """A user-defined tropical max from module-level functions."""
    return semiconv.SelectSemifield(max_select, plus, one, one, -math.inf, cache_name)


def user_subtract(
    cache_name: str | None = "serialization_user_linear",
) -> semiconv.SubtractSemifield:
    """A user-defined linear semifield from module-level functions."""
    return semiconv.SubtractSemifield(add, times, second, first, sub, one, 0.0, cache_name)


BUILTIN_SEMIFIELDS = {
    "tropical_max": semiconv.SelectSemifield.tropical_max,
    "tropical_min": semiconv.SelectSemifield.tropical_min_negated,
    "linear": semiconv.SubtractSemifield.linear,
    "root": lambda: semiconv.SubtractSemifield.root(3.0),
    "log": lambda: semiconv.SubtractSemifield.log(-0.5),
}


def model(semifields: list, lazy: bool = False) -> nn.Sequential:
    """One GenericConv (2 channels, positive 3x3 kernel, same padding) per semifield."""
    layers = []
    for semifield in semifields:
        module = semifield.lazy_fixed() if lazy else semifield.dynamic()
        kernel = semiconv.LearnedKernel2D(2, 2, 3)
        with torch.no_grad():  # positive kernels keep root and log finite
            for parameter in kernel.parameters():
                parameter.abs_().add_(0.1)
        layers.append(semiconv.GenericConv(kernel, module, padding="same"))
    return nn.Sequential(*layers)


def model_input() -> torch.Tensor:
    """A positive input (root and log need no special care with it)."""
    return torch.linspace(0.5, 1.5, 2 * 2 * 6 * 6).reshape(2, 2, 6, 6)


def run(net: nn.Module) -> torch.Tensor:
    """Forward and backward; returns the output and the first kernel's gradient, concatenated."""
    net.zero_grad()
    out = net(model_input())
    out.square().sum().backward()
    first_weight = next(net.parameters())
    return torch.cat([out.detach().reshape(-1), first_weight.grad.reshape(-1)])
