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


def source_tree_files() -> set[Path]:
    """The files a notebook run could leave behind: the notebooks' folder and the top level."""
    skip = {".ipynb_checkpoints", "__pycache__"}
    files = {
        f for f in (ROOT / "notebooks").rglob("*") if not skip.intersection(f.parts) and f.is_file()
    }
    return files | {f for f in ROOT.iterdir() if f.is_file()}


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    before = source_tree_files()
    env_root = os.environ.get("WORKBENCH_REPO")
    os.environ["WORKBENCH_REPO"] = str(ROOT)
    try:
        # The kernel runs in the notebook's folder, as in Jupyter by hand, so a notebook that
        # writes its store or exports into the working folder is caught below.
        client = NotebookClient(
            nb,
            kernel_name="python3",
            timeout=300,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    finally:
        if env_root is None:
            os.environ.pop("WORKBENCH_REPO", None)
        else:
            os.environ["WORKBENCH_REPO"] = env_root
    left_behind = sorted(source_tree_files() - before)
    for f in left_behind:
        f.unlink()  # keep the checkout clean for the next run; the failure names them
    assert not left_behind, (
        f"running {path.name} left files in the source tree: {[str(f.relative_to(ROOT)) for f in left_behind]}"
    )
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
