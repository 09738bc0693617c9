"""The explorer renders completely every time: 30 page loads in a row (Voilà, JupyterLab).

Each load must show the slice table's rows and a chart holding the scan's bars
(the two failures seen: a table that never rendered, an empty chart), and no
"[anywidget]" error in the browser console. The store is built once and opened
read-only by every page's kernel, so a load takes seconds; idle kernels of closed
Voilà pages are culled after a minute, JupyterLab's sessions are shut down after each
load, so they do not pile up. Run it alone: ``pytest tests/browser/test_render_loop.py``
(``WORKBENCH_RENDER_LOOPS`` sets the Voilà count, 30 by default;
``WORKBENCH_LAB_RENDER_LOOPS`` the JupyterLab count, 3 by default as a JupyterLab load
takes three times as long: set it to 30 for the full loop;
``WORKBENCH_LAB_LOOP_NOTEBOOK=quickstart`` loops the quickstart notebook itself).
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOOPS = int(os.environ.get("WORKBENCH_RENDER_LOOPS", "30"))
LAB_LOOPS = int(os.environ.get("WORKBENCH_LAB_RENDER_LOOPS", "3"))
#: ``quickstart``: loop notebooks/01_quickstart.ipynb itself (the scan runs in each kernel).
LAB_NOTEBOOK = os.environ.get("WORKBENCH_LAB_LOOP_NOTEBOOK", "")
QUICKSTART = Path(__file__).resolve().parents[2] / "notebooks" / "01_quickstart.ipynb"
ROW = ".wb-explorer .wbt-row"
CHART_HAS_BARS = (
    "(() => { const p = document.querySelector('.wb-explorer .js-plotly-plot');"
    " return p && p.data && p.data.filter(t => t.type === 'bar')"
    ".reduce((n, t) => n + t.x.length, 0) === 10; })()"
)


def write_notebook(path: Path, source: str) -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture(scope="module")
def loop_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A one-cell notebook's source: the explorer of a stored scan, opened read-only."""
    import workbench as wb

    store = tmp_path_factory.mktemp("loop-store") / "loop.duckdb"
    with wb.Workbench.from_predictions(
        wb.sample_path("adult"),
        label="income",
        prediction="pred_v1",
        score="proba_v1",
        exclude="pred_v2,proba_v2",
        path=store,
    ) as bench:
        bench.scan(k=10, max_predicates=3, min_support=0.01)
    return f"import workbench as wb\nwb.Workbench.open({str(store)!r}, read_only=True).explore()"


@pytest.fixture(scope="module")
def loop_url(voila_folder: Any, loop_source: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("loop")
    write_notebook(folder / "loop.ipynb", loop_source)
    return (
        str(
            voila_folder(
                folder,
                (
                    "--MappingKernelManager.cull_idle_timeout=60",
                    "--MappingKernelManager.cull_interval=10",
                ),
            )
        )
        + "loop.ipynb"
    )


@pytest.mark.timeout(60 * 60)
def test_thirty_renders_in_a_row(browser: Any, loop_url: str) -> None:
    failures: list[str] = []
    for attempt in range(1, LOOPS + 1):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "console", lambda m, seen=errors: seen.append(m.text) if m.type == "error" else None
        )
        try:
            page.goto(loop_url, timeout=180_000)
            page.wait_for_function(
                f"document.querySelectorAll({ROW!r}).length === 10", timeout=90_000
            )
            page.wait_for_function(CHART_HAS_BARS, timeout=30_000)
            widget_errors = [e for e in errors if "anywidget" in e.lower()]
            if widget_errors:
                raise AssertionError(f"console: {widget_errors[:3]}")
        except Exception as exc:  # keep looping: count every failure and say what it was
            failures.append(f"load {attempt}: {type(exc).__name__}: {str(exc)[:200]} {errors[:3]}")
        finally:
            context.close()
        print(
            f"render {attempt}/{LOOPS}: {'FAILED' if len(failures) and failures[-1].startswith(f'load {attempt}:') else 'ok'}",
            flush=True,
        )
    assert failures == [], "\n".join(failures)


def shut_down_sessions(base: str, token: str) -> None:
    """End every kernel session of the JupyterLab server (a closed tab keeps its kernel)."""
    with urllib.request.urlopen(f"{base}api/sessions?token={token}", timeout=30) as response:
        sessions = json.load(response)
    for session in sessions:
        request = urllib.request.Request(
            f"{base}api/sessions/{session['id']}?token={token}", method="DELETE"
        )
        urllib.request.urlopen(request, timeout=30).close()


@pytest.mark.timeout(60 * 60)
def test_renders_in_a_row_in_jupyterlab(
    browser: Any, lab_folder: Any, loop_source: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("lab-loop")
    base, token = lab_folder(folder)
    failures: list[str] = []
    for attempt in range(1, LAB_LOOPS + 1):
        # A fresh notebook (JupyterLab autosaves outputs) and a fresh workspace (no old tabs).
        if LAB_NOTEBOOK == "quickstart":
            shutil.copyfile(QUICKSTART, folder / "loop.ipynb")
        else:
            write_notebook(folder / "loop.ipynb", loop_source)
        url = f"{base}lab/workspaces/{uuid.uuid4().hex[:8]}/tree/loop.ipynb?token={token}&reset"
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "console", lambda m, seen=errors: seen.append(m.text) if m.type == "error" else None
        )
        try:
            page.goto(url, timeout=180_000)
            # A kernel must exist before "Run All", or JupyterLab asks which kernel to start.
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
            page.locator(".jp-Notebook").first.click()
            page.keyboard.press("Escape")
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.locator("li[data-command='runmenu:run-all']").click()
            page.wait_for_function(
                f"document.querySelectorAll({ROW!r}).length === 10", timeout=120_000
            )
            page.wait_for_function(CHART_HAS_BARS, timeout=30_000)
            widget_errors = [e for e in errors if "anywidget" in e.lower()]
            if widget_errors:
                raise AssertionError(f"console: {widget_errors[:3]}")
        except Exception as exc:  # keep looping: count every failure and say what it was
            failures.append(f"load {attempt}: {type(exc).__name__}: {str(exc)[:200]} {errors[:3]}")
        finally:
            context.close()
            shut_down_sessions(base, token)
        print(
            f"lab render {attempt}/{LAB_LOOPS}: "
            f"{'FAILED' if failures and failures[-1].startswith(f'load {attempt}:') else 'ok'}",
            flush=True,
        )
    assert failures == [], "\n".join(failures)
