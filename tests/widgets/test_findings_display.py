"""What the explorer shows of a scan's findings, driven as the browser would.

The group table of any feature (equal to ``Workbench.by_group``) and its CSV, each
slice's other descriptions, how each p-value was corrected (never "adjusted" when it
is not), the scan's notes when few slices qualify, the ranking and alpha controls,
and which values of each feature carry a slice's errors.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.metrics import get_metric
from workbench.widgets import Explorer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ipywidgets.*")


def planted(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """Data where the model fails on colour=red AND size=small (labels yes/no); ``hue``
    names the colours again."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "size": rng.choice(["small", "large"], n),
            "shape": rng.choice(["circle", "square", "star", "hex"], n),
            "age": rng.integers(18, 80, n),
            "y": rng.choice(["no", "yes"], n),
        }
    )
    # the same groups under another name: the scan folds one into the other's description
    frame["hue"] = frame["colour"].map({"red": "warm", "green": "cool", "blue": "deep"})
    bad = (frame["colour"] == "red") & (frame["size"] == "small")
    flip = np.where(bad, rng.random(n) < 0.45, rng.random(n) < 0.08)
    frame["pred"] = np.where(flip, np.where(frame["y"] == "yes", "no", "yes"), frame["y"])
    return frame


@pytest.fixture(scope="module")
def scanned_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "display.duckdb"
    with wb.Workbench.from_predictions(planted(), label="y", prediction="pred", path=path) as b:
        b.scan(k=8, max_predicates=2, min_support=0.02)
    return path


@pytest.fixture
def bench(scanned_store: Path, tmp_path: Path) -> Iterator[wb.Workbench]:
    copy = tmp_path / scanned_store.name
    shutil.copyfile(scanned_store, copy)
    with wb.Workbench.open(copy) as bench:
        yield bench


@pytest.fixture
def explorer(bench: wb.Workbench, tmp_path: Path) -> Explorer:
    return bench.explore(export_dir=tmp_path / "exports")


def cells(html: str, key: str) -> list[float]:
    return [float(v) for v in re.findall(rf'data-key="{key}" data-value="([^"]+)"', html)]


# -- groups ---------------------------------------------------------------------------------


def test_groups_view_equals_by_group(bench: wb.Workbench, explorer: Explorer) -> None:
    groups = explorer.groups
    assert groups.columns.description == "Features" and groups.metrics.description == "Metrics"
    assert {"error_rate", "false_negative_rate", "false_positive_rate", "selection_rate"} <= {
        v for _, v in groups.metrics.options
    }
    assert groups.pos_label.value == "yes"  # the last class, shown in its menu
    groups.columns.value = ("colour", "size")
    groups.metrics.value = ("error_rate", "false_negative_rate")
    groups.show_button.click()
    assert "wb-error" not in groups.status.value, groups.status.value
    expected = bench.by_group(
        ["colour", "size"],
        metrics=["error_rate", get_metric("false_negative_rate", pos_label="yes")],
    )
    html = groups.output.value
    assert html.count('data-testid="group-row"') == len(expected) == 6
    for name in ("error_rate", "false_negative_rate"):
        # the group rows first, then the overall value in the footer
        shown = cells(html, name)
        assert shown[:-1] == pytest.approx(expected[name].tolist(), abs=1e-15)
        assert shown[-1] == pytest.approx(expected.attrs["overall"][name], abs=1e-15)
        assert cells(html, f"{name}_ratio") == pytest.approx(
            expected[f"{name}_ratio"].tolist(), abs=1e-15
        )
    assert cells(html, "count") == expected["count"].tolist()
    # The planted group is the worst, tinted: its interval lies above the overall error.
    worst = expected["error_rate"].idxmax()
    assert tuple(expected.loc[worst, ["colour", "size"]]) == ("red", "small")
    assert 'class="r wb-err" data-key="error_rate"' in html


def test_groups_table_exports_as_csv(bench: wb.Workbench, explorer: Explorer) -> None:
    groups = explorer.groups
    assert groups.export_button.disabled
    groups.show(["shape"], ["error_rate", "selection_rate"])
    groups.export_button.click()
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', groups.download.value)
    assert href, groups.download.value
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(href.group(1)).decode("utf-8"))))
    expected = bench.by_group(
        ["shape"], metrics=["error_rate", get_metric("selection_rate", pos_label="yes")]
    )
    assert [r["shape"] for r in rows] == expected["shape"].tolist()
    assert [float(r["selection_rate"]) for r in rows] == pytest.approx(
        expected["selection_rate"].tolist(), rel=1e-12
    )
    assert "groups-shape.csv" in groups.download.value


def test_groups_view_says_what_is_missing(explorer: Explorer) -> None:
    groups = explorer.groups
    groups.columns.value = ()
    groups.show_button.click()
    assert "Pick at least one feature" in groups.status.value


def test_groups_in_plain_language(bench: wb.Workbench) -> None:
    explorer = bench.explore(plain_language=True)
    explorer.groups.show(["size"], ["error_rate"])
    assert re.search(r"\d+ % to \d+ %", explorer.groups.output.value)
    assert " times" in explorer.groups.output.value
    explorer.plain_language = False
    assert re.search(r"\[0\.\d{3}, 0\.\d{3}\]", explorer.groups.output.value)


# -- also described as, p-value correction ---------------------------------------------------


def test_table_and_drill_down_show_other_descriptions_and_the_correction(
    explorer: Explorer,
) -> None:
    findings = explorer.findings
    with_also = [s for s in findings if s.also_described_as]
    assert with_also, "the default (distinct) scan folds near-duplicates into the kept slices"
    s = with_also[0]
    row = next(r for r in _all_rows(explorer) if r["slice_id"] == s.slice_id)
    assert row["n_also"] == len(s.also_described_as)
    assert row["also"][0] == s.also_described_as[0]
    assert row["p_tag"] == "adj." and row["p_how"].startswith("BH over")
    explorer.select(s.slice_id)
    assert 'data-testid="also-described-as"' in explorer.title.value
    assert all(
        _escaped(d) in explorer.title.value for d in s.also_described_as
    )  # the full list in the drill-down
    assert "p-value (adjusted)" in explorer.metrics.value
    assert "BH over" in explorer.metrics.value or "Benjamini" in explorer.metrics.value


def test_refined_slice_p_value_is_called_uncorrected(explorer: Explorer) -> None:
    explorer.select(explorer.findings[0].slice_id)
    refined = explorer.add_condition("shape", "circle")
    assert not refined.slice_id
    assert "p-value (uncorrected)" in explorer.metrics.value
    assert "p-value (adjusted)" not in explorer.metrics.value
    shown = re.search(r'data-testid="p-value">([^<]+)<', explorer.metrics.value)
    assert shown and shown.group(1) != "–"  # the raw p, not the (missing) adjusted one
    # Saved and flagged, it joins the table still called uncorrected.
    saved = explorer.flag(True, "refined")
    row = next(r for r in _all_rows(explorer) if r["slice_id"] == saved.slice_id)
    assert row["p_tag"] == "uncorrected"
    assert row["p_value_adjusted"] != "–"


def test_plain_language_does_not_call_an_uncorrected_p_adjusted(bench: wb.Workbench) -> None:
    explorer = bench.explore(plain_language=True)
    explorer.select(explorer.findings[0].slice_id)
    explorer.add_condition("shape", "circle")
    assert "not corrected for a search" in explorer.metrics.value


# -- notes, ranking and alpha ------------------------------------------------------------------


def test_notes_are_folded_when_the_scan_filled_its_list(explorer: Explorer) -> None:
    value = explorer.scan_notes.value
    assert "<details" in value and "Scan notes" in value
    for note in explorer.findings.notes:
        assert _escaped(note) in value


def test_notes_are_prominent_when_fewer_slices_qualify(explorer: Explorer) -> None:
    explorer.scan_k.value = 40
    explorer.scan_depth.value = 1
    explorer.scan_support.value = 0.2
    explorer.scan_inputs.ranking.value = "sliceline"
    assert not explorer.scan_inputs.alpha.disabled
    explorer.scan_inputs.alpha.value = 0.9
    explorer.run_scan(wait=True)
    findings = explorer.findings
    assert findings.parameters["ranking"] == "sliceline"
    assert findings.parameters["alpha"] == 0.9
    assert len(findings) < 40
    value = explorer.scan_notes.value
    assert "wb-warn" in value and "<details" not in value
    assert f"Only {len(findings)} of the 40 slices asked for" in value
    assert "ranking &quot;excess&quot;" in value and "lower min support" in value
    assert all(_escaped(n) in value for n in findings.notes)


def test_notes_are_prominent_when_nothing_is_significant(explorer: Explorer) -> None:
    from workbench.widgets._views import notes_html

    findings = explorer.findings
    none = findings.replace(slices=tuple(s.replace(significant=False) for s in findings))
    value = notes_html(none)
    assert "wb-warn" in value
    assert "No slice is significant" in value
    assert "more rows" in value and "lower min support" in value


def _all_rows(explorer: Explorer) -> list[dict[str, object]]:
    table = explorer.table
    table.page_size = 100
    return list(table.rows)


def _escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


# -- which values carry a slice's errors ---------------------------------------------------------


def test_error_values_count_the_slice_rows(bench: wb.Workbench) -> None:
    s = bench.evaluate({"size": "small"})
    values = bench.error_values(s)
    members = bench.members(s)
    shape = values[values["feature"] == "shape"].set_index("category")
    truth = members.groupby("shape")["_error"].agg(["size", "sum"])
    assert shape["rows"].to_dict() == truth["size"].to_dict()
    assert shape["error_sum"].to_dict() == pytest.approx(truth["sum"].to_dict())
    assert shape["error_share"].sum() == pytest.approx(1.0)
    assert shape["slice_error"].iloc[0] == pytest.approx(members["_error"].mean())
    # Inside "size = small" the errors sit on red (and its other name, warm).
    colour = values[values["feature"] == "colour"].set_index("category")
    assert colour["well_above"].to_dict() == {"blue": False, "green": False, "red": True}
    assert colour.loc["red", "error_share"] > 0.5


def test_drill_down_shows_which_values_carry_the_errors(explorer: Explorer) -> None:
    explorer.select(explorer.findings[0].slice_id)
    refined = explorer.remove_condition("colour")
    assert refined is not None and set(refined.conditions) == {"size"}
    html = explorer.carriers.value
    assert 'data-testid="error-values"' in html
    assert 'data-feature="colour"' in html and 'data-feature="size"' not in html
    assert re.search(r'data-value="red" data-well-above>▲ red<', html)
    assert 'data-value="blue" data-well-above' not in html
    # the refine menu marks the values that carry the errors
    explorer.refine_feature.value = "colour"
    labels = dict((v, label) for label, v in explorer.refine_value.options)
    assert labels["red"].endswith("▲") and not labels["blue"].endswith("▲")
    assert "error 0." in labels["red"]


def test_a_large_groups_table_is_streamed_in_chunks(
    explorer: Explorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.widgets import _explorer
    from workbench.widgets._download import FileDownload

    monkeypatch.setattr(_explorer, "MAX_DOWNLOAD_BYTES", 100)
    explorer.groups.show(["colour", "shape"], ["error_rate"])
    explorer.groups.export_button.click()
    (button,) = explorer.groups.download_stream.children
    assert isinstance(button, FileDownload)
    text = b"".join(button.chunks(64)).decode("utf-8")
    assert len(text.splitlines()) == 1 + len(explorer.groups.table) == 13
    assert 'data-testid="download-large"' in explorer.groups.download.value
