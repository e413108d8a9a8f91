"""The vendored padding/grid helper behaves identically in every package that ships it."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

VENDORING = ["semiconv_nd", "e2_steerable"]


def _grids() -> list:
    return [importlib.import_module(f"{module}._vendor.grid") for module in VENDORING]


def test_copies_are_distinct_modules_with_equal_source() -> None:
    grids = _grids()
    assert len({g.__name__ for g in grids}) == len(grids)
    sources = set()
    for g in grids:
        with open(g.__file__, encoding="utf-8") as f:
            sources.add("".join(line for line in f if not line.startswith("#")))
    assert len(sources) == 1


@settings(max_examples=60, deadline=None)
@given(
    ndim=st.integers(1, 3),
    kernel=st.integers(1, 6),
    dilation=st.integers(1, 3),
    stride=st.integers(1, 3),
    size=st.integers(1, 16),
    padding=st.one_of(st.integers(0, 3), st.sampled_from(["same", "valid"])),
)
def test_same_answers_everywhere(
    ndim: int, kernel: int, dilation: int, stride: int, size: int, padding: object
) -> None:
    answers = []
    for g in _grids():
        pads = g.resolve_padding(padding, kernel, dilation, ndim=ndim)
        try:
            out = g.output_size(size, kernel, stride, padding, dilation, ndim=ndim)
        except ValueError as error:
            out = str(error)
        points = g.kernel_grid(kernel, dilation, ndim=ndim)
        answers.append((pads, out, points.tobytes()))
    assert all(a == answers[0] for a in answers)


@pytest.mark.parametrize("module", VENDORING)
def test_bad_input_raises_the_same_errors(module: str) -> None:
    g = importlib.import_module(f"{module}._vendor.grid")
    with pytest.raises(ValueError, match="'valid' or 'same'"):
        g.resolve_padding("full", 3, ndim=2)
    assert np.array_equal(g.kernel_offsets(3, origin="same", ndim=1).ravel(), [-1, 0, 1])
