"""Argument checks shared by the dropout modules."""

from __future__ import annotations

__all__ = ["check_probability"]


def check_probability(module: str, p: object) -> float:
    """``p`` as a float in ``[0, 1)``."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        raise ValueError(f"{module}: `p` must be a probability in [0, 1), got {p!r}")
    return float(p)
