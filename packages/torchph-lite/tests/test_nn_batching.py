"""prepare_batch and the input-form helpers."""

from __future__ import annotations

import pytest
import torch

from torchph_lite.nn.slayer import (
    PreparedBatch,
    is_list_of_tensors,
    is_prepared_batch,
    prepare_batch,
    prepare_batch_if_necessary,
)


def test_seed_batch_shapes():
    msets = [[[0, 0]], [[0, 0], [0, 0]], [[1, 1], [0, 0]], [[0, 0], [1, 1]]]
    padded, not_dummy, max_points, batch_size = prepare_batch([torch.Tensor(x) for x in msets])
    assert padded.shape == (4, 2, 2)
    assert not_dummy.shape == (4, 2)
    assert (max_points, batch_size) == (2, 4)
    assert torch.equal(not_dummy, torch.tensor([[1.0, 0], [1, 1], [1, 1], [1, 1]]))
    assert torch.equal(padded[2], torch.tensor([[1.0, 1], [0, 0]]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_keeps_dtype_device_and_pads_with_zeros(dtype, device):
    diagrams = [torch.rand(m, 3, dtype=dtype, device=device) for m in (2, 0, 4)]
    prepared = prepare_batch(diagrams)
    assert isinstance(prepared, PreparedBatch)
    assert prepared.batch.dtype == dtype
    assert prepared.not_dummy_points.dtype == dtype
    assert prepared.batch.device == diagrams[0].device
    assert prepared.not_dummy_points.device == diagrams[0].device
    assert prepared.batch.shape == (3, 4, 3)
    torch.testing.assert_close(prepared.batch[0, :2], diagrams[0])
    torch.testing.assert_close(prepared.batch[2], diagrams[2])
    assert torch.count_nonzero(prepared.batch[0, 2:]) == 0
    assert torch.count_nonzero(prepared.batch[1]) == 0
    assert prepared.not_dummy_points.sum(1).tolist() == [2, 0, 4]


def test_gradients_flow_to_the_inputs():
    diagrams = [torch.rand(m, 2, dtype=torch.float64, requires_grad=True) for m in (3, 1)]
    padded = prepare_batch(diagrams).batch
    (padded * torch.arange(padded.numel(), dtype=torch.float64).view_as(padded)).sum().backward()
    torch.testing.assert_close(diagrams[0].grad, torch.arange(6, dtype=torch.float64).view(3, 2))
    torch.testing.assert_close(diagrams[1].grad, torch.tensor([[6.0, 7.0]], dtype=torch.float64))


def test_only_empty_diagrams_pad_to_one_point():
    padded, not_dummy, max_points, batch_size = prepare_batch([torch.zeros(0, 2), torch.Tensor([])])
    assert padded.shape == (2, 1, 2)
    assert (max_points, batch_size) == (1, 2)
    assert not_dummy.sum() == 0
    assert prepare_batch([torch.Tensor([])], point_dim=3).batch.shape == (1, 1, 3)


def test_point_dim_inferred_from_first_non_empty_diagram():
    prepared = prepare_batch([torch.Tensor([]), torch.rand(2, 1)])
    assert prepared.batch.shape == (2, 2, 1)


def test_empty_diagrams_of_another_dtype_are_accepted():
    prepared = prepare_batch([torch.zeros(0, 2), torch.rand(2, 2, dtype=torch.float64)])
    assert prepared.batch.dtype == torch.float64


def test_input_form_predicates():
    diagrams = [torch.rand(2, 2)]
    assert is_prepared_batch(prepare_batch(diagrams))
    assert is_prepared_batch(tuple(prepare_batch(diagrams)))
    assert not is_prepared_batch(diagrams)
    assert not is_prepared_batch((torch.rand(1, 1, 2), torch.ones(1, 1), 0, 1))
    assert is_list_of_tensors(diagrams)
    assert is_list_of_tensors((torch.rand(1, 2),))
    assert not is_list_of_tensors([torch.rand(1, 2), [[0, 1]]])
    assert not is_list_of_tensors(torch.rand(2, 2))
    assert not is_list_of_tensors(3)


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([], "at least one diagram"),
        (torch.rand(2, 3, 2), "list of tensors"),
        ([torch.rand(2, 2), [[0.0, 1.0]]], r"batch\[1\] must be a torch.Tensor"),
        ([torch.rand(2, 2), torch.rand(3, 3)], r"batch\[1\] must have points of dimension"),
        ([torch.rand(2, 2), torch.rand(3)], r"batch\[1\] must be a 2-D tensor.*unsqueeze"),
        ([torch.rand(1, 2, 2)], r"batch\[0\] must be a 2-D tensor"),
        ([torch.rand(2, 2), torch.rand(2, 2, device="meta")], "one device"),
    ],
)
def test_bad_batches_raise_value_error(batch, message):
    with pytest.raises(ValueError, match=message):
        prepare_batch(batch, point_dim=2 if isinstance(batch, list) and batch else None)


def test_bad_dtypes_raise_type_error():
    with pytest.raises(TypeError, match="floating point"):
        prepare_batch([torch.ones(2, 2, dtype=torch.int64)])
    with pytest.raises(TypeError, match="share one dtype"):
        prepare_batch([torch.rand(2, 2), torch.rand(2, 2, dtype=torch.float64)])


def test_bad_point_dim():
    with pytest.raises(ValueError, match="point_dim must be a positive int"):
        prepare_batch([torch.rand(2, 2)], point_dim=0)
    with pytest.raises(ValueError, match="pass point_dim"):
        prepare_batch([torch.Tensor([])])


def test_prepare_batch_if_necessary_checks_prepared_input():
    prepared = prepare_batch([torch.rand(3, 2), torch.rand(1, 2)])
    torch.testing.assert_close(prepare_batch_if_necessary(prepared, 2).batch, prepared.batch)
    with pytest.raises(ValueError, match="point_dimension=3"):
        prepare_batch_if_necessary(prepared, 3)
    with pytest.raises(ValueError, match="does not match"):
        prepare_batch_if_necessary((prepared.batch, prepared.not_dummy_points, 4, 2), 2)
    with pytest.raises(ValueError, match="not_dummy_points must have shape"):
        prepare_batch_if_necessary((prepared.batch, torch.ones(2, 5), 3, 2), 2)
    with pytest.raises(ValueError, match=r"batch must have shape \(B, M, D\)"):
        prepare_batch_if_necessary((torch.rand(3, 2), torch.ones(1, 3), 3, 1), 2)
    with pytest.raises(ValueError, match="list of tensors"):
        prepare_batch_if_necessary("not a batch", 2)
    with pytest.raises(ValueError, match="list of tensors"):
        prepare_batch_if_necessary([[0.0, 1.0]], 2)
