"""Every bad input gets a WorkbenchError whose message says what was expected, what came, and how to fix it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import workbench as wb


def good_frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "age": rng.integers(18, 70, n),
            "label": rng.choice(["yes", "no"], n),
            "pred": rng.choice(["yes", "no"], n),
        }
    )


def test_good_frame_loads() -> None:
    wb.Workbench.from_predictions(
        good_frame(), label="label", prediction="pred", path=":memory:"
    ).close()


CASES = [
    # (id, kwargs changes, frame transform, exception, message fragments)
    (
        "misspelled label",
        {"label": "labl"},
        None,
        wb.ColumnNotFoundError,
        ["'labl'", "Did you mean 'label'"],
    ),
    (
        "misspelled prediction",
        {"prediction": "prd"},
        None,
        wb.ColumnNotFoundError,
        ["'prd'", "Did you mean 'pred'"],
    ),
    (
        "missing feature",
        {"features": ["sex", "agee"]},
        None,
        wb.ColumnNotFoundError,
        ["'agee'", "Did you mean 'age'"],
    ),
    ("empty data", {}, lambda f: f.iloc[:0], wb.EmptyDataError, ["no rows"]),
    (
        "all-NaN label",
        {},
        lambda f: f.assign(label=np.nan),
        wb.LabelError,
        ["Every value", "'label'", "missing"],
    ),
    (
        "label with one class",
        {},
        lambda f: f.assign(label="yes"),
        wb.LabelError,
        ["one class", "'yes'"],
    ),
    (
        "missing labels",
        {},
        lambda f: f.assign(label=f["label"].where(f.index > 5)),
        wb.LabelError,
        ["6 rows", "missing='drop'"],
    ),
    (
        "no common values",
        {},
        lambda f: f.assign(pred=np.where(f["pred"] == "yes", 1, 0)),
        wb.LabelError,
        ["share no value", "Map the predictions"],
    ),
    (
        "non-numeric regression target",
        {"metric": "absolute_error"},
        None,
        wb.LabelError,
        ["numeric label", "regression", "error_rate"],
    ),
    (
        "unknown metric",
        {"metric": "acuracy"},
        None,
        wb.ParameterError,
        ["Unknown metric 'acuracy'"],
    ),
    (
        "log loss without score",
        {"metric": "log_loss"},
        None,
        wb.ParameterError,
        ["needs predicted probabilities", "score="],
    ),
    (
        "same label and prediction",
        {"prediction": "label"},
        None,
        wb.ParameterError,
        ["same column"],
    ),
    (
        "bad missing option",
        {"missing": "ignore"},
        None,
        wb.ParameterError,
        ["'missing' parameter", "'error', 'drop'", "'ignore'"],
    ),
]


@pytest.mark.parametrize(
    ("case", "changes", "transform", "error", "fragments"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_predictions_input(case, changes, transform, error, fragments) -> None:
    frame = good_frame()
    if transform is not None:
        frame = transform(frame)
    kwargs = {"label": "label", "prediction": "pred", "path": ":memory:", **changes}
    with pytest.raises(error) as info:
        wb.Workbench.from_predictions(frame, **kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_missing_labels_can_be_dropped_and_are_counted() -> None:
    frame = good_frame()
    frame.loc[:5, "label"] = None
    bench = wb.Workbench.from_predictions(
        frame, label="label", prediction="pred", missing="drop", path=":memory:"
    )
    assert bench.n_rows == len(frame) - 6
    assert any("6 rows" in note for note in bench.notes)
    bench.close()


def test_length_mismatch_in_from_model() -> None:
    frame = good_frame()
    with pytest.raises(wb.DataError, match="X has 200 rows but y has 150 values"):
        wb.Workbench.from_model(
            lambda X: X["sex"], frame[["sex", "age"]], frame["label"][:150], path=":memory:"
        )


def test_model_without_predict() -> None:
    with pytest.raises(wb.ModelError, match="without predict"):
        wb.Workbench.from_model(
            object(), good_frame()[["sex"]], good_frame()["label"], path=":memory:"
        )


def test_model_that_fails() -> None:
    def broken(X: pd.DataFrame) -> None:
        raise RuntimeError("weights not loaded")

    with pytest.raises(wb.ModelError, match="weights not loaded"):
        wb.Workbench.from_model(
            broken, good_frame()[["sex"]], good_frame()["label"], path=":memory:"
        )


@pytest.mark.parametrize(
    ("name", "content", "error", "fragment"),
    [
        ("data.xlsx", b"PK\x03\x04", wb.InputFileError, "Unsupported file type '.xlsx'"),
        (
            "data.parquet",
            b"not a parquet file at all",
            wb.InputFileError,
            "Could not read 'data.parquet' as parquet",
        ),
        ("data.csv", b"", wb.EmptyDataError, "is empty"),
        ("data.csv.gz", b"plain text, not gzip", wb.InputFileError, "Could not read 'data.csv.gz'"),
        (
            "data.csv",
            b'a,b\n"unterminated,1\n',
            wb.InputFileError,
            "Could not read 'data.csv' as CSV",
        ),
    ],
)
def test_bad_files(tmp_path: Path, name: str, content: bytes, error: type, fragment: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=fragment.replace("(", r"\(").replace(".", r"\.")):
        wb.Workbench.from_predictions(path, label="label", prediction="pred", path=":memory:")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(wb.InputFileError, match="does not exist"):
        wb.Workbench.from_predictions(
            tmp_path / "nope.csv", label="label", prediction="pred", path=":memory:"
        )


def test_path_that_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "exports.csv"
    folder.mkdir()
    with pytest.raises(wb.InputFileError, match="is a folder, expected a CSV"):
        wb.Workbench.from_predictions(folder, label="label", prediction="pred", path=":memory:")


def test_semicolon_latin1_csv_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "euro.csv"
    frame = good_frame().assign(city=["Zürich", "Malmö"] * 100)
    frame.to_csv(path, sep=";", index=False, encoding="latin-1")
    bench = wb.Workbench.from_predictions(path, label="label", prediction="pred", path=":memory:")
    assert "city" in set(bench.features["feature"])
    assert bench.evaluate({"city": "Zürich"}).slice_size == 100
    bench.close()


def test_store_locked_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    holder = wb.Workbench.from_predictions(
        good_frame(), label="label", prediction="pred", path=path
    )
    script = textwrap.dedent(
        f"""
        import workbench as wb
        try:
            wb.Workbench.open({str(path)!r})
        except wb.StoreLockedError as exc:
            print("LOCKED:", exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    holder.close()
    assert "LOCKED:" in out.stdout, out.stderr
    assert "open in another process" in out.stdout
    assert "Close the other notebook" in out.stdout


def test_store_from_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    wb.Workbench.from_predictions(good_frame(), label="label", prediction="pred", path=path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(
        wb.StoreVersionError, match=r"newer Slice Workbench.*pip install -U slice-workbench"
    ):
        wb.Workbench.open(path)


def test_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (x INTEGER)")
    con.close()
    with pytest.raises(wb.StoreError, match="not a workbench store"):
        wb.Workbench.open(path)


def test_unknown_slice_id(tmp_path: Path) -> None:
    bench = wb.Workbench.from_predictions(
        good_frame(), label="label", prediction="pred", path=":memory:"
    )
    with pytest.raises(wb.SliceNotFoundError, match=r"No slice 'scan9\.s9'"):
        bench.members("scan9.s9")
    with pytest.raises(wb.SliceNotFoundError, match=r"Run bench.scan\(\) first"):
        bench.findings()
    bench.close()


def test_unknown_category_in_evaluate() -> None:
    bench = wb.Workbench.from_predictions(
        good_frame(), label="label", prediction="pred", path=":memory:"
    )
    with pytest.raises(
        wb.ParameterError, match=r"'X' is not a category of feature 'sex'\. Categories: "
    ):
        bench.evaluate({"sex": "X"})
    bench.close()


def test_slice_with_no_rows() -> None:
    frame = good_frame()
    frame["group"] = np.where(frame["sex"] == "F", "a", "b")
    bench = wb.Workbench.from_predictions(frame, label="label", prediction="pred", path=":memory:")
    with pytest.raises(wb.EmptyDataError, match="has no rows"):
        bench.evaluate({"sex": "F", "group": "b"})
    bench.close()


def test_gzipped_upload_bytes_and_truncated_gzip(tmp_path: Path) -> None:
    import gzip

    from workbench._io import read_table

    data = good_frame().to_csv(index=False, sep=";").encode()
    packed = gzip.compress(data)
    assert read_table(packed, name="upload.csv.gz").shape == (200, 4)
    with pytest.raises(wb.InputFileError, match=r"Could not read 'upload\.csv\.gz'"):
        read_table(packed[: len(packed) // 2], name="upload.csv.gz")
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(wb.InputFileError, match=r"cut\.csv"):
        wb.Workbench.from_predictions(truncated, label="label", prediction="pred", path=":memory:")
