"""Construction time of e2-steerable's R2Diffop against e2cnn 0.2.3's, in one process.

Layer: C8, 16 regular fields -> 16 regular fields, kernel size 5 (30,720 weights), built with a
fresh basis each time (``recompute=True`` and an empty stencil cache on our side; a new gspace
and ``recompute=True`` on e2cnn's). Our three discretisations (finite differences, Gaussian
derivatives, in-house RBF-FD) are timed against e2cnn's finite-difference layer (its only one
that runs without treverhines/RBF 0.x; target <= 0.1 s, e2cnn 0.26-0.33 s in the notes). Also
reported: ``initialize=False`` and a warm build (basis cached in memory).

Each round times ours and e2cnn's back to back, alternating the order; ratios are medians of
per-round ratios. One intra-op thread.

Second table: equivariance under a 45 degree rotation (C8, one regular field in and out, He
initialised weights, float64), for every discretisation and setting at kernel sizes 3, 5, 7:
relative L2 error of ``pdo(rotate(x)) - rotate(pdo(x))`` on the central disk (radius a quarter of
the 65x65 image) of white noise smoothed with a Gaussian of std 2 (target <= 2.5 % for C8;
e2cnn's finite differences are the reference row). ``floor`` rows use the same weights with a
21x21 Gaussian-derivative stencil, which is hardly truncated: what is left there is the error of
rotating the input by interpolation, so the rest of a row's error is the stencil's anisotropy
(for sigma < 1 the sampled derivatives of order 4 and more alias, so the sigma=0.75 "floor" at
k=5/7 is that aliasing, not a floor). "isotropic (default)" rows are what ``isotropic=None``
resolves to (on for Gaussian derivatives in both smoothing modes and for the in-house RBF-FD);
"isotropic=False" rows are e2cnn's stencils.

Third table: the same error for Gaussian derivatives on wide kernels (13 with sigma 2, 17 with
sigma 3, ``maximum_order=4``), with the default isotropic correction (degrees n+2 to n+8), with
degrees n+2 and n+4 only, and without.

Usage::

    python benchmarks/e2_steerable/bench_diffop.py [--quick] [--output DIR]
"""

from __future__ import annotations

import argparse
import functools
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.ndimage as ndi
import torch

from e2_steerable import diffops, gspaces, nn
from e2_steerable.nn import FieldType, R2Diffop

try:  # the peer (finite differences need only sympy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import e2cnn
        import e2cnn.nn
except Exception:  # pragma: no cover - optional peer
    e2cnn = None

METHODS: dict[str, dict] = {
    "fd": {},
    "gauss (smoothing=1.25)": {"smoothing": 1.25},
    "rbffd (ga, isotropic)": {"rbffd": True},
}


EQUIVARIANCE_CASES: dict[str, dict] = {
    "fd": {},
    "gauss std sigma=0.75, isotropic (default)": {"smoothing": 0.75},
    "gauss std sigma=0.75, isotropic=False": {"smoothing": 0.75, "isotropic": False},
    "gauss std sigma=1, isotropic (default)": {"smoothing": 1.0},
    "gauss std sigma=1, isotropic=False": {"smoothing": 1.0, "isotropic": False},
    "gauss std sigma=k/4, isotropic (default)": {"smoothing": "k/4"},
    "gauss std sigma=k/4, isotropic=False": {"smoothing": "k/4", "isotropic": False},
    "gauss std sigma=2, isotropic (default)": {"smoothing": 2.0},
    "gauss std sigma=2, isotropic=False": {"smoothing": 2.0, "isotropic": False},
    "gauss e2cnn sigma=1, isotropic (default)": {"smoothing": 1.0, "smoothing_mode": "e2cnn"},
    "gauss e2cnn sigma=1, isotropic=False (e2cnn's stencils)": {
        "smoothing": 1.0,
        "smoothing_mode": "e2cnn",
        "isotropic": False,
    },
    "gauss e2cnn sigma=1.25, isotropic (default)": {"smoothing": 1.25, "smoothing_mode": "e2cnn"},
    "gauss e2cnn sigma=1.25, isotropic=False (e2cnn's stencils)": {
        "smoothing": 1.25,
        "smoothing_mode": "e2cnn",
        "isotropic": False,
    },
    "rbffd ga, isotropic (default)": {"rbffd": True},
    "rbffd ga, isotropic=False (e2cnn's stencils)": {"rbffd": True, "isotropic": False},
    "rbffd phs5, isotropic (default)": {"rbffd": True, "radial_basis_function": "phs5"},
    "rbffd phs5, isotropic=False": {
        "rbffd": True,
        "radial_basis_function": "phs5",
        "isotropic": False,
    },
    "rbffd imq, isotropic (default)": {"rbffd": True, "radial_basis_function": "imq"},
    "rbffd imq, isotropic=False": {
        "rbffd": True,
        "radial_basis_function": "imq",
        "isotropic": False,
    },
}


def smoothed_input(channels: int, seed: int, n: int = 65) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    x = ndi.gaussian_filter(rng.normal(size=(1, channels, n, n)), sigma=(0, 0, 2, 2))
    return torch.tensor(x)


def error_45(
    module: Callable[[torch.Tensor], torch.Tensor], gs: gspaces.GSpace, rep: object, x: torch.Tensor
) -> float:
    """Relative L2 error of module(rot x) - rot module(x) on the central disk (C8 element 1)."""
    n = x.shape[-1]
    y = module(x)
    y1 = module(torch.as_tensor(gs.featurefield_action(x, rep, 1)))
    y2 = torch.as_tensor(gs.featurefield_action(y, rep, 1))
    yy, xx = np.mgrid[:n, :n] - (n - 1) / 2
    disk = torch.as_tensor(np.hypot(yy, xx) < (n - 1) / 4)
    return (torch.linalg.norm((y1 - y2)[..., disk]) / torch.linalg.norm(y2[..., disk])).item()


def equivariance_table(seeds: int) -> list[str]:
    gs = gspaces.Rot2dOnR2(8)
    ft = nn.FieldType(gs, [gs.regular_repr])
    rep = ft.representation
    sizes = (3, 5, 7)

    def ours(pdo: nn.R2Diffop) -> Callable[[torch.Tensor], torch.Tensor]:
        pdo = pdo.double().eval()
        return lambda t: pdo(nn.GeometricTensor(t, ft)).tensor

    def cell(errors: list[float]) -> str:
        if not errors:
            return "n/a"
        lo, hi = 100 * min(errors), 100 * max(errors)
        return f"{lo:.2f}" if seeds == 1 else f"{lo:.2f}-{hi:.2f}"

    rows = []
    for name, kw in EQUIVARIANCE_CASES.items():
        cells, floors = [], []
        for k in sizes:
            kwk = dict(kw)
            if kwk.get("smoothing") == "k/4":
                kwk["smoothing"] = k / 4
            errors, floor = [], []
            for seed in range(seeds):
                torch.manual_seed(seed)
                try:
                    pdo = R2Diffop(ft, ft, kernel_size=k, padding=k // 2, **kwk)
                except ValueError:  # e.g. phs5 has no 5th derivative at the centre (k = 7)
                    break
                x = smoothed_input(ft.size, seed)
                errors.append(error_45(ours(pdo), gs, rep, x))
                if "smoothing" in kwk and kwk.get("smoothing_mode", "std") == "std":
                    wide = R2Diffop(
                        ft,
                        ft,
                        kernel_size=21,
                        maximum_order=pdo.maximum_order,
                        padding=10,
                        smoothing=kwk["smoothing"],
                        isotropic=False,
                        initialize=False,
                    )
                    wide.weights.data.copy_(pdo.weights.data)
                    floor.append(error_45(ours(wide), gs, rep, x))
            cells.append(cell(errors))
            floors.append(cell(floor))
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
        if name.startswith("gauss std") and "isotropic=False" in name:
            label = name.split(",")[0]
            rows.append(f"| {label}: floor (21x21 stencil) | " + " | ".join(floors) + " |")
    if e2cnn is not None:
        cells = []
        g = e2cnn.gspaces.Rot2dOnR2(8)
        e_ft = e2cnn.nn.FieldType(g, [g.regular_repr])
        for k in sizes:
            errors = []
            for seed in range(seeds):
                torch.manual_seed(seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ref = e2cnn.nn.R2Diffop(e_ft, e_ft, kernel_size=k, padding=k // 2)
                ref = ref.double().eval()

                def run(t: torch.Tensor, ref: object = ref) -> torch.Tensor:
                    return ref(e2cnn.nn.GeometricTensor(t, e_ft)).tensor  # type: ignore[operator]

                errors.append(error_45(run, gs, rep, smoothed_input(ft.size, seed)))
            cells.append(cell(errors))
        rows.append("| e2cnn 0.2.3 fd (reference) | " + " | ".join(cells) + " |")
    return [
        f"## 45 degree rotation, C8 regular -> regular, sigma=2 smoothed input, {seeds} seed(s)",
        "",
        "Relative error in %, min-max over seeds (target <= 2.5 % at k=5).",
        "",
        "| discretisation | k=3 | k=5 | k=7 |",
        "|---|---:|---:|---:|",
        *rows,
    ]


WIDE_CASES: list[tuple[int, float]] = [(13, 2.0), (17, 3.0)]


def wide_kernel_table(seeds: int) -> list[str]:
    """45 degree error of Gaussian-derivative PDOs on wide kernels (``maximum_order=4``), with the
    isotropic correction of the default degree (n + 8), of degree n + 4 only, and without."""
    from e2_steerable.diffops import discretization

    gs = gspaces.Rot2dOnR2(8)
    ft = nn.FieldType(gs, [gs.regular_repr])
    rep = ft.representation
    variants: dict[str, tuple[dict, int | None]] = {
        "isotropic (default, degrees n+2..n+8)": ({}, None),
        "isotropic, degrees n+2..n+4 only": ({}, 4),
        "isotropic=False": ({"isotropic": False}, None),
    }
    original = discretization.isotropic_correction
    rows = []
    for k, sigma in WIDE_CASES:
        for label, (kw, extra) in variants.items():
            if extra is not None:
                discretization.isotropic_correction = functools.partial(  # type: ignore[assignment]
                    original, extra_degree=extra
                )
            errors = []
            try:
                for seed in range(seeds):
                    torch.manual_seed(seed)
                    pdo = R2Diffop(
                        ft,
                        ft,
                        kernel_size=k,
                        maximum_order=4,
                        padding=k // 2,
                        smoothing=sigma,
                        recompute=True,
                        **kw,
                    )
                    pdo = pdo.double().eval()

                    def run(t: torch.Tensor, pdo: R2Diffop = pdo) -> torch.Tensor:
                        return pdo(nn.GeometricTensor(t, ft)).tensor

                    errors.append(100 * error_45(run, gs, rep, smoothed_input(ft.size, seed)))
            finally:
                discretization.isotropic_correction = original
                diffops.clear_cache()
            spread = f"{min(errors):.2f}" if seeds == 1 else f"{min(errors):.2f}-{max(errors):.2f}"
            rows.append(f"| {k} | {sigma:g} | {label} | {spread} |")
    return [
        f"## 45 degrees on wide kernels (maximum_order=4), {seeds} seed(s)",
        "",
        "| kernel_size | sigma | stencils | error (%) |",
        "|---:|---:|---|---:|",
        *rows,
    ]


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def paired(ours: Callable[[], object], ref: Callable[[], object] | None, repeats: int):
    ours()
    if ref is not None:
        ref()
    t_o, t_r = [], []
    for k in range(repeats):
        if ref is None or k % 2 == 0:
            t_o.append(_time(ours))
            if ref is not None:
                t_r.append(_time(ref))
        else:
            t_r.append(_time(ref))
            t_o.append(_time(ours))
    if ref is None:
        return statistics.median(t_o), None, None
    ratios = [a / b for a, b in zip(t_o, t_r)]
    return statistics.median(t_o), statistics.median(t_r), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 fields, 3 repeats, 1 seed at 45 degrees"
    )
    parser.add_argument("--output", type=Path, default=Path("benchmarks/output/e2_steerable"))
    args = parser.parse_args()
    # sigma = 2 on a 3x3 kernel is wider than the kernel on purpose (a row of the 45 degree table)
    warnings.simplefilter("ignore", diffops.SmoothingTruncationWarning)
    torch.set_num_threads(1)
    fields = 2 if args.quick else 16
    repeats = 3 if args.quick else 7
    gs = gspaces.Rot2dOnR2(8)
    ft = FieldType(gs, [gs.regular_repr] * fields)

    def ours_fresh(kw: dict, initialize: bool = True) -> Callable[[], object]:
        def build() -> object:
            diffops.clear_cache()
            return R2Diffop(ft, ft, kernel_size=5, recompute=True, initialize=initialize, **kw)

        return build

    ref = None
    if e2cnn is not None:

        def ref() -> object:  # type: ignore[no-redef]
            g = e2cnn.gspaces.Rot2dOnR2(8)
            e_ft = e2cnn.nn.FieldType(g, [g.regular_repr] * fields)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return e2cnn.nn.R2Diffop(e_ft, e_ft, kernel_size=5, recompute=True)

    rows = []
    for name, kw in METHODS.items():
        for label, fn in (
            ("fresh", ours_fresh(kw)),
            ("fresh, initialize=False", ours_fresh(kw, initialize=False)),
            ("warm (cached basis)", lambda kw=kw: R2Diffop(ft, ft, kernel_size=5, **kw)),
        ):
            t_o, t_r, ratio = paired(fn, ref if label == "fresh" else None, repeats)
            peer = "-" if t_r is None else f"{t_r:.3f}"
            ratio_s = "-" if ratio is None else f"**{ratio:.2f}**"
            rows.append(f"| {name} | {label} | {t_o:.3f} | {peer} | {ratio_s} | 0.1 |")
    text = "\n".join(
        [
            f"# R2Diffop construction, C8 {fields} regular -> {fields} regular, k=5",
            "",
            f"{platform.platform()}, torch {torch.__version__}, 1 thread, "
            f"median of {repeats}; e2cnn {'present' if e2cnn is not None else 'absent'} "
            "(its 'fd' layer, fresh basis)",
            "",
            "| discretisation | build | ours (s) | e2cnn fd (s) | ours / e2cnn | target (s) |",
            "|---|---|---:|---:|---:|---:|",
            *rows,
            "",
            *equivariance_table(1 if args.quick else 3),
            "",
            *wide_kernel_table(1 if args.quick else 3),
        ]
    )
    print(text)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bench_diffop.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
