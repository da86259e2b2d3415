"""All of an edition's tables in one XLSX workbook, byte-stable between runs."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pandas as pd

FIXED_TIME = dt.datetime(2000, 1, 1)


def _sheet_name(stem: str, used: set[str]) -> str:
    base = stem[:31]
    name, i = base, 1
    while name.lower() in used:
        i += 1
        name = f"{base[: 31 - len(str(i)) - 1]}~{i}"
    used.add(name.lower())
    return name


def write_workbook(tables_dir: Path, target: Path) -> Path | None:
    """One sheet per ``tables/*.csv`` (alphabetical); fixed created/modified dates and zip
    timestamps so two builds give identical bytes. Returns None when there are no tables."""
    from openpyxl import Workbook

    csvs = sorted(Path(tables_dir).glob("*.csv"))
    if not csvs:
        return None
    wb = Workbook(write_only=True)  # streams rows: about 3x faster than the default mode
    used: set[str] = set()
    for csv in csvs:
        ws = wb.create_sheet(_sheet_name(csv.stem, used))
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([_typed(v) for v in row])
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "london-provision"
    tmp = target.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    _normalise_zip(tmp, target)
    tmp.unlink()
    return target


def _typed(value: str) -> object:
    """Numbers as numbers (so Excel can sum them); suppression markers and text as text."""
    try:
        f = float(value)
    except ValueError:
        return value
    return int(f) if f.is_integer() and "." not in value and "e" not in value.lower() else f


def _normalise_zip(source: Path, target: Path) -> None:
    """Rewrite the xlsx zip with fixed member timestamps (openpyxl stamps the current time)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in sorted(zin.infolist(), key=lambda i: i.filename):
            data = zin.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps "modified" at save time
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    data,
                )
            info = zipfile.ZipInfo(item.filename, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)
