"""Media in the explorer's drill-down, in real Chromium through Voilà: an audio player and the
word alignment on every row of the first page of the top speech slice, a thumbnail on every
row of the top image slice (the samples as the audit app scans them, all rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROW = ".wb-explorer .wbt-row"

#: The audit app's speech sample and scan, every row: the first page of member rows of
#: the top slice must play every clip (the sample ships audio for those rows).
SPEECH = """
import workbench as wb
from workbench.app import SAMPLE_CHOICES
sample = SAMPLE_CHOICES["speech"]
bench = wb.Workbench.from_predictions(
    wb.load_sample("speech"), label=sample.label, prediction=sample.prediction,
    metric=sample.metric, features=list(sample.features), path=":memory:")
bench.scan()
bench.explore(media_root=wb.sample_path("speech").parents[2])
"""

IMAGES = """
import workbench as wb
from workbench.samples import IMAGE_FEATURES
bench = wb.Workbench.from_predictions(
    wb.load_sample("images"), label="smiling", prediction="prediction", score="score",
    features=list(IMAGE_FEATURES), path=":memory:")
bench.scan()
bench.explore(media_root=wb.sample_path("images").parents[2])
"""


@pytest.fixture(scope="module")
def media_url(voila_folder: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("media")
    for name, source in (("speech.ipynb", SPEECH), ("images.ipynb", IMAGES)):
        nb = new_notebook(cells=[new_code_cell(source.strip())])
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, folder / name)
    return str(voila_folder(folder))


def member_rows(page: Any) -> int:
    """Rows of the member-row table itself (a word alignment is a table in a cell)."""
    return int(
        page.evaluate(
            "document.querySelector('table[data-testid=member-rows]').tBodies[0].rows.length"
        )
    )


def open_first_slice(page: Any) -> None:
    page.wait_for_function(f"document.querySelectorAll({ROW!r}).length > 0", timeout=150_000)
    page.locator(ROW).first.click()
    page.locator("[data-testid=member-rows]").wait_for()


@pytest.mark.timeout(300)
@pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"])
def test_speech_slice_has_audio_and_alignment(media_url: str, page: Any, artifacts: Path) -> None:
    page.goto(media_url + "speech.ipynb")
    open_first_slice(page)
    audio = page.locator("[data-testid=member-rows] audio")
    assert member_rows(page) == 20 and audio.count() == 20  # a player on every row
    # The top slice's word error rate is above 1: the drill-down says why that can be.
    assert "above 100 %" in page.locator("[data-testid=above-100]").inner_text()
    assert audio.first.get_attribute("src").startswith("data:audio/")
    # the reference/output alignment marks each word error with its kind
    marks = page.locator("[data-testid=member-rows] span[title]")
    kinds = set(marks.evaluate_all("els => els.map(e => e.title)"))
    assert kinds & {"substitute", "delete", "insert"}
    page.locator("[data-testid=member-rows]").screenshot(path=str(artifacts / "media-speech.png"))


@pytest.mark.timeout(300)
@pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"])
def test_image_slice_has_thumbnails(media_url: str, page: Any, artifacts: Path) -> None:
    page.goto(media_url + "images.ipynb")
    open_first_slice(page)
    images = page.locator("[data-testid=member-rows] img")
    assert member_rows(page) == 20 and images.count() == 20  # a thumbnail on every row
    assert images.first.get_attribute("src").startswith("data:image/")
    # the thumbnail really decoded in the browser
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=member-rows] img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    page.locator("[data-testid=member-rows]").screenshot(path=str(artifacts / "media-images.png"))
