"""The case-study notebooks run, as stored, in a kernel of this project's environment.

Each notebook ends with its own assertion (every planted shipment is in the batch, and where it
is reliable, some reach the red lane); a failing cell fails the test with the cell's error.
Their run times are measured by `python -m benchmarks.notebooks`, not asserted here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def execute(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run every cell in a fresh `python3` kernel started from the repository root."""
    # jupyter_client starts a kernel spec whose command is `python` with this process's
    # interpreter, so the kernel is the project's venv even when `python` on PATH is not.
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(REPO)}},
    )
    client.execute()
    return notebook


def outputs_of(notebook: nbformat.NotebookNode, kind: str) -> list[object]:
    return [
        output["data"][kind]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if kind in output.get("data", {})
    ]


def test_the_kernel_is_this_environment() -> None:
    probe = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import sys, pipelines; print(sys.executable)")]
    )
    printed = execute(probe).cells[0].outputs[0]["text"].strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_to_its_final_assertion(path: Path) -> None:
    notebook = execute(nbformat.read(path, as_version=4))
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
    # Plots render offline as inline PNGs.
    assert outputs_of(notebook, "image/png")
