"""The explorer in marimo, driven in real Chromium through ``marimo run`` (marimo's server).

The notebook ``notebooks/06_marimo_explorer.py`` shows ``bench.explore()``; inside
marimo that is the anywidget explorer. Clicking a row must open that slice's
drill-down (and re-run the cell that reads the table's selection), refining adds
a condition, flagging keeps a note, and "Export rows" downloads every row of the
slice through the browser. A screenshot goes to ``test-artifacts/``.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, free_port, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = ROOT / "notebooks" / "06_marimo_explorer.py"
ROW = ".wbt-row"


@pytest.fixture(scope="module")
def marimo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("marimo")
    folder = tmp_path_factory.mktemp("marimo")
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "marimo.log"
    command = [
        sys.executable,
        "-m",
        "marimo",
        "run",
        NOTEBOOK.name,
        "--headless",
        "--host=127.0.0.1",
        f"--port={port}",
    ]
    with serve(command, f"http://127.0.0.1:{port}/health", folder, log):
        yield f"http://127.0.0.1:{port}/"


def title_has(page: Any, slice_id: str) -> None:
    page.locator("[data-testid=slice-title]", has_text=slice_id).wait_for(timeout=60_000)


@pytest.mark.timeout(420)
@pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"])
def test_marimo_explorer_click_refine_flag_export(
    browser: Any, marimo_url: str, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(marimo_url, timeout=120_000)
        # marimo runs the notebook (the scan takes seconds), then draws the anywidgets.
        page.locator(ROW).nth(9).wait_for(timeout=180_000)
        assert page.locator(ROW).count() == 10
        assert "Jupyter widgets are not supported" not in page.content()
        title_has(page, ".s1")  # the first slice is open from the start

        row = page.locator(ROW).nth(2)
        slice_id = str(row.get_attribute("data-slice-id"))
        size = int(row.locator("td[data-key='size_in_data']").inner_text().replace(",", ""))
        row.click()
        title_has(page, slice_id)
        # the table is a marimo UI element too: the cell reading its selection re-ran
        page.get_by_text(f"Selected in the table: {slice_id}").wait_for()
        page.locator(".js-plotly-plot").first.wait_for()  # the overview chart

        refine = page.locator("[data-testid=refine-value]")
        first = refine.locator("option").first.inner_text()
        page.locator("[data-testid=refine-add]").click()
        page.locator("[data-testid=refined-from]").wait_for()
        feature = first.split(" = ")[0]
        assert feature in page.locator("[data-testid=slice-title]").inner_text()
        page.locator("[data-testid=refine-back]").click()
        title_has(page, slice_id)
        assert page.locator("[data-testid=refined-from]").count() == 0

        page.locator("[data-testid=flag-note]").fill("misses many high earners")
        page.locator("[data-testid=flag-button]").click()
        page.locator(
            "[data-testid=marimo-status]", has_text="flagged: misses many high earners"
        ).wait_for()
        assert page.locator("[data-testid=flag-button]").inner_text() == "Unflag"

        with page.expect_download() as info:
            page.locator("[data-testid=export-rows]").click()
        download = info.value
        assert download.suggested_filename == f"{slice_id}-rows.csv"
        rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8"))))
        assert len(rows) == size
        assert {"_label", "_prediction", "_error"} <= set(rows[0])

        page.locator("[data-testid=slice-title]").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "marimo-explorer.png"), full_page=True)
        assert not [e for e in errors if "anywidget" in e.lower()], errors
    finally:
        context.close()
