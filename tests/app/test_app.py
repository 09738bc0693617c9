"""The audit app driven through its widgets, without a browser.

Uploads set the FileUpload's state as the browser does; buttons are clicked;
every bad input ends in a message in the app (never an exception), and the app
keeps working afterwards.
"""

from __future__ import annotations

import base64
import csv
import doctest
import gzip
import html
import importlib
import io
import json
import re
import shlex
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.app import AuditApp, guess_columns

Upload = Callable[[AuditApp, bytes, str], None]


def links(html: str) -> dict[str, bytes]:
    """The data: URI download links in an HTML fragment, by file name."""
    found = re.findall(r'download="([^"]+)" href="data:[^"]*?;base64,([^"]+)"', html)
    return {name: base64.b64decode(data) for name, data in found}


def scan_and_flag(app: AuditApp, note: str = "fails often") -> wb.Slice:
    app.prepare_button.click()
    assert app.columns_msg.level == "success", app.columns_msg.text
    app.scan_k.value = 5
    app.scan_depth.value = 2
    app.run_scan(wait=True)
    assert app.scan_msg.level == "success", app.scan_msg.text
    explorer = app.explorer
    first = explorer.findings[0]
    explorer.select(first.slice_id)
    explorer.flag_note.value = note
    explorer.flag_button.click()
    assert app.bench is not None
    return app.bench.flagged()[0]


# -- the happy paths ---------------------------------------------------------------------------
def test_sample_to_claim(app: AuditApp) -> None:
    """Sample → guessed columns → scan → flag → CSV and a claim that verifies."""
    assert app.columns_card.layout.display == "none"
    app.sample_button.click()
    assert app.columns_card.layout.display is None
    assert (app.label_choice.value, app.prediction_choice.value, app.score_choice.value) == (
        "income",
        "pred_v1",
        "proba_v1",
    )
    # The other model's outputs are offered but not searched by default.
    assert {"pred_v2", "proba_v2"} <= set(app.feature_boxes)
    assert "pred_v2" not in app.selected_features and "age" in app.selected_features
    assert "16,281" in app.preview.value and "adult_test_predictions.parquet" in app.preview.value

    flagged = scan_and_flag(app, note="women & young")
    assert "capped" in app.columns_msg.text  # native_country has 40 values

    app.export_button.click()
    assert app.export_msg.level == "success", app.export_msg.text
    files = links(app.downloads.value)
    csv_name = f"{app.findings.scan_id}-flagged-slices.csv"
    claim_name = f"{flagged.slice_id}-claim.json"
    assert set(files) == {csv_name, claim_name}
    rows = list(csv.DictReader(io.StringIO(files[csv_name].decode("utf-8"))))
    assert [r["slice_id"] for r in rows] == [flagged.slice_id]
    assert rows[0]["flag_note"] == "women & young"
    claim = json.loads(files[claim_name])
    assert claim["slice"]["description"] == flagged.description
    assert claim["note"] == "women & young"
    assert files[claim_name] == app.exported[flagged.slice_id].read_bytes()
    assert f"workbench verify {claim_name} --data adult_test_predictions.parquet" in (
        app.downloads.value
    )
    result = wb.Workbench.verify_claim(claim, wb.sample_path("adult"))
    assert result["holds"], result["report"]


def test_upload_csv_semicolons_latin1(app: AuditApp, upload: Upload, linked: pd.DataFrame) -> None:
    frame = linked.assign(noise=linked["noise"].map({"x": "é", "y": "ü", "z": "ß", "w": "w"}))
    content = frame.to_csv(index=False, sep=";").encode("latin-1")
    upload(app, content, "données.csv")
    assert app.data_msg.level == "", app.data_msg.text
    assert "encoding latin-1, delimiter semicolon" in app.preview.value
    assert "3,000" in app.preview.value and "données.csv" in app.preview.value
    assert app.upload.value == ()  # the raw bytes are released once parsed
    assert (app.label_choice.value, app.prediction_choice.value) == ("label", "prediction")
    assert app.score_choice.value == "(none)"
    assert app.selected_features == ["group", "kind", "noise"]
    flagged = scan_and_flag(app)
    assert flagged.conditions == {"group": "a", "kind": "u"}


def test_upload_parquet_and_change_columns(
    app: AuditApp,
    upload: Upload,
    adult: pd.DataFrame,
    parquet_bytes: Callable[[pd.DataFrame], bytes],
) -> None:
    upload(app, parquet_bytes(adult.head(4000)), "adult.parquet")
    assert "read as parquet" in app.preview.value
    # The auditor picks the second model and searches three features only.
    app.prediction_choice.value = "pred_v2"
    app.score_choice.value = "proba_v2"
    assert "pred_v2" not in app.feature_boxes and "pred_v1" in app.feature_boxes
    app.none_button.click()
    assert app.selected_features == []
    for name in ("age", "sex", "race"):
        app.feature_boxes[name].value = True
    app.metric_choice.value = "log_loss"
    app.prepare_button.click()
    assert app.columns_msg.level == "success", app.columns_msg.text
    assert app.bench is not None
    assert app.bench.metric == "log_loss" and app.bench.model_name == "pred_v2"
    assert sorted(app.bench.features["feature"]) == ["age", "race", "sex"]


# -- bad input: each gets a message and the app keeps working ----------------------------------
BAD_FILES = [
    pytest.param(b"PK\x03\x04 not a table", "data.xlsx", "cannot read", id="excel"),
    pytest.param(b"", "empty.csv", "is empty", id="empty-file"),
    pytest.param(b"a,b,c\n", "header.csv", "no rows", id="header-only"),
    pytest.param(b"justone\n1\n2\n", "one.csv", "single column", id="one-column"),
    pytest.param(b"PAR1 truncated", "cut.parquet", "as parquet", id="broken-parquet"),
    pytest.param(gzip.compress(b"a,b\n1,2\n")[:12], "cut.csv.gz", "gzip", id="broken-gzip"),
    pytest.param(b"not gzip at all", "fake.csv.gz", "unpack", id="not-gzip"),
    pytest.param(b'a,b\n"1,2\n3,4\n', "quote.csv", "", id="unclosed-quote"),
]


@pytest.mark.parametrize(("content", "name", "expected"), BAD_FILES)
def test_bad_files_get_a_message(
    app: AuditApp, upload: Upload, adult_csv: bytes, content: bytes, name: str, expected: str
) -> None:
    upload(app, content, name)
    if name == "quote.csv" and app.data_msg.level == "":
        # pandas reads an unclosed quote as one long value: a table it is, and the app says so.
        assert app.frame is not None
    else:
        assert app.data_msg.level == "error"
        assert expected in app.data_msg.text
        assert "Traceback" not in app.data_msg.value
        assert app.columns_card.layout.display == "none"
    upload(app, adult_csv, "adult.csv")
    assert app.data_msg.level == "" and app.frame is not None and len(app.frame) == 16281


def test_gzipped_tab_separated_upload(app: AuditApp, upload: Upload, linked: pd.DataFrame) -> None:
    upload(app, gzip.compress(linked.to_csv(index=False, sep="\t").encode()), "linked.tsv.gz")
    assert app.data_msg.level == "", app.data_msg.text
    assert "read as gzipped CSV, encoding utf-8, delimiter tab" in app.preview.value
    assert app.data_name == "linked.tsv.gz" and app.frame is not None
    assert list(app.frame.columns) == list(linked.columns)


def test_too_large_upload(tmp_path: Path, upload: Upload, adult_csv: bytes) -> None:
    app = AuditApp(max_upload_mb=0.5, workdir=tmp_path)
    upload(app, adult_csv, "adult.csv")
    assert app.data_msg.level == "error"
    assert "more than the 500 kB this app accepts" in app.data_msg.text
    assert "sample" in app.data_msg.text
    assert app.frame is None


def test_missing_labels_offer_to_drop(app: AuditApp, upload: Upload, linked: pd.DataFrame) -> None:
    frame = linked.copy()
    frame.loc[[3, 10, 11], "label"] = None
    frame.loc[[10, 20], "prediction"] = None
    upload(app, frame.to_csv(index=False).encode(), "gaps.csv")
    app.prepare_button.click()
    assert app.columns_msg.level == "warning"
    assert "4 of 3,000 rows have no label or no prediction" in app.columns_msg.text
    assert "3 rows miss the label 'label'; 2 miss the prediction" in app.columns_msg.text
    assert app.drop_button.layout.display is None
    assert app.drop_button.description == "Drop 4 rows and continue"
    assert app.bench is None and app.scan_card.layout.display == "none"
    app.drop_button.click()
    assert app.columns_msg.level == "success", app.columns_msg.text
    assert "4 rows without label or prediction were dropped" in app.columns_msg.text
    assert app.bench is not None and app.bench.n_rows == 2996
    assert app.drop_button.layout.display == "none"


def test_label_all_missing(app: AuditApp, upload: Upload, linked: pd.DataFrame) -> None:
    upload(app, linked.assign(label=np.nan).to_csv(index=False).encode(), "nolabel.csv")
    app.label_choice.value = "label"
    app.prepare_button.click()
    assert app.columns_msg.level == "error"
    assert "Every row misses its label" in app.columns_msg.text
    assert app.drop_button.layout.display == "none"


def test_incompatible_label_and_prediction(app: AuditApp, adult_csv: bytes, upload: Upload) -> None:
    upload(app, adult_csv, "adult.csv")
    app.prediction_choice.value = "proba_v1"  # probabilities are not classes
    app.score_choice.value = "(none)"
    app.prepare_button.click()
    assert app.columns_msg.level == "error"
    assert "share no value" in app.columns_msg.text
    assert app.bench is None
    # Picking the right column: the probabilities, still ticked, are its score.
    app.prediction_choice.value = "pred_v1"
    app.prepare_button.click()
    assert app.columns_msg.level == "error"
    assert "'proba_v1' is a score for the prediction" in app.columns_msg.text
    assert "Name it as the score" in app.columns_msg.text
    # Naming it as the score recovers.
    app.score_choice.value = "proba_v1"
    app.prepare_button.click()
    assert app.columns_msg.level == "success"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({"label": "income", "prediction": "income"}, "the same column"),
        ({"label": "income", "prediction": "pred_v1", "score": "income"}, "also the label"),
        ({"label": "age", "prediction": "sex"}, "numeric prediction"),
        (
            {"label": "income", "prediction": "pred_v1", "metric": "absolute_error"},
            "numeric",
        ),
    ],
    ids=["same-column", "score-is-label", "number-vs-class", "regression-metric-on-classes"],
)
def test_bad_column_choices(app: AuditApp, roles: dict[str, str], expected: str) -> None:
    app.load_sample("adult")
    metric = roles.pop("metric", None)
    app.label_choice.value = roles["label"]
    app.prediction_choice.value = roles["prediction"]
    app.score_choice.value = roles.get("score", "(none)")
    if metric:
        app.metric_choice.value = metric
    app.prepare_button.click()
    assert app.columns_msg.level == "error", app.columns_msg.text
    assert expected in app.columns_msg.text


def test_no_features_ticked(app: AuditApp) -> None:
    app.load_sample("adult")
    app.none_button.click()
    app.prepare_button.click()
    assert app.columns_msg.level == "error"
    assert "No features are ticked" in app.columns_msg.text


def test_only_id_like_features(app: AuditApp, upload: Upload, linked: pd.DataFrame) -> None:
    frame = linked.assign(row_id=[f"r{i}" for i in range(len(linked))])
    upload(app, frame.to_csv(index=False).encode(), "ids.csv")
    app.none_button.click()
    app.feature_boxes["row_id"].value = True
    app.prepare_button.click()
    assert app.columns_msg.level == "error"
    assert "nothing to search" in app.columns_msg.text
    assert "'row_id' is left out of the search: ID-like" in app.columns_msg.text
    assert app.scan_card.layout.display == "none"


def test_high_cardinality_column_is_capped(app: AuditApp, upload: Upload) -> None:
    n = 150_000
    rng = np.random.default_rng(11)
    label = rng.choice([0, 1], size=n)
    frame = pd.DataFrame(
        {
            "comment": [f"text {i % 100_000}" for i in range(n)],
            "region": rng.choice(["north", "south", "east"], size=n),
            "label": label,
            "pred": np.where(rng.random(n) < 0.2, 1 - label, label),
        }
    )
    upload(app, frame.to_csv(index=False).encode(), "comments.csv")
    app.prepare_button.click()
    assert app.columns_msg.level == "success", app.columns_msg.text
    assert "'comment' (categorical, 100000 values; capped: the 20 most frequent kept" in (
        app.columns_msg.text
    )
    app.scan_depth.value = 1
    app.scan_support.value = 0.001
    app.run_scan(wait=True)
    assert app.scan_msg.level in ("success", "warning"), app.scan_msg.text


def test_no_slice_reaches_min_support(app: AuditApp, upload: Upload, linked: pd.DataFrame) -> None:
    upload(app, linked.to_csv(index=False).encode(), "linked.csv")
    app.prepare_button.click()
    # the ranking and alpha are among the app's scan controls
    assert {app.scan_inputs.ranking, app.scan_inputs.alpha} <= set(app.scan_controls.children)
    app.scan_support.value = 100_000  # more rows than the data has
    app.scan_button.click()
    app.scan_inputs.thread.join(timeout=60)  # type: ignore[union-attr]
    assert app.scan_msg.level in ("warning", "error")
    assert "support" in app.scan_msg.text
    assert not app.scan_button.disabled  # ready for another try
    app.scan_support.value = 0.01
    app.run_scan(wait=True)
    assert app.scan_msg.level == "success"


def test_empty_slice_refinement_and_export_without_flags(
    app: AuditApp, upload: Upload, linked: pd.DataFrame
) -> None:
    upload(app, linked.to_csv(index=False).encode(), "linked.csv")
    app.prepare_button.click()
    app.scan_depth.value = 2
    app.run_scan(wait=True)
    explorer = app.explorer
    top = explorer.findings[0]
    assert top.conditions == {"group": "a", "kind": "u"}
    explorer.select(top.slice_id)
    # Replace group = a by group = b: no row has group = b and kind = u.
    explorer.refine_feature.value = "group"
    assert "b" in [value for _, value in explorer.refine_value.options]
    explorer.refine_value.value = "b"
    explorer.refine_add.click()
    assert "has no rows" in explorer.refine_status.value
    assert explorer.current is not None and explorer.current.slice_id == top.slice_id
    # The app still works: nothing flagged yet is a message, not an error.
    app.export_button.click()
    assert app.export_msg.level == "warning"
    assert "No slice of scan1 is flagged yet" in app.export_msg.text
    assert app.downloads.value == ""


def test_new_data_resets_the_later_steps(
    app: AuditApp, upload: Upload, linked: pd.DataFrame
) -> None:
    app.load_sample("adult")
    app.prepare_button.click()
    app.run_scan(wait=True)
    assert app.explorer is not None and app.export_card.layout.display is None
    assert app.scan_controls.layout.display == "none"  # the explorer's controls take over
    upload(app, linked.to_csv(index=False).encode(), "linked.csv")
    assert app.explorer is None and app.bench is None
    assert app.scan_card.layout.display == "none" and app.export_card.layout.display == "none"
    assert app.label_choice.value == "label"
    assert app.scan_controls.layout.display is None


def test_rescan_in_the_explorer_exports_that_scan(
    app: AuditApp, upload: Upload, linked: pd.DataFrame
) -> None:
    upload(app, linked.to_csv(index=False).encode(), "linked.csv")
    scan_and_flag(app)
    explorer = app.explorer
    explorer.scan_k.value = 3
    explorer.run_scan(wait=True)
    assert explorer.findings.scan_id == "scan2"
    explorer.select(explorer.findings[0].slice_id)
    explorer.flag(note="second scan")
    exported = app.export()
    assert exported is not None
    assert exported["csv"].name == "scan2-flagged-slices.csv"
    assert set(exported) == {"csv", "scan2.s1"}


def test_steps_out_of_order_are_messages(app: AuditApp) -> None:
    app.run_scan()
    assert app.scan_msg.level == "error" and "Prepare the data first" in app.scan_msg.text
    assert app.export() is None and "Run a scan first" in app.export_msg.text
    assert app.prepare() is None and "Load data first" in app.columns_msg.text
    assert app.load_sample("nope") is None and "Unknown sample 'nope'" in app.data_msg.text


def test_unexpected_errors_are_messages(app: AuditApp, monkeypatch: pytest.MonkeyPatch) -> None:
    app.load_sample("adult")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(wb.Workbench, "from_predictions", broken)
    app.prepare_button.click()
    assert app.columns_msg.level == "error"
    assert "did not expect (RuntimeError: disk on fire)" in app.columns_msg.text
    assert not app.prepare_button.disabled


# -- column guessing ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            {"x": [1, 2], "y_true": [0, 1], "y_pred": [0, 0], "score": [0.2, 0.4]},
            ("y_true", "y_pred", "score"),
        ),
        (
            {"target": ["a", "b"], "prediction": ["a", "a"], "f": [1, 2]},
            ("target", "prediction", None),
        ),
        (
            {
                "city": ["x", "y"],
                "outcome_true": [1, 0],
                "model_output": [1, 1],
                "confidence": [0.9, 1.5],
            },
            ("outcome_true", "model_output", None),
        ),
        (
            {"reference": ["a b", "c"], "hypothesis": ["a", "c"], "snr": [3.0, 9.0]},
            ("reference", "hypothesis", None),
        ),
        (
            {
                "age": [30, 40],
                "income": ["<=50K", ">50K"],
                "pred_v1": ["<=50K", ">50K"],
                "proba_v2": [0.1, 0.2],
                "proba_v1": [0.3, 0.6],
                "pred_v2": ["<=50K", "<=50K"],
            },
            ("income", "pred_v1", "proba_v1"),
        ),
        ({"a": [1, 2], "b": [1, 2]}, ("a", "b", None)),
    ],
    ids=["y_true", "target", "score-out-of-range", "speech", "two-models", "no-hints"],
)
def test_guess_columns(columns: dict[str, list[object]], expected: tuple[str | None, ...]) -> None:
    guess = guess_columns(pd.DataFrame(columns))
    assert (guess.label, guess.prediction, guess.score) == expected
    assert not {guess.label, guess.prediction, guess.score} & set(guess.features)


def test_two_models_leave_the_other_out() -> None:
    guess = guess_columns(wb.load_sample("adult").head(100))
    assert guess.other_outputs == ["pred_v2", "proba_v2"]
    assert "pred_v2" not in guess.features


@pytest.mark.parametrize(
    "name", ["workbench.app._columns", "workbench.app._style", "workbench.app._app"]
)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize(
    ("name", "metric", "left_out"),
    [("speech", "wer", {"word_errors", "ref_words", "clip_id"}), ("images", "auto", {"image_id"})],
)
def test_media_samples_load_with_their_columns(name: str, metric: str, left_out: set[str]) -> None:
    app = AuditApp()
    app.load_sample(name)
    assert app.metric_choice.value == metric
    # label-derived and ID columns are not offered as features to search
    assert not left_out & set(app.selected_features)
    app.prepare()
    app.run_scan(wait=True)
    assert app.bench is not None
    findings = app.bench.findings()
    assert findings[0].significant


def test_verify_command_is_shell_quoted(
    app: AuditApp, upload: Upload, linked: pd.DataFrame
) -> None:
    name = "q3 $(touch pwned); rm -rf ~.csv"
    upload(app, linked.to_csv(index=False).encode(), name)
    assert app.data_msg.level == "", app.data_msg.text
    scan_and_flag(app)
    app.export_button.click()
    assert app.export_msg.level == "success", app.export_msg.text
    shown = html.unescape(re.search(r'verify-command">(.*?)</pre>', app.downloads.value, re.S)[1])
    command = shown.splitlines()[-1]
    words = shlex.split(command)
    assert words[:2] == ["workbench", "verify"] and words[-2:] == ["--data", name]
    assert "'q3 $(touch pwned); rm -rf ~.csv'" in command


def test_gzip_bomb_upload_is_refused_quickly(tmp_path: Path, upload: Upload) -> None:
    app = AuditApp(max_upload_mb=50, workdir=tmp_path)
    bomb = gzip.compress(b"a,b,label,prediction\n" + b"1,2,0,1\n" * 60_000_000, 9)
    assert len(bomb) < 2_500_000
    start = time.perf_counter()
    upload(app, bomb, "small.csv.gz")
    assert time.perf_counter() - start < 5
    assert app.data_msg.level == "error"
    assert "more than 50 MB of data once unpacked" in app.data_msg.text
    assert app.frame is None


def test_upload_size_is_measured_not_taken_from_the_browser(
    tmp_path: Path, adult_csv: bytes
) -> None:
    app = AuditApp(max_upload_mb=0.5, workdir=tmp_path)
    entry = {"name": "adult.csv", "size": 10, "content": adult_csv}
    app.load_file(adult_csv, "adult.csv", entry)
    assert app.data_msg.level == "error"
    assert "more than the 500 kB this app accepts" in app.data_msg.text


# -- the upload step: what the button says, files that are not tables, reading options --------
def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(out, "PNG")
    return out.getvalue()


def test_upload_button_names_the_chosen_file(
    app: AuditApp, upload: Upload, linked: pd.DataFrame
) -> None:
    # ipywidgets writes "(number of files)" after the description; the stylesheet shows
    # the tooltip instead, so the tooltip is what the button says.
    assert "wb-app-upload" in app.upload._dom_classes
    assert app.upload.tooltip == "Upload a CSV, TSV or Parquet file"
    assert app.upload_name.value == ""
    upload(app, linked.to_csv(index=False).encode(), "loans 2024.csv")
    assert app.upload.tooltip == "Upload another file"
    assert "Chosen: <b>loans 2024.csv</b>" in app.upload_name.value
    assert app.upload.value == ()  # the raw bytes are still released once parsed
    app.load_sample("adult")
    assert app.upload_name.value == "" and app.upload.tooltip == "Upload a CSV, TSV or Parquet file"


@pytest.mark.parametrize(
    ("content", "name", "kind"),
    [
        pytest.param(_png(), "photo.csv", "an image (PNG)", id="png"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "report.tsv", "a PDF document", id="pdf"),
        pytest.param(
            b"PK\x03\x04\x14\x00" + bytes(60),
            "data.csv",
            "a ZIP archive (unpack it first)",
            id="zip",
        ),
    ],
)
def test_a_binary_file_renamed_csv_is_named_as_what_it_is(
    app: AuditApp, upload: Upload, adult_csv: bytes, content: bytes, name: str, kind: str
) -> None:
    upload(app, content, name)
    assert app.data_msg.level == "error"
    text = app.data_msg.text
    assert f"looks like {kind}, not a table" in text, text
    assert "fix: upload (or pass) a CSV, TSV or Parquet file" in text
    for internal in ("C error", "latin-1", "utf-8", "delimiter", "Traceback"):
        assert internal not in text, text
    assert f"Chosen: <b>{name}</b>" in app.upload_name.value
    assert app.format_box.layout.display == "none"  # reading options cannot help here
    assert app.columns_card.layout.display == "none"
    upload(app, adult_csv, "adult.csv")
    assert app.data_msg.level == "" and app.frame is not None


def _euro_csv(linked: pd.DataFrame) -> bytes:
    frame = linked.assign(amount=np.linspace(0.5, 1500.25, len(linked)).round(2))
    return frame.to_csv(index=False, sep=";", decimal=",").encode("utf-8")


def test_a_leading_zero_score_is_never_read_as_thousands(app: AuditApp, upload: Upload) -> None:
    # 0.125 cannot be a thousands grouping: in a ';' file it is still 0.125, not 125.
    rows = ["label;prediction;score;region"] + [
        f"{i % 2};{(i // 2) % 2};0.{125 + i % 700:03d};{'nsew'[i % 4]}" for i in range(200)
    ]
    upload(app, "\n".join(rows).encode(), "scores.csv")
    assert app.frame is not None and app.frame["score"].between(0, 1).all()
    assert app.frame["score"].iloc[0] == pytest.approx(0.125)
    assert (app.format_delimiter.value, app.format_decimal.value) == (";", ".")


def test_reading_options_correct_a_misdetected_decimal_point(app: AuditApp, upload: Upload) -> None:
    # Scores like 1.125 are ambiguous in a ';' file: European spreadsheets write ';' with
    # '.' as thousands separator, so they are read as 1125, and the preview says so.
    rows = ["label;prediction;score;region"] + [
        f"{i % 2};{(i // 2) % 2};1.{125 + i % 700:03d};{'nsew'[i % 4]}" for i in range(200)
    ]
    upload(app, "\n".join(rows).encode(), "scores.csv")
    assert app.frame is not None and app.frame["score"].max() > 1000
    assert "read &#x27;.&#x27; as thousands separator" in app.preview.value
    assert app.format_box.layout.display is None  # shown for a CSV
    assert (app.format_delimiter.value, app.format_decimal.value) == (";", ",")
    assert app.format_thousands.value == "."
    app.format_decimal.value = "."
    app.format_thousands.value = ""
    app.format_button.click()
    assert app.data_msg.level == "", app.data_msg.text
    assert app.frame["score"].between(1, 2).all()
    assert app.frame["score"].iloc[0] == pytest.approx(1.125)
    assert "decimal point, thousands none" in app.preview.value
    assert app.columns_card.layout.display is None


def test_reading_options_undo_a_wrong_delimiter(
    app: AuditApp, upload: Upload, linked: pd.DataFrame
) -> None:
    upload(app, _euro_csv(linked), "euro.csv")
    assert app.frame is not None and app.frame["amount"].dtype == float
    assert (app.format_delimiter.value, app.format_decimal.value) == (";", ",")
    # Forced wrong: one column, or numbers as text; the message points at the menus.
    app.format_delimiter.value = ","
    app.format_decimal.value = "."
    app.format_thousands.value = ""
    app.format_button.click()
    assert app.data_msg.level == "error" or app.frame["amount"].dtype != float
    if app.data_msg.level == "error":
        assert "menus below" in app.data_msg.text and "Read the file again" in app.data_msg.text
        assert app.columns_card.layout.display == "none" and app.frame is None
        assert app.format_box.layout.display is None  # still there to fix it
    # Corrected from the menus.
    app.format_delimiter.value = ";"
    app.format_decimal.value = ","
    app.format_thousands.value = "."
    app.format_encoding.value = "utf-8"
    app.format_missing.value = "NA, n/a"
    app.format_button.click()
    assert app.data_msg.level == "", app.data_msg.text
    assert app.frame is not None and app.frame["amount"].dtype == float
    assert app.frame["amount"].max() == pytest.approx(1500.25)
    assert app.csv_options() == {
        "delimiter": ";",
        "decimal": ",",
        "thousands": ".",
        "encoding": "utf-8",
        "na_values": ["NA", "n/a"],
    }
    assert "delimiter semicolon, decimal comma" in app.preview.value
    flagged = scan_and_flag(app)
    assert flagged.slice_id


def test_reading_options_are_hidden_for_samples_and_parquet(
    app: AuditApp,
    upload: Upload,
    adult: pd.DataFrame,
    parquet_bytes: Callable[[pd.DataFrame], bytes],
) -> None:
    app.load_sample("adult")
    assert app.format_box.layout.display == "none"
    upload(app, parquet_bytes(adult.head(500)), "adult.parquet")
    assert app.format_box.layout.display == "none"
    app.read_again()
    assert app.data_msg.level == "error" and "only CSV files" in app.data_msg.text
