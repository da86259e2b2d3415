"""Counts of children in the results files: declared, withheld as in the tables, and read by the
attacker's audit.

The notebooks write ``results/*.json`` (headline figures, placement patterns, each hypothesis's
indicators) and the report is written from them; they are published with the edition. Which of
their numbers count children is declared in ``config/disclosure.yaml`` (``results_counts``: per
file, a path to the number and what it is: a London total of a quantity, one borough's number
of a quantity, or a count linked to nothing; the fields derived from it; a share whose count is
not in the file, declared ``share_of`` its denominator, stands for that count,
:func:`declared_value`). Two uses:

* :func:`control_results` rewrites an edition's results files before the report is written
  from them: a declared count from 1 to 5 becomes the suppression symbol, and so does every
  field derived from it (a share, an interval, a p-value) and a count whose complement in its
  declared total is small; a proportion whose split of its ``n`` (``n * p`` and the rest) has
  a part from 1 to 5 is withheld with its interval, its ``n`` kept. The tables, the results and the prose then show one suppressed
  version of each number.
* :func:`declared_counts` lists every declared number of an edition with its link, for
  :mod:`analysis.disclosure_audit`: a total is a relation over the tables' cells of that
  quantity, a borough's number is the same number as its table cells.

Caveat: only declared numbers are read; a count of children written under an undeclared key
(a new field of a results file) is checked only by the prose rule and the published-outputs
scan, not linked to the tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from analysis.paths import CONFIG

#: Results folders of an edition: its own and the previous year's (the "what changed" chapter).
RESULT_FOLDERS = ("results", "previous/results")

_SEGMENT = re.compile(r"^(?P<name>[^\[\]]+)(?:\[(?P<filter>[^\]]*)\])?$")


@dataclass(frozen=True)
class DeclaredCount:
    """One declared count of children found in a results file."""

    file: str  # e.g. ``results/h3.json``
    path: str  # the concrete path, e.g. ``indicators[0].n``
    value: Any  # the number, or the suppression symbol
    total: str | None = None  # the quantity this number is the total of
    rows_of: str | None = None  # ... over the rows of this table only
    quantity: str | None = None  # the quantity this number is one borough's value of
    key: str | None = None  # ... that borough


def load_declarations(path: Path | str | None = None) -> dict[str, list[dict[str, Any]]]:
    """``results_counts`` of ``config/disclosure.yaml``: results file name -> declarations."""
    target = Path(path) if path is not None else CONFIG / "disclosure.yaml"
    if not target.exists():
        return {}
    raw = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
    return {str(k): list(v or []) for k, v in (raw.get("results_counts") or {}).items()}


def resolve(doc: Any, path: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Every place ``path`` names in ``doc``: ``(concrete path, containing object, field)``.

    Segments are separated by dots; ``name[]`` goes through every item of a list,
    ``name[field=text]`` through the items whose ``field`` is ``text`` (e.g. an indicator's
    stable ``id``) and ``name[field^=text]`` through those whose ``field`` starts with it."""
    *parents, last = path.split(".")

    def walk(node: Any, segments: list[str], where: str) -> Iterator[tuple[str, Any]]:
        if not segments:
            yield where, node
            return
        match = _SEGMENT.match(segments[0])
        if match is None or not isinstance(node, Mapping):
            return
        name, cond = match.group("name"), match.group("filter")
        child = node.get(name)
        here = f"{where}.{name}" if where else name
        if cond is None:
            if child is not None:
                yield from walk(child, segments[1:], here)
            return
        if not isinstance(child, list):
            return
        exact = "^=" not in cond
        field, _, text = cond.partition("=" if exact else "^=")
        for i, item in enumerate(child):
            value = str((item or {}).get(field, ""))
            if cond and not (value == text if exact else value.startswith(text)):
                continue
            yield from walk(item, segments[1:], f"{here}[{i}]")

    for where, node in walk(doc, parents, ""):
        if isinstance(node, dict) and last in node:
            yield (f"{where}.{last}" if where else last), node, last


def _declared_places(
    doc: Any, declarations: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any], str, dict[str, Any]]]:
    """Each place a declaration names, once (the first declaration naming it wins)."""
    seen: set[str] = set()
    out = []
    for spec in declarations:
        for where, node, field in resolve(doc, str(spec["path"])):
            if where not in seen:
                seen.add(where)
                out.append((where, node, field, spec))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def split_counts(node: Mapping[str, Any], n: float, spec: Mapping[str, Any]) -> tuple[int, ...]:
    """The two counts a proportion splits its ``n`` into: ``round(n * p)`` and the rest.

    Declared by ``split: <field>``, ``split_unit: <unit>`` and ``split_name: <regex>``: the
    node's ``<field>`` is a proportion of its ``n`` children when its ``unit`` is ``<unit>`` and
    its ``name`` matches (a premium or a difference is not a split; e.g. a borough's share of
    its 16 children placed in good homes, 0.875, gives 14 and 2 back). Empty when not declared, not a
    proportion or not a number. Caveat: a proportion rounded before publishing may not give an
    exact count back; the rounded count is what a reader would take."""
    field = spec.get("split")
    if not field or node.get("unit") != spec.get("split_unit", "proportion"):
        return ()
    if not re.search(str(spec.get("split_name", "")), str(node.get("name", "")), re.IGNORECASE):
        return ()
    share = node.get(field)
    if not _is_number(share) or not 0 <= share <= 1:
        return ()
    part = int(round(n * share))
    return (part, int(round(n)) - part)


def declared_value(node: Mapping[str, Any], field: str, spec: Mapping[str, Any]) -> Any:
    """The count of children a declared place publishes: the field itself, or, for a share
    declared with ``share_of: <field>``, the count the share gives back times that field's
    total (``round(share * total)``; e.g. London's share placed in their own borough, 0.136709,
    times its 790 children gives 108). The suppression symbol, or None, when it cannot be
    computed. Caveat: a share rounded before publishing gives back the count a reader would
    take, which may differ from the true one by rounding."""
    value = node.get(field)
    of = spec.get("share_of")
    if not of or not _is_number(value):
        return value
    whole = node.get(of)
    if not _is_number(whole):
        return None
    return int(round(value * whole))


def control_document(doc: Any, declarations: list[dict[str, Any]], rules: Any = None) -> int:
    """Withhold, in place, the declared counts of ``doc`` from 1 to 5 (and those whose rest in
    their ``complement_of`` total is), with the fields ``derived`` from them. Returns how many
    values were withheld."""
    from analysis.disclosure import is_small_count, load_rules

    rules = rules or load_rules()
    hide: list[tuple[dict[str, Any], str]] = []
    for _, node, field, spec in _declared_places(doc, declarations):
        value = declared_value(node, field, spec)
        if not _is_number(value):
            continue
        total = node.get(spec.get("complement_of", "")) if spec.get("complement_of") else None
        rest = total - value if _is_number(total) else None
        if is_small_count(value, rules) or (rest is not None and is_small_count(rest, rules)):
            hide.append((node, field))
            hide += [(node, d) for d in spec.get("derived", []) or []]
        elif any(is_small_count(part, rules) for part in split_counts(node, value, spec)):
            hide += [(node, d) for d in spec.get("derived", []) or []]  # the split, not the n
    withheld = 0
    for node, field in hide:
        if field in node and node[field] is not None and node[field] != rules.symbol:
            node[field] = rules.symbol
            withheld += 1
    return withheld


def control_results(edition_dir: Path | str, declarations: Mapping[str, Any] | None = None) -> int:
    """Apply :func:`control_document` to every declared results file of an edition folder
    (``results/`` and ``previous/results/``), rewriting the files; returns the values withheld."""
    from analysis.outputs import write_json

    declarations = load_declarations() if declarations is None else declarations
    withheld = 0
    for folder in RESULT_FOLDERS:
        for name, specs in declarations.items():
            path = Path(edition_dir) / folder / name
            if not path.exists():
                continue
            doc = json.loads(path.read_text(encoding="utf-8"))
            changed = control_document(doc, specs)
            if changed:
                write_json(path, doc)
                withheld += changed
    return withheld


def _own_year_places(
    edition_dir: Path | str, declarations: Mapping[str, Any] | None
) -> Iterator[tuple[str, str, dict[str, Any], str, dict[str, Any]]]:
    """Each declared place in an edition's own-year results files (not ``previous/``: the
    previous year's numbers are other children): ``(file, path, node, field, spec)``."""
    declarations = load_declarations() if declarations is None else declarations
    for name, specs in declarations.items():
        path = Path(edition_dir) / "results" / name
        if not path.exists():
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        for where, node, field, spec in _declared_places(doc, specs):
            yield f"results/{name}", where, node, field, spec


def declared_counts(
    edition_dir: Path | str, declarations: Mapping[str, Any] | None = None
) -> list[DeclaredCount]:
    """Every declared count of children in an edition's results files (its own year only: the
    previous year's numbers are other children), with what it is linked to."""
    out = []
    for file, where, node, field, spec in _own_year_places(edition_dir, declarations):
        key = node.get(spec["key"]) if spec.get("key") else None
        out.append(
            DeclaredCount(
                file=file,
                path=where,
                value=declared_value(node, field, spec),
                total=spec.get("total"),
                rows_of=spec.get("rows_of"),
                quantity=spec.get("quantity"),
                key=None if key is None else str(key),
            )
        )
    return out


def split_leaks(
    edition_dir: Path | str, declarations: Mapping[str, Any] | None = None
) -> list[tuple[str, str, tuple[int, ...]]]:
    """Published proportions of an edition's results (its own year) that give back a count of
    1 to 5 children by splitting their ``n`` (:func:`split_counts`): ``(file, path, parts)``."""
    from analysis.disclosure import is_small_count, load_rules

    rules = load_rules()
    out = []
    for file, where, node, field, spec in _own_year_places(edition_dir, declarations):
        n = node.get(field)
        if not _is_number(n):
            continue
        parts = split_counts(node, n, spec)
        if any(is_small_count(p, rules) for p in parts):
            out.append((file, where, parts))
    return out
