"""Executing notebooks in a worker process's long-lived kernel, each into a scratch folder.

Papermill only parameterises the notebook (its ``parameters`` cell); nbclient runs the cells.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KERNEL = "python3"
#: Each worker's kernel gets one BLAS thread: the build already runs one kernel per core, and
#: BLAS threads on top of that thrash (a small regression's lstsq went from ~5 ms to ~160 ms
#: per call on a loaded 2-core machine). A value set in the environment wins.
ONE_THREAD_BLAS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class NotebookTask:
    """One notebook to execute for one edition; ``workdir`` receives everything it writes."""

    notebook: Path
    edition: str
    parameters: dict[str, Any]
    workdir: Path
    key: str
    html: bool = True
    #: False: figures' PNG/SVG are not drawn (tables and sidecars still are); used for the
    #: previous year's runs, whose results feed only the "what changed" chapter.
    figures: bool = True


@dataclass
class NotebookOutcome:
    """What happened: ``ok``, or the failing cell and error (picklable, crosses processes)."""

    notebook: str
    edition: str
    key: str
    ok: bool
    seconds: float = 0.0
    cell: int | None = None
    cell_source: str = ""
    error: str = ""
    cached: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        """One readable line naming the notebook, the edition, the cell and the error."""
        where = f"cell {self.cell}" if self.cell is not None else "before any cell ran"
        first_line = self.cell_source.strip().splitlines()[0] if self.cell_source.strip() else ""
        src = f" (`{first_line[:80]}`)" if first_line else ""
        return f"{self.notebook} [{self.edition}] failed at {where}{src}: {self.error}"


def _export_html(executed: Path, target: Path) -> None:
    """Render the executed notebook to a standalone HTML page for reviewers (no inputs hidden)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    body, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


#: Parameters that are paths; the published notebook shows them relative to the project folder.
PATH_PARAMETERS = ("data_dir", "config_dir", "public_data_dir")
#: The comment above the parameters the published notebook shows (papermill's cell, rewritten).
SHOWN_PARAMETERS_COMMENT = (
    "Parameters given by report build. Paths are relative to the project folder; output_dir,\n"
    "# where this notebook wrote its results, tables and figures, is the folder above this\n"
    "# notebook's own (the edition's folder, or its previous/ folder)"
)


def shown_parameters(parameters: dict[str, Any], root: Path) -> dict[str, Any]:
    """The parameters as the published notebook shows them: a path inside ``root`` (the project
    folder) relative to it, a path elsewhere as it was; ``output_dir`` (the run's scratch folder,
    whose contents are moved to the edition's folder) as ``..``, where they are relative to the
    published notebook."""
    shown = dict(parameters)
    for key in PATH_PARAMETERS:
        value = shown.get(key)
        if value:
            path = Path(str(value))
            try:
                shown[key] = path.resolve().relative_to(Path(root).resolve()).as_posix() or "."
            except ValueError:
                shown[key] = str(value)
    if "output_dir" in shown:
        shown["output_dir"] = ".."
    return shown


def reproducible_notebook(nb: Any, parameters: dict[str, Any], root: Path) -> Any:
    """The executed notebook in the form that is published: the same bytes from the same inputs,
    wherever and in whichever order the build ran it.

    - the injected parameters cell shows :func:`shown_parameters` (no scratch or machine paths)
      and has a fixed id (papermill gives it a random one);
    - execution counts are numbered 1, 2, ... in cell order, as a fresh kernel would (a build's
      kernel runs many notebooks, so its counts depend on what ran before);
    - no execution timestamps (the client is run with ``record_timing=False``);
    - what a cell printed is one output per stream (:func:`joined_streams`): the kernel sends
      printed text in chunks whose boundaries depend on timing (``print(x)`` can arrive as
      ``x`` and ``\n``), so two runs of one cell could store it split differently.

    Caveat: the notebook no longer records the absolute paths it ran with; the edition's
    ``build.json`` and the report's reproducibility section identify the inputs by content.
    """
    from papermill.parameterize import parameterize_notebook

    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])  # papermill reads every cell's tags
    # which cells ran, read before the parameters cell is replaced (at the same index)
    ran = [c.cell_type == "code" and c.get("execution_count") is not None for c in nb.cells]
    nb = parameterize_notebook(
        nb, shown_parameters(parameters, root), comment=SHOWN_PARAMETERS_COMMENT
    )
    count = 0
    for cell, executed in zip(nb.cells, ran, strict=True):
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
        if cell.cell_type != "code":
            continue
        count += 1 if executed else 0
        cell.execution_count = count if executed else None
        cell.outputs = joined_streams(cell.get("outputs", []))
        for output in cell.outputs:
            if "execution_count" in output:
                output["execution_count"] = cell.execution_count
        cell.metadata.pop("execution", None)
    return nb


def joined_streams(outputs: list[Any]) -> list[Any]:
    """A cell's outputs with consecutive text on the same stream (stdout, stderr) joined into
    one output, as a reader sees it; other outputs, and their order, are kept."""
    joined: list[Any] = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = _text(previous.get("text", "")) + _text(output.get("text", ""))
            continue
        joined.append(output)
    return joined


def _text(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


class KernelSession:
    """One long-lived Jupyter kernel that executes notebook after notebook.

    Starting a kernel and importing pandas/matplotlib/scipy costs about 3 s; a worker that keeps
    its kernel pays that once. Between notebooks the namespace is reset (``%reset -f``) and
    figures are closed, so notebooks do not see each other's variables; imported modules stay
    loaded (that is the saving). Caveat: module-level state changed by a notebook (e.g.
    matplotlib rcParams) persists, so notebooks must set the style they need themselves.

    After each reset the surviving objects (imported modules, the dataset memo) are moved out of
    the garbage collector's reach with :func:`gc.freeze`: a full collection of the ~260,000
    objects pandas, matplotlib and scipy leave behind took ~0.1 s, and ``%reset`` runs two;
    frozen, the reset takes ~0.02 s and the collections during a notebook are cheaper too.
    Caveat: a frozen object that later becomes cyclic garbage is not freed (objects freed by
    reference counting still are); what survives a reset is long-lived state anyway.
    """

    def __init__(self, cwd: Path) -> None:
        from jupyter_client.manager import KernelManager

        self.cwd = Path(cwd)
        self.km = KernelManager(kernel_name=KERNEL)
        # the kernel's own stderr only carries ipykernel's start-up warnings (cell errors come
        # back through the messaging protocol), so it is not shown in the build's terminal
        self.km.start_kernel(
            cwd=str(self.cwd),
            env={**ONE_THREAD_BLAS, **os.environ, "MPLBACKEND": "Agg"},
            stderr=subprocess.DEVNULL,
        )
        # one client for the kernel's whole life: a new client per notebook (nbclient's
        # default) costs about 0.2 s of channel set-up and readiness check every time
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self.kc.allow_stdin = False

    def alive(self) -> bool:
        return bool(self.km.is_alive())

    def shutdown(self) -> None:
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
        except Exception:  # pragma: no cover - already gone
            pass

    def run(self, task: NotebookTask) -> NotebookOutcome:
        """Execute ``task`` in this kernel, output folder = ``task.workdir``.

        Never raises for a notebook error: the outcome carries the failing cell's index (0-based,
        as in the .ipynb), its source and ``ename: evalue``.
        """
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
        from papermill.parameterize import parameterize_notebook

        start = time.perf_counter()
        workdir = Path(task.workdir)
        (workdir / "notebooks").mkdir(parents=True, exist_ok=True)
        executed = workdir / "notebooks" / task.notebook.name
        outcome = NotebookOutcome(task.notebook.stem, task.edition, task.key, ok=False)
        try:
            nb = nbformat.read(task.notebook, as_version=4)
            for cell in nb.cells:
                cell.metadata.setdefault("tags", [])
            nb.metadata.setdefault("papermill", {})
            nb = parameterize_notebook(nb, {**task.parameters, "output_dir": str(workdir)})
        except Exception as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
            return outcome
        client = NotebookClient(
            nb,
            km=self.km,
            kernel_name=KERNEL,
            timeout=1800,
            allow_errors=False,
            record_timing=False,
        )
        client.kc = self.kc  # (NotebookClient's constructor clears kc)
        index = None
        try:
            with client.setup_kernel():
                # figures closed first so that the reset's collection frees them; then what
                # survives (modules, the dataset memo) is frozen out of later collections
                prelude = (
                    "import matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt\n"
                    "%reset -f\nimport gc as _gc\n_gc.freeze()\ndel _gc\n"
                    "import os as _os\n_os.chdir("
                    + repr(str(task.notebook.parent.resolve()))
                    + ")\ndel _os\n"
                    "from analysis.build import dataset_memo as _m\n_m.install()\ndel _m\n"
                    f"import analysis.charts as _c\n_c.set_drawing({bool(task.figures)})\ndel _c"
                )
                reply = client.kc.execute_interactive(
                    prelude, timeout=60, store_history=False, output_hook=lambda _msg: None
                )
                if reply["content"].get("status") != "ok":
                    raise RuntimeError(
                        f"kernel preparation failed: {reply['content'].get('evalue')}"
                    )
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index)
            outcome.ok = True
        except CellExecutionError as exc:
            outcome.cell = index
            outcome.cell_source = nb.cells[index].source if index is not None else ""
            outcome.error = f"{exc.ename}: {exc.evalue}"
        except Exception as exc:  # kernel died or timed out
            outcome.cell = index
            outcome.error = f"{type(exc).__name__}: {exc}"
        from analysis.paths import ROOT

        nbformat.write(reproducible_notebook(nb, task.parameters, ROOT), executed)
        if outcome.ok and task.html:
            _export_html(executed, executed.with_suffix(".html"))
        outcome.seconds = time.perf_counter() - start
        return outcome


_SESSION: KernelSession | None = None


def _shutdown_session() -> None:
    global _SESSION
    if _SESSION is not None:
        _SESSION.shutdown()
        _SESSION = None


def run_in_worker_kernel(task: NotebookTask) -> NotebookOutcome:
    """Worker-process entry point: run ``task`` in this process's persistent kernel.

    The kernel is started on first use and restarted when it has died (or after a failure,
    so one broken notebook cannot poison the next).
    """
    global _SESSION
    if _SESSION is None or not _SESSION.alive():
        from multiprocessing import util

        _shutdown_session()
        _SESSION = KernelSession(task.notebook.parent)
        util.Finalize(None, _shutdown_session, exitpriority=10)
    outcome = _SESSION.run(task)
    if not outcome.ok:
        _shutdown_session()
    return outcome
