"""Bad input to the core modules: a clear error naming the input and what was expected."""

from __future__ import annotations

import pytest
import torch

from e2_steerable import gspaces, nn


def _types() -> tuple[nn.FieldType, nn.FieldType]:
    gs = gspaces.Rot2dOnR2(4)
    return nn.FieldType(gs, [gs.trivial_repr] * 2), nn.FieldType(gs, [gs.regular_repr] * 2)


def _modules() -> list[nn.EquivariantModule]:
    t_in, t_reg = _types()
    return [
        nn.R2Conv(t_in, t_reg, 3, padding=1),
        nn.R2ConvTransposed(t_in, t_reg, 3),
        nn.InnerBatchNorm(t_in),
        nn.ReLU(t_in),
    ]


@pytest.mark.parametrize("shape", [(2, 2), (2, 2, 7), (2, 2, 7, 7, 7)], ids=["2d", "3d", "5d"])
@pytest.mark.parametrize("module", _modules(), ids=lambda m: type(m).__name__)
def test_wrong_number_of_axes_names_the_expected_shape(
    module: nn.EquivariantModule, shape: tuple[int, ...]
) -> None:
    x = nn.GeometricTensor(torch.randn(shape), module.in_type)
    with pytest.raises(ValueError, match=r"expected an input of shape \(B, C, H, W\) with C=2"):
        module(x)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.int64])
@pytest.mark.parametrize("module", _modules()[:3], ids=lambda m: type(m).__name__)
def test_dtype_mismatch_names_both_dtypes(module: nn.EquivariantModule, dtype: torch.dtype) -> None:
    x = nn.GeometricTensor(torch.ones(2, 2, 7, 7, dtype=dtype), module.in_type)
    with pytest.raises(TypeError, match=f"{dtype}.*float32|float32.*{dtype}"):
        module(x)


@pytest.mark.parametrize("module", _modules()[:3], ids=lambda m: type(m).__name__)
def test_module_cast_to_input_dtype_works(module: nn.EquivariantModule) -> None:
    module = module.to(torch.float64).eval()
    out = module(nn.GeometricTensor(torch.randn(2, 2, 7, 7, dtype=torch.float64), module.in_type))
    assert out.tensor.dtype == torch.float64


def test_autocast_allows_a_lower_precision_input() -> None:
    t_in, t_reg = _types()
    conv = nn.R2Conv(t_in, t_reg, 3, padding=1)
    x = nn.GeometricTensor(torch.randn(1, 2, 8, 8, dtype=torch.bfloat16), t_in)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert conv(x).tensor.shape == (1, 8, 8, 8)


@pytest.mark.parametrize("module", _modules()[:3], ids=lambda m: type(m).__name__)
def test_other_device_input_is_rejected(module: nn.EquivariantModule) -> None:
    x = nn.GeometricTensor(torch.empty(2, 2, 7, 7, device="meta"), module.in_type)
    with pytest.raises(ValueError, match=r"device meta.*cpu"):
        module(x)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_kernel_larger_than_input(padding_mode: str) -> None:
    t_in, t_reg = _types()
    conv = nn.R2Conv(t_in, t_reg, 5, padding_mode=padding_mode)
    with pytest.raises(ValueError, match=r"kernel spans 5 pixels.*only 3 along H"):
        conv(nn.GeometricTensor(torch.randn(1, 2, 3, 9), t_in))
    with pytest.raises(ValueError, match="kernel spans 5 pixels"):
        conv.evaluate_output_shape((1, 2, 9, 4))
    dilated = nn.R2Conv(t_in, t_reg, 3, dilation=3, padding=1, padding_mode=padding_mode)
    with pytest.raises(ValueError, match=r"kernel spans 7 pixels .*dilation=3"):
        dilated(nn.GeometricTensor(torch.randn(1, 2, 4, 9), t_in))


def test_reflect_padding_larger_than_input() -> None:
    t_in, t_reg = _types()
    conv = nn.R2Conv(t_in, t_reg, 3, padding=4, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"reflect padding 4 must be smaller.*along W"):
        conv(nn.GeometricTensor(torch.randn(1, 2, 9, 4), t_in))
    assert conv(nn.GeometricTensor(torch.randn(1, 2, 5, 5), t_in)).shape == (1, 8, 11, 11)


def test_transposed_padding_that_empties_the_output() -> None:
    t_in, t_reg = _types()
    up = nn.R2ConvTransposed(t_in, t_reg, 3, padding=3)
    with pytest.raises(ValueError, match="empty output"):
        up(nn.GeometricTensor(torch.randn(1, 2, 2, 2), t_in))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"eps": -1.0}, "eps"),
        ({"eps": float("nan")}, "eps"),
        ({"momentum": -0.1}, "momentum"),
        ({"momentum": 1.5}, "momentum"),
        ({"momentum": float("inf")}, "momentum"),
    ],
)
def test_inner_batchnorm_rejects_bad_eps_and_momentum(kwargs: dict, match: str) -> None:
    t_in, _ = _types()
    with pytest.raises(ValueError, match=match):
        nn.InnerBatchNorm(t_in, **kwargs)
