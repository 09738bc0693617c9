"""Media in the explorer's drill-down, in real Chromium through Voilà: an audio player and the
word alignment for a speech slice, image thumbnails for an image slice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROW = ".wb-explorer .wbt-row"

SPEECH = """
import workbench as wb
clips = wb.load_sample("speech").dropna(subset=["audio_path"]).reset_index(drop=True)
bench = wb.Workbench.from_predictions(
    clips, label="reference", prediction="hypothesis", metric="wer",
    features=["accent", "noise_type", "channel"], path=":memory:")
bench.scan(k=5, confirm=False)
bench.explore(media_root=wb.sample_path("speech").parents[2], rows_page_size=5)
"""

IMAGES = """
import workbench as wb
faces = wb.load_sample("images").dropna(subset=["image_path"]).reset_index(drop=True)
bench = wb.Workbench.from_predictions(
    faces, label="smiling", prediction="prediction",
    features=["skin_tone", "lighting", "scene"], path=":memory:")
bench.scan(k=5, confirm=False, min_support=10)
bench.explore(media_root=wb.sample_path("images").parents[2], rows_page_size=5)
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


def open_first_slice(page: Any) -> None:
    page.wait_for_function(f"document.querySelectorAll({ROW!r}).length > 0", timeout=150_000)
    page.locator(ROW).first.click()
    page.locator("[data-testid=member-rows]").wait_for()


@pytest.mark.timeout(300)
@pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"])
def test_speech_slice_has_audio_and_alignment(media_url: str, page: Any, artifacts: Path) -> None:
    page.goto(media_url + "speech.ipynb")
    open_first_slice(page)
    rows = page.locator("[data-testid=member-rows] tbody tr")
    audio = page.locator("[data-testid=member-rows] audio")
    assert audio.count() >= 1
    assert audio.first.get_attribute("src").startswith("data:audio/")
    # the reference/output alignment marks each word error with its kind
    marks = page.locator("[data-testid=member-rows] span[title]")
    kinds = set(marks.evaluate_all("els => els.map(e => e.title)"))
    assert kinds & {"substitute", "delete", "insert"}
    assert rows.count() >= 1
    page.locator("[data-testid=member-rows]").screenshot(path=str(artifacts / "media-speech.png"))


@pytest.mark.timeout(300)
@pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"])
def test_image_slice_has_thumbnails(media_url: str, page: Any, artifacts: Path) -> None:
    page.goto(media_url + "images.ipynb")
    open_first_slice(page)
    images = page.locator("[data-testid=member-rows] img")
    assert images.count() >= 1
    assert images.first.get_attribute("src").startswith("data:image/")
    # the thumbnail really decoded in the browser
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=member-rows] img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    page.locator("[data-testid=member-rows]").screenshot(path=str(artifacts / "media-images.png"))
