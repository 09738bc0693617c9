"""The audit app in real Chromium, served by ``workbench app`` (Voilà).

One server for the module (started as a user would, stopped with Ctrl-C), one
page per test: upload a CSV through the file input, pick the columns, scan,
flag a slice, export, and check the downloaded CSV and claim; then a broken
file and a file with missing labels, each answered by a message in the page.
Screenshots of each state go to ``test-artifacts/``; with ``WORKBENCH_README_SCREENSHOTS=1``
the upload test also writes its overview to ``docs/app.png``, the README's picture of the app.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import importlib.util
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest
from PIL import Image

import workbench as wb

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
GUESSES = Path(__file__).with_name("test_column_guesses.py")
#: With WORKBENCH_README_SCREENSHOTS=1 the upload test writes the README's picture of the app.
README_PICTURE = ROOT / "docs" / "app.png"
ARTIFACTS = ROOT / "test-artifacts"
ROW = ".wb-explorer .wbt-row"
ROLES = ("Label", "Prediction", "Score")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: A closed tab's kernel is shut down this long after (60 s by default).
CLOSED_SECONDS = 5


@pytest.fixture(scope="module")
def app_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``workbench app`` on a free port; stopped with Ctrl-C (SIGINT) as a user would."""
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "app.log"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        # Each browser session's work is kept under this home's ~/.cache (and survives a
        # page reload); the page names that folder from ~.
        "HOME": str(tmp_path_factory.mktemp("home")),
    }
    env.pop("WORKBENCH_APP_SESSIONS", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "workbench", "app", "--port", str(port), "--no-browser"),
                *("--closed-seconds", str(CLOSED_SECONDS)),
            ],
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
            yield url + found.group(1), process
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0, log.read_text()[-3000:]
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def app_url(app_server: tuple[str, subprocess.Popen[bytes]]) -> str:
    return app_server[0]


def kernels(server: subprocess.Popen[bytes]) -> set[int]:
    """The process ids of the app's kernels (one per open page)."""
    found = set()
    for child in psutil.Process(server.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):  # a process that ended meanwhile
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                found.add(child.pid)
    return found


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


def axe_violations(page: Any) -> list[tuple[str, list[Any]]]:
    """axe-core's WCAG 2 A and AA violations inside the app (rule, first three nodes)."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    results = axe.Axe().run(
        page,
        context={"include": [[".wb-app"]]},
        options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}},
    )
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
    ]


def chosen(page: Any, description: str) -> str:
    return str(
        page.get_by_label(description, exact=True).evaluate(
            "s => s.selectedIndex < 0 ? '' : s.options[s.selectedIndex].textContent"
        )
    )


def guessed(page: Any, want: tuple[str, ...]) -> tuple[str, ...]:
    """The Label, Prediction and Score menus once they show ``want`` (or after 15 s): they
    are filled in messages that follow the preview."""
    deadline = time.monotonic() + 15
    while (got := tuple(chosen(page, role) for role in ROLES)) != want:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return got


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
    # The guesses are right (nothing to change here) and say why.
    want = ("income", "pred_v1", "proba_v1")
    assert guessed(page, want) == want
    assert "Prediction:" in page.locator("[data-testid=guess-reasons]").inner_text()
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
    overview = screenshot(page, "app-0-overview", height=1900, top=True)
    if os.environ.get("WORKBENCH_README_SCREENSHOTS") == "1":
        shutil.copyfile(overview, README_PICTURE)

    row = page.locator(ROW).first
    slice_id = row.get_attribute("data-slice-id")
    row.click()
    page.locator("[data-testid=slice-title]", has_text=slice_id).wait_for()
    page.locator(".wb-explorer input[placeholder^='Note']").fill("fails for this group")
    page.locator(".wb-explorer button", has_text="Flag slice").click()
    page.locator(".wb-explorer", has_text="flagged: fails for this group").first.wait_for()
    screenshot(page, "app-1-explorer")
    # Every control of the app (menus, upload, checkboxes, the explorer in it) passes axe.
    assert axe_violations(page) == []

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
    saved = page.locator("[data-testid=saved-line]").inner_text()
    assert "saved in ~/.cache/slice-workbench/app-sessions/" in saved, saved
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


@pytest.mark.timeout(300)
@pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"])
def test_a_closed_tab_frees_its_kernel(
    browser: Any, app_server: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, server = app_server
    before = kernels(server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url, timeout=90_000)
    page.locator(".wb-app button", has_text="Use this sample").wait_for(timeout=120_000)
    mine = kernels(server) - before
    assert len(mine) == 1, (before, mine)
    context.close()
    closed = time.monotonic()
    while mine & kernels(server):
        assert time.monotonic() - closed < CLOSED_SECONDS + 30, "the closed tab's kernel lives on"
        time.sleep(0.5)
    # shut down once the grace period is over, not before (a dropped connection may return)
    assert time.monotonic() - closed >= CLOSED_SECONDS - 1


@pytest.mark.timeout(300)
@pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"])
def test_guesses_on_the_corpus_in_the_page(page: Any, tmp_path: Path) -> None:
    """Each file of the guess corpus, uploaded in turn: the menus hold the right columns, the
    identifiers are not ticked as features, and the page says why."""
    spec = importlib.util.spec_from_file_location("column_guesses", GUESSES)
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    wrong = {}
    for name, (make, expected, identifiers) in corpus.CORPUS.items():
        path = tmp_path / f"{name}.csv"
        make(np.random.default_rng(len(name))).to_csv(path, index=False)
        upload(page, path)
        page.locator(".wb-app-facts", has_text=path.name).wait_for()
        want = tuple(column or "(none)" for column in expected)
        got = guessed(page, want)
        ticked = [i for i in identifiers if page.get_by_label(i, exact=True).is_checked()]
        reasons = page.locator("[data-testid=guess-reasons]").inner_text()
        if got != want or ticked or not {"Label:", "Prediction:"} <= set(reasons.split()):
            wrong[name] = (got, want, ticked, reasons)
    assert len(corpus.CORPUS) >= 10 and wrong == {}, wrong
