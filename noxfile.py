"""Build, test and cross-check the four packages of the monorepo.

Run ``nox --list`` for the sessions. ``nox`` with no arguments runs everything a contributor must
keep green (lint, the type check of e2_steerable, vendored copies, the shared helper, every
package's tests on CPU, the builds, the integration tests against the built wheels, the
CPU-vs-CUDA cross-check, which skips without a GPU, and the docs). Not in the default run:
``nox -s examples`` (the main job: every example and ``examples/output/index.md``),
``nox -s bench`` (benchmarks and ``benchmarks/results.md``) and ``nox -s min_versions`` (each
package's tests with the lowest torch/numpy/scipy/numba it declares; multi-GB downloads without
the PyTorch CPU index, so it runs in its own CI workflow).

Torch is pinned through a constraints file so that no session ever pulls an unexpected (multi-GB)
build: ``constraints/torch-cpu.txt`` by default. Point ``TOOLKIT_CONSTRAINTS`` at another file
(for example one pinning a CUDA build of torch) to override it on a GPU machine.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nox
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

nox.needs_version = ">=2024.3.2"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = [
    "lint",
    "typecheck",
    "vendor_check",
    "shared",
    "tests",
    "build",
    "integration",
    "cuda_crosscheck",
    "docs",
]

ROOT = Path(__file__).resolve().parent
PACKAGES = {
    "torchph-lite": "torchph_lite",
    "e2-steerable": "e2_steerable",
    "semiconv-nd": "semiconv_nd",
    "hourglass-layer": "hourglass_layer",
}
#: Optional extras each package's tests and examples exercise.
EXTRAS = {
    "torchph-lite": "plot",
    "e2-steerable": "",
    "semiconv-nd": "plot",
    "hourglass-layer": "",
}
CONSTRAINTS = Path(os.environ.get("TOOLKIT_CONSTRAINTS", ROOT / "constraints" / "torch-cpu.txt"))
DIST = ROOT / "dist"
HAS_GPU = shutil.which("nvidia-smi") is not None
DEVICES = [nox.param("cpu", tags=["cpu"]), nox.param("cuda", tags=["cuda"])]
#: example folders run by ``nox -s examples``: one per package, then the cross-package model
EXAMPLE_GROUPS = [*PACKAGES.values(), "integration"]
#: dependencies the ``min_versions`` session pins to the lowest version a package declares
MIN_VERSION_PINNED = ("torch", "numpy", "scipy", "numba")
#: test-only reference libraries that cannot be installed next to a package's lowest versions:
#: the ``min_versions`` session leaves them out, and the tests that use them as an oracle skip
MIN_VERSION_OMITTED = {
    "semiconv-nd": {"pytorch-nd-semiconv": "its numba-cuda dependency requires numba>=0.59.1"},
}


def _frees_its_venv(func: Callable[..., None]) -> Callable[..., None]:
    """Delete the session's venv when it ends, unless nox was asked to reuse venvs.

    Every venv holds its own torch (about 1 GB), so a full ``nox`` run would otherwise leave some
    15 GB behind; nox recreates a venv at each run anyway unless ``-r``/``--reuse-venv`` is given,
    in which case (or with ``TOOLKIT_KEEP_VENVS=1``) the venv stays for the next run.
    """

    @functools.wraps(func)
    def run_then_free(session: nox.Session, *args: Any, **kwargs: Any) -> None:
        try:
            func(session, *args, **kwargs)
        finally:
            keep = (
                os.environ.get("TOOLKIT_KEEP_VENVS") == "1" or session._runner.reuse_existing_venv()
            )
            location = getattr(session.virtualenv, "location", None)
            if not keep and location and Path(location).is_dir():
                shutil.rmtree(location, ignore_errors=True)

    return run_then_free


def _install(session: nox.Session, *args: str) -> None:
    """pip install with the torch constraints applied."""
    session.install("-c", str(CONSTRAINTS), *args)


def _test_group(package: str) -> list[str]:
    pyproject = nox.project.load_toml(ROOT / "packages" / package / "pyproject.toml")
    return nox.project.dependency_groups(pyproject, "test")


def _requirement(package: str) -> str:
    extra = EXTRAS[package]
    path = str(ROOT / "packages" / package)
    return f"{path}[{extra}]" if extra else path


@nox.session
@nox.parametrize("device", DEVICES)
@nox.parametrize("package", list(PACKAGES))
@_frees_its_venv
def tests(session: nox.Session, package: str, device: str) -> None:
    """Test one package in its own venv (only its own dependencies), on cpu or cuda."""
    if device == "cuda" and not HAS_GPU:
        session.skip("no NVIDIA GPU on this machine (nvidia-smi not found)")
    _install(session, _requirement(package), *_test_group(package))
    session.chdir(ROOT / "packages" / package)
    # cpu hides any GPU so that the CPU paths are what is tested; cuda runs the same suite with
    # the GPU visible, so every test taking the `device` fixture runs on both devices.
    env = {"CUDA_VISIBLE_DEVICES": ""} if device == "cpu" else {}
    session.run("pytest", "-m", "not slow", *session.posargs, env=env)
    if device == "cpu":
        session.run("pytest", "--doctest-modules", "--pyargs", PACKAGES[package], env=env)


@nox.session(default=False)
@nox.parametrize("package", list(PACKAGES))
@_frees_its_venv
def tests_slow(session: nox.Session, package: str) -> None:
    """The long-running tests (marked ``slow``) of one package."""
    _install(session, _requirement(package), *_test_group(package))
    session.chdir(ROOT / "packages" / package)
    session.run("pytest", "-m", "slow", *session.posargs, success_codes=[0, 5])


@nox.session
@_frees_its_venv
def shared(session: nox.Session) -> None:
    """Tests (incl. hypothesis properties and doctests) of the shared padding/grid helper."""
    _install(session, "torch", "numpy", "pytest", "hypothesis")
    session.chdir(ROOT / "shared")
    session.run("pytest", "--doctest-modules", "grid.py", "tests", *session.posargs)


@nox.session(venv_backend="none")
def vendor(session: nox.Session) -> None:
    """Rewrite the vendored copies of shared/ inside the packages."""
    session.run(sys.executable, str(ROOT / "tools" / "vendoring.py"), "write")


@nox.session(venv_backend="none")
def vendor_check(session: nox.Session) -> None:
    """Fail if any vendored copy differs from shared/ (fix with `nox -s vendor`)."""
    session.run(sys.executable, str(ROOT / "tools" / "vendoring.py"), "check")


@nox.session
@nox.parametrize("package", list(PACKAGES))
@_frees_its_venv
def build(session: nox.Session, package: str) -> None:
    """Build the sdist, then the wheel from that sdist, and check both."""
    session.install("build", "twine")
    outdir = DIST / package
    shutil.rmtree(outdir, ignore_errors=True)
    # `python -m build` makes the sdist and then builds the wheel from the unpacked sdist.
    session.run("python", "-m", "build", "--outdir", str(outdir), str(ROOT / "packages" / package))
    artifacts = sorted(str(p) for p in outdir.iterdir())
    session.run("twine", "check", "--strict", *artifacts)
    session.run(
        "python", str(ROOT / "tools" / "check_dist.py"), package, PACKAGES[package], str(outdir)
    )
    # The wheel alone (with its declared dependencies only) must install and import without a
    # single warning (e.g. torch's "Failed to initialize NumPy" when numpy is not declared).
    # The venv holds only build, twine (neither pulls numpy or torch) and the wheel's own deps.
    _install(session, str(next(outdir.glob("*.whl"))))
    session.run(
        "python",
        "-W",
        "error",
        "-c",
        f"import {PACKAGES[package]} as m; print(m.__name__, m.__version__)",
    )


def _wheels(extras: dict[str, str] | None = None) -> list[str]:
    """The built wheel of every package, with ``extras`` (``{package: "cuda"}``) appended."""
    wheels = []
    for package in PACKAGES:
        wheel = str(next((DIST / package).glob("*.whl")))
        extra = (extras or {}).get(package)
        wheels.append(f"{wheel}[{extra}]" if extra else wheel)
    return wheels


@nox.session(default=False)
@nox.parametrize("package", list(PACKAGES))
@_frees_its_venv
def test_wheel(session: nox.Session, package: str) -> None:
    """Run a package's tests against its built wheel (``nox -s build`` first); used by releases."""
    wheel = next((DIST / package).glob("*.whl"), None)
    if wheel is None:
        session.error(f"no wheel in {DIST / package}: run nox -s \"build(package='{package}')\"")
    _install(session, f"{wheel}[{EXTRAS[package]}]" if EXTRAS[package] else str(wheel))
    _install(session, *_test_group(package))
    # Run from a scratch copy of the tests so that the installed wheel, not src/, is imported.
    tests = Path(session.create_tmp()) / "tests"
    shutil.rmtree(tests, ignore_errors=True)
    shutil.copytree(ROOT / "packages" / package / "tests", tests)
    shutil.copy(ROOT / "packages" / package / "pyproject.toml", tests.parent)
    session.chdir(tests.parent)
    session.run("pytest", "-m", "not slow", env={"CUDA_VISIBLE_DEVICES": ""})


@nox.session(
    requires=[f"build(package='{package}')" for package in PACKAGES],
)
@_frees_its_venv
def integration(session: nox.Session) -> None:
    """Install all four built wheels into one venv and run tests-integration/ on the CPU.

    Includes the four-package model (examples/integration/fourpack), 2-process DDP over gloo and
    torchrun; the CPU-vs-CUDA file skips here (see ``cuda_crosscheck``).
    """
    _install(session, *_wheels(), "pytest", "hypothesis", "matplotlib", "pytest-markdown-docs")
    session.chdir(ROOT / "tests-integration")
    env = {"CUDA_VISIBLE_DEVICES": ""}
    session.run("pytest", *session.posargs, env=env)
    # The READMEs' Python code blocks (the root one and each package's, as PyPI shows them) run as
    # written against the installed wheels, warnings being errors (pytest-markdown-docs).
    readmes = [ROOT / "README.md", *sorted((ROOT / "packages").glob("*/README.md"))]
    session.run(
        "pytest",
        "-c",
        "pytest.ini",
        "--markdown-docs",
        "-m",
        "markdown-docs",
        *(str(path) for path in readmes),
        env=env,
    )


@nox.session(
    requires=[f"build(package='{package}')" for package in PACKAGES],
)
@_frees_its_venv
def cuda_crosscheck(session: nox.Session) -> None:
    """CPU vs CUDA: the four-package model and each package's main op (skips without a GPU).

    Install a CUDA build of torch through ``TOOLKIT_CONSTRAINTS`` (see the README); semiconv-nd
    comes with its ``cuda`` extra (numba-cuda) so its compiled CUDA kernels are compared too.
    """
    if not HAS_GPU:
        session.skip("no NVIDIA GPU on this machine (nvidia-smi not found)")
    _install(session, *_wheels({"semiconv-nd": "cuda"}), "pytest", "hypothesis", "matplotlib")
    session.chdir(ROOT / "tests-integration")
    session.run("pytest", "-rs", "test_cuda_crosscheck.py", *session.posargs)


def _lower_bounds(package: str) -> dict[str, str]:
    """``{name: version}`` of the ``>=`` bounds that ``package`` declares for MIN_VERSION_PINNED.

    Read from its runtime dependencies and its ``test`` dependency group (scipy, for one, is a
    test-only dependency of some packages).
    """
    pyproject = nox.project.load_toml(ROOT / "packages" / package / "pyproject.toml")
    declared = list(pyproject["project"].get("dependencies", []))
    declared += [r for r in _test_group(package) if isinstance(r, str)]
    bounds: dict[str, str] = {}
    for text in declared:
        requirement = Requirement(text)
        if requirement.name.lower() not in MIN_VERSION_PINNED or requirement.marker:
            continue
        for spec in requirement.specifier:
            if spec.operator in (">=", "==", "~="):
                bounds[requirement.name.lower()] = spec.version
    return bounds


_CHECK_PINS = """
import ast, importlib.metadata, sys
def release(text):
    parts = [int(p) for p in text.split("+")[0].split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return parts
for name, pin in ast.literal_eval(sys.argv[1]).items():
    got = importlib.metadata.version(name)
    assert release(got) == release(pin), f"{name}: installed {got}, lowest declared {pin}"
    print(f"{name} {got} (lowest declared: {pin})")
"""


@nox.session(python="3.11", default=False)
@nox.parametrize("package", list(PACKAGES))
@_frees_its_venv
def min_versions(session: nox.Session, package: str) -> None:
    """A package's CPU tests with the lowest torch, numpy, scipy and numba its pyproject allows.

    Python 3.11, the newest interpreter with wheels of the oldest numpy (1.24) and torch (2.1)
    the packages may declare. Set ``TOOLKIT_TORCH_INDEX=https://download.pytorch.org/whl/cpu`` to
    take CPU builds of old torch releases (about 200 MB instead of several GB of CUDA wheels);
    the CI workflow does. Not in the default run: it downloads and compiles too much for the
    45-minute budget (see README).
    """
    bounds = _lower_bounds(package)
    constraints = Path(session.create_tmp()) / "lowest-versions.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in bounds.items()))
    session.log(f"lowest versions of {package}: {bounds}")
    index = os.environ.get("TOOLKIT_TORCH_INDEX")
    extra_index = ["--extra-index-url", index] if index else []
    omitted = MIN_VERSION_OMITTED.get(package, {})
    for name, reason in omitted.items():
        session.log(f"leaving out the test oracle {name}: {reason}")
    tests = [
        r for r in _test_group(package) if canonicalize_name(Requirement(r).name) not in omitted
    ]
    session.install("-c", str(constraints), *extra_index, _requirement(package), *tests)
    # the pins took: every pinned distribution is installed at exactly its declared lower bound
    session.run("python", "-c", _CHECK_PINS, repr(bounds))
    session.chdir(ROOT / "packages" / package)
    env = {"CUDA_VISIBLE_DEVICES": ""}
    session.run("pytest", "-m", "not slow", "-p", "no:cacheprovider", *session.posargs, env=env)


@nox.session
@_frees_its_venv
def lint(session: nox.Session) -> None:
    """ruff (lint + format check) on everything; the workflows against GitHub's schema."""
    session.install("ruff", "check-jsonschema")
    session.run("ruff", "check", str(ROOT))
    session.run("ruff", "format", "--check", str(ROOT))
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    # check-jsonschema ships the workflow schema, so this needs no network beyond PyPI.
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)


@nox.session
@_frees_its_venv
def typecheck(session: nox.Session) -> None:
    """mypy on e2_steerable (configured in its pyproject.toml), against its real dependencies."""
    _install(session, _requirement("e2-steerable"), "mypy")
    session.chdir(ROOT / "packages" / "e2-steerable")
    session.run("mypy", *session.posargs)


def _install_all_packages(session: nox.Session) -> None:
    _install(session, *(_requirement(package) for package in PACKAGES))


@nox.session
@_frees_its_venv
def docs(session: nox.Session) -> None:
    """Build the Sphinx site offline (nitpicky, warnings are errors) with its examples gallery.

    Then check that every public name resolves in the built ``objects.inv`` under its public
    path, run the code on the pages, and check the migration guides' coverage tables. Pass
    ``--html-dir DIR`` to write the HTML elsewhere (Read the Docs does).
    """
    _install_all_packages(session)
    session.install("-r", str(ROOT / "docs" / "requirements.txt"))
    html_dir = ROOT / "docs" / "_build" / "html"
    if "--html-dir" in session.posargs:
        html_dir = Path(session.posargs[session.posargs.index("--html-dir") + 1]).resolve()
    env = {"MPLBACKEND": "Agg", "CUDA_VISIBLE_DEVICES": ""}
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", str(html_dir), env=env)
    session.run(
        "python", str(ROOT / "tools" / "public_api.py"), "check", str(html_dir / "objects.inv")
    )
    # The pages' code (tutorials, ``>>>`` and ``.. doctest::`` blocks) runs as doctests, one
    # namespace per page; docs/test_*.py keep the migration tables true. Docstring examples are
    # doctested by each package's test session.
    session.install("pytest")
    session.run(
        "pytest",
        "--doctest-glob=*.rst",
        "-o",
        "doctest_optionflags=NORMALIZE_WHITESPACE ELLIPSIS",
        "-p",
        "no:cacheprovider",
        "docs",
        env=env,
    )


def _scripts(
    kind: str, pattern: str, only: list[str], groups: list[str] | None = None
) -> list[tuple[str, Path]]:
    found = []
    for module in groups or list(PACKAGES.values()):
        if only and module not in only:
            continue
        found += [(module, p) for p in sorted((ROOT / kind / module).glob(pattern))]
    return found


@nox.session(default=False)
@_frees_its_venv
def examples(session: nox.Session) -> None:
    """The main job: run every package's examples and the four-package model on CPU.

    Outputs go to examples/output/<group>/, and ``examples/output/index.md`` shows every figure
    with a one-line explanation (the gallery the docs include). Pass group names to run a
    subset, e.g. ``nox -s examples -- hourglass_layer integration``.
    """
    _install_all_packages(session)
    session.install("matplotlib", "tqdm")
    env = {"MPLBACKEND": "Agg", "CUDA_VISIBLE_DEVICES": ""}
    scripts = _scripts("examples", "*.py", session.posargs, EXAMPLE_GROUPS)
    if not scripts:
        session.error("no example scripts found")
    for module, script in scripts:
        output = ROOT / "examples" / "output" / module
        output.mkdir(parents=True, exist_ok=True)
        session.log(f"running {script.relative_to(ROOT)}")
        session.run("python", str(script), "--output", str(output), env=env)
    session.run(
        "python",
        str(ROOT / "tools" / "examples_index.py"),
        str(ROOT / "examples"),
        *(f"{module}/{script.name}" for module, script in scripts),
    )
    session.log(f"outputs and index.md written under {ROOT / 'examples' / 'output'}")


@nox.session(default=False)
@_frees_its_venv
def bench(session: nox.Session) -> None:
    """Benchmarks: our code and the reference libraries side by side; markdown tables.

    Each script writes its tables to benchmarks/output/<import>/; ``benchmarks/results.md``
    then collects every ratio column of them into one table, with the machine and the date.
    Pass import names to run a subset, and ``--quick`` for a smoke run, e.g.
    ``nox -s bench -- semiconv_nd --quick``.
    """
    quick = "--quick" in session.posargs
    only = [arg for arg in session.posargs if arg != "--quick"]
    _install_all_packages(session)
    for module in PACKAGES.values():
        requirements = ROOT / "benchmarks" / module / "requirements.txt"
        if requirements.is_file() and (not only or module in only):
            _install(session, "-r", str(requirements))
    env = {"CUDA_VISIBLE_DEVICES": ""} if not HAS_GPU else {}
    for module, script in _scripts("benchmarks", "bench_*.py", only):
        output = ROOT / "benchmarks" / "output" / module
        output.mkdir(parents=True, exist_ok=True)
        args = ["--output", str(output)] + (["--quick"] if quick else [])
        session.log(f"running {script.relative_to(ROOT)}")
        session.run("python", str(script), *args, env=env)
    results = ROOT / "benchmarks" / "results.md"
    mode = ["--quick"] if quick else []
    session.run(
        "python",
        str(ROOT / "tools" / "bench_results.py"),
        str(ROOT / "benchmarks" / "output"),
        str(results),
        *mode,
        env=env,
    )
    session.log(f"summary written to {results}")
