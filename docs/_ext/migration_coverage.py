"""Sphinx extension: the ``migration-coverage`` directive.

``.. migration-coverage:: e2cnn.csv`` renders a migration guide's coverage table from its CSV file
(columns ``original``, ``here``, ``status``, ``notes``) and, below it, the list of what is not
implemented yet. The same CSV is checked against the packages' public names by
``docs/test_migration_tables.py``, so the page cannot drift from the code.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

STATUS_TEXT = {
    "same": "available",
    "differs": "differs (see notes)",
    "new": "new here",
    "missing": "not yet",
    "not planned": "not planned",
}


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a coverage CSV file."""
    with path.open(newline="") as stream:
        return list(csv.DictReader(stream))


def _literal(text: str) -> str:
    return f"``{text}``" if text else "—"


class MigrationCoverage(Directive):
    required_arguments = 1
    has_content = False

    def run(self) -> list[Any]:
        source = Path(self.state.document.current_source).parent / self.arguments[0]
        self.state.document.settings.record_dependencies.add(str(source))
        rows = read_rows(source)
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 30 30 12 28",
            "",
            "   * - Original",
            "     - Here",
            "     - Status",
            "     - Notes",
        ]
        for row in rows:
            lines += [
                f"   * - {_literal(row['original'])}",
                f"     - {_literal(row['here'])}",
                f"     - {STATUS_TEXT[row['status']]}",
                f"     - {row['notes'] or ' '}",
            ]
        missing = [row for row in rows if row["status"] == "missing"]
        lines += ["", "**Not implemented yet:** "]
        if missing:
            lines[-1] += ", ".join(_literal(row["original"]) for row in missing) + "."
        else:
            lines[-1] += "nothing; every name of the original is available."
        container = StringList(lines, source=str(source))
        node_holder: list[Any] = []
        from docutils import nodes

        section = nodes.container()
        self.state.nested_parse(container, self.content_offset, section)
        node_holder.extend(section.children)
        return node_holder


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("migration-coverage", MigrationCoverage)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
