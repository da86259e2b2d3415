# Two commands do everything on a fresh machine:
#   make report   build the default report (bundled synthetic example, pan-London edition)
#   make test     run the test suite
# Both create the virtual environment and install the pinned stack on first use.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: report test lint format bench simulate clean system-deps all-boroughs lock

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# Debian packages the tests use (headless Chromium for the accessibility check and
# screenshots, poppler for PDF text) and axe-core from npm. Skipped when already present.
system-deps:
	bash scripts/system-deps.sh

report: $(STAMP)
	$(VENV)/bin/report build

all-boroughs: $(STAMP)
	$(VENV)/bin/report build --all-boroughs

test: $(STAMP) system-deps
	$(PY) -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(VENV)/bin/ruff check analysis tests scripts notebooks
	$(VENV)/bin/ruff format --check analysis tests scripts notebooks

format: $(STAMP)
	$(VENV)/bin/ruff format analysis tests scripts
	$(VENV)/bin/ruff check --fix analysis tests scripts

bench: $(STAMP)
	$(PY) scripts/benchmark.py

simulate: $(STAMP)
	$(PY) scripts/simulate.py

clean:
	rm -rf outputs  # builds, and every cache (outputs/.cache: analysis.caches)

lock: $(STAMP)
	(echo "# Pinned stack (pip freeze of a working environment, Python 3.11). Regenerate with: make lock"; \
	 $(VENV)/bin/pip freeze --exclude-editable | grep -vi london-provision) > requirements.lock
