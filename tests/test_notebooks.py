"""Every notebook in notebooks/ runs top to bottom in a real kernel."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:zmq.*"),
]


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    # Run in a scratch folder so stores and exports do not land in the repository.
    env_root = os.environ.get("WORKBENCH_REPO")
    os.environ["WORKBENCH_REPO"] = str(ROOT)
    try:
        client = NotebookClient(
            nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
        )
        client.execute()
    finally:
        if env_root is None:
            os.environ.pop("WORKBENCH_REPO", None)
        else:
            os.environ["WORKBENCH_REPO"] = env_root
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    code = [c for c in nb.cells if c.cell_type == "code"]
    if path.name != "00_audit_app.ipynb":
        # Every worked example ends with the interactive explorer.
        last = code[-1]
        assert "explore(" in last.source
        views = [
            o
            for o in last.outputs
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        assert len(views) == 1
