"""Pickling, deep copies, torch.save/torch.load in a new process and spawned workers."""

from __future__ import annotations

import copy
import multiprocessing
import os
import pickle
import site
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from serialization_helpers import BUILTIN_SEMIFIELDS, model, run, user_select, user_subtract

import semiconv_nd as semiconv
from semiconv_nd.ops.registry import lookup

SRC = Path(semiconv.__file__).parent.parent
TESTS = Path(__file__).parent

SEMIFIELDS = {
    **BUILTIN_SEMIFIELDS,
    "user_select": user_select,
    "user_select_anonymous": lambda: user_select(None),
    "user_subtract": user_subtract,
}


def _pythonpath(*dirs: Path) -> str:
    """PYTHONPATH for a subprocess: ``dirs`` without site-packages directories.

    An installed package's parent is site-packages, which must stay after the standard library
    (a PyPI ``uuid`` module there would shadow the stdlib one if it came first).
    """
    sites = {Path(p).resolve() for p in site.getsitepackages()}
    return os.pathsep.join(str(d) for d in dirs if Path(d).resolve() not in sites)


@pytest.mark.parametrize("name", list(SEMIFIELDS))
def test_semifields_pickle_and_deepcopy(name):
    semifield = SEMIFIELDS[name]()
    for clone in (pickle.loads(pickle.dumps(semifield)), copy.deepcopy(semifield)):
        assert type(clone) is type(semifield)
        assert clone.cache_name == semifield.cache_name
        assert clone.compiled_spec().builtin == semifield.compiled_spec().builtin
        assert clone.compiled_spec().param == semifield.compiled_spec().param
        assert clone.times(0.5, 2.0) == semifield.times(0.5, 2.0)


@pytest.mark.parametrize("name", ["root", "log", "user_select"])
@pytest.mark.parametrize("lazy", [False, True], ids=["dynamic", "lazy_fixed"])
def test_modules_pickle_and_deepcopy_with_equal_results(name, lazy):
    net = model([SEMIFIELDS[name](), semiconv.SelectSemifield.tropical_max()], lazy=lazy)
    expected = run(net)
    assert expected.isfinite().all()
    for clone in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        torch.testing.assert_close(run(clone), expected, rtol=0, atol=0)
        assert lookup(clone[0].conv.key).spec.kind == net[0].conv.spec.kind


def test_unpickled_module_registers_its_semifield_again(monkeypatch):
    from semiconv_nd.ops import registry

    state = pickle.dumps(semiconv.SubtractSemifield.root(2.0).dynamic())
    monkeypatch.setattr(registry, "_BY_KEY", {})  # as in a new process
    monkeypatch.setattr(registry, "_BY_IDENTITY", {})
    clone = pickle.loads(state)
    entry = lookup(clone.key)
    assert (entry.mode, entry.param) == (1, 2.0)
    out = clone(torch.ones(1, 1, 4), torch.ones(1, 1, 2))
    torch.testing.assert_close(out, torch.full((1, 1, 3), 2.0 ** (1 / 2)))


_LOAD_IN_NEW_PROCESS = """
import sys, torch
from serialization_helpers import run
net = torch.load(sys.argv[1], weights_only=False)
expected = torch.load(sys.argv[2])
torch.testing.assert_close(run(net), expected, rtol=0, atol=0)
print("ok")
"""


def _new_process(tmp_path: Path, names: list[str]) -> None:
    net = model([SEMIFIELDS[name]() for name in names])
    expected = run(net)
    torch.save(net, tmp_path / "model.pt")
    torch.save(expected, tmp_path / "expected.pt")
    env_path = _pythonpath(SRC, TESTS)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _LOAD_IN_NEW_PROCESS,
            tmp_path / "model.pt",
            tmp_path / "expected.pt",
        ],
        env={"PYTHONPATH": env_path, "PATH": "", **_numba_env()},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def _numba_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(("NUMBA_", "HOME", "TMP"))}


def test_torch_save_and_load_in_a_new_process_builtins(tmp_path):
    _new_process(tmp_path, list(BUILTIN_SEMIFIELDS))


@pytest.mark.slow
def test_torch_save_and_load_in_a_new_process_user_defined(tmp_path):
    _new_process(tmp_path, ["user_select", "user_subtract", "root"])


def test_spawned_worker_runs_an_unpickled_model():
    net = model([SEMIFIELDS["log"](), SEMIFIELDS["tropical_min"]()])
    expected = run(net)
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result = pool.apply(run, (net,))
    torch.testing.assert_close(result, expected, rtol=0, atol=0)


@pytest.mark.parametrize(
    "semifield",
    [
        semiconv.BroadcastSemifield.tropical_max(),
        semiconv.BroadcastSemifield.tropical_min_negated(channels_add=True),
        semiconv.BroadcastSemifield.linear(),
        semiconv.BroadcastSemifield.root(3.0),
        semiconv.BroadcastSemifield.log(2.0),
    ],
    ids=["tmax", "tmin", "linear", "root", "log"],
)
def test_broadcast_modules_pickle_and_deepcopy(semifield):
    net = model([semifield])
    expected = run(net)
    for clone in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        torch.testing.assert_close(run(clone), expected, rtol=0, atol=0)
