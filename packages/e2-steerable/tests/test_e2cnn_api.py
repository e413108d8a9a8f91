"""The parts of e2cnn's API users call: argument validation and the helpers e2cnn offers."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pytest

from e2_steerable import gspaces
from e2_steerable.group import (
    chi,
    cyclic_group,
    dihedral_group,
    directsum,
    o2_group,
    psi,
    psichi,
    so2_group,
)


@pytest.mark.parametrize("cls", [gspaces.Rot2dOnR2, gspaces.FlipRot2dOnR2])
@pytest.mark.parametrize("n", [1, 0, -2])
def test_gspaces_need_at_least_two_rotations(cls: type, n: int) -> None:
    with pytest.raises(ValueError, match=r"N: expected an int >= 2, or -1"):
        cls(n)


@pytest.mark.parametrize("cls", [gspaces.Rot2dOnR2, gspaces.FlipRot2dOnR2])
def test_maximum_frequency_only_for_continuous_groups(cls: type) -> None:
    with pytest.raises(ValueError, match="maximum_frequency: only"):
        cls(4, maximum_frequency=3)
    assert cls(-1, maximum_frequency=3).fibergroup.continuous


@pytest.mark.parametrize("axis", [math.inf, -math.inf, math.nan])
def test_reflection_axis_must_be_finite(axis: float) -> None:
    with pytest.raises(ValueError, match="axis: expected a finite angle"):
        gspaces.FlipRot2dOnR2(4, axis=axis)
    with pytest.raises(ValueError, match="axis: expected a finite angle"):
        gspaces.Flip2dOnR2(axis=axis)


def test_equal_rejects_non_elements() -> None:
    c8 = cyclic_group(8)
    assert c8.equal(1, 1)
    assert not c8.equal(1, 2)
    with pytest.raises(ValueError, match="e2: 9 is not an element of C8"):
        c8.equal(1, 9)
    d4 = dihedral_group(4)
    with pytest.raises(ValueError, match=r"e1: \(2, 0\) is not an element of D4"):
        d4.equal((2, 0), (0, 0))


def test_default_maximum_frequency_as_e2cnn(e2cnn: ModuleType) -> None:
    import inspect

    for name in ("so2_group", "o2_group"):
        ref = inspect.signature(getattr(e2cnn.group, name)).parameters["maximum_frequency"]
        assert ref.default == 10
    assert len(so2_group().irreps) >= 11
    assert o2_group().maximum_frequency >= 10


def test_representation_add_is_the_direct_sum() -> None:
    g = dihedral_group(4)
    rho = g.regular_representation + g.irrep(1, 1)
    assert rho is directsum([g.regular_representation, g.irrep(1, 1)])
    assert rho.size == 10
    for e in g.elements:
        np.testing.assert_allclose(rho(e)[8:, 8:], g.irrep(1, 1)(e), atol=1e-12)


def test_elements_names_rotation_order_and_reflection(e2cnn: ModuleType) -> None:
    assert cyclic_group(4).elements_names == e2cnn.group.cyclic_group(4).elements_names
    d3, ref = dihedral_group(3), e2cnn.group.dihedral_group(3)
    assert d3.elements_names == ref.elements_names
    assert d3.rotation_order == ref.rotation_order == 3
    assert d3.reflection == (1, 0)
    assert o2_group().reflection == (1, 0.0)
    assert o2_group().rotation_order == -1
    assert so2_group().elements_names is None


def test_psi_chi_psichi_match_e2cnn(e2cnn: ModuleType) -> None:
    for theta, k, gamma, s in [(0.3, 1, 0.0, 0), (1.1, 3, 0.5, 1), (-2.0, 2, 1.0, 1)]:
        np.testing.assert_allclose(psi(theta, k, gamma), e2cnn.group.psi(theta, k, gamma))
        np.testing.assert_allclose(chi(s), e2cnn.group.chi(s))
        np.testing.assert_allclose(
            psichi(theta, s, k, gamma), e2cnn.group.psichi(theta, s, k, gamma)
        )
    with pytest.raises(ValueError, match="s: expected 0 or 1"):
        chi(2)


def test_irrep_by_name() -> None:
    g = dihedral_group(4)
    assert g.irrep_by_name("irrep_1,2") is g.irrep(1, 2)
    with pytest.raises(ValueError, match="D4 has no irrep called 'irrep_7'"):
        g.irrep_by_name("irrep_7")


def test_finite_quotients_of_o2() -> None:
    g = o2_group(3)
    rho = g.quotient_representation((None, -1))  # O(2)/SO(2): rotations vs reflections
    assert rho.irreps == ["irrep_0,0", "irrep_1,0"]
    np.testing.assert_allclose(rho((0, 0.3)), np.eye(2), atol=1e-12)
    np.testing.assert_allclose(rho((1, 1.2)), [[0.0, 1.0], [1.0, 0.0]], atol=1e-12)
    induced = g.induced_representation((None, -1), so2_group().irrep(2))
    assert induced.irreps == ["irrep_1,2", "irrep_1,2"]
    a, b = (1, 0.7), (0, 2.1)
    np.testing.assert_allclose(induced(g.combine(a, b)), induced(a) @ induced(b), atol=1e-9)
    assert g.quotient_representation((0.5, -1)).irreps == ["irrep_0,0"]


@pytest.mark.parametrize(
    ("build", "sub_id"),
    [(so2_group, 4), (o2_group, (None, 4)), (o2_group, (0.0, 2))],
)
def test_infinite_quotients_explain_why(build: object, sub_id: object) -> None:
    with pytest.raises(ValueError, match=r"need a subgroup of finite index.*is infinite"):
        build().quotient_representation(sub_id)  # type: ignore[operator]


def test_groups_cache_their_own_instances() -> None:
    import pickle

    from e2_steerable.group import CyclicGroup, DihedralGroup

    assert CyclicGroup._generator(6) is cyclic_group(6)
    assert DihedralGroup._generator(6) is dihedral_group(6)
    for g in (cyclic_group(6), dihedral_group(6), so2_group(), o2_group()):
        assert pickle.loads(pickle.dumps(g)) is g
