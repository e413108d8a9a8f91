"""e2cnn's composable kernel bases (PolarBasis & co.): same elements, same values, same layout."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pytest

from e2_steerable import gspaces
from e2_steerable import kernels as our_kernels
from e2_steerable.kernels import (
    EmptyBasisException,
    GaussianRadialProfile,
    PolarBasis,
    SteerableKernelBasis,
    irreps_basis,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # e2cnn on torch 2


def _points(size: int = 5) -> np.ndarray:
    c = (size - 1) / 2
    ys, xs = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    return np.stack([(xs - c).ravel(), (c - ys).ravel()]).astype(np.float64)  # (2, N)


CASES = [
    (
        "C",
        lambda g: g.Rot2dOnR2(8),
        lambda gs: (gs.regular_repr, gs.irrep(1)),
        {"max_frequency": 3},
    ),
    (
        "D",
        lambda g: g.FlipRot2dOnR2(4),
        lambda gs: (gs.regular_repr, gs.regular_repr),
        {"max_frequency": 2},
    ),
    (
        "SO2",
        lambda g: g.Rot2dOnR2(-1, maximum_frequency=3),
        lambda gs: (gs.irrep(1), gs.irrep(2)),
        {},
    ),
    (
        "O2",
        lambda g: g.FlipRot2dOnR2(-1, maximum_frequency=3),
        lambda gs: (gs.irrep(1, 1), gs.irrep(1, 2)),
        {},
    ),
]
CLASSES = {
    "C": "R2DiscreteRotationsSolution",
    "D": "R2FlipsDiscreteRotationsSolution",
    "SO2": "R2ContinuousRotationsSolution",
    "O2": "R2FlipsContinuousRotationsSolution",
}


@pytest.mark.parametrize(
    ("kind", "make_gs", "make_reprs", "kwargs"), CASES, ids=[c[0] for c in CASES]
)
def test_polar_basis_matches_e2cnn(
    e2cnn: ModuleType, kind: str, make_gs: object, make_reprs: object, kwargs: dict
) -> None:
    if kind in ("D", "O2"):
        kwargs = {**kwargs, "axis": math.pi / 2}
    radii, sigma = [0.0, 1.0, 2.0], [0.005, 0.6, 0.4]
    sampled = []
    attrs = []
    for gspaces_lib, kernels in ((e2cnn.gspaces, e2cnn.kernels), (gspaces, our_kernels)):
        gs = make_gs(gspaces_lib)  # type: ignore[operator]
        rin, rout = make_reprs(gs)  # type: ignore[operator]
        solution = getattr(kernels.irreps_basis, CLASSES[kind])
        angular = kernels.SteerableKernelBasis(solution, rin, rout, **kwargs)
        basis = kernels.PolarBasis(kernels.GaussianRadialProfile(radii, sigma), angular)
        sampled.append(basis.sample(_points()))
        attrs.append([(a["idx"], a["idx1"], a["idx2"], a["frequency"]) for a in basis])
    assert attrs[0] == attrs[1]
    np.testing.assert_allclose(sampled[1], sampled[0], atol=1e-10)


def test_radial_profile_and_errors() -> None:
    profile = GaussianRadialProfile([0.0, 2.0], [0.5, 1.0])
    assert profile.sample(np.array([[2.0]])).shape == (1, 1, 2, 1)
    assert profile[1] == {"radius": 2.0, "sigma": 1.0, "idx": 1}
    with pytest.raises(ValueError, match="sigma"):
        GaussianRadialProfile([0.0, 1.0], [0.5])
    with pytest.raises(ValueError, match="radii"):
        GaussianRadialProfile([-1.0], 0.5)
    gs = gspaces.Rot2dOnR2(4)
    angular = SteerableKernelBasis(
        irreps_basis.R2DiscreteRotationsSolution, gs.trivial_repr, gs.irrep(1), max_frequency=3
    )
    basis = PolarBasis(profile, angular)
    with pytest.raises(ValueError, match=r"shape \(2, N\)"):
        basis.sample(np.zeros((3, 2)))
    with pytest.raises(IndexError):
        basis[basis.dim]
    with pytest.raises(EmptyBasisException):
        SteerableKernelBasis(
            irreps_basis.R2DiscreteRotationsSolution, gs.trivial_repr, gs.irrep(1), max_frequency=0
        )


def test_kernel_basis_accepts_e2cnn_point_layout_and_keys() -> None:
    gs = gspaces.Rot2dOnR2(4)
    basis = gs.build_kernel_basis(gs.regular_repr, gs.irrep(1), [0.005, 0.6], [0.0, 1.0])
    pts = _points(3)
    np.testing.assert_array_equal(basis.sample(pts), basis.sample(pts.T))
    per_ring = basis.dim // 2
    attr = basis[per_ring + 3]
    assert (attr["idx1"], attr["idx2"]) == (1, 3)
