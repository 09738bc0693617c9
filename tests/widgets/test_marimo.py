"""The explorer in marimo: its core loop without a browser, and the notebook's HTML export.

marimo shows anywidgets only; ``bench.explore()`` returns :class:`MarimoExplorer`
there (the slice table, a chart and the :class:`DrillPanel` anywidget). The panel's
buttons send custom messages, which :meth:`MarimoExplorer.handle` receives here as
they would arrive from the browser.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.widgets import Explorer, MarimoExplorer, running_in_marimo

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "06_marimo_explorer.py"


def planted(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """Data where the model fails on colour=red AND size=small."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "size": rng.choice(["small", "large"], n),
            "shape": rng.choice(["circle", "square", "star", "hex"], n),
            "y": rng.integers(0, 2, n),
        }
    )
    bad = (frame["colour"] == "red") & (frame["size"] == "small")
    flip = np.where(bad, rng.random(n) < 0.45, rng.random(n) < 0.08)
    frame["pred"] = np.where(flip, 1 - frame["y"], frame["y"])
    return frame


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[wb.Workbench]:
    path = tmp_path / "marimo.duckdb"
    with wb.Workbench.from_predictions(planted(), label="y", prediction="pred", path=path) as b:
        b.scan(k=6, max_predicates=2, min_support=0.02)
        yield b


class Sent:
    """Records what the panel sends to the browser (custom messages with buffers)."""

    def __init__(self) -> None:
        self.messages: list[tuple[dict[str, Any], list[bytes]]] = []

    def __call__(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        self.messages.append((content, list(buffers or [])))

    def file(self) -> tuple[str, bytes]:
        chunks = [m for m in self.messages if m[0].get("type") == "chunk"]
        assert chunks and chunks[-1][0]["last"]
        start = max(i for i, m in enumerate(chunks) if m[0]["index"] == 0)
        return chunks[start][0]["filename"], b"".join(b for m in chunks[start:] for b in m[1])


def test_explore_outside_marimo_is_the_full_explorer(bench: wb.Workbench) -> None:
    assert not running_in_marimo()
    assert isinstance(bench.explore(), Explorer)


def test_explore_inside_marimo_is_the_anywidget_explorer(
    bench: wb.Workbench, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("workbench.widgets._marimo.running_in_marimo", lambda: True)
    monkeypatch.setattr("workbench.widgets.running_in_marimo", lambda: True)
    explorer = bench.explore(media_root=".")  # options of the full explorer are accepted
    assert isinstance(explorer, MarimoExplorer)


def test_core_loop_select_refine_flag_export(
    bench: wb.Workbench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explorer = MarimoExplorer(bench, export_dir=tmp_path / "exports")
    sent = Sent()
    monkeypatch.setattr(explorer.panel, "send", sent)
    findings = explorer.findings
    # The first slice is open from the start (a static export shows a drill-down too).
    assert explorer.current is not None and explorer.current.slice_id == findings[0].slice_id
    assert explorer.panel.has_slice and 'data-testid="slice-title"' in explorer.panel.html
    # which values carry the open slice's errors, as in the full explorer
    assert 'data-testid="error-values"' in explorer.panel.html
    assert "p-value (adjusted)" in explorer.panel.html

    # A click on a row: the table's ``selected`` changes in the browser.
    third = findings[2]
    focus = explorer.panel.focus_request
    explorer.table_widget.set_state({"selected": third.slice_id})
    assert explorer.current is not None and explorer.current.slice_id == third.slice_id
    assert third.slice_id in explorer.panel.html
    assert explorer.panel.focus_request == focus + 1  # scrolled into view, heading focused
    assert not explorer.panel.refined

    # Refine: only values that narrow the slice are offered.
    options = explorer.panel.refine_options
    assert options and all(o["feature"] not in third.conditions for o in options)
    choice = options[0]
    explorer.handle({"action": "refine", "feature": choice["feature"], "value": choice["value"]})
    refined = explorer.current
    assert refined is not None and refined.slice_id == ""
    assert refined.conditions == {**third.conditions, choice["feature"]: choice["value"]}
    assert 0 < refined.size_in_data < third.size_in_data
    assert explorer.panel.refined and 'data-testid="refined-from"' in explorer.panel.html
    explorer.handle({"action": "back"})
    assert explorer.current is not None and explorer.current.slice_id == third.slice_id

    # Flag with a note, then unflag; both kept in the store.
    explorer.handle({"action": "flag", "note": "fails on small red ones"})
    assert explorer.panel.flag_label == "Unflag"
    assert "flagged: fails on small red ones" in explorer.panel.status
    assert [s.slice_id for s in bench.flagged()] == [third.slice_id]
    row = next(r for r in explorer.table_widget.rows if r["slice_id"] == third.slice_id)
    assert row["flagged"]

    # Export: saved beside, and sent to the browser in chunks it joins into the file.
    explorer.handle({"action": "export", "what": "rows"})
    name, data = sent.file()
    assert name == f"{third.slice_id}-rows.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert len(rows) == third.size_in_data
    assert (tmp_path / "exports" / name).read_bytes() == data
    explorer.handle({"action": "export", "what": "flagged"})
    name, data = sent.file()
    assert name.endswith("-flagged-slices.csv")
    assert [r["slice_id"] for r in csv.DictReader(io.StringIO(data.decode()))] == [third.slice_id]

    explorer.handle({"action": "flag", "note": ""})
    assert explorer.panel.flag_label == "Flag slice" and not len(bench.flagged())


def test_a_refined_slice_is_saved_when_flagged(bench: wb.Workbench) -> None:
    explorer = MarimoExplorer(bench)
    choice = explorer.panel.refine_options[0]
    explorer.add_condition(choice["feature"], choice["value"])
    flagged = explorer.flag(note="narrower")
    assert flagged.slice_id and flagged.flagged
    assert flagged.slice_id in [s.slice_id for s in explorer.findings]
    assert explorer.table_widget.n_total == len(explorer.findings)
    assert [s.slice_id for s in bench.flagged()] == [flagged.slice_id]


def test_errors_become_the_status_line(bench: wb.Workbench) -> None:
    explorer = MarimoExplorer(bench)
    explorer.handle({"action": "refine", "feature": "no_such_column", "value": "x"})
    assert explorer.panel.status.startswith("Could not do that:")
    explorer.handle({"action": "export", "what": "flagged"})
    assert "No flagged slices" in explorer.panel.status


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_marimo_notebook_exports_with_the_explorer(tmp_path: Path) -> None:
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
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    page = out.read_text(encoding="utf-8")
    assert "Jupyter widgets are not supported" not in page
    assert page.count("marimo-anywidget") >= 2  # the slice table and the drill-down panel
    # the drill-down of the first slice, drawn in Python into the panel's state
    assert '\\"has_slice\\": true' in page or '"has_slice": true' in page
    assert "plain-summary" in page and "slice-title" in page
    assert "Error by slice (95% CI)" in page  # the chart
