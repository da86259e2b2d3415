"""The hypothesis registry: each hypothesis is declared once, in ``config/hypotheses/h<N>.yaml``.

An entry names the hypothesis (``id``, ``title``, ``question``), its statistics module (whose
``evaluate(ds, year, rules, *, la=None, seed=0)`` runs the whole test, and whose optional
``figures(...)`` and ``tables(...)`` give its chapter's figures and display tables), its
decision rules file, the name of its chapter notebook's output (``notebook``), its chapter's
prose (``chapter``), the dataset tables its chapter reads and its typical run time. Everything
else is derived from the registry: the build's notebook lists and cache inputs
(:func:`notebook_settings`), the report's chapters, titles, verdict tables and "what changed"
(:mod:`analysis.document.assemble`), the simulation study (:mod:`analysis.simulation`) and the
flip tests.

Adding a hypothesis = its statistics module, its rules file and one registry entry (see
``docs/adding-a-hypothesis.md``). Every chapter runs one notebook, the chapter template
``notebooks/chapters/hypothesis.ipynb`` with ``hypothesis`` set to the entry's id, written under
the entry's ``notebook`` name (:func:`notebooks_for_build`); an entry whose chapter needs a layout
of its own names another notebook of ``notebooks/chapters/`` in ``layout``.

A rules file may take a value from another hypothesis's rules instead of repeating it:
``from_hypotheses: {key: N}`` (:data:`FROM_HYPOTHESES`). :meth:`Hypothesis.rules` fills ``key`` in
from hypothesis ``N``'s rules file in the SAME config folder, so a test run with another config
folder reads that folder's definition, and the rules a test is given hold every value it uses.

This module reads YAML only; a statistics module is imported when its evaluator is asked for.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis.paths import CONFIG
from analysis.verdicts import hypothesis_key
from analysis.yaml_files import read_yaml

#: Folder of the registry entries, inside the config folder.
REGISTRY_DIR = "hypotheses"
#: Folder of the chapter layouts, inside the notebooks folder (not run on their own: the build
#: runs a layout once per hypothesis that uses it, under the hypothesis's ``notebook`` name).
LAYOUTS_DIR = "chapters"
#: The layout of an entry that names none: the chapter template.
DEFAULT_LAYOUT = "hypothesis"
#: The chapter template, relative to the notebooks folder.
TEMPLATE_NOTEBOOK = f"{LAYOUTS_DIR}/{DEFAULT_LAYOUT}.ipynb"
#: The parts of an entry's ``chapter`` prose, in the order the template shows them (each
#: Markdown, each optional): what the 2022 fieldwork found, the data used, the method.
CHAPTER_PARTS = ("background", "data", "method")
#: In ``config/report.yaml`` notebook lists, this name stands for the registered hypotheses'
#: notebooks, in registry order.
HYPOTHESES_MARKER = "hypotheses"

_REQUIRED = ("id", "title", "question", "module", "rules")
#: In a rules file, ``{key: hypothesis id}``: values taken from another hypothesis's rules file
#: (one definition; see the module docstring and :func:`with_values_from_hypotheses`).
FROM_HYPOTHESES = "from_hypotheses"


class RegistryError(ValueError):
    """A registry entry is missing a field, or two entries share an id or a notebook."""


@dataclass(frozen=True)
class Hypothesis:
    """One registered hypothesis (see the module docstring)."""

    id: int
    title: str
    question: str
    module: str
    rules_file: str
    notebook: str
    inputs: tuple[str, ...] | None
    seconds: float
    previous_year: bool
    config_dir: Path
    #: the stable ids of its indicators that the report looks up
    #: (:mod:`analysis.hypotheses.indicator_ids`)
    indicators: tuple[str, ...] = ()
    #: where the hypothesis comes from (e.g. the 2022 study), "" when new
    origin: str = ""
    #: the rows of its chapter's borough table (:func:`analysis.document.borough.registered_rows`)
    borough_rows: tuple[dict[str, Any], ...] = ()
    #: its chapter's prose, Markdown: ``background``, ``data``, ``method`` (:data:`CHAPTER_PARTS`)
    #: and ``figures`` (a figure's name -> the text shown above it in the chapter notebook)
    chapter: Mapping[str, Any] = field(default_factory=dict)
    #: the notebook of ``notebooks/chapters/`` its chapter runs (:data:`DEFAULT_LAYOUT`: the
    #: template)
    layout: str = DEFAULT_LAYOUT

    @property
    def key(self) -> str:
        """``h<N>``: the stem of its results file (``results/h<N>.json``) and of its chapter."""
        return hypothesis_key(self.id)

    @property
    def label(self) -> str:
        """``H<N>``: how the report and the recommendation bank refer to it."""
        return f"H{self.id}"

    @property
    def results_file(self) -> str:
        """Its results file, relative to an edition's folder."""
        return f"results/{self.key}.json"

    def rules(self) -> dict[str, Any]:
        """Its decision rules (``config/<rules>``), with the values it takes from other
        hypotheses' rules filled in from the same config folder
        (:func:`with_values_from_hypotheses`)."""
        return with_values_from_hypotheses(
            read_yaml(self.config_dir / self.rules_file), self.config_dir
        )

    def statistics(self) -> Any:
        """Its statistics module (imported now)."""
        return importlib.import_module(self.module)

    @property
    def evaluator(self) -> Callable[..., Any]:
        """Its ``evaluate`` function."""
        return self.statistics().evaluate

    def evaluate(self, ds: Any, year: int, rules: Mapping[str, Any] | None = None, **kw: Any):
        """Run its test: ``evaluate(ds, year, rules, la=, seed=, public_data_dir=)``. Keyword
        arguments its evaluator does not take (e.g. ``public_data_dir``) are left out, and the
        result carries the registered title."""
        func = self.evaluator
        params = inspect.signature(func).parameters
        takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        kwargs = {k: v for k, v in kw.items() if takes_all or k in params}
        result = func(ds, year, self.rules() if rules is None else rules, **kwargs)
        result.title = self.title
        return result

    def figures(
        self, ds: Any, year: int, rules: Mapping[str, Any], result: Any, **kw: Any
    ) -> list[Any]:
        """Its chapter's figures (:class:`analysis.hypotheses.figures.FigureSpec`, in the order
        the chapter shows them): its module's ``figures(ds, year, rules, result, la=, scopes=,
        ...)``, given only the keyword arguments it takes (e.g. ``seed``,
        ``public_data_dir``); none when the module has no ``figures``."""
        return _call_optional(self.statistics(), "figures", ds, year, rules, result, **kw)

    def tables(
        self, ds: Any, year: int, rules: Mapping[str, Any], result: Any, **kw: Any
    ) -> list[tuple[str, Any]]:
        """The tables its chapter notebook displays (``(caption, DataFrame)``; not published):
        its module's ``tables(...)``, called as :meth:`figures`; none when it has no
        ``tables``."""
        return _call_optional(self.statistics(), "tables", ds, year, rules, result, **kw)

    def chapter_text(self, part: str) -> str:
        """The Markdown of one part of its chapter's prose (``""`` when the entry has none)."""
        return str(self.chapter.get(part) or "").strip()

    def figure_text(self, spec: Any) -> str:
        """The text shown above a figure in its chapter notebook: the entry's
        ``chapter.figures`` text for the figure's name, else the figure's caption."""
        return str((self.chapter.get("figures") or {}).get(spec.name) or spec.caption).strip()


def _call_optional(module: Any, name: str, *args: Any, **kw: Any) -> list[Any]:
    func = getattr(module, name, None)
    if func is None:
        return []
    params = inspect.signature(func).parameters
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    return list(func(*args, **{k: v for k, v in kw.items() if takes_all or k in params}))


def _entry(path: Path, config_dir: Path) -> Hypothesis:
    raw = read_yaml(path) or {}
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise RegistryError(f"{path}: missing {', '.join(missing)}")
    hid = int(raw["id"])
    inputs = raw.get("inputs")
    return Hypothesis(
        id=hid,
        title=str(raw["title"]).strip(),
        question=" ".join(str(raw["question"]).split()),
        module=str(raw["module"]),
        rules_file=str(raw["rules"]),
        notebook=str(raw.get("notebook") or hypothesis_key(hid)),
        inputs=None if inputs is None else tuple(str(t) for t in inputs),
        seconds=float(raw.get("seconds", 1.0)),
        previous_year=bool(raw.get("previous_year", True)),
        config_dir=config_dir,
        indicators=tuple(str(i) for i in raw.get("indicators") or ()),
        origin=str(raw.get("origin") or "").strip(),
        borough_rows=tuple(raw.get("borough_rows") or ()),
        chapter=_chapter(raw.get("chapter"), path),
        layout=str(raw.get("layout") or DEFAULT_LAYOUT),
    )


def _chapter(raw: Any, path: Path) -> dict[str, Any]:
    chapter = dict(raw or {})
    unknown = sorted(set(chapter) - {*CHAPTER_PARTS, "figures"})
    if unknown:
        raise RegistryError(
            f"{path}: chapter has {', '.join(unknown)}; it takes {', '.join(CHAPTER_PARTS)} "
            "and figures"
        )
    return chapter


@lru_cache(maxsize=16)
def _registry(config_dir: str, stamp: str) -> tuple[Hypothesis, ...]:
    folder = Path(config_dir) / REGISTRY_DIR
    entries = sorted(
        (_entry(p, Path(config_dir)) for p in sorted(folder.glob("*.yaml"))), key=lambda h: h.id
    )
    for attr in ("id", "notebook"):
        values = [getattr(h, attr) for h in entries]
        dupes = sorted({str(v) for v in values if values.count(v) > 1})
        if dupes:
            raise RegistryError(f"{folder}: more than one entry with {attr} {', '.join(dupes)}")
    return tuple(entries)


def _stamp(config_dir: Path) -> str:
    folder = config_dir / REGISTRY_DIR
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return json.dumps([(p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files])


def registry(config_dir: Path | str | None = None) -> tuple[Hypothesis, ...]:
    """The registered hypotheses, by id (``config_dir`` is the ``config/`` folder). Raises
    :class:`RegistryError` for an incomplete entry or a repeated id or notebook."""
    base = Path(config_dir).resolve() if config_dir else CONFIG
    return _registry(str(base), _stamp(base))


def ids(config_dir: Path | str | None = None) -> tuple[int, ...]:
    """The registered hypotheses' ids, in order."""
    return tuple(h.id for h in registry(config_dir))


def get(hypothesis: int, config_dir: Path | str | None = None) -> Hypothesis:
    """The registry entry of ``hypothesis`` (KeyError when it is not registered)."""
    for h in registry(config_dir):
        if h.id == int(hypothesis):
            return h
    raise KeyError(f"hypothesis {hypothesis} is not registered (config/{REGISTRY_DIR}/)")


def titles(config_dir: Path | str | None = None) -> dict[int, str]:
    """``id -> title`` of the registered hypotheses."""
    return {h.id: h.title for h in registry(config_dir)}


def load_rules(hypothesis: int, config_dir: Path | str | None = None) -> dict[str, Any]:
    """The decision rules of ``hypothesis`` (the file its registry entry names)."""
    return get(hypothesis, config_dir).rules()


def with_values_from_hypotheses(
    rules: Mapping[str, Any], config_dir: Path | str | None = None
) -> dict[str, Any]:
    """``rules`` with each key its ``from_hypotheses`` block names (``{key: N}``) set to that
    key's value in hypothesis ``N``'s own rules file, read from ``config_dir`` (the registry of
    the same folder). Raises :class:`RegistryError` when ``rules`` also gives the key itself or
    hypothesis ``N``'s file does not have it. Values are taken from the file as written (not
    from values it takes in turn), so references cannot loop."""
    out = dict(rules)
    for key, hypothesis in (rules.get(FROM_HYPOTHESES) or {}).items():
        source = get(int(hypothesis), config_dir)
        own = read_yaml(source.config_dir / source.rules_file) or {}
        if key in rules:
            raise RegistryError(f"{key!r} is both given and taken from hypothesis {hypothesis}")
        if key not in own:
            raise RegistryError(f"{key!r} is not in {source.rules_file} ({source.config_dir})")
        out[key] = own[key]
    return out


# --- what the build derives from the registry -------------------------------------------------


def _expand(names: list[str], hypotheses: tuple[Hypothesis, ...], *, previous: bool) -> list[str]:
    out: list[str] = []
    for name in names:
        if name == HYPOTHESES_MARKER:
            out += [h.notebook for h in hypotheses if h.previous_year or not previous]
        else:
            out.append(name)
    return out


def notebook_settings(
    report_config: Mapping[str, Any], config_dir: Path | str | None = None
) -> dict[str, Any]:
    """``report_config`` (``config/report.yaml``) with the hypotheses' notebook settings derived
    from the registry: ``hypotheses`` in ``notebook_order`` and ``previous_year_notebooks``
    stands for the registered notebooks (appended when the marker is absent), and each
    registered notebook's ``notebook_inputs`` and ``notebook_seconds`` are its entry's."""
    hyps = registry(config_dir)
    out = dict(report_config)
    order = list(out.get("notebook_order") or [])
    if HYPOTHESES_MARKER not in order:
        order.append(HYPOTHESES_MARKER)
    out["notebook_order"] = _expand(order, hyps, previous=False)
    previous = out.get("previous_year_notebooks")
    if previous is not None:
        out["previous_year_notebooks"] = _expand(list(previous), hyps, previous=True)
    inputs = dict(out.get("notebook_inputs") or {})
    seconds = dict(out.get("notebook_seconds") or {})
    for h in hyps:
        if h.inputs is not None:
            inputs[h.notebook] = list(h.inputs)
        seconds[h.notebook] = h.seconds
    out["notebook_inputs"] = inputs
    out["notebook_seconds"] = seconds
    return out


def layout_path(hypothesis: Hypothesis, notebooks_dir: Path) -> Path:
    """The notebook ``hypothesis``'s chapter runs: ``notebooks/chapters/<layout>.ipynb`` (the
    chapter template unless its entry names a ``layout``)."""
    return Path(notebooks_dir) / LAYOUTS_DIR / f"{hypothesis.layout}.ipynb"


def template_notebook(hypothesis: Hypothesis, template: Path) -> dict[str, Any]:
    """A chapter layout (a notebook's JSON) with its ``hypothesis`` parameter set to
    ``hypothesis.id``: the notebook the build runs for the hypothesis's chapter."""
    nb = json.loads(Path(template).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "parameters" in (cell.get("metadata", {}).get("tags") or []):
            lines = "".join(cell["source"]).splitlines(keepends=True)
            cell["source"] = [
                f"hypothesis = {hypothesis.id}\n" if line.startswith("hypothesis =") else line
                for line in lines
            ]
    return nb


def notebooks_for_build(
    notebooks_dir: Path,
    found: list[Path],
    scratch: Path,
    config_dir: Path | str | None = None,
    order: Sequence[str] | None = None,
) -> list[Path]:
    """``found`` (the notebooks folder's own notebooks, in build order) plus each registered
    hypothesis's chapter: its layout (:func:`layout_path`) with ``hypothesis`` set to its id,
    written to ``scratch`` under the entry's ``notebook`` name. ``order`` (the build's
    ``notebook_order``, registered notebooks included: :func:`notebook_settings`) places them;
    without it a chapter follows the registered notebook before it, else the last notebook. The written file is what the build's cache key hashes, so editing the template
    re-runs every chapter that uses it (and an entry, being configuration, re-runs the build's
    notebooks).

    A notebooks folder without ``chapters/`` (a test's folder of its own) adds nothing; a
    notebook of ``found`` named like an entry's ``notebook`` is that chapter, run as it is (a
    test's stub). Raises :class:`RegistryError` when an entry names a layout that is not there."""
    have = {p.stem for p in found}
    layouts = Path(notebooks_dir) / LAYOUTS_DIR
    extra: list[Path] = []
    for h in registry(config_dir):
        if h.notebook in have or not layouts.is_dir():
            continue
        layout = layout_path(h, notebooks_dir)
        if not layout.exists():
            raise RegistryError(f"hypothesis {h.id}: its chapter layout {layout} does not exist")
        path = Path(scratch) / f"{h.notebook}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(template_notebook(h, layout), indent=1, ensure_ascii=False) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        extra.append(path)
    if not extra:
        return list(found)
    if order is not None:
        by_name = {p.stem: p for p in [*found, *extra]}
        ordered = [by_name.pop(name) for name in order if name in by_name]
        return ordered + list(by_name.values())
    registered = [h.notebook for h in registry(config_dir)]
    out = list(found)
    for path in extra:
        # after the registered notebook just before it, else after the last hypothesis notebook
        before = registered[: registered.index(path.stem)]
        at = max((i + 1 for i, p in enumerate(out) if p.stem in before), default=len(out))
        out.insert(at, path)
    return out
