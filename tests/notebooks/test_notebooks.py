"""The example notebooks in ``notebooks/``: each runs from top to bottom in a fresh kernel,
and the repository keeps them without outputs.

The kernel is this interpreter (a kernelspec written for the session that points at
``sys.executable``), so the notebooks run against the coqlkit under test. Each notebook is
executed from a copy, in a scratch directory, so the repository's files stay output-free.

Building the sandbox's databases dominates the time: the demo org of 25,000 leads takes a
few seconds, that of 250,000 leads (``03-large-export``) about a minute. They are cached in
one directory for the session (``XDG_CACHE_HOME`` of every kernel), and the large one is
built in a separate process from the start, while the first two notebooks run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "coqlkit-tests"
CELL_TIMEOUT = 300  # seconds; the first cell of 03 waits for nothing but a cached org
LARGE_ORG = 250_000  # the leads 03-large-export.ipynb asks its sandbox for
SHOWN_ERRORS = {"01-quick-start": 2}  # the wrong queries a notebook shows on purpose

# Seeds the org of ``records`` leads into $XDG_CACHE_HOME the way connect(sandbox=...) does.
SEED = """
import sys
from coqlkit.sandbox.config import SandboxConfig
from coqlkit.sandbox.state import SandboxState
SandboxState.open(SandboxConfig(records=int(sys.argv[1]))).store.close()
"""


def repository_notebooks() -> list[Path]:
    """Every notebook in the repository (not in hidden directories or virtual environments)."""
    found = []
    for path in ROOT.rglob("*.ipynb"):
        parts = path.relative_to(ROOT).parts
        if any(p.startswith(".") or p in ("build", "dist", "node_modules") for p in parts):
            continue
        if any((ROOT.joinpath(*parts[:i]) / "pyvenv.cfg").exists() for i in range(1, len(parts))):
            continue
        found.append(path)
    return sorted(found)


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01-quick-start.ipynb",
        "02-pipeline-analysis.ipynb",
        "03-large-export.ipynb",
    ]


@pytest.mark.parametrize("path", repository_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_are_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"cells {dirty} keep outputs or execution counts: clear them before committing"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, "notebook metadata beyond the kernel"
    assert set(nb.metadata.get("language_info", {})) <= {"name"}, "language_info beyond the name"
    noisy = [i for i, cell in enumerate(nb.cells) if set(cell.metadata) - {"tags"}]
    assert not noisy, f"cells {noisy} carry editor metadata (collapsed, scrolled, execution...)"


# ---- running them ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kernel_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the kernelspec ``coqlkit-tests``: this interpreter's ipykernel."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "coqlkit tests", "language": "python"})
    )
    return home


@pytest.fixture(scope="session")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sandbox databases' cache, shared by every notebook of the session."""
    return tmp_path_factory.getbasetemp() / "home" / "cache"


@pytest.fixture(scope="session")
def large_org(cache_home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start building the org of 03-large-export now, in another process (it takes a minute)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    seeding = subprocess.Popen([sys.executable, "-c", SEED, str(LARGE_ORG)], env=env, stderr=subprocess.PIPE)
    yield seeding
    if seeding.poll() is None:  # the large notebook was not run
        seeding.kill()
    seeding.wait()
    assert seeding.stderr is not None
    seeding.stderr.close()


def kernel_environment(cache_home: Path, workdir: Path) -> dict[str, str]:
    return {
        **os.environ,  # conftest has removed the ZOHO_* and COQLKIT_* variables
        "XDG_CACHE_HOME": str(cache_home),
        "IPYTHONDIR": str(workdir / ".ipython"),  # no user profile, no history file
        "MPLCONFIGDIR": str(cache_home / "matplotlib"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def execute(path: Path, workdir: Path, kernel_home: Path, cache_home: Path) -> nbformat.NotebookNode:
    """Run a copy of ``path`` in ``workdir``; raises ``CellExecutionError`` on a cell's error."""
    nb = nbformat.read(path, as_version=4)
    specs = KernelSpecManager(kernel_dirs=[str(kernel_home / "kernels")])
    manager = AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
    client = NotebookClient(
        nb,
        km=manager,
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(cleanup_kc=True, env=kernel_environment(cache_home, workdir))
    return nb


def stderr_of(nb: nbformat.NotebookNode) -> list[str]:
    """What the cells wrote to stderr (warnings a reader of the notebook would see)."""
    return [
        f"cell {i}: {output.text.strip()}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(
    path: Path, tmp_path: Path, kernel_home: Path, cache_home: Path, large_org: subprocess.Popen[bytes]
) -> None:
    if path.stem == "03-large-export":
        assert large_org.wait(timeout=900) == 0, large_org.stderr and large_org.stderr.read().decode()
    nb = execute(path, tmp_path, kernel_home, cache_home)
    assert stderr_of(nb) == []
    # A wrong query fails its cell (nbclient would stop at any cell not tagged
    # raises-exception), showing the diagnostic alone. The quick start shows two on purpose
    # (a misspelt field, a date for a datetime).
    failed = [
        (cell, output)
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert len(failed) == SHOWN_ERRORS.get(path.stem, 0), [o.traceback for _, o in failed]
    for cell, output in failed:
        assert "raises-exception" in cell.metadata.get("tags", [])
        assert output.ename == "MagicError"
        assert "Traceback" not in "\n".join(output.traceback)
        assert any("^" in line for line in output.traceback)  # the caret diagnostic
    if path.stem == "03-large-export":
        import polars as pl

        export = pl.scan_parquet(tmp_path / "exports" / "leads.parquet")
        assert export.select(pl.len()).collect().item() == LARGE_ORG
