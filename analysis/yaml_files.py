"""Reading the project's YAML configuration files: parsed once per process, with libyaml.

A build's notebooks read the same few configuration files (decision rules, groups, disclosure)
in every edition; :func:`read_yaml` parses a file once per process and hands out deep copies,
so a caller that modifies what it got cannot change what the next caller reads. The memo is
keyed by the file's path, size and modification time, so an edited file is read again.
libyaml's parser is used when PyYAML was built with it (same constructors, so the same values
as ``yaml.safe_load``), else the pure-Python one.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MEMO: dict[tuple[str, int, int], Any] = {}


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, with libyaml's parser when available."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


def read_yaml(path: Path | str, encoding: str = "utf-8") -> Any:
    """The parsed content of the YAML file ``path`` (a fresh deep copy each call)."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _MEMO:
        _MEMO[key] = parse_yaml(path.read_text(encoding=encoding))
    return copy.deepcopy(_MEMO[key])
