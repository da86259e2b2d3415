"""Compare two build output trees file by file: byte-identical, identical once the build's own
volatile content is set aside, or different (printed).

    python scripts/compare_outputs.py BASELINE_ROOT NEW_ROOT [--replace OLD=NEW ...]

``--replace OLD=NEW`` rewrites a path in the baseline's files before comparing (two builds of
the same data from different folders print their own data and config paths in the executed
notebooks' parameters).

Volatile content set aside (it changes from one build to the next whatever the code): the build
time printed in the report (``YYYY-MM-DD HH:MM UTC``; set ``SOURCE_DATE_EPOCH`` to fix it), the
execution timestamps nbclient writes into executed notebooks, the edition key in ``build.json``
(a hash of the code, so it changes with any code change), the workbook's creation date and the
PDF's creation date. PDFs are compared by their text (``pdftotext``) and page count.
Exit code 0 when nothing differs beyond that, 1 otherwise.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

BUILD_TIME = re.compile(rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
#: the scratch folder a notebook ran in (its name holds a random part and the content key)
SCRATCH = re.compile(rb"[^\s\"']*/\.staging/\d+/_work-[0-9a-f]+/[0-9a-f]{64}")


_DELIMS = re.compile(rb"([\s\"']+)")


def _volatile(data: bytes) -> bytes:
    # SCRATCH's matches never cross whitespace or quotes, so it is applied token by token, and
    # only to tokens holding "/.staging/": the same result without quadratic backtracking on
    # long base64 lines (the whole-text sub did not finish in 15 minutes on one edition)
    data = BUILD_TIME.sub(b"<build time>", data)
    if b"/.staging/" not in data:
        return data
    return b"".join(
        SCRATCH.sub(b"<scratch>", piece) if b"/.staging/" in piece else piece
        for piece in _DELIMS.split(data)
    )


def _notebook(path: Path, raw: bytes | None = None) -> object:
    nb = json.loads(_volatile(path.read_bytes() if raw is None else raw).decode("utf-8"))
    nb.get("metadata", {}).pop("papermill", None)
    for cell in nb.get("cells", []):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.pop("id", None)  # papermill's new cell: nbformat.random_cell_id(), each run
        cell.get("metadata", {}).pop("execution", None)
        cell.get("metadata", {}).pop("papermill", None)
    return nb


def _xlsx(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def _pdf(path: Path) -> bytes:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
    ).stdout
    return BUILD_TIME.sub(b"<build time>", text)


#: (old, new) path rewrites applied to the baseline's text files (see ``--replace``)
REPLACE: list[tuple[bytes, bytes]] = []


def _rewritten(path: Path, data: bytes) -> bytes:
    if path.suffix in (".pdf", ".xlsx", ".png"):
        return data
    for old, new in REPLACE:
        data = data.replace(old, new)
    return data


def normalised(path: Path, raw: bytes | None = None) -> object:
    """The file's content with the volatile parts set aside (``raw``: its bytes, rewritten)."""
    if raw is not None and raw != path.read_bytes():
        if path.suffix == ".ipynb":
            return _notebook(path, raw)
        return _volatile(raw)
    if path.suffix == ".ipynb":
        return _notebook(path)
    if path.suffix == ".xlsx":
        return _xlsx(path)
    if path.suffix == ".pdf":
        return _pdf(path)
    if path.name == "build.json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc.pop("edition_key", None)
        return doc
    return _volatile(path.read_bytes())


def compare(old: Path, new: Path) -> tuple[int, int, list[str]]:
    """(byte-identical files, files equal once normalised, differences)."""
    files_old = {p.relative_to(old) for p in old.rglob("*") if p.is_file()}
    files_new = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    problems = [f"only in {old}: {p}" for p in sorted(files_old - files_new)]
    problems += [f"only in {new}: {p}" for p in sorted(files_new - files_old)]
    same = equal = 0
    for rel in sorted(files_old & files_new):
        a, b = old / rel, new / rel
        raw_a, raw_b = a.read_bytes(), b.read_bytes()
        if raw_a == raw_b:
            same += 1
        elif _rewritten(a, raw_a) == raw_b:
            equal += 1
        elif normalised(a, _rewritten(a, raw_a)) == normalised(b):
            equal += 1
        else:
            problems.append(f"differs: {rel}")
    return same, equal, problems


def main(argv: list[str]) -> int:
    args = list(argv[1:])
    while "--replace" in args:
        i = args.index("--replace")
        before, _, after = args[i + 1].partition("=")
        REPLACE.append((before.encode(), after.encode()))
        del args[i : i + 2]
    old, new = Path(args[0]), Path(args[1])
    same, equal, problems = compare(old, new)
    print(f"{same} file(s) byte-identical, {equal} identical apart from volatile content")
    for line in problems:
        print(line)
    print(f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
