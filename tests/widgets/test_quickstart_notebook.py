"""The quickstart notebook runs headless top to bottom and ends with the explorer."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01_quickstart.ipynb"

pytestmark = [
    # Raised inside Jupyter's own stack (zmq / jupyter_client), not by the workbench.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:zmq.*"),
]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_quickstart_runs_and_ends_with_the_explorer(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=240, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, errors
    last = code[-1]
    assert "explore()" in last.source
    views = [
        o for o in last.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(views) == 1
    # The notebook leaves nothing in the working folder but its export (the store is temporary).
    assert not list(tmp_path.glob("*.duckdb"))
