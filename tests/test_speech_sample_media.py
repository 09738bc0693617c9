"""Every clip on the first page of member rows of a top slice of the speech sample has audio.

The scans are those the sample is shown with (the audit app, notebook 02 and
``test_speech_sample_scan.py``), listed once in ``scripts/speech_common.py``, which also
decides which clips ``scripts/make_speech_sample.py`` ships; likewise the rows the last-mile
view of notebook 05 shows on both sides.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import workbench as wb

sf = pytest.importorskip("soundfile")
pytest.importorskip("jiwer")
pytest.importorskip("ipywidgets")  # the audit app and the explorer name the page sizes

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _speech_common() -> ModuleType:
    spec = importlib.util.spec_from_file_location("speech_common", SCRIPTS / "speech_common.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("speech_common", module)
    spec.loader.exec_module(module)
    return module


def test_first_page_rows_of_top_slices_have_audio_that_decodes() -> None:
    common = _speech_common()
    clips = wb.load_sample("speech")
    root = wb.sample_path("speech").parents[2]
    pages = common.first_page_clips(clips)
    scans = {key.split(":")[0] for key in pages}
    assert {"accent and noise", "distinct groups", "quiet audio", "app"} <= scans
    n_slices, n_rows = common.page_sizes()
    assert len(pages) >= 4 * n_slices
    by_id = clips.set_index("clip_id")
    missing = {}
    for key, ids in pages.items():
        assert len(ids) >= n_rows  # a full first page (row order and worst first)
        lacking = sorted(i for i in ids if not isinstance(by_id.at[i, "audio_path"], str))
        if lacking:
            missing[key] = lacking[:5]
    assert not missing, (
        f"first-page rows without audio: {missing}. The scans or their defaults changed: "
        "run `python scripts/make_speech_sample.py --media-only` (about 2 min, no ASR)."
    )
    for clip_id in sorted(set().union(*pages.values())):
        path = root / by_id.at[clip_id, "audio_path"]
        samples, rate = sf.read(path, dtype="float32")
        assert rate == 16000
        # the shipped clip is the one transcribed: same length as its descriptor says
        assert abs(len(samples) / rate - by_id.at[clip_id, "duration_s"]) < 1e-3, clip_id


def test_rows_of_the_last_mile_view_have_audio() -> None:
    common = _speech_common()
    clips, site = wb.load_sample("speech"), wb.load_sample("speech_new_site")
    root = wb.sample_path("speech").parents[2]
    shown = common.last_mile_clips(clips, site)
    assert shown and len(shown) % 2 == 0  # each slice, both sides
    paths = {
        **dict(zip(clips["clip_id"], clips["audio_path"], strict=True)),
        **dict(zip(site["clip_id"], site["audio_path"], strict=True)),
    }
    for key, ids in shown.items():
        assert ids, key
        for clip_id in ids:
            assert isinstance(paths[clip_id], str), (
                f"{key}: {clip_id} has no audio; run `python scripts/make_speech_new_site.py "
                "--media-only` and `python scripts/make_speech_sample.py --media-only`"
            )
            assert sf.info(root / paths[clip_id]).samplerate == 16000
