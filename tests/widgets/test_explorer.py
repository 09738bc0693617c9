"""The explorer's Python side, driven as the browser would: by setting traits and clicking."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import re
import shutil
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.widgets import Explorer, SliceTable, detect_column_kind, register_renderer
from workbench.widgets._renderers import get_renderer, render_cell
from workbench.widgets._views import members_html

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ipywidgets.*")


def planted(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """Data where the model fails on colour=red AND size=small."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "size": rng.choice(["small", "large"], n),
            "shape": rng.choice(["circle", "square", "star", "hex"], n),
            "age": rng.integers(18, 80, n),
            "y": rng.integers(0, 2, n),
        }
    )
    bad = (frame["colour"] == "red") & (frame["size"] == "small")
    flip = np.where(bad, rng.random(n) < 0.45, rng.random(n) < 0.08)
    frame["pred"] = np.where(flip, 1 - frame["y"], frame["y"])
    return frame


@pytest.fixture(scope="module")
def scanned_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one scan, built once per module and never changed."""
    path = tmp_path_factory.mktemp("store") / "explorer.duckdb"
    with wb.Workbench.from_predictions(planted(), label="y", prediction="pred", path=path) as b:
        b.scan(k=8, max_predicates=2, min_support=0.02)
    return path


@pytest.fixture
def bench(scanned_store: Path, tmp_path: Path) -> Iterator[wb.Workbench]:
    # Each test gets its own copy: scans, flags and saved slices of one test never leak
    # into another, so the tests pass in any order.
    copy = tmp_path / scanned_store.name
    shutil.copyfile(scanned_store, copy)
    with wb.Workbench.open(copy) as bench:
        yield bench


@pytest.fixture
def explorer(bench: wb.Workbench) -> Explorer:
    return bench.explore()


def test_opens_on_the_latest_scan(bench: wb.Workbench, explorer: Explorer) -> None:
    findings = bench.findings()
    assert explorer.findings.scan_id == findings.scan_id
    assert explorer.table.n_total == len(findings)
    assert [r["slice_id"] for r in explorer.table.rows] == [s.slice_id for s in findings][:10]
    assert explorer.drill.layout.display == "none"
    # The top slice is the planted one.
    assert findings[0].conditions == {"colour": "red", "size": "small"}


def test_browser_receives_only_display_strings_for_the_page(explorer: Explorer) -> None:
    state = explorer.table.get_state()
    assert len(state["rows"]) == explorer.table.n_total <= explorer.table.page_size
    row = state["rows"][0]
    assert re.fullmatch(r"\d\.\d{3}", row["slice_error"])
    assert re.fullmatch(r"\[\d\.\d{3}, \d\.\d{3}\]", row["ci"])
    assert isinstance(row["significant"], bool)
    assert {"feature": "colour", "op": "=", "value": "red"} in row["predicates"]


def test_plain_language_table_has_no_brackets_or_e_notation(tmp_path: Path) -> None:
    frame = planted()
    frame["age"] = frame["age"].astype(float)
    bench = wb.Workbench.from_predictions(frame, label="y", prediction="pred", path=":memory:")
    bench.scan(k=8, max_predicates=2, min_support=0.02, features=["colour", "age"])
    explorer = bench.explore(plain_language=True)
    rows = explorer.table.get_state()["rows"]
    assert {"feature": "colour", "op": "is", "value": "red"} in rows[0]["predicates"]
    assert re.fullmatch(r"\(\d\.\d{3} to \d\.\d{3}\)", rows[0]["ci"])
    assert rows[0]["p_value_adjusted"] == "< 0.001"  # the planted slice: p far below
    ranges = [p for r in rows for p in r["predicates"] if p["feature"] == "age"]
    assert ranges and all(p["op"] in ("from", "under", "") for p in ranges)
    assert all("[" not in p["value"] and ")" not in p["value"] for p in ranges)
    shown = " ".join(
        [v for r in rows for k, v in r.items() if isinstance(v, str) and k != "description"]
        + [p["value"] for r in rows for p in r["predicates"]]
    )
    assert "e-" not in shown and "[" not in shown
    # The drill-down's refine offers and error-carrying values write age's bins in words.
    explorer.select(rows[0]["slice_id"])
    explorer.refine_feature.value = "age"
    labels = [label for label, _ in explorer.refine_value.options]
    assert labels and not any("[" in label for label in labels), labels
    assert any(" to under " in label for label in labels), labels
    assert "> from " not in explorer.carriers.value and " to under " in explorer.carriers.value
    chips = [b.description for b in explorer.conditions_box.children]
    assert chips == ["✕  colour is red"], chips
    # The heading, its other descriptions and the feature cards read in words too.
    assert "colour is red" in explorer.title.value and "colour = red" not in explorer.title.value
    names = re.findall(r'class="wb-cat-name">([^<]+)<', explorer.dists.value)
    assert any(" to under " in n for n in names) and not any("[" in n for n in names), names
    from workbench.widgets import _views

    other = dataclasses.replace(
        explorer.findings[0], also_described_as=("age in [26, 33) AND colour = red",)
    )
    also = _views.also_html(other, plain_language=True)
    assert "age from 26 to under 33 and colour is red" in also and "[" not in also
    tiles = explorer.metrics.value
    assert re.search(r"95% CI \d\.\d{3} to \d\.\d{3}<", tiles), tiles
    p_shown = re.search(r'data-testid="p-value">([^<]+)<', tiles)
    assert p_shown and "e-" not in p_shown.group(1), tiles
    # Turned off, the table and the drill-down read as before.
    explorer.plain_language = False
    explorer.refine_feature.value = "colour"
    explorer.refine_feature.value = "age"
    assert any(label.startswith("[") for label, _ in explorer.refine_value.options)
    assert " to under " not in explorer.carriers.value
    assert "95% CI [" in explorer.metrics.value
    rows = explorer.table.get_state()["rows"]
    assert rows[0]["ci"].startswith("[") and "e-" in rows[0]["p_value_adjusted"]
    assert {"feature": "colour", "op": "=", "value": "red"} in rows[0]["predicates"]
    bench.close()


def test_sort_filter_and_page_happen_in_python(bench: wb.Workbench) -> None:
    findings = bench.findings()
    table = SliceTable(findings, page_size=3)
    assert table.n_pages == -(-len(findings) // 3)
    assert len(table.rows) == 3
    table.set_state({"sort_by": "size_in_data", "sort_descending": True})
    sizes = [int(r["size_in_data"].replace(",", "")) for r in table.rows]
    assert sizes == sorted((s.size_in_data for s in findings), reverse=True)[:3]
    table.set_state({"page": 1})
    assert table.rows[0]["slice_id"] == table.visible_ids()[3]
    table.set_state({"filter_text": "RED"})  # case-insensitive; back to the first page
    assert table.page == 0
    assert table.n_filtered == sum("red" in s.description for s in findings)
    table.set_state({"filter_text": "", "filter_feature": "shape"})
    assert all(any(p["feature"] == "shape" for p in r["predicates"]) for r in table.rows)
    table.set_state({"sort_by": "no-such-column"})
    assert table.sort_by == "rank"
    table.set_state({"filter_feature": ""})
    table.set_state({"page": 99})  # clamped to the last page
    assert table.page == table.n_pages - 1


def test_selecting_a_row_opens_its_drill_down(bench: wb.Workbench, explorer: Explorer) -> None:
    top = bench.findings()[0]
    explorer.table.set_state({"selected": top.slice_id})
    assert explorer.current == top
    assert explorer.drill.layout.display is None
    assert f">{top.size_in_data:,}<" in explorer.metrics.value
    assert "confusion-inside" in explorer.errors.value
    assert 'data-feature="shape"' in explorer.dists.value
    assert explorer.rows_html.value.count("<tr>") == 1 + min(20, top.size_in_data)
    assert f"of {top.size_in_data:,}" in explorer.rows_where.value
    explorer.rows_next.click()
    assert "rows 21–40" in explorer.rows_where.value
    explorer.rows_worst.value = True
    assert "rows 1–20" in explorer.rows_where.value


def test_chart_click_selects_the_slice(bench: wb.Workbench, explorer: Explorer) -> None:
    bars = [t for t in explorer.overview.data if t.type == "bar"]
    assert sum(len(t.x) for t in bars) == len(bench.findings())
    target = bars[0].customdata[1]
    explorer.select(str(target))
    assert explorer.table.selected == target
    assert explorer.current is not None and explorer.current.slice_id == target


def test_refine_adds_and_removes_conditions(bench: wb.Workbench, explorer: Explorer) -> None:
    top = bench.findings()[0]
    explorer.select(top.slice_id)
    explorer.refine_feature.value = "shape"
    assert explorer.refine_value.value is not None
    explorer.refine_add.click()
    refined = explorer.current
    assert refined is not None and set(refined.conditions) == {"colour", "size", "shape"}
    assert refined.slice_size == len(bench.members(refined))
    assert refined.slice_size < top.size_in_data
    assert explorer.flag_button.description == "Save and flag"
    assert "refined from #1" in explorer.title.value
    explorer.remove_condition("colour")
    assert set(explorer.current.conditions) == {"size", "shape"}  # type: ignore[union-attr]
    explorer.refine_reset.click()
    assert explorer.current == top


def test_a_refined_slice_can_be_saved_and_flagged(tmp_path: Path) -> None:
    # A store of its own: saving adds a slice to the scan.
    bench = wb.Workbench.from_predictions(
        planted(), label="y", prediction="pred", path=tmp_path / "own.duckdb"
    )
    bench.scan(k=8, max_predicates=2, min_support=0.02)
    explorer = bench.explore()
    top = bench.findings()[0]
    explorer.select(top.slice_id)
    explorer.refine_feature.value = "shape"
    explorer.refine_add.click()
    refined = explorer.current
    assert refined is not None and not refined.slice_id
    n_before = len(bench.findings())
    explorer.flag_note.value = "narrower group"
    explorer.flag_button.click()
    saved = explorer.current
    assert saved is not None and saved.slice_id == f"{top.slice_id.split('.')[0]}.s{n_before + 1}"
    assert saved.flagged and saved.conditions == refined.conditions
    assert saved.statistics_on == "all rows"
    assert "uncorrected" in saved.p_value_correction
    assert [s.slice_id for s in bench.flagged()] == [saved.slice_id]
    assert explorer.table.n_total == n_before + 1
    assert bench.claim(saved)["slice"]["sql_where"] == saved.sql_where
    bench.close()


def test_flag_persists_and_survives_reopening(bench: wb.Workbench, explorer: Explorer) -> None:
    second = bench.findings()[1]
    explorer.select(second.slice_id)
    explorer.flag_note.value = "check this"
    explorer.flag_button.click()
    assert [s.slice_id for s in bench.flagged()] == [second.slice_id]
    assert bench.flagged()[0].flag_note == "check this"
    assert explorer.table.rows[1]["flagged"] is True
    reopened = bench.explore()
    assert reopened.table.get(second.slice_id).flagged  # type: ignore[union-attr]
    explorer.flag_button.click()  # unflag
    assert len(bench.flagged()) == 0


def test_text_boxes_read_by_a_button_sync_whole(explorer: Explorer) -> None:
    # Keystroke syncs are throttled in the browser: a quick click on "Flag slice" could reach
    # the kernel before the note's last keystrokes and save half a note.
    assert explorer.flag_note.continuous_update is False


def _link_csv(html: str) -> list[dict[str, str]]:
    match = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html)
    assert match, html
    return list(csv.DictReader(io.StringIO(base64.b64decode(match.group(1)).decode())))


def test_export_buttons_offer_csv_downloads(
    bench: wb.Workbench, explorer: Explorer, tmp_path: Path
) -> None:
    explorer._export_dir = tmp_path
    explorer.export_flagged_button.click()
    assert "No flagged slices" in explorer.download.value
    top = bench.findings()[0]
    explorer.select(top.slice_id)
    explorer.flag(True, "planted")
    explorer.export_flagged_button.click()
    rows = _link_csv(explorer.download.value)
    assert list(rows[0]) == list(wb.FINDINGS_COLUMNS)
    assert [r["slice_id"] for r in rows] == [top.slice_id]
    on_disk = pd.read_csv(tmp_path / f"{top.slice_id.split('.')[0]}-flagged-slices.csv")
    assert list(on_disk["slice_id"]) == [top.slice_id]
    explorer.export_rows_button.click()
    members = _link_csv(explorer.download.value)
    assert len(members) == top.size_in_data
    assert {r["colour"] for r in members} == {"red"}
    explorer.flag(False)


def test_large_exports_are_streamed_to_the_browser_in_chunks(
    explorer: Explorer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.widgets import _explorer
    from workbench.widgets._download import FileDownload

    monkeypatch.setattr(_explorer, "MAX_DOWNLOAD_BYTES", 100)
    explorer._export_dir = tmp_path
    explorer.select(explorer.table.rows[0]["slice_id"])
    path = explorer.export_rows()
    assert path is not None and path.exists()
    assert 'data-testid="download-large"' in explorer.download.value
    assert "data:text/csv" not in explorer.download.value
    (button,) = explorer.download_stream.children
    assert isinstance(button, FileDownload) and button.size == path.stat().st_size
    sent: list[tuple[dict[str, object], bytes]] = []
    monkeypatch.setattr(
        button, "send", lambda content, buffers=None: sent.append((content, bytes(buffers[0])))
    )
    # The browser asks for the file (what the button's click sends); small chunks here.
    monkeypatch.setattr("workbench.widgets._download.CHUNK_BYTES", 1000)
    button._handle_custom_msg({"type": "request"}, [])
    assert len(sent) == -(-path.stat().st_size // 1000) > 1
    assert [c["index"] for c, _ in sent] == list(range(len(sent)))
    assert [c["last"] for c, _ in sent] == [False] * (len(sent) - 1) + [True]
    assert b"".join(chunk for _, chunk in sent) == path.read_bytes()
    explorer.select(explorer.table.rows[1]["slice_id"])
    assert explorer.download_stream.children == ()


def test_choosing_a_slice_brings_its_drill_down_into_view(explorer: Explorer) -> None:
    before = explorer.focus.request
    explorer.table.set_state({"selected": explorer.table.rows[2]["slice_id"]})
    assert explorer.focus.request == before + 1
    assert explorer.focus.selector == "[data-testid=slice-title]"
    assert 'tabindex="-1"' in explorer.title.value  # the heading can take the focus
    asked = explorer.table.focus_request
    explorer.back_button.click()
    assert explorer.table.focus_request == asked + 1
    # Choosing the open slice again (the browser bumps "reopen") brings it back into view.
    explorer.table.set_state({"reopen": explorer.table.reopen + 1})
    assert explorer.focus.request == before + 2


@pytest.mark.parametrize("typed", [50.0, 1.0, 0.01, 2.7, 0.5])
def test_min_support_is_read_like_the_command_line(explorer: Explorer, typed: float) -> None:
    from workbench.search._parameters import check_scan_parameters, parse_parameter

    explorer.scan_support.value = typed
    value = explorer.scan_inputs.parameters()["min_support"]
    assert value == parse_parameter("min_support", str(typed)) == typed
    if typed != 2.7:  # the same normalised value as the CLI's
        assert (
            check_scan_parameters({"min_support": value}).min_support
            == (
                check_scan_parameters({"min_support": parse_parameter("min_support", str(typed))})
            ).min_support
        )


def test_controls_show_the_parameter_table(explorer: Explorer) -> None:
    from workbench.search import SCAN_PARAMETERS, scan_defaults
    from workbench.widgets import ScanInputs

    fresh = ScanInputs.create()
    defaults = scan_defaults(front_end=True)
    assert fresh.parameters() == {
        "k": defaults["k"],
        "max_predicates": defaults["max_predicates"],
        "min_support": defaults["min_support"],
        "n_jobs": defaults["n_jobs"],
        "ranking": defaults["ranking"],
        "alpha": defaults["alpha"],
    }
    assert fresh.support.description == SCAN_PARAMETERS["min_support"].label
    assert "fraction" in fresh.support.tooltip
    # ranking and alpha are in the explorer's controls; alpha only weighs SliceLine's score
    assert explorer.scan_inputs.ranking in explorer.scan_inputs.widgets
    assert explorer.scan_inputs.alpha.description == SCAN_PARAMETERS["alpha"].label
    assert fresh.alpha.disabled
    fresh.ranking.value = "sliceline"
    assert not fresh.alpha.disabled
    assert fresh.cores.description == SCAN_PARAMETERS["n_jobs"].label
    fresh.cores.value = max(fresh.cores.options)
    assert fresh.parameters()["n_jobs"] == max(fresh.cores.options)


def test_a_fractional_row_count_is_refused_not_truncated(explorer: Explorer) -> None:
    before = explorer.findings.scan_id
    explorer.scan_support.value = 2.7
    explorer.run_scan(wait=True)
    assert explorer.findings.scan_id == before
    assert "min_support" in explorer.scan_status.value and "2.7" in explorer.scan_status.value


def test_run_scan_in_a_thread_with_progress(explorer: Explorer) -> None:
    seen: list[tuple[int, int]] = []
    explorer.progress.observe(lambda c: seen.append((c["new"], explorer.progress.max)), "value")
    before = explorer.findings.scan_id
    explorer.scan_k.value = 4
    explorer.scan_depth.value = 1
    thread = explorer.run_scan()
    assert thread is not None
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert explorer.findings.scan_id != before
    assert explorer.table.n_total <= 4
    assert "slices in" in explorer.scan_status.value
    assert not explorer.scan_button.disabled
    assert seen and seen[-1][0] == seen[-1][1]
    assert explorer.scan_choice.value == explorer.findings.scan_id
    explorer.scan_choice.value = before  # switch back to the earlier scan
    assert explorer.findings.scan_id == before


def test_explorer_without_a_scan_yet(tmp_path: Path) -> None:
    bench = wb.Workbench.from_predictions(
        planted(500), label="y", prediction="pred", path=":memory:"
    )
    explorer = Explorer(bench)
    assert explorer.table.n_total == 0 and explorer.overview is None
    explorer.scan_depth.value = 1
    explorer.run_scan(wait=True)
    assert explorer.table.n_total > 0


def test_errors_are_shown_not_lost(explorer: Explorer) -> None:
    explorer.select(explorer.table.rows[0]["slice_id"])
    explorer._guard(lambda: explorer.add_condition("colour", "purple"), explorer.refine_status)
    assert "wb-error" in explorer.refine_status.value and "purple" in explorer.refine_status.value


def test_regression_drill_down_shows_an_error_histogram() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    frame = pd.DataFrame({"a": rng.choice(list("xyz"), n), "y": rng.normal(size=n)})
    frame["p"] = frame["y"] + np.where(
        frame["a"] == "x", rng.normal(0, 2, n), rng.normal(0, 0.3, n)
    )
    bench = wb.Workbench.from_predictions(frame, label="y", prediction="p", path=":memory:")
    bench.scan(k=3, max_predicates=1)
    explorer = bench.explore()
    explorer.select(explorer.table.rows[0]["slice_id"])
    assert explorer.errors.value == ""
    (output,) = explorer.errors_plot.outputs
    figure = output["data"]["application/vnd.plotly.v1+json"]
    assert [t["name"] for t in figure["data"]] == ["in the slice", "rest"]
    assert "Share of all errors" in explorer.metrics.value


def test_clicks_during_a_scan_get_a_notice(explorer: Explorer) -> None:
    import threading

    held, release = threading.Event(), threading.Event()

    def scan_like() -> None:  # holds the store the way a running scan does
        with explorer._lock:
            held.set()
            release.wait(10)

    worker = threading.Thread(target=scan_like)
    worker.start()
    held.wait(10)
    try:
        explorer.select(explorer.table.rows[0]["slice_id"])
        assert "scan is running" in explorer.notice.value
        assert explorer.current is None and explorer.table.selected == ""
    finally:
        release.set()
        worker.join()
    explorer.select(explorer.table.rows[0]["slice_id"])
    assert explorer.notice.value == "" and explorer.current is not None


# -- member rows and renderers -------------------------------------------------------------------
def _png(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (300, 200), (200, 30, 30)).save(path)
    return path


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(np.zeros(800, dtype=np.int16).tobytes())
    return path


def test_media_columns_render_inline(tmp_path: Path) -> None:
    image = _png(tmp_path / "a.png")
    audio = _wav(tmp_path / "a.wav")
    frame = pd.DataFrame(
        {
            "image_path": [image.name, "gone.png"],
            "clip": [audio.name, None],
            "_label": [1, 0],
            "_prediction": [0, 0],
            "_error": [1.0, 0.0],
            "_weight": [1.0, 1.0],
            "note": ["x", "y"],
        },
        index=pd.Index([4, 9], name="row_id"),
    )
    html = members_html(frame, media_root=tmp_path)
    assert html.count('<img class="wb-thumb" src="data:image/jpeg;base64,') == 1
    assert '<audio class="wb-audio" controls' in html and "data:audio/" in html
    assert "gone.png (missing)" in html
    assert html.index("image_path") < html.index(">label<") < html.index(">note<")


def _header(html: str) -> list[str]:
    return re.findall(r"<th[^>]*>([^<]*)</th>", html.split("</thead>")[0])


def test_media_column_keeps_its_place_on_pages_without_media(tmp_path: Path) -> None:
    frame = planted(600)
    with wb.Workbench.from_predictions(frame, label="y", prediction="pred", path=":memory:") as b:
        top = b.scan(k=1, max_predicates=2, min_support=0.02, confirm=False)[0]
        first = b.members(top, limit=2).index.tolist()
    # Only the slice's first two rows have a recording, under a name that says nothing.
    frame["file"] = [str(_wav(tmp_path / f"r{i}.wav")) if i in first else None for i in range(600)]
    bench = wb.Workbench.from_predictions(
        frame, label="y", prediction="pred", features=["colour", "size", "shape"], path=":memory:"
    )
    bench.scan(k=1, max_predicates=2, min_support=0.02, confirm=False)
    explorer = Explorer(bench, rows_page_size=5)
    explorer.select(explorer.table.rows[0]["slice_id"])
    page1 = explorer.rows_html.value
    assert page1.count("<audio") == 2
    explorer.rows_next.click()
    page2 = explorer.rows_html.value
    assert "rows 6–10" in explorer.rows_where.value and "<audio" not in page2
    assert _header(page2) == _header(page1)
    assert _header(page1)[1] == "file"
    bench.close()


def test_detection_and_custom_renderers() -> None:
    assert detect_column_kind("photo_image_path", ["x/y.JPG"]) == "image"
    assert detect_column_kind("recording", ["a.ogg", "b.flac"]) == "audio"
    # a page where the media column has no file keeps it media (it does not move)
    assert detect_column_kind("image_path", [None]) == "image"
    assert detect_column_kind("image_path", []) is None  # no values at all: not media
    assert detect_column_kind("image_path", [3, 4]) is None  # numbers: not media
    assert detect_column_kind("city", ["Paris"]) is None
    register_renderer("percent", lambda v: f"{100 * v:.0f}%")
    try:
        assert render_cell("percent", 0.25) == "25%"
        frame = pd.DataFrame({"share": [0.5]}, index=pd.Index([1], name="row_id"))
        assert "50%" in members_html(frame, kinds={"share": "percent"})
    finally:
        register_renderer("percent", get_renderer("text"))
    with pytest.raises(TypeError, match="callable"):
        register_renderer("bad", "not a function")  # type: ignore[arg-type]


def test_alignment_renderer_hook() -> None:
    register_renderer("alignment", lambda ref, hyp: f"<i>{ref}|{hyp}</i>")
    try:
        frame = pd.DataFrame(
            {"_label": ["stop the car"], "_prediction": ["stop a car"], "_error": [1.0]},
            index=pd.Index([0], name="row_id"),
        )
        html = members_html(frame, alignment=True)
        assert "<i>stop the car|stop a car</i>" in html
    finally:
        from workbench.widgets import _renderers

        register_renderer("alignment", _renderers._alignment_html)


def test_text_cells_are_escaped() -> None:
    frame = pd.DataFrame({"name": ["<script>x</script>"]}, index=pd.Index([0], name="row_id"))
    assert "<script>" not in members_html(frame)


def test_core_import_does_not_import_widgets() -> None:
    code = "import sys, workbench; print('ipywidgets' in sys.modules, 'plotly' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_missing_extra_names_the_install_command() -> None:
    code = (
        "import sys; sys.modules['plotly'] = None\n"
        "import workbench as wb\n"
        "try:\n    import workbench.widgets\nexcept wb.MissingExtraError as e:\n    print(e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'slice-workbench[app]'" in out.stdout


def test_hide_near_duplicates(tmp_path: Path) -> None:
    bench = wb.Workbench.from_predictions(
        wb.sample_path("adult"),
        label="income",
        prediction="pred_v1",
        exclude="pred_v2,proba_v2,proba_v1",
        path=tmp_path / "d.duckdb",
    )
    bench.scan(k=10)
    explorer = bench.explore()
    assert explorer.table.n_total == 10
    explorer.distinct_toggle.value = True
    shown = explorer.findings
    assert 0 < len(shown) <= 10  # the default scan already lists distinct groups
    assert explorer.table.n_total == len(shown)
    assert [s.slice_id for s in shown] == [s.slice_id for s in bench.distinct(bench.findings())]
    explorer.distinct_toggle.value = False
    assert len(explorer.findings) == 10
    bench.close()


def test_chart_has_a_text_table_and_buttons_never_clip(explorer: Explorer) -> None:
    text = explorer.chart_text.value
    assert 'data-testid="chart-text"' in text
    assert text.count("<tr>") == 1 + len(explorer.findings)
    assert explorer.fit_charts.scope == ".wb-explorer"
    for button in (
        explorer.refine_reset,
        explorer.refine_add,
        explorer.flag_button,
        explorer.export_rows_button,
        explorer.scan_button,
    ):
        assert button.layout.width == "auto"


def test_refine_offers_only_values_that_change_the_rows(explorer: Explorer) -> None:
    top = explorer.findings[0]
    explorer.select(top.slice_id)
    inside = explorer._dist
    for feature in explorer._feature_names:
        if feature in top.conditions:
            continue
        explorer.refine_feature.value = feature
        part = inside[inside["feature"] == feature]
        offered = {v for _, v in explorer.refine_value.options}
        whole = {
            str(c)
            for c, n in zip(part["category"], part["inside"], strict=True)
            if n == top.slice_size
        }
        assert not offered & whole
