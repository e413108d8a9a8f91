"""BroadcastSemifield vs the original package's CPU BroadcastSemifield: outputs and gradients."""

from __future__ import annotations

import pytest
import torch
from reference_helpers import (
    POSITIVE_DOMAIN,
    SEMIFIELDS,
    our_module,
    reference_module,
    run_with_grads,
    tie_free_inputs,
)

pytest.importorskip("pytorch_nd_semiconv")

# (image shape, kernel shape, keyword arguments): 1-D/2-D/3-D, every padding form, strides,
# dilations, groups (1, mid, depthwise), group broadcasting, conv/corr, odd and even kernels,
# and one 4-D case (the code is generic in the number of dimensions).
# No window lies entirely in the padding (the original's log gradient is NaN there).
CASES = [
    ((2, 3, 11), (2, 3, 4), {"padding": "same"}),
    ((2, 4, 12), (4, 2, 3), {"groups": 2, "stride": 2, "padding": ((2, 1),), "kind": "corr"}),
    ((2, 4, 13), (4, 1, 3), {"groups": 4, "dilation": 2, "padding": 1}),
    ((2, 3, 9, 8), (3, 1, 3, 3), {"groups": 3, "padding": "same"}),
    ((2, 4, 9, 10), (6, 2, 3, 2), {"groups": 2, "stride": (2, 1), "dilation": (1, 2)}),
    ((2, 6, 8, 9), (2, 3, 3, 3), {"groups": 2, "group_broadcasting": True, "padding": (1, 0)}),
    ((1, 3, 8, 7), (2, 3, 2, 3), {"padding": ((0, 1), (1, 2)), "kind": "corr"}),
    ((2, 4, 9, 9), (4, 1, 4, 4), {"groups": 4, "padding": "same", "stride": 2}),
    ((2, 2, 8, 8), (4, 1, 3, 3), {"groups": 2, "padding": "valid", "dilation": 2}),
    ((1, 2, 6, 7, 5), (2, 1, 3, 2, 3), {"groups": 2, "padding": ((1, 1), (0, 1), (1, 0))}),
    ((2, 2, 5, 6, 5), (2, 2, 2, 3, 2), {"padding": 1, "stride": 2, "kind": "corr"}),
    ((1, 4, 5, 5, 6), (2, 2, 3, 3, 3), {"groups": 2, "group_broadcasting": True, "dilation": 2}),
    (
        (2, 2, 4, 5, 4, 5),
        (2, 1, 2, 3, 2, 2),
        {"groups": 2, "padding": "same", "stride": (1, 2, 1, 1)},
    ),
]
IDS = [f"{len(c[0]) - 2}d-{i}" for i, c in enumerate(CASES)]


def assert_agrees(mine: torch.Tensor, ref: torch.Tensor, msg: str = "") -> None:
    """Relative agreement, 1e-5 in float32 (1e-10 in float64), measured against the tensor's scale.

    Gradients are sums of many terms with cancellation, so an element-wise relative tolerance
    is meaningless near zero; the absolute tolerance is therefore relative to ``max |ref|``.
    """
    rel = 1e-5 if ref.dtype == torch.float32 else 1e-10
    scale = float(ref.abs().max()) if ref.numel() else 1.0
    torch.testing.assert_close(mine, ref, rtol=rel, atol=rel * max(scale, 1.0), msg=msg)


@pytest.mark.parametrize("name", list(SEMIFIELDS))
@pytest.mark.parametrize(("img_shape", "kernel_shape", "kwargs"), CASES, ids=IDS)
def test_matches_original_outputs_and_gradients(name, img_shape, kernel_shape, kwargs) -> None:
    img, kernel = tie_free_inputs(img_shape, kernel_shape, name in POSITIVE_DOMAIN)
    ours = run_with_grads(our_module(name), img, kernel, **kwargs)
    theirs = run_with_grads(reference_module(name), img, kernel, **kwargs)
    for label, mine, ref in zip(("output", "img grad", "kernel grad"), ours, theirs):
        assert_agrees(mine, ref, msg=label)
    if name.startswith("tropical") and "channels_add" not in name:
        assert torch.equal(ours[0], theirs[0]), "tropical forward must be bitwise equal"


@pytest.mark.parametrize("name", ["tropical_max", "log_-2", "root_3", "linear"])
def test_matches_original_in_float64(name) -> None:
    img, kernel = tie_free_inputs(
        (2, 4, 7, 8), (4, 2, 3, 2), name in POSITIVE_DOMAIN, dtype=torch.float64
    )
    kwargs = {"groups": 2, "padding": ((1, 0), (1, 1)), "stride": (1, 2)}
    ours = run_with_grads(our_module(name), img, kernel, **kwargs)
    theirs = run_with_grads(reference_module(name), img, kernel, **kwargs)
    for mine, ref in zip(ours, theirs):
        assert_agrees(mine, ref)


@pytest.mark.parametrize(
    "name",
    [
        "tropical_max",
        "tropical_min_negated",
        "tropical_max_spread",
        "tropical_min_spread",
        "tropical_max_channels_add",
        "tropical_max_channels_add_spread",
    ],
)
def test_ties_follow_the_original(name) -> None:
    # Binary images and flat kernels: many exact ties. The gradient goes to the first maximal
    # tap in (channel, axis 0, axis 1) order, or is shared equally with spread_gradient.
    torch.manual_seed(3)
    img = (torch.rand(2, 4, 7, 6) > 0.5).float()
    kernel = torch.zeros(4, 2, 3, 3)
    kwargs = {"groups": 2, "padding": "same"}
    ours = run_with_grads(our_module(name), img, kernel, **kwargs)
    theirs = run_with_grads(reference_module(name), img, kernel, **kwargs)
    assert torch.equal(ours[0], theirs[0])
    torch.testing.assert_close(ours[1], theirs[1], rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(ours[2], theirs[2], rtol=1e-5, atol=1e-5)


def test_user_defined_semifield_matches_original() -> None:
    import pytorch_nd_semiconv as original

    import semiconv_nd

    def fields(cls):
        return cls(
            add_reduce=lambda arr, dims: arr.square().sum(dim=dims).sqrt(),
            multiply=lambda img, krn: img * krn.exp(),
            zero=0.0,
        )

    img, kernel = tie_free_inputs((2, 4, 9, 8), (6, 2, 3, 3), positive=False)
    for kwargs in ({"groups": 2, "padding": "same"}, {"groups": 2, "stride": 2, "kind": "corr"}):
        ours = run_with_grads(
            fields(semiconv_nd.BroadcastSemifield).dynamic(), img, kernel, **kwargs
        )
        theirs = run_with_grads(
            fields(original.BroadcastSemifield).dynamic(), img, kernel, **kwargs
        )
        for mine, ref in zip(ours, theirs):
            assert_agrees(mine, ref)


@pytest.mark.parametrize("name", ["tropical_max", "linear"])
def test_unfold_copy_matches_original(name) -> None:
    import pytorch_nd_semiconv as original

    import semiconv_nd

    img, kernel = tie_free_inputs((2, 4, 9, 8), (4, 2, 3, 3), positive=False)
    kwargs = {"groups": 2, "padding": "same", "dilation": (1, 2)}
    ctor = SEMIFIELDS[name][0]
    ours_sf = getattr(semiconv_nd.BroadcastSemifield, ctor)()
    # A user-defined copy of the semifield exercises the unfold windows of the generic engine.
    user = semiconv_nd.BroadcastSemifield(
        lambda a, d: ours_sf.add_reduce(a, d), ours_sf.multiply, ours_sf.zero
    )
    ours = run_with_grads(user.dynamic(unfold_copy=True), img, kernel, **kwargs)
    theirs = run_with_grads(
        getattr(original.BroadcastSemifield, ctor)().dynamic(unfold_copy=True),
        img,
        kernel,
        **kwargs,
    )
    for mine, ref in zip(ours, theirs):
        assert_agrees(mine, ref)
