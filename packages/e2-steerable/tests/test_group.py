"""Group axioms, irreps and representations (homomorphism, change of basis, restriction)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from e2_steerable.group import (
    CyclicGroup,
    DihedralGroup,
    IrreducibleRepresentation,
    Representation,
    change_basis,
    cyclic_group,
    dihedral_group,
    directsum,
    disentangle,
    o2_group,
    so2_group,
    trivial_group,
)

FINITE = [("C", n) for n in (1, 2, 3, 4, 8)] + [("D", n) for n in (1, 2, 3, 4, 6, 8)]


def make(kind: str, n: int):
    return cyclic_group(n) if kind == "C" else dihedral_group(n)


def sample_elements(G, count: int = 8) -> list:
    if G.elements is not None:
        return G.elements
    rng = np.random.default_rng(0)
    elements = list(G.testing_elements()[:: max(1, len(G.testing_elements()) // count)])
    for _ in range(count):
        angle = float(rng.uniform(0, 2 * math.pi))
        elements.append(angle if G.name == "SO(2)" else (int(rng.integers(2)), angle))
    return elements


ALL_GROUPS = [make(k, n) for k, n in FINITE] + [so2_group(5), o2_group(5)]
IDS = [G.name for G in ALL_GROUPS]


@pytest.mark.parametrize("G", ALL_GROUPS, ids=IDS)
def test_group_axioms(G) -> None:
    els = sample_elements(G)
    e = G.identity
    for a in els:
        assert G.is_element(a)
        assert G.equal(G.combine(a, e), a)
        assert G.equal(G.combine(e, a), a)
        assert G.equal(G.combine(a, G.inverse(a)), e)
        for b in els[:6]:
            for c in els[:4]:
                left = G.combine(G.combine(a, b), c)
                right = G.combine(a, G.combine(b, c))
                assert G.equal(left, right, atol=1e-9)


@pytest.mark.parametrize("G", ALL_GROUPS, ids=IDS)
def test_irreps_are_orthogonal_homomorphisms(G) -> None:
    els = sample_elements(G, 5)
    for irrep in G.irreps.values():
        assert isinstance(irrep, IrreducibleRepresentation)
        assert np.allclose(irrep(G.identity), np.eye(irrep.size))
        for a in els:
            m = irrep(a)
            assert np.allclose(m @ m.T, np.eye(irrep.size), atol=1e-12)
            for b in els:
                assert np.allclose(irrep(G.combine(a, b)), m @ irrep(b), atol=1e-12)


@pytest.mark.parametrize(("kind", "n"), FINITE)
def test_regular_representation_is_the_permutation(kind: str, n: int) -> None:
    G = make(kind, n)
    rho = G.regular_representation
    els = G.elements
    q = rho.change_of_basis
    assert np.allclose(q @ q.T, np.eye(len(els)), atol=1e-12)
    assert np.allclose(q @ rho.change_of_basis_inv, np.eye(len(els)), atol=1e-12)
    for h in els:
        perm = np.zeros((len(els), len(els)))
        for i, g in enumerate(els):
            perm[els.index(G.combine(h, g)), i] = 1.0
        assert np.allclose(rho(h), perm, atol=1e-12)
    assert {"pointwise", "norm", "gated", "concatenated"} <= rho.supported_nonlinearities


def test_regular_irreps_order_matches_e2cnn() -> None:
    assert dihedral_group(4).regular_representation.irreps == [
        "irrep_0,0",
        "irrep_1,0",
        "irrep_1,1",
        "irrep_1,1",
        "irrep_1,2",
        "irrep_0,2",
    ]
    assert cyclic_group(8).regular_representation.irreps == [f"irrep_{k}" for k in range(5)]
    assert dihedral_group(5).regular_representation.irreps.count("irrep_1,2") == 2


def test_irrep_attributes_and_nonlinearities() -> None:
    C = cyclic_group(8)
    assert C.irrep(3).attributes == {"frequency": 3}
    assert C.irrep(3).frequency == 3
    assert C.irrep(1).sum_of_squares_constituents == 2
    assert "pointwise" in C.trivial_representation.supported_nonlinearities
    assert C.irrep(1).supported_nonlinearities == {"norm", "gated"}
    D = dihedral_group(4)
    psi = D.irrep(1, 2)
    assert (psi.size, psi.frequency, psi.flip_frequency) == (1, 2, 1)
    assert [psi(g)[0, 0] for g in D.elements] == [1, -1, 1, -1, -1, 1, -1, 1]
    o2 = o2_group(3)
    assert o2.irrep(1, 0).size == 1
    assert o2.irrep(1, 2).size == 2
    assert trivial_group().trivial_representation.is_trivial()
    assert not C.regular_representation.is_trivial()
    assert C.regular_representation.contains_trivial()
    assert not C.irrep(2).contains_trivial()


@pytest.mark.parametrize(
    ("G", "bad"),
    [
        (cyclic_group(4), 3),
        (dihedral_group(4), (2, 1)),
        (dihedral_group(4), (1, 3)),
        (so2_group(2), -1),
        (o2_group(2), (0, 1)),
    ],
)
def test_invalid_irrep_ids_raise(G, bad) -> None:
    with pytest.raises(ValueError, match="irrep"):
        G.irrep(*bad) if isinstance(bad, tuple) else G.irrep(bad)


SUBGROUPS = [
    (cyclic_group(8), [1, 2, 4, 8]),
    (dihedral_group(8), [(None, 1), (None, 4), (0, 1), (3, 1), (0, 2), (1, 4), (0, 8)]),
    (dihedral_group(6), [(None, 3), (2, 2), (1, 3)]),
    (so2_group(4), [1, 3, 4, -1]),
    (o2_group(4), [(None, -1), (None, 4), (0.0, -1), (0.7, -1), (0.0, 4), (0.5, 1), (1.0, 3)]),
]


@pytest.mark.parametrize(("G", "ids"), SUBGROUPS, ids=[g.name for g, _ in SUBGROUPS])
def test_subgroup_maps_and_restriction(G, ids) -> None:
    reps = list(G.irreps.values())
    if G.elements is not None:
        reps.append(G.regular_representation)
    for sub_id in ids:
        sub, parent_map, child_map = G.subgroup(sub_id)
        sub_els = sample_elements(sub, 6)
        for h in sub_els:
            g = parent_map(h)
            assert G.is_element(g)
            assert sub.equal(child_map(g), h, atol=1e-7)
            for h2 in sub_els[:3]:
                assert G.equal(parent_map(sub.combine(h, h2)), G.combine(g, parent_map(h2)))
        for rep in reps:
            res = rep.restrict(sub_id)
            assert res.group == sub
            assert res.size == rep.size
            for h in sub_els:
                assert np.allclose(res(h), rep(parent_map(h)), atol=1e-9)


def test_child_map_outside_subgroup_is_none() -> None:
    _, _, child = cyclic_group(8).subgroup(4)
    assert child(1) is None
    _, _, child = dihedral_group(8).subgroup((1, 4))
    assert child((1, 0)) is None
    assert child((1, 1)) == (1, 0)


@pytest.mark.parametrize(
    ("G", "bad"),
    [
        (cyclic_group(8), 3),
        (cyclic_group(8), 0),
        (dihedral_group(8), (2, 4)),
        (dihedral_group(8), (None, 3)),
        (dihedral_group(8), 4),
        (so2_group(2), 0),
        (o2_group(2), (None, 0)),
    ],
)
def test_invalid_subgroup_ids_raise(G, bad) -> None:
    with pytest.raises(ValueError, match="id"):
        G.subgroup(bad)


@pytest.mark.parametrize(
    ("G", "sub_id"),
    [
        (cyclic_group(8), 2),
        (cyclic_group(6), 3),
        (dihedral_group(4), (None, 2)),
        (dihedral_group(4), (0, 2)),
        (dihedral_group(6), (1, 1)),
    ],
)
def test_quotient_and_induced_representations(G, sub_id) -> None:
    els = G.elements
    q = G.quotient_representation(sub_id)
    assert q.name == f"quotient[{sub_id}]"
    assert "pointwise" in q.supported_nonlinearities
    sub, _, _ = G.subgroup(sub_id)
    assert q.size == len(els) // len(sub.elements)
    for a in els:
        m = q(a)
        assert np.allclose(m, np.round(m), atol=1e-9)  # a permutation matrix
        assert np.allclose(m.sum(axis=0), 1.0)
        for b in els:
            assert np.allclose(q(G.combine(a, b)), m @ q(b), atol=1e-9)
    for psi in sub.irreps.values():
        ind = G.induced_representation(sub_id, psi)
        assert ind.size == q.size * psi.size
        for a in els:
            for b in els[:4]:
                assert np.allclose(ind(G.combine(a, b)), ind(a) @ ind(b), atol=1e-9)


def test_quotient_names_match_e2cnn() -> None:
    rep = cyclic_group(8).quotient_representation(2)
    assert rep.irreps == ["irrep_0", "irrep_2", "irrep_4"]
    assert dihedral_group(8).quotient_representation((None, 4)).name == "quotient[(None, 4)]"


def test_induced_needs_finite_group_and_matching_subgroup() -> None:
    with pytest.raises(ValueError, match="finite"):
        so2_group(3).quotient_representation(2)
    with pytest.raises(ValueError, match="subgroup"):
        cyclic_group(8).induced_representation(2, cyclic_group(3).irrep(1))


def test_directsum_and_change_of_basis_exact() -> None:
    G = dihedral_group(4)
    rho = directsum([G.irrep(1, 1), G.regular_representation, G.trivial_representation])
    assert rho.size == 11
    assert rho.irreps[:2] == ["irrep_1,1", "irrep_0,0"]
    assert np.allclose(rho.change_of_basis @ rho.change_of_basis_inv, np.eye(11), atol=1e-12)
    for a in G.elements:
        for b in G.elements:
            assert np.allclose(rho(G.combine(a, b)), rho(a) @ rho(b), atol=1e-12)
    assert rho.supported_nonlinearities == {"norm", "gated"}
    c = np.random.default_rng(0).normal(size=(11, 11))
    mixed = directsum(
        [G.irrep(1, 1), G.regular_representation, G.trivial_representation],
        change_of_basis=c,
        name="mixed",
    )
    for a in G.elements:
        assert np.allclose(mixed(a), c @ rho(a) @ np.linalg.inv(c), atol=1e-9)
    flipped = change_basis(G.irrep(1, 1), np.diag([1.0, -1.0]), "flipped_irrep")
    assert np.allclose(flipped((0, 1)), np.array([[0.0, 1.0], [-1.0, 0.0]]))


def test_directsum_rejects_mixed_groups() -> None:
    with pytest.raises(ValueError, match="same group"):
        directsum([cyclic_group(4).irrep(1), cyclic_group(8).irrep(1)])
    with pytest.raises(ValueError, match="at least one"):
        directsum([])


def test_disentangle() -> None:
    G = cyclic_group(4)
    rho = directsum([G.irrep(1), G.regular_representation, G.trivial_representation])
    perm, parts = disentangle(rho)
    assert [p.size for p in parts] == [2, 4, 1]
    assert parts[1] == G.regular_representation
    total = directsum(parts)
    for g in G.elements:
        assert np.allclose(perm @ rho(g) @ perm.T, total(g), atol=1e-12)
    _, single = disentangle(G.regular_representation)
    assert single == [G.regular_representation]


def test_representation_validates_inputs() -> None:
    G = cyclic_group(4)
    with pytest.raises(ValueError, match="not an irrep"):
        Representation(G, "bad", ["irrep_9"], np.eye(2), set())
    with pytest.raises(ValueError, match="change_of_basis"):
        Representation(G, "bad", ["irrep_1"], np.eye(3), set())


@pytest.mark.parametrize("G", ALL_GROUPS, ids=IDS)
def test_groups_and_representations_pickle(G) -> None:
    assert pickle.loads(pickle.dumps(G)) is G
    for irrep in G.irreps.values():
        copy = pickle.loads(pickle.dumps(irrep))
        assert copy == irrep
        el = sample_elements(G, 2)[-1]
        assert np.allclose(copy(el), irrep(el))
    if G.elements is not None:
        reg = pickle.loads(pickle.dumps(G.regular_representation))
        assert reg == G.regular_representation


def test_cached_factories_and_types() -> None:
    assert cyclic_group(6) is cyclic_group(6)
    assert isinstance(cyclic_group(6), CyclicGroup)
    assert isinstance(dihedral_group(3), DihedralGroup)
    assert trivial_group() is cyclic_group(1)
    assert so2_group(2) == so2_group(7)
    assert len(so2_group(7).irreps) >= 8
    with pytest.raises(ValueError, match="N"):
        cyclic_group(0)
    with pytest.raises(ValueError, match="maximum_frequency"):
        so2_group(-2)
    assert dihedral_group(4).order() == 8
    assert so2_group().order() == -1


def test_import_is_lazy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, e2_steerable; "
        "e2_steerable.group; e2_steerable.gspaces; e2_steerable.kernels; "
        "bad = [m for m in sys.modules if m.startswith(('sympy', 'scipy.ndimage'))]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
