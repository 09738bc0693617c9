"""The slice table and drill-down in marimo: the notebook exports to HTML headless."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "06_marimo_explorer.py"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_marimo_notebook_exports_with_table_and_drill_down(tmp_path: Path) -> None:
    pytest.importorskip("marimo")
    copy = tmp_path / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    out = tmp_path / "explorer.html"
    done = subprocess.run(
        [sys.executable, "-m", "marimo", "export", "html", str(copy), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    page = out.read_text(encoding="utf-8")
    assert "Jupyter widgets are not supported" not in page
    assert "marimo-anywidget" in page  # the slice table, as an anywidget
    assert "plain-summary" in page and "slice-title" in page  # the drill-down
