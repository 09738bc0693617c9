"""The audit app in real Chromium, served by ``workbench app`` (Voilà).

One server for the module (started as a user would, stopped with Ctrl-C), one
page per test: upload a CSV through the file input, pick the columns, scan,
flag a slice, export, and check the downloaded CSV and claim; then a broken
file and a file with missing labels, each answered by a message in the page.
Screenshots of each state go to ``test-artifacts/``.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image

import workbench as wb

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
ROW = ".wb-explorer .wbt-row"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``workbench app`` on a free port; stopped with Ctrl-C (SIGINT) as a user would."""
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "app.log"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        # Each browser session's work is kept here (and survives a page reload).
        "WORKBENCH_APP_SESSIONS": str(tmp_path_factory.mktemp("sessions")),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench", "app", "--port", str(port), "--no-browser"],
            cwd=tmp_path_factory.mktemp("cwd"),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 60
            pattern = re.escape(f"running at {url}") + r"(\?token=\S+)"
            while (found := re.search(pattern, log.read_text(errors="replace"))) is None:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"workbench app did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
            # The printed URL carries the token; the browser keeps it in a cookie.
            yield url + found.group(1)
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0, log.read_text()[-3000:]
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    # first loads of a Voila kernel can take a minute on a busy 2-core machine
    pg.set_default_timeout(120_000)
    try:
        pg.goto(app_url, timeout=90_000)
        pg.locator(".wb-app button", has_text="Use this sample").wait_for(timeout=90_000)
        yield pg
    finally:
        context.close()


def screenshot(page: Any, name: str, height: int = 2200, top: bool = False) -> Path:
    """The app in a tall viewport (Voilà scrolls inside its own container)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.set_viewport_size({"width": 1280, "height": height})
    if top:
        page.evaluate("document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1280, "height": 900})
    return path


def upload(page: Any, path: Path) -> None:
    # ipywidgets' FileUpload keeps its <input type=file> out of the DOM and clicks it
    # from the button, so the file goes through the page's file chooser.
    with page.expect_file_chooser() as chooser:
        page.locator(".wb-app .widget-upload").click()
    chooser.value.set_files(str(path))


def choose(page: Any, description: str, value: str) -> None:
    page.get_by_label(description, exact=True).select_option(value)


def message(page: Any, level: str, text: str) -> str:
    box = page.locator(f".wb-app [data-testid=message-{level}]", has_text=text)
    box.wait_for()
    return str(box.inner_text())


@pytest.mark.timeout(300)
@pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"])
def test_upload_scan_flag_export(page: Any, tmp_path: Path) -> None:
    data = tmp_path / "adult_predictions.csv"
    wb.load_sample("adult").to_csv(data, index=False)
    upload(page, data)
    page.locator("[data-testid=preview]").wait_for()
    assert "adult_predictions.csv" in page.locator(".wb-app-facts").inner_text()
    choose(page, "Label", "income")
    choose(page, "Prediction", "pred_v1")
    choose(page, "Score", "proba_v1")
    page.locator(".wb-app button", has_text="Prepare data").click()
    assert "16,281 rows" in message(page, "success", "Ready")
    page.locator(".wb-app button", has_text="Find failing slices").click()
    message(page, "success", "slices found")
    page.wait_for_function(f"document.querySelectorAll({ROW!r}).length === 10")
    # The explorer's chart plots the scan's slices (data, not just pixels).
    page.wait_for_function(
        "(() => { const p = document.querySelector('.wb-explorer .js-plotly-plot');"
        " return p && p.data && p.data.length > 0; })()"
    )
    screenshot(page, "app-0-overview", height=1900, top=True)

    row = page.locator(ROW).first
    slice_id = row.get_attribute("data-slice-id")
    row.click()
    page.locator("[data-testid=slice-title]", has_text=slice_id).wait_for()
    page.locator(".wb-explorer input[placeholder^='Note']").fill("fails for this group")
    page.locator(".wb-explorer button", has_text="Flag slice").click()
    page.locator(".wb-explorer", has_text="flagged: fails for this group").first.wait_for()
    screenshot(page, "app-1-explorer")

    page.locator(".wb-app button", has_text="Export flagged slices").click()
    message(page, "success", "Exported 1 flagged slice")
    csv_link = page.locator(".wb-app a[data-testid=download][download$='flagged-slices.csv']")
    with page.expect_download() as info:
        csv_link.click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
    assert [r["slice_id"] for r in rows] == [slice_id]
    assert rows[0]["flag_note"] == "fails for this group"
    claim_link = page.locator(f".wb-app a[data-testid=download][download='{slice_id}-claim.json']")
    href = str(claim_link.get_attribute("href"))
    claim = json.loads(base64.b64decode(href.split("base64,", 1)[1]))
    assert claim["slice"]["slice_id"] == slice_id or claim["slice"]["description"]
    assert claim["note"] == "fails for this group"
    verify_command = page.locator("[data-testid=verify-command]").inner_text()
    assert f"workbench verify {slice_id}-claim.json --data adult_predictions.csv" in verify_command
    page.locator("[data-testid=verify-command]").scroll_into_view_if_needed()
    screenshot(page, "app-2-export", height=900)
    result = wb.Workbench.verify_claim(claim, data)
    assert result["holds"], result["report"]

    # The work is kept: a reload of the page brings back the scan, the flag and its note.
    assert "saved in" in page.locator("[data-testid=saved-line]").inner_text()
    page.reload(timeout=90_000)
    message(page, "success", "Welcome back")
    page.wait_for_function(f"document.querySelectorAll({ROW!r}).length === 10")
    flagged_row = page.locator(f"{ROW}[data-slice-id='{slice_id}'] .wbt-flag")
    assert flagged_row.get_attribute("title") == "fails for this group"


@pytest.mark.timeout(300)
@pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"])
def test_bad_files_get_messages(page: Any, tmp_path: Path) -> None:
    # The button says what it does (not "Upload CSV / parquet (0)"), then which file came.
    after = (
        "(() => { const b = document.querySelector('.wb-app .widget-upload');"
        " return [getComputedStyle(b, '::after').content, getComputedStyle(b).fontSize]; })()"
    )
    assert page.evaluate(after) == ['"Upload a CSV, TSV or Parquet file"', "0px"]
    image = io.BytesIO()
    Image.new("RGB", (32, 32), "orange").save(image, "PNG")
    renamed = tmp_path / "chart.csv"
    renamed.write_bytes(image.getvalue())
    upload(page, renamed)
    text = message(page, "error", "not a table")
    assert "looks like an image (PNG), not a table" in text, text
    assert "fix: upload (or pass) a CSV, TSV or Parquet file" in text
    assert "C error" not in text and "latin-1" not in text
    assert "chart.csv" in page.locator("[data-testid=chosen-file]").inner_text()
    assert page.evaluate(after)[0] == '"Upload another file"'

    broken = tmp_path / "predictions.xlsx"
    broken.write_bytes(b"PK\x03\x04 a spreadsheet, not a table")
    upload(page, broken)
    text = message(page, "error", "cannot read")
    assert "predictions.xlsx" in text and "Traceback" not in text
    screenshot(page, "app-3-bad-file", height=900)

    frame = pd.DataFrame(
        {
            # four regions against a label cycle of three: the region does not restate the
            # label, so the leakage guard keeps it as a feature
            "region": ["north", "south", "east", "west"] * 150,
            "label": ["yes", "no", None] * 200,
            "prediction": ["yes", "yes", "no"] * 200,
        }
    )
    gaps = tmp_path / "gaps.csv"
    frame.to_csv(gaps, index=False)
    upload(page, gaps)
    page.locator("[data-testid=preview]").wait_for()
    assert page.locator(".wb-app [data-testid=message-error]").count() == 0
    page.locator(".wb-app button", has_text="Prepare data").click()
    assert "200 of 600 rows have no label" in message(page, "warning", "no label")
    screenshot(page, "app-4-missing-labels", height=1100)
    page.locator(".wb-app button", has_text="Drop 200 rows and continue").click()
    assert "200 rows without label or prediction were dropped" in message(page, "success", "Ready")
