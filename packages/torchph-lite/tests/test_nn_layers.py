"""SLayers against independent float64 reference formulas, gradients, devices and dtypes."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from torchph_lite.nn import SLayerExponential, SLayerRational, SLayerRationalHat, prepare_batch

TOL = {torch.float32: {"rtol": 1e-5, "atol": 1e-6}, torch.float64: {"rtol": 1e-12, "atol": 1e-12}}

# --- independent references: one point at a time, plain Python floats -----------------------------


def reference_exponential(diagrams, centers, sharpness):
    return [
        [
            sum(
                math.exp(-sum(s**2 * (c - p) ** 2 for c, s, p in zip(cj, sj, point)))
                for point in diagram
            )
            for cj, sj in zip(centers, sharpness)
        ]
        for diagram in diagrams
    ]


def reference_rational(diagrams, centers, sharpness, exponent, threshold=None):
    def contribution(cj, sj, ej, point):
        value = 1.0 / (1.0 + sum(abs(s) * abs(c - p) for c, s, p in zip(cj, sj, point))) ** abs(ej)
        return 0.0 if threshold is not None and value < threshold else value

    return [
        [
            sum(contribution(cj, sj, ej, point) for point in diagram)
            for cj, sj, ej in zip(centers, sharpness, exponent)
        ]
        for diagram in diagrams
    ]


def reference_rational_hat(diagrams, centers, radius, q):
    def contribution(cj, rj, point):
        delta = sum(abs(c - p) for c, p in zip(cj, point))
        return 1.0 / (1.0 + delta) ** q - 1.0 / (1.0 + abs(abs(rj) - delta)) ** q

    return [
        [sum(contribution(cj, rj, point) for point in diagram) for cj, rj in zip(centers, radius)]
        for diagram in diagrams
    ]


def random_diagrams(sizes, dim=2, dtype=torch.float64, device="cpu", generator=None):
    return [torch.rand(m, dim, dtype=dtype, generator=generator).to(device) for m in sizes]


SIZES = [3, 0, 7, 1, 0, 5]


def as_lists(tensors):
    return [t.detach().cpu().tolist() for t in tensors]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_exponential_matches_reference(dtype, device):
    g = torch.Generator().manual_seed(1)
    diagrams = random_diagrams(SIZES, dtype=dtype, device=device, generator=g)
    centers = torch.rand(4, 2, dtype=dtype, generator=g).to(device)
    sharpness = (torch.randn(4, 2, dtype=dtype, generator=g) * 2).to(device)
    layer = SLayerExponential(4, 2, centers_init=centers, sharpness_init=sharpness)
    expected = reference_exponential(as_lists(diagrams), centers.tolist(), sharpness.tolist())
    output = layer(diagrams)
    assert output.dtype == dtype
    assert output.device.type == torch.device(device).type
    torch.testing.assert_close(
        output, torch.tensor(expected, dtype=dtype, device=device), **TOL[dtype]
    )
    assert output[1].abs().max() == 0
    assert output[4].abs().max() == 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("threshold", [None, 0.4])
def test_rational_matches_reference(dtype, threshold, device):
    g = torch.Generator().manual_seed(2)
    diagrams = random_diagrams(SIZES, dim=3, dtype=dtype, device=device, generator=g)
    centers = torch.rand(5, 3, dtype=dtype, generator=g).to(device)
    sharpness = torch.randn(5, 3, dtype=dtype, generator=g).to(device)
    exponent = (torch.rand(5, dtype=dtype, generator=g) * 3 - 1.5).to(device)
    layer = SLayerRational(
        5,
        3,
        centers_init=centers,
        sharpness_init=sharpness,
        exponent_init=exponent,
        pointwise_activation_threshold=threshold,
    )
    expected = reference_rational(
        as_lists(diagrams), centers.tolist(), sharpness.tolist(), exponent.tolist(), threshold
    )
    output = layer(diagrams)
    assert output.shape == (len(SIZES), 5)
    assert output.dtype == dtype
    torch.testing.assert_close(
        output, torch.tensor(expected, dtype=dtype, device=device), **TOL[dtype]
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("q", [1, 3])
def test_rational_hat_matches_reference(dtype, q, device):
    g = torch.Generator().manual_seed(3)
    diagrams = random_diagrams(SIZES, dtype=dtype, device=device, generator=g)
    centers = torch.rand(6, 2, dtype=dtype, generator=g).to(device)
    radius = torch.randn(6, dtype=dtype, generator=g).to(device)
    layer = SLayerRationalHat(6, 2, centers_init=centers, radius_init=radius, exponent=q)
    expected = reference_rational_hat(as_lists(diagrams), centers.tolist(), radius.tolist(), q)
    output = layer(diagrams)
    assert output.shape == (len(SIZES), 6)
    assert output.dtype == dtype
    torch.testing.assert_close(
        output, torch.tensor(expected, dtype=dtype, device=device), **TOL[dtype]
    )


def test_seed_oracles_for_rational_layers():
    centers = torch.tensor([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
    sharpness = torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    msets = [
        torch.tensor(x, dtype=torch.float32) for x in [[[0, 0]], [[0, 0], [0, 0]], [[1, 1], [0, 0]]]
    ]
    rational = SLayerRational(3, centers_init=centers, sharpness_init=sharpness)(msets)
    expected = torch.tensor([[1, 1 / 3, 1 / 7], [2, 2 / 3, 2 / 7], [4 / 3, 2 / 3, 8 / 7]])
    torch.testing.assert_close(rational, expected)
    hat = SLayerRationalHat(3, centers_init=centers)(msets)
    expected_hat = torch.tensor([[0.5, -0.5, -1 / 6], [1, -1, -1 / 3], [1 / 3, -1, 1 / 3]])
    torch.testing.assert_close(hat, expected_hat)


def test_rational_hat_zero_level_set_is_half_the_radius():
    layer = SLayerRationalHat(
        1, centers_init=torch.zeros(1, 2, dtype=torch.float64), radius_init=0.8
    )
    points = torch.tensor([[0.4, 0.0], [0.1, 0.2], [1.0, 1.0]], dtype=torch.float64)
    values = layer([p[None] for p in points])[:, 0]
    assert values[0] == 0
    assert values[1] > 0
    assert values[2] < 0


@pytest.mark.parametrize("layer_type", [SLayerExponential, SLayerRational, SLayerRationalHat])
def test_list_and_prepared_batch_agree(layer_type, device):
    layer = layer_type(4).to(device)
    diagrams = random_diagrams(SIZES, dtype=torch.float32, device=device)
    torch.testing.assert_close(layer(diagrams), layer(prepare_batch(diagrams)))
    torch.testing.assert_close(layer(tuple(diagrams)), layer(diagrams))


@pytest.mark.parametrize("layer_type", [SLayerExponential, SLayerRational, SLayerRationalHat])
def test_all_empty_batch_gives_zeros(layer_type):
    layer = layer_type(3)
    output = layer([torch.zeros(0, 2), torch.Tensor([])])
    assert output.shape == (2, 3)
    assert torch.equal(output, torch.zeros(2, 3))


@pytest.mark.parametrize("layer_type", [SLayerExponential, SLayerRational, SLayerRationalHat])
def test_empty_diagrams_of_default_dtype_work_with_a_float64_layer(layer_type):
    layer = layer_type(3).double()
    output = layer([torch.zeros(0, 2), torch.Tensor([])])
    assert output.dtype == torch.float64
    assert torch.equal(output, torch.zeros(2, 3, dtype=torch.float64))
    mixed = layer([torch.zeros(0, 2), torch.rand(2, 2, dtype=torch.float64)])
    assert mixed.dtype == torch.float64


def test_exponential_squeezes_like_the_original():
    assert SLayerExponential(3)([torch.rand(4, 2)]).shape == (3,)
    assert SLayerExponential(1)([torch.rand(4, 2), torch.rand(2, 2)]).shape == (2,)
    assert SLayerExponential(1)([torch.rand(4, 2)]).shape == ()
    assert SLayerRational(3)([torch.rand(4, 2)]).shape == (1, 3)
    assert SLayerRationalHat(1)([torch.rand(4, 2)]).shape == (1, 1)


def test_point_dimension_one_for_essential_births():
    births = [torch.tensor([[0.0], [0.5]]), torch.zeros(0, 1)]
    layer = SLayerExponential(2, 1, centers_init=torch.tensor([[0.0], [0.5]]))
    expected = torch.tensor([[1 + math.exp(-2.25), 1 + math.exp(-2.25)], [0.0, 0.0]])
    torch.testing.assert_close(layer(births), expected)


def test_rational_parameters_sharing_and_freezing():
    layer = SLayerRational(
        4, share_sharpness=True, share_exponent=True, sharpness_init=2, exponent_init=3
    )
    assert layer.sharpness.shape == (1,)
    assert layer.exponent.shape == (1,)
    assert "exponent" in dict(layer.named_buffers())
    assert {name for name, _ in layer.named_parameters()} == {"centers", "sharpness"}
    point = torch.tensor([[0.25, 0.5]])
    expected = 1.0 / (1.0 + 2 * (layer.centers.detach() - point).abs().sum(1)) ** 3
    torch.testing.assert_close(layer([point])[0], expected)
    learned = SLayerRational(4, freeze_exponent=False)
    assert {name for name, _ in learned.named_parameters()} == {"centers", "sharpness", "exponent"}
    torch.testing.assert_close(learned.exponent.detach(), torch.ones(4))


def test_rational_hat_defaults():
    layer = SLayerRationalHat(5, 3)
    assert layer.centers.shape == (5, 3)
    assert layer.radius.shape == (5,)
    torch.testing.assert_close(layer.radius.detach(), torch.ones(5))
    assert layer.exponent == 1
    assert layer.norm_p == 1


def test_inits_are_copied_and_follow_their_dtype():
    centers = torch.zeros(2, 2, dtype=torch.float64)
    layer = SLayerExponential(2, centers_init=centers)
    assert layer.centers.dtype == torch.float64
    assert layer.sharpness.dtype == torch.float64
    with torch.no_grad():
        layer.centers.add_(1.0)
    assert centers.abs().sum() == 0


# --- gradients ---------------------------------------------------------------------------------


def _gradcheck_layer(layer, diagrams):
    params = list(layer.parameters())
    names = [n for n, _ in layer.named_parameters()]

    def fn(*inputs):
        n_params = len(params)
        replaced = dict(zip(names, inputs[:n_params]))
        return torch.func.functional_call(layer, replaced, (list(inputs[n_params:]),))

    inputs = [p.detach().clone().requires_grad_(True) for p in params]
    inputs += [d.detach().clone().requires_grad_(True) for d in diagrams]
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-6)


def _gradcheck_diagrams(generator):
    # Tie-free points away from the centres' kinks; includes an empty diagram.
    return [torch.rand(m, 2, dtype=torch.float64, generator=generator) + 0.013 for m in (3, 0, 2)]


def test_gradcheck_exponential():
    g = torch.Generator().manual_seed(5)
    layer = SLayerExponential(
        3, sharpness_init=torch.rand(3, 2, dtype=torch.float64, generator=g) + 1
    )
    layer = layer.double()
    _gradcheck_layer(layer, _gradcheck_diagrams(g))


def test_gradcheck_rational_all_parameters():
    g = torch.Generator().manual_seed(6)
    layer = SLayerRational(
        3,
        centers_init=torch.rand(3, 2, dtype=torch.float64, generator=g),
        sharpness_init=torch.rand(3, 2, dtype=torch.float64, generator=g) + 0.5,
        exponent_init=torch.rand(3, dtype=torch.float64, generator=g) + 0.5,
        freeze_exponent=False,
    )
    _gradcheck_layer(layer, _gradcheck_diagrams(g))


def test_gradcheck_rational_hat():
    g = torch.Generator().manual_seed(7)
    layer = SLayerRationalHat(
        3,
        centers_init=torch.rand(3, 2, dtype=torch.float64, generator=g),
        radius_init=torch.rand(3, dtype=torch.float64, generator=g) + 0.3,
        exponent=2,
    )
    _gradcheck_layer(layer, _gradcheck_diagrams(g))


def test_exponential_gradient_wrt_a_point_is_analytic():
    centers = torch.tensor([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]], dtype=torch.float64)
    sharpness = torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], dtype=torch.float64)
    layer = SLayerExponential(3, centers_init=centers, sharpness_init=sharpness)
    point = torch.tensor([[0.2, 0.3]], dtype=torch.float64, requires_grad=True)
    layer([point]).sum().backward()
    torch.testing.assert_close(
        point.grad[0], torch.tensor([1.07616, 0.42486], dtype=torch.float64), atol=5e-6, rtol=0
    )


# --- vectorisation and memory --------------------------------------------------------------------


def _graph_size(output):
    seen, stack = set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_fn for next_fn, _ in node.next_functions)
    return len(seen)


@pytest.mark.parametrize("layer_type", [SLayerExponential, SLayerRational, SLayerRationalHat])
def test_evaluation_is_one_batched_graph(layer_type):
    layer = layer_type(4)
    prepared_small = prepare_batch([torch.rand(5, 2) for _ in range(2)])
    prepared_large = prepare_batch([torch.rand(5, 2) for _ in range(40)])
    assert _graph_size(layer(prepared_small)) == _graph_size(layer(prepared_large))


@pytest.mark.parametrize("layer_type", [SLayerExponential, SLayerRational, SLayerRationalHat])
def test_saved_activations_stay_within_b_m_n(layer_type):
    n_elements, point_dim = 8, 5
    layer = layer_type(n_elements, point_dim)
    diagrams = [torch.rand(m, point_dim, requires_grad=True) for m in (30, 10, 0, 25)]
    prepared = prepare_batch(diagrams)
    largest = 0

    def pack(tensor):
        nonlocal largest
        largest = max(largest, tensor.numel())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        layer(prepared).sum().backward()
    assert largest <= len(diagrams) * 30 * n_elements


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("layer_type", [SLayerExponential, SLayerRational, SLayerRationalHat])
def test_cpu_and_cuda_agree(layer_type):
    layer = layer_type(6).double()
    diagrams = random_diagrams(SIZES)
    for d in diagrams:
        d.requires_grad_(True)
    cpu_out = layer(diagrams)
    cpu_out.square().sum().backward()
    cuda_layer = layer_type(6).double().cuda()
    cuda_layer.load_state_dict(layer.state_dict())
    cuda_diagrams = [d.detach().cuda().requires_grad_(True) for d in diagrams]
    cuda_out = cuda_layer(cuda_diagrams)
    cuda_out.square().sum().backward()
    torch.testing.assert_close(cuda_out.cpu(), cpu_out)
    for a, b in zip(cuda_diagrams, diagrams):
        torch.testing.assert_close(a.grad.cpu(), b.grad)
    torch.testing.assert_close(cuda_layer.centers.grad.cpu(), layer.centers.grad)


# --- properties ----------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 6), min_size=1, max_size=5),
    layer_index=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_batching_never_changes_a_diagrams_row(sizes, layer_index, seed):
    g = torch.Generator().manual_seed(seed)
    layer = [SLayerExponential, SLayerRational, SLayerRationalHat][layer_index](3).double()
    diagrams = [torch.randn(m, 2, dtype=torch.float64, generator=g) for m in sizes]
    batched = layer(diagrams).reshape(len(sizes), 3)
    for row, diagram in zip(batched, diagrams):
        alone = layer([diagram]).reshape(3)
        torch.testing.assert_close(row, alone, rtol=1e-12, atol=1e-12)
        permuted = diagram[torch.randperm(len(diagram), generator=g)]
        torch.testing.assert_close(layer([permuted]).reshape(3), alone, rtol=1e-12, atol=1e-12)


def test_prepared_batch_with_a_boolean_mask():
    layer = SLayerRational(3)
    diagrams = [torch.rand(4, 2), torch.rand(1, 2)]
    padded, not_dummy, max_points, batch_size = prepare_batch(diagrams)
    as_bool = (padded, not_dummy.bool(), max_points, batch_size)
    torch.testing.assert_close(layer(as_bool), layer(diagrams))


def test_public_import_paths():
    import torchph_lite
    from torchph_lite.nn import slayer

    assert torchph_lite.nn.SLayerExponential is SLayerExponential
    for name in slayer.__all__:
        assert getattr(slayer, name) is not None
