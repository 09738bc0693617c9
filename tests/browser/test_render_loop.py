"""The explorer renders completely every time: 30 page loads in a row (Voilà).

Each load must show the slice table's rows and a chart holding the scan's bars
(the two failures seen: a table that never rendered, an empty chart). The store is
built once and opened read-only by every page's kernel, so a load takes seconds;
idle kernels of closed pages are culled after a minute so they do not pile up.
Run it alone: ``pytest tests/browser/test_render_loop.py`` (``WORKBENCH_RENDER_LOOPS``
sets the count).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOOPS = int(os.environ.get("WORKBENCH_RENDER_LOOPS", "30"))
ROW = ".wb-explorer .wbt-row"


@pytest.fixture(scope="module")
def loop_url(voila_folder: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    import workbench as wb

    folder = tmp_path_factory.mktemp("loop")
    store = folder / "loop.duckdb"
    with wb.Workbench.from_predictions(
        wb.sample_path("adult"),
        label="income",
        prediction="pred_v1",
        score="proba_v1",
        exclude="pred_v2,proba_v2",
        path=store,
    ) as bench:
        bench.scan(k=10, max_predicates=3, min_support=0.01)
    source = f"import workbench as wb\nwb.Workbench.open({str(store)!r}, read_only=True).explore()"
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
    (folder / "loop.ipynb").write_text(json.dumps(nb), encoding="utf-8")
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
            page.wait_for_function(
                "(() => { const p = document.querySelector('.wb-explorer .js-plotly-plot');"
                " return p && p.data && p.data.filter(t => t.type === 'bar')"
                ".reduce((n, t) => n + t.x.length, 0) === 10; })()",
                timeout=30_000,
            )
        except Exception as exc:  # keep looping: count every failure and say what it was
            failures.append(f"load {attempt}: {type(exc).__name__}: {str(exc)[:200]} {errors[:3]}")
        finally:
            context.close()
        print(
            f"render {attempt}/{LOOPS}: {'FAILED' if len(failures) and failures[-1].startswith(f'load {attempt}:') else 'ok'}",
            flush=True,
        )
    assert failures == [], "\n".join(failures)
