"""check_equivariance (returns errors, exact elements by default, no side effects) and end-to-end
equivariance of small networks on every gspace."""

from __future__ import annotations

import pytest
import torch

from e2_steerable import gspaces
from e2_steerable.nn import (
    ELU,
    EquivariantModule,
    FieldType,
    GeometricTensor,
    GroupPooling,
    InnerBatchNorm,
    PointwiseMaxPool,
    R2Conv,
    ReLU,
    SequentialModule,
)
from e2_steerable.nn.modules.equivariant_module import is_exact_element

GSPACES = {
    "C4": (lambda: gspaces.Rot2dOnR2(4), 4),
    "C8": (lambda: gspaces.Rot2dOnR2(8), 4),
    "D4": (lambda: gspaces.FlipRot2dOnR2(4), 8),
    "SO2": (lambda: gspaces.Rot2dOnR2(-1, maximum_frequency=3), None),
    "Flip": (lambda: gspaces.Flip2dOnR2(), 2),
    "Trivial": (lambda: gspaces.TrivialOnR2(), 1),
}


class SpatialRamp(EquivariantModule):
    """Deliberately not equivariant: multiplies by a horizontal ramp."""

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        self.in_type = self.out_type = in_type

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        ramp = torch.linspace(0.0, 1.0, x.shape[-1], dtype=x.tensor.dtype)
        return GeometricTensor(x.tensor * ramp, self.out_type)

    def evaluate_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return input_shape


def _hidden_type(gs) -> FieldType:
    if gs.fibergroup.order() > 1:
        return FieldType(gs, [gs.regular_repr] * 2 + [gs.trivial_repr])
    return FieldType(gs, [gs.trivial_repr] * 4)


def _network(gs) -> SequentialModule:
    c_in = FieldType(gs, [gs.trivial_repr] * 2)
    hid = _hidden_type(gs)
    return SequentialModule(
        R2Conv(c_in, hid, 5),
        InnerBatchNorm(hid),
        ReLU(hid),
        PointwiseMaxPool(hid, 3, stride=2, padding=1),
        R2Conv(hid, hid, 3, padding=1),
        ELU(hid),
        GroupPooling(hid),
    )


@pytest.mark.parametrize("name", list(GSPACES))
def test_network_equivariance_exact_elements_float32(name: str) -> None:
    build, n_exact = GSPACES[name]
    gs = build()
    net = _network(gs)
    with torch.no_grad():  # give BN non-trivial statistics
        net.train()
        for _ in range(2):
            net(GeometricTensor(torch.randn(4, 2, 21, 21) + 0.3, net.in_type))
    net.eval()
    results = net.check_equivariance(atol=1e-5, rtol=1e-4, dtype=torch.float32, spatial_size=21)
    if n_exact is not None:
        assert len(results) == n_exact
    assert results
    for element, err in results:
        assert err <= 1e-6, (element, err)
    # the same, computed by hand on a float32 input in training mode
    net.train()
    x = GeometricTensor(torch.randn(3, 2, 21, 21), net.in_type)
    with torch.no_grad():
        y = net(x)
        for element, _ in results:
            a = net(x.transform(element)).tensor
            b = y.transform(element).tensor
            assert float((a - b).norm() / b.norm()) <= 1e-6


def test_check_equivariance_returns_errors_without_side_effects() -> None:
    gs = gspaces.Rot2dOnR2(8)
    net = _network(gs)
    net.train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    results = net.check_equivariance()
    assert net.training  # mode unchanged
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key]), key  # no statistics were updated
    elements = [g for g, _ in results]
    assert elements == [g for g in gs.testing_elements if is_exact_element(gs, g)]
    assert all(isinstance(err, float) and err < 1e-12 for _, err in results)  # float64 default
    chosen = net.check_equivariance(elements=[elements[1]])
    assert [g for g, _ in chosen] == [elements[1]]


def test_check_equivariance_detects_a_broken_module(capsys: pytest.CaptureFixture[str]) -> None:
    gs = gspaces.Rot2dOnR2(4)
    ft = FieldType(gs, [gs.regular_repr])
    broken = SpatialRamp(ft)
    with pytest.raises(AssertionError, match="not equivariant"):
        broken.check_equivariance()
    results = broken.check_equivariance(raise_error=False)
    assert results[0][1] < 1e-12  # the identity
    assert max(err for _, err in results) > 0.1
    assert capsys.readouterr().out == ""  # prints nothing


def test_interpolated_elements_can_be_requested() -> None:
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.trivial_repr])
    net = SequentialModule(R2Conv(ft, FieldType(gs, [gs.regular_repr]), 5))
    non_exact = [g for g in gs.testing_elements if not is_exact_element(gs, g)]
    results = net.check_equivariance(elements=non_exact, raise_error=False, spatial_size=33)
    assert len(results) == 4
    # interpolation of white noise is crude; the error is finite and reported, not raised
    assert all(0.0 < err < 1.0 for _, err in results)
