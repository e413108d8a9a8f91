"""The SLayer tutorial of the original torchph docs, run with our import: printed numbers match."""

from __future__ import annotations

import contextlib
import io

import torch

from torchph_lite.nn import SLayerExponential

# The tutorial's code cells, verbatim except for the import line (torchph -> torchph_lite) and the
# dropped docs scaffolding line ``from shared_code import check_torchph_availability``.
TUTORIAL_CODE = """
from torchph_lite.nn import SLayerExponential

# create an instance with 3 structure elements over \\R^2
sl = SLayerExponential(3, 2)

import torch
print(isinstance(sl, torch.nn.Module))

for p in sl.parameters():
    print(p)

# here is an initialization example
centers_init = torch.Tensor(
    [
        [0,0],
        [0.5, 0.5],
        [1,1]
    ]
)

sharpness_init = torch.Tensor(
    [
        [1,1],
        [2,2],
        [3,3]
    ]
)

sl = SLayerExponential(3, 2,
            centers_init=centers_init,
            sharpness_init=sharpness_init)

print(sl.centers)
print(sl.sharpness)

# As an example, we create a batch of multisets
mset_1 = [[0, 0]]
mset_2 = [[0, 0], [0, 0]]
mset_3 = [[1, 1], [0, 0]]
mset_4 = [[0, 0], [1, 1]]
batch = [mset_1, mset_2, mset_3,  mset_4]
batch = [torch.Tensor(x) for x in batch]
output = sl(batch)
print(output.size())

print(output)

sl = SLayerExponential(3, 2,
            centers_init=centers_init,
            sharpness_init=10*sharpness_init)
print(sl(batch))

class ToyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.slayer = SLayerExponential(50, 2)
        self.linear = torch.nn.Linear(50, 10)

    def forward(self, inp):
        x = self.slayer(inp)
        x = self.linear(x)
        return x

model = ToyModel()
inp = [torch.rand(10,2), torch.rand(20,2), torch.rand(30,2)]
out = model(inp)
print(out.size())
"""

# What the tutorial prints after its first (random) parameter print.
EXPECTED_AFTER_RANDOM_INIT = """\
Parameter containing:
tensor([[0.0000, 0.0000],
        [0.5000, 0.5000],
        [1.0000, 1.0000]], requires_grad=True)
Parameter containing:
tensor([[1., 1.],
        [2., 2.],
        [3., 3.]], requires_grad=True)
torch.Size([4, 3])
tensor([[1.0000e+00, 1.3534e-01, 1.5230e-08],
        [2.0000e+00, 2.7067e-01, 3.0460e-08],
        [1.1353e+00, 2.7067e-01, 1.0000e+00],
        [1.1353e+00, 2.7067e-01, 1.0000e+00]], grad_fn=<SqueezeBackward0>)
tensor([[1., 0., 0.],
        [2., 0., 0.],
        [1., 0., 1.],
        [1., 0., 1.]], grad_fn=<SqueezeBackward0>)
torch.Size([3, 10])
"""

CENTERS = torch.tensor([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
SHARPNESS = torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
MSETS = [[[0, 0]], [[0, 0], [0, 0]], [[1, 1], [0, 0]], [[0, 0], [1, 1]]]


def _run_tutorial() -> str:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        exec(compile(TUTORIAL_CODE, "slayer_tutorial", "exec"), {"__name__": "tutorial"})
    return stdout.getvalue()


def test_tutorial_prints_the_documented_output() -> None:
    printed = _run_tutorial()
    lines = printed.splitlines(keepends=True)
    assert lines[0] == "True\n"
    # The first parameter print shows random centres (3 x 2) and the default sharpness of 3.
    random_block = "".join(lines[1:9])
    assert random_block.startswith("Parameter containing:\ntensor([[0.")
    assert random_block.endswith(
        "Parameter containing:\ntensor([[3., 3.],\n        [3., 3.],\n"
        "        [3., 3.]], requires_grad=True)\n"
    )
    assert "".join(lines[9:]) == EXPECTED_AFTER_RANDOM_INIT


def test_tutorial_output_values_float32() -> None:
    layer = SLayerExponential(3, 2, centers_init=CENTERS, sharpness_init=SHARPNESS)
    output = layer([torch.Tensor(x) for x in MSETS])
    e = torch.exp
    expected = torch.stack(
        [
            torch.stack([e(torch.tensor(0.0)), e(torch.tensor(-2.0)), e(torch.tensor(-18.0))]),
            2 * torch.stack([e(torch.tensor(0.0)), e(torch.tensor(-2.0)), e(torch.tensor(-18.0))]),
            torch.stack(
                [1 + e(torch.tensor(-2.0)), 2 * e(torch.tensor(-2.0)), 1 + e(torch.tensor(-18.0))]
            ),
            torch.stack(
                [1 + e(torch.tensor(-2.0)), 2 * e(torch.tensor(-2.0)), 1 + e(torch.tensor(-18.0))]
            ),
        ]
    )
    assert output.dtype == torch.float32
    torch.testing.assert_close(output, expected, rtol=1e-6, atol=0.0)
    torch.testing.assert_close(
        output[0], torch.tensor([1.0, 1.3534e-01, 1.5230e-08]), rtol=1e-4, atol=0
    )


def test_tutorial_high_sharpness_is_exact_in_float32() -> None:
    layer = SLayerExponential(3, 2, centers_init=CENTERS, sharpness_init=10 * SHARPNESS)
    output = layer([torch.Tensor(x) for x in MSETS])
    expected = torch.tensor([[1.0, 0, 0], [2, 0, 0], [1, 0, 1], [1, 0, 1]])
    torch.testing.assert_close(output, expected, rtol=0, atol=0)


def test_tutorial_permutation_invariance() -> None:
    layer = SLayerExponential(3, 2, centers_init=CENTERS, sharpness_init=SHARPNESS)
    output = layer([torch.Tensor(x) for x in MSETS])
    assert torch.equal(output[2], output[3])
    points = torch.rand(17, 2)
    shuffled = points[torch.randperm(17)]
    torch.testing.assert_close(layer([points]), layer([shuffled]))


def test_tutorial_toy_model_output_shape() -> None:
    slayer = SLayerExponential(50, 2)
    linear = torch.nn.Linear(50, 10)
    out = linear(slayer([torch.rand(10, 2), torch.rand(20, 2), torch.rand(30, 2)]))
    assert out.shape == (3, 10)
    assert slayer.centers.shape == (50, 2)
    torch.testing.assert_close(slayer.sharpness.detach(), torch.full((50, 2), 3.0))
    assert bool(((slayer.centers >= 0) & (slayer.centers < 1)).all())
