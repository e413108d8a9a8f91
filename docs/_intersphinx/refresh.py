"""Write the offline fallback inventories that ``docs/conf.py`` gives intersphinx.

Sphinx tries each project's online inventory first and falls back to ``<project>.inv`` here, so
the site builds with every cross-reference resolved on a machine without network access (CI
machines, sandboxes). The fallbacks list only the third-party objects our docs refer to, with the
addresses they have on the projects' sites.

* ``python docs/_intersphinx/refresh.py`` rewrites the fallbacks from :data:`TARGETS`;
* ``python docs/_intersphinx/refresh.py --download`` replaces them with the projects' full
  inventories (needs network access).

When a nitpicky build reports a new third-party target, add it to :data:`TARGETS` and rerun.
"""

from __future__ import annotations

import sys
import urllib.request
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

URLS = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "torch": "https://docs.pytorch.org/docs/stable",
}

_ABC = "library/collections.abc.html"
_NN = "generated/{name}.html"

#: project -> list of (object name, role, page path; ``{name}`` is replaced by the object name).
TARGETS: dict[str, list[tuple[str, str, str]]] = {
    "python": [
        *(
            (f"collections.abc.{cls}", "py:class", _ABC)
            for cls in ("Callable", "Sequence", "Hashable", "Iterator", "Iterable", "Mapping")
        ),
        ("abc.ABC", "py:class", "library/abc.html"),
        ("pathlib.Path", "py:class", "library/pathlib.html"),
        ("os.PathLike", "py:class", "library/os.html"),
        ("logging.Logger", "py:class", "library/logging.html"),
    ],
    "numpy": [
        ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html"),
        ("numpy.dtype", "py:class", "reference/generated/numpy.dtype.html"),
        ("numpy.random.Generator", "py:class", "reference/random/generator.html"),
    ],
    "torch": [
        ("torch", "py:module", "torch.html"),
        ("torch.Tensor", "py:class", "tensors.html"),
        ("torch.dtype", "py:class", "tensor_attributes.html"),
        ("torch.device", "py:class", "tensor_attributes.html"),
        ("torch.Size", "py:class", "size.html"),
        ("torch.Generator", "py:class", _NN),
        ("torch.autocast", "py:class", "amp.html"),
        ("torch.export.export", "py:function", "export.html"),
        ("torch.rot90", "py:function", _NN),
        ("torch.flip", "py:function", _NN),
        ("torch.compile", "py:function", _NN),
        ("torch.nn.functional", "py:module", "nn.functional.html"),
        ("torch.nn.init", "py:module", "nn.init.html"),
        ("torch.nn.init.orthogonal_", "py:function", "nn.init.html"),
        ("torch.nn.init.xavier_normal_", "py:function", "nn.init.html"),
        ("torch.nn.init.xavier_uniform_", "py:function", "nn.init.html"),
        ("torch.nn.init.kaiming_uniform_", "py:function", "nn.init.html"),
        ("torch.nn.modules.lazy.LazyModuleMixin", "py:class", _NN),
        ("torch.optim.optimizer.register_optimizer_step_post_hook", "py:function", _NN),
        ("torch.optim.Optimizer", "py:class", "optim.html"),
        ("torch.utils.data.DataLoader", "py:class", "data.html"),
        ("torch.utils.data.Dataset", "py:class", "data.html"),
        *(
            (f"torch.nn.{cls}", "py:class", _NN)
            for cls in (
                "Module",
                "ModuleList",
                "ModuleDict",
                "Parameter",
                "Sequential",
                "Conv1d",
                "Conv2d",
                "Conv3d",
                "ConvTranspose2d",
                "MaxPool2d",
                "AvgPool2d",
                "AdaptiveAvgPool2d",
                "AdaptiveMaxPool2d",
                "BatchNorm2d",
                "BatchNorm3d",
                "Dropout",
                "Dropout2d",
                "Upsample",
                "Identity",
                "Linear",
                "LazyLinear",
                "ReLU",
                "ELU",
                "Sigmoid",
                "Tanh",
            )
        ),
        *(
            (f"torch.nn.functional.{fn}", "py:function", _NN)
            for fn in (
                "conv2d",
                "conv_transpose2d",
                "max_pool2d",
                "avg_pool2d",
                "unfold",
                "interpolate",
                "pad",
            )
        ),
        *(
            (f"torch.linalg.{fn}", "py:function", _NN)
            for fn in ("eigvalsh", "svdvals", "matrix_norm", "norm", "cholesky")
        ),
    ],
}


def fallback_inventory(project: str) -> bytes:
    """A Sphinx v2 inventory of :data:`TARGETS` for one project."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        "# Version: \n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    lines = []
    for name, role, page in TARGETS[project]:
        anchor = f"module-{name}" if role == "py:module" else name
        lines.append(f"{name} {role} 1 {page.format(name=name)}#{anchor} -\n")
    return header + zlib.compress("".join(sorted(lines)).encode())


def main(argv: list[str]) -> int:
    for project, url in URLS.items():
        target = HERE / f"{project}.inv"
        if "--download" in argv:
            with urllib.request.urlopen(f"{url}/objects.inv", timeout=30) as response:
                target.write_bytes(response.read())
        else:
            target.write_bytes(fallback_inventory(project))
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
