"""Property tests of L_h: invariances that follow from its definition."""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hourglass_layer import SPECTRAL_STRATEGIES, hourglass_penalty

shapes = st.tuples(st.integers(1, 10), st.integers(1, 8))
seeds = st.integers(0, 2**31 - 1)


def random_weights(shape: tuple[int, int], seed: int) -> torch.Tensor:
    return torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


@settings(max_examples=30, deadline=None)
@given(
    shape=shapes,
    seed=seeds,
    log_scale=st.floats(-6, 6),
    strategy=st.sampled_from(["unsafe", "safe"]),
)
def test_doc_formula_is_scale_invariant(shape, seed, log_scale, strategy):
    W1 = random_weights(shape, seed)
    scaled = hourglass_penalty(W1 * 10.0**log_scale, strategy)
    torch.testing.assert_close(scaled, hourglass_penalty(W1, strategy), rtol=1e-8, atol=1e-8)


@settings(max_examples=30, deadline=None)
@given(shape=shapes, seed=seeds, strategy=st.sampled_from(SPECTRAL_STRATEGIES))
def test_invariant_under_rotations_of_the_input_space(shape, seed, strategy):
    W1 = random_weights(shape, seed)
    q, _ = torch.linalg.qr(random_weights((shape[0], shape[0]), seed + 1))
    for normalization in ("squared", "vl3d"):
        torch.testing.assert_close(
            hourglass_penalty(q @ W1, strategy, normalization),
            hourglass_penalty(W1, strategy, normalization),
            rtol=1e-8,
            atol=1e-8,
        )


@settings(max_examples=30, deadline=None)
@given(shape=shapes, seed=seeds, strategy=st.sampled_from(SPECTRAL_STRATEGIES))
def test_bounds(shape, seed, strategy):
    """sqrt(max(Dh - Din, 0)) <= L_h <= sqrt(Dh - 1) under the doc formula."""
    din, dh = shape
    value = hourglass_penalty(random_weights(shape, seed), strategy).item()
    assert value >= math.sqrt(max(dh - din, 0)) - 1e-8
    assert value <= math.sqrt(dh - 1) + 1e-8
