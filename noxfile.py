"""Build, test and cross-check the four packages of the monorepo.

Run ``nox --list`` for the sessions. ``nox`` with no arguments runs everything a contributor must
keep green (lint, vendored copies, the shared helper, every package's tests on CPU, the builds,
the integration tests against the built wheels, and the docs). ``nox -s examples`` runs the main
job; ``nox -s bench`` runs the benchmarks (not part of the default run).

Torch is pinned through a constraints file so that no session ever pulls an unexpected (multi-GB)
build: ``constraints/torch-cpu.txt`` by default. Point ``TOOLKIT_CONSTRAINTS`` at another file
(for example one pinning a CUDA build of torch) to override it on a GPU machine.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = [
    "lint",
    "vendor_check",
    "shared",
    "tests",
    "build",
    "integration",
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
def tests_slow(session: nox.Session, package: str) -> None:
    """The long-running tests (marked ``slow``) of one package."""
    _install(session, _requirement(package), *_test_group(package))
    session.chdir(ROOT / "packages" / package)
    session.run("pytest", "-m", "slow", *session.posargs, success_codes=[0, 5])


@nox.session
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
    # The wheel alone (with its declared dependencies only) must install and import.
    _install(session, str(next(outdir.glob("*.whl"))))
    session.run(
        "python", "-c", f"import {PACKAGES[package]} as m; print(m.__name__, m.__version__)"
    )


@nox.session(default=False)
@nox.parametrize("package", list(PACKAGES))
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
def integration(session: nox.Session) -> None:
    """Install all four built wheels into one venv and run tests-integration/."""
    wheels = [str(next((DIST / package).glob("*.whl"))) for package in PACKAGES]
    _install(session, *wheels, "pytest", "hypothesis")
    session.chdir(ROOT / "tests-integration")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint + format check) on everything; the workflows against GitHub's schema."""
    session.install("ruff", "check-jsonschema")
    session.run("ruff", "check", str(ROOT))
    session.run("ruff", "format", "--check", str(ROOT))
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    # check-jsonschema ships the workflow schema, so this needs no network beyond PyPI.
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)


def _install_all_packages(session: nox.Session) -> None:
    _install(session, *(_requirement(package) for package in PACKAGES))


@nox.session
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


def _scripts(kind: str, pattern: str, only: list[str]) -> list[tuple[str, Path]]:
    found = []
    for module in PACKAGES.values():
        if only and module not in only:
            continue
        found += [(module, p) for p in sorted((ROOT / kind / module).glob(pattern))]
    return found


@nox.session(default=False)
def examples(session: nox.Session) -> None:
    """The main job: run every package's examples on CPU; outputs go to examples/output/.

    Pass import names to run a subset, e.g. ``nox -s examples -- hourglass_layer``.
    """
    _install_all_packages(session)
    session.install("matplotlib", "tqdm")
    env = {"MPLBACKEND": "Agg", "CUDA_VISIBLE_DEVICES": ""}
    scripts = _scripts("examples", "*.py", session.posargs)
    if not scripts:
        session.error("no example scripts found")
    for module, script in scripts:
        output = ROOT / "examples" / "output" / module
        output.mkdir(parents=True, exist_ok=True)
        session.log(f"running {script.relative_to(ROOT)}")
        session.run("python", str(script), "--output", str(output), env=env)
    session.log(f"outputs written under {ROOT / 'examples' / 'output'}")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: our code and the reference libraries side by side; markdown tables.

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
