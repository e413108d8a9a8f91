"""One model using all four packages: it trains, its gradients reach every package, it survives
``torch.save``/``torch.load`` in a fresh process, pickles and deep-copies, and its equivariant
part exports to plain torch."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from conftest import subprocess_env

from fourpack import BlobImages, FourPackageNet, ModelConfig, training_loss
from fourpack.training import TrainSettings, train

#: parameter-name prefix of each package's modules inside FourPackageNet
PACKAGE_OF_PREFIX = {
    "equivariant.": "e2_steerable",
    "pool.": "semiconv_nd",
    "hourglass.": "hourglass_layer",
    "slayer.": "torchph_lite",
}


def _batch(count: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    data = BlobImages(count, size=16, seed=3)
    return data.images, data.labels


def _model(**config: object) -> FourPackageNet:
    torch.manual_seed(0)
    return FourPackageNet(ModelConfig(**config))


def test_training_decreases_the_loss() -> None:
    result = train(0, 1, TrainSettings(steps=12, batch_size=16, images=64))
    first, last = result.losses[:3], result.losses[-3:]
    assert all(torch.isfinite(torch.tensor(result.losses)))
    assert sum(last) / 3 < 0.9 * sum(first) / 3, result.losses


def test_gradients_reach_every_package() -> None:
    model = _model()
    images, labels = _batch()
    logits, deaths = model(images)
    loss, parts = training_loss(model, logits, labels, deaths)
    assert parts["hourglass"] > 0
    assert parts["connectivity"] > 0
    loss.backward()
    reached = set()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name
        if parameter.grad.abs().sum() > 0:
            reached |= {pkg for prefix, pkg in PACKAGE_OF_PREFIX.items() if name.startswith(prefix)}
    assert reached == set(PACKAGE_OF_PREFIX.values())


def test_persistence_gradient_flows_back_through_every_package() -> None:
    """The SLayer's output alone (through the diagrams) moves the upstream weights."""
    model = _model()
    images, _ = _batch()
    clouds = model.point_clouds(images)
    from torchph_lite.pershom import vr_persistence_l2

    diagrams = [ne[0] for ne, _ in vr_persistence_l2(clouds, 0)]
    features = model.slayer(diagrams).sum()
    upstream = {
        "e2_steerable": next(model.equivariant.parameters()),
        "semiconv_nd": next(model.pool.parameters()),
        "hourglass_layer": model.hourglass.W1,
    }
    grads = torch.autograd.grad(features, list(upstream.values()))
    for (package, _), grad in zip(upstream.items(), grads):
        assert grad.abs().sum() > 0, package


def test_every_module_pickles_and_deep_copies() -> None:
    model = _model().eval()
    images, _ = _batch(4)
    expected, _ = model(images)
    for name, module in model.named_modules():
        clone = pickle.loads(pickle.dumps(module))
        assert type(clone) is type(module), name
        copy.deepcopy(module)
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        torch.testing.assert_close(clone(images)[0], expected)


_LOAD_AND_COMPARE = textwrap.dedent(
    """
    import sys
    import torch
    model = torch.load(sys.argv[1], weights_only=False)
    images, expected = torch.load(sys.argv[2])
    with torch.no_grad():
        logits, _ = model(images)
    torch.testing.assert_close(logits, expected, rtol=0, atol=0)
    print("ok", type(model).__name__)
    """
)


def _fresh_process_round_trip(model: FourPackageNet, tmp_path: Path) -> None:
    images, labels = _batch()
    # a few training steps first, so that weights and running statistics are not the initial ones
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(2):
        logits, deaths = model(images)
        loss, _ = training_loss(model, logits, labels, deaths)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        expected, _ = model(images)
    torch.save(model, tmp_path / "model.pt")
    torch.save((images, expected), tmp_path / "reference.pt")
    result = subprocess.run(
        [
            sys.executable,
            *("-W", "error", "-c", _LOAD_AND_COMPARE),
            *(str(tmp_path / "model.pt"), str(tmp_path / "reference.pt")),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=subprocess_env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok FourPackageNet"


def test_torch_save_load_in_a_fresh_process(tmp_path: Path) -> None:
    _fresh_process_round_trip(_model(semifield="broadcast"), tmp_path)


def test_torch_save_load_in_a_fresh_process_compiled_semifield(tmp_path: Path) -> None:
    """The same with the compiled (numba custom-op) tropical semifield."""
    _fresh_process_round_trip(_model(semifield="compiled"), tmp_path)


def test_eval_mode_export_of_the_equivariant_part() -> None:
    model = _model()
    images, _ = _batch()
    model(images)  # one training-mode pass updates the running statistics
    model.eval()
    exported = model.export_equivariant()
    assert isinstance(exported, torch.nn.Sequential)
    assert not any(isinstance(m, type(model.equivariant)) for m in exported.modules())
    with torch.no_grad():
        torch.testing.assert_close(exported(images), model.invariant_features(images))
    # the exported stage is plain torch: it traces with torch.export
    program = torch.export.export(exported, (images,))
    torch.testing.assert_close(program.module()(images), exported(images))


def test_export_refuses_training_mode() -> None:
    with pytest.raises(RuntimeError, match="eval mode"):
        _model().export_equivariant()


@pytest.mark.parametrize(
    ("config", "match"),
    [({"fields": 0}, "fields must be a positive int"), ({"semifield": "x"}, "semifield must be")],
)
def test_bad_configuration_is_rejected(config: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ModelConfig(**config)


def test_bad_image_shape_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"images must have shape \(B, 1, S, S\)"):
        _model()(torch.zeros(2, 3, 16, 16))
