"""CPU vs CUDA: the four-package model and each package's main op, same inputs, same weights.

Skips without a CUDA device (``nox -s cuda_crosscheck`` runs it on GPU machines). TF32 is
switched off so that CUDA matmuls and convolutions round like float32 on the CPU.

Tolerances (float32 unless said otherwise), documented here and in the README:

* single ops (R2Conv, tropical dilation, hourglass, persistence + SLayer): ``rtol=1e-4, atol=1e-5``
  (different summation orders; max-plus selections are exact unless two candidates tie);
* the whole model, forward and every parameter's gradient after one training loss:
  ``rtol=1e-3, atol=1e-4`` (errors of five stages compound, and a gradient can be small);
* persistence death times in float64: ``rtol=1e-12, atol=1e-12`` (the same edges are chosen).
"""

from __future__ import annotations

import copy
import importlib.util

import pytest
import torch

from fourpack import BlobImages, FourPackageNet, ModelConfig, training_loss

CUDA = torch.device("cuda")
OP = {"rtol": 1e-4, "atol": 1e-5}
MODEL = {"rtol": 1e-3, "atol": 1e-4}

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.fixture(autouse=True)
def _no_tf32() -> None:
    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, cudnn


def _same_on_both(module: torch.nn.Module, *inputs: torch.Tensor, **tolerance: float) -> None:
    """Forward + backward of ``sum(output)`` on CPU and CUDA; compare outputs and gradients."""
    gpu = copy.deepcopy(module).to(CUDA)
    outputs = []
    for net, device in ((module, "cpu"), (gpu, CUDA)):
        args = [x.detach().to(device).requires_grad_(x.is_floating_point()) for x in inputs]
        out = net(*args)
        out = out.tensor if hasattr(out, "tensor") else out
        out.sum().backward()
        outputs.append((out.detach().cpu(), [a.grad.cpu() for a in args if a.grad is not None]))
    torch.testing.assert_close(outputs[1][0], outputs[0][0], **tolerance)
    for g_gpu, g_cpu in zip(outputs[1][1], outputs[0][1]):
        torch.testing.assert_close(g_gpu, g_cpu, **tolerance)
    for (name, p_cpu), p_gpu in zip(module.named_parameters(), gpu.parameters()):
        torch.testing.assert_close(p_gpu.grad.cpu(), p_cpu.grad, **tolerance, msg=name)


def test_e2_steerable_r2conv() -> None:
    from e2_steerable import gspaces
    from e2_steerable import nn as enn

    r2 = gspaces.Rot2dOnR2(N=8)
    in_type = enn.FieldType(r2, 3 * [r2.trivial_repr])
    out_type = enn.FieldType(r2, 4 * [r2.regular_repr])
    torch.manual_seed(0)
    conv = enn.R2Conv(in_type, out_type, kernel_size=5, padding=2)

    class Plain(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = conv

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(enn.GeometricTensor(x, in_type)).tensor

    _same_on_both(Plain(), torch.randn(2, 3, 17, 17), **OP)


@pytest.mark.parametrize("kind", ["broadcast", "compiled"])
def test_semiconv_nd_tropical_dilation(kind: str) -> None:
    if kind == "compiled" and importlib.util.find_spec("numba_cuda") is None:
        pytest.skip("the compiled CUDA semifield needs numba-cuda (pip install semiconv-nd[cuda])")
    from fourpack.model import tropical_pooling

    torch.manual_seed(0)
    _same_on_both(tropical_pooling(6, kind), torch.randn(2, 6, 16, 16), **OP)


def test_hourglass_layer_and_regulariser() -> None:
    from hourglass_layer import HourglassLayer

    torch.manual_seed(0)
    layer = HourglassLayer(Dh=4, Dout=8, in_features=16)
    _same_on_both(layer, torch.randn(3, 50, 16), **OP)
    gpu = copy.deepcopy(layer).to(CUDA)
    torch.testing.assert_close(
        gpu.regularization_loss().cpu(), layer.regularization_loss().detach(), **OP
    )


@pytest.mark.parametrize("max_dimension", [0, 1])
def test_torchph_lite_persistence_and_slayer(max_dimension: int) -> None:
    from torchph_lite.nn import SLayerExponential
    from torchph_lite.pershom import vr_persistence_l2

    torch.manual_seed(0)
    clouds = torch.rand(3, 30, 3, dtype=torch.float64)
    for cloud_cpu, (ne_cpu, _), (ne_gpu, _) in zip(
        clouds,
        vr_persistence_l2(clouds, max_dimension),
        vr_persistence_l2(clouds.to(CUDA), max_dimension),
    ):
        assert cloud_cpu.shape == (30, 3)
        for dim in range(max_dimension + 1):
            cpu, gpu = ne_cpu[dim], ne_gpu[dim].cpu()
            assert ne_gpu[dim].device.type == "cuda"
            torch.testing.assert_close(
                gpu[:, 1].sort().values, cpu[:, 1].sort().values, rtol=1e-12, atol=1e-12
            )

    class Vectorised(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.slayer = SLayerExponential(8, centers_init=torch.rand(8, 2))

        def forward(self, points: torch.Tensor) -> torch.Tensor:
            diagrams = [ne[0] for ne, _ in vr_persistence_l2(points, max_dimension)]
            return self.slayer(diagrams)

    _same_on_both(Vectorised(), clouds.float(), **OP)


def test_four_package_model_forward_and_gradients() -> None:
    torch.manual_seed(0)
    model = FourPackageNet(ModelConfig())
    data = BlobImages(8, size=16, seed=5)
    gpu = copy.deepcopy(model).to(CUDA)
    results = []
    for net, device in ((model, "cpu"), (gpu, CUDA)):
        logits, deaths = net(data.images.to(device))
        loss, _ = training_loss(net, logits, data.labels.to(device), deaths)
        loss.backward()
        results.append((logits.detach().cpu(), loss.detach().cpu()))
    torch.testing.assert_close(results[1][0], results[0][0], **MODEL)
    torch.testing.assert_close(results[1][1], results[0][1], **MODEL)
    for (name, p_cpu), p_gpu in zip(model.named_parameters(), gpu.parameters()):
        torch.testing.assert_close(p_gpu.grad.cpu(), p_cpu.grad, **MODEL, msg=name)
    # the batch norms' running statistics moved identically
    for (name, b_cpu), b_gpu in zip(model.named_buffers(), gpu.buffers()):
        torch.testing.assert_close(b_gpu.cpu(), b_cpu, **MODEL, msg=name)
