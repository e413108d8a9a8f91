"""Keep the migration guides' coverage tables true (run by ``nox -s docs``).

Each ``docs/migration/<original>.csv`` lists the original library's names and where they are here.
These tests fail when a listed name does not exist, when a public name of the package is missing
from its table, or when a name marked "not yet" has since been implemented.
"""

from __future__ import annotations

import csv
import importlib
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))

import public_api  # noqa: E402

TABLES = {
    # original library: (distribution, prefix of the original's import path, ours)
    "torchph": ("torchph-lite", "torchph", "torchph_lite"),
    "e2cnn": ("e2-steerable", "e2cnn", "e2_steerable"),
    "pytorch_nd_semiconv": ("semiconv-nd", "pytorch_nd_semiconv", "semiconv_nd"),
    "hourglass": ("hourglass-layer", None, "hourglass_layer"),
}
STATUSES = {"same", "differs", "new", "missing", "not planned"}


def _rows(original: str) -> list[dict[str, str]]:
    with (HERE / "migration" / f"{original}.csv").open(newline="") as stream:
        return list(csv.DictReader(stream))


def _resolve(path: str) -> bool:
    """True if ``path`` (``package.module.Name[.attr]``) names an existing object."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


@pytest.mark.parametrize("original", list(TABLES))
def test_listed_names_exist(original: str) -> None:
    rows = _rows(original)
    assert rows, f"{original}.csv is empty"
    for row in rows:
        assert row["status"] in STATUSES, row
        if row["status"] in {"missing", "not planned"}:
            assert not row["here"], f"{row['original']} is marked {row['status']} but has a path"
        else:
            assert _resolve(row["here"]), f"{row['here']} (row of {row['original'] or 'new'})"
        if row["status"] == "new":
            assert not row["original"], row


@pytest.mark.parametrize("original", list(TABLES))
def test_every_public_name_is_listed(original: str) -> None:
    dist = TABLES[original][0]
    listed = {row["here"] for row in _rows(original)}
    missing = sorted(set(public_api.owners(dist)) - listed)
    assert not missing, f"public names of {dist} missing from migration/{original}.csv: {missing}"


@pytest.mark.parametrize("original", [name for name, spec in TABLES.items() if spec[1]])
def test_not_yet_means_not_there(original: str) -> None:
    _, theirs, ours = TABLES[original]
    for row in _rows(original):
        if row["status"] != "missing":
            continue
        mapped = ours + row["original"][len(theirs) :]
        assert not _resolve(mapped), f"{mapped} exists now: update migration/{original}.csv"
