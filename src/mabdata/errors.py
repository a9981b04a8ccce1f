"""Problems found in inputs or in a published package, reported one line each."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One error, located as precisely as the check allows.

    `row` is the 1-based data row of a table file (CSV line = row + 1) or, for curation
    files, the 1-based YAML line; `file` names the file the location refers to.
    """

    check: str
    message: str
    file: str | None = None
    table: str | None = None
    row: int | None = None
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.table:
            where.append(self.table)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{' '.join(where)}: {self.message} [{self.check}]" if where else f"{self.message} [{self.check}]"

    def to_dict(self) -> dict:
        return asdict(self)


class MabdataError(Exception):
    """Expected failure carrying the problems to report (exit code 1, no traceback)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
