"""Where things live in the project tree."""

from __future__ import annotations

from pathlib import Path

ROOT: Path = Path(__file__).resolve().parent.parent
DATA: Path = ROOT / "data"
REFERENCE: Path = DATA / "reference"
EXAMPLE_DATA: Path = DATA / "example"
CONFIG: Path = ROOT / "config"
NOTEBOOKS: Path = ROOT / "notebooks"
REPORT_SOURCES: Path = ROOT / "report_templates"
OUTPUTS: Path = ROOT / "outputs"
#: The real public data used by tests; never copied into the project.
SHARED_PUBLIC_DATA: Path = ROOT.parent / "shared" / "data" / "public"
