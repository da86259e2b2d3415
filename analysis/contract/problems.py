"""What the validator reports: one :class:`Problem` per thing wrong, and the error carrying them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

ERROR = "error"
WARNING = "warning"


def cell_text(value: object) -> str:
    """A cell as the user typed it, for a problem's ``value``: a blank (missing) cell is ""
    (not ``nan``, ``<NA>`` or ``NaT``, pandas' names for it), anything else ``str(value)``."""
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return ""
    except (TypeError, ValueError):  # a list or array: not one missing value
        pass
    return str(value)


@dataclass(frozen=True)
class Problem:
    """One problem in the input.

    ``row`` is the row number a user sees in Excel or a text editor (the header is row 1 of a
    CSV; title rows above an XLSX header count too); ``None`` for a whole-table or whole-column
    problem. ``value`` is the offending cell as text (local report only, never published).
    ``source`` is where the row came from when the dataset was made from other files (``report
    import``: the return file and its own row, e.g. ``2022/episodes.csv row 3``), else "".
    """

    table: str
    row: int | None
    column: str
    value: str
    rule: str
    severity: str = ERROR
    source: str = ""


class DataValidationError(Exception):
    """The dataset breaks the data contract; ``problems`` lists everything found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == ERROR]
        super().__init__(
            f"{len(errors)} data problem(s) found; first: "
            + (
                f"{errors[0].table} row {errors[0].row} {errors[0].column}: {errors[0].rule}"
                if errors
                else "none"
            )
        )


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """The problems as a table (``table, row, column, value, rule, severity``, and ``source``
    when any problem has one), in reading order."""
    columns = ["table", "row", "column", "value", "rule", "severity"]
    if not problems:
        return pd.DataFrame(columns=columns)
    if any(p.source for p in problems):
        columns.append("source")
    frame = pd.DataFrame([asdict(p) for p in problems], columns=columns)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def in_reading_order(problems: list[Problem]) -> list[Problem]:
    """The problems as a user reads the files: table by table (in the order the checks first
    met each table), a table's whole-table problems first, then its rows top to bottom; problems
    of one row keep the order the checks found them in."""
    first_seen: dict[str, int] = {}
    for p in problems:
        first_seen.setdefault(p.table, len(first_seen))
    return sorted(problems, key=lambda p: (first_seen[p.table], p.row is not None, p.row or 0))


def errors_only(problems: list[Problem]) -> list[Problem]:
    """The problems that stop a build (warnings excluded)."""
    return [p for p in problems if p.severity == ERROR]
