"""Loading is all-or-nothing and faithful: interrupted loads leave the store as it was,
the same command then works with one copy, and the store holds what went in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench._ingest import row_checksums


def _frame(n: int = 4000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east"], n),
            "zip": rng.choice(["02134", "10001", "94110"], n),
            "age": rng.integers(18, 80, n),
            "label": rng.choice(["NA", "EU", "AS"], n),  # 'NA' is a class here
            "pred": rng.choice(["NA", "EU", "AS"], n),
        }
    )


def _contents(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        count = {
            t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
            for t in ("datasets", "evaluations", "features")
            if t in tables
        }
        count["data_tables"] = sum(t.startswith(("data_", "codes_")) for t in tables)
        count["eval_tables"] = sum(t.startswith("eval_") for t in tables)
        return count
    finally:
        con.close()


PAUSED_LOAD = """
import sys, time
from pathlib import Path
import workbench._ingest as ingest
from workbench.cli import main

original = ingest.save_encoded

def paused(*args, **kwargs):
    original(*args, **kwargs)
    Path(sys.argv[1]).write_text("encoded")  # the dataset and its features are written...
    time.sleep(120)  # ...but the load's transaction is not committed yet

ingest.save_encoded = paused
sys.exit(main(sys.argv[2:]))
"""


def _scan_command(data: Path, db: Path) -> list[str]:
    return ["scan", str(data), "--label", "label", "--prediction", "pred", "--db", str(db)]


def _run_scan(data: Path, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *_scan_command(data, db), "--max-predicates", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("how", "suffix"), [("kill -9", ".csv"), ("Ctrl-C", ".csv"), ("kill -9", ".parquet")]
)
def test_interrupted_load_leaves_the_store_as_it_was(tmp_path: Path, how: str, suffix: str) -> None:
    db, marker = tmp_path / "store.duckdb", tmp_path / "marker"
    data = _write(_frame(), tmp_path / f"data{suffix}")
    first = _run_scan(data, db)  # an earlier, complete load into the same store
    assert first.returncode == 0, first.stderr
    before = _contents(db)
    other = _write(_frame(seed=4), tmp_path / f"other{suffix}")
    script = tmp_path / "paused.py"
    script.write_text(PAUSED_LOAD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(marker), *_scan_command(other, db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, child.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.1)
        child.send_signal(signal.SIGKILL if how == "kill -9" else signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if how == "Ctrl-C":
        assert child.returncode == 130 and "Traceback" not in err, err
    else:
        assert child.returncode == -signal.SIGKILL
    assert _contents(db) == before  # nothing of the interrupted load remains
    again = _run_scan(other, db)  # the same command then works...
    assert again.returncode == 0, again.stderr
    after = _contents(db)
    assert after["datasets"] == before["datasets"] + 1  # ...with exactly one copy
    assert after["evaluations"] == before["evaluations"] + 1
    assert after["eval_tables"] == after["evaluations"]


def test_failed_load_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench._ingest as ingest

    db = tmp_path / "store.duckdb"
    wb.Workbench.from_predictions(_frame(), label="label", prediction="pred", path=db).close()
    before = _contents(db)

    def broken(*args: object, **kwargs: object) -> None:
        raise wb.DataError("the disk is full (simulated)")

    monkeypatch.setattr(ingest, "save_encoded", broken)
    with pytest.raises(wb.DataError, match="simulated"):
        wb.Workbench.from_predictions(_frame(seed=9), label="label", prediction="pred", path=db)
    assert _contents(db) == before


def test_repeated_runs_keep_one_evaluation(tmp_path: Path) -> None:
    data, db = tmp_path / "data.csv", tmp_path / "store.duckdb"
    _frame().to_csv(data, index=False)
    ids = set()
    for _ in range(3):
        with wb.Workbench.from_predictions(data, label="label", prediction="pred", path=db) as b:
            ids.add(b.eval_id)
    assert len(ids) == 1
    counts = _contents(db)
    assert counts["datasets"] == 1 and counts["evaluations"] == 1 and counts["eval_tables"] == 1
    changed = _frame().assign(pred="EU")
    with wb.Workbench.from_predictions(changed, label="label", prediction="pred", path=db) as b:
        assert b.eval_id not in ids  # other predictions: a new evaluation


def test_the_store_holds_what_went_in(tmp_path: Path) -> None:
    frame = _frame()
    frame.loc[::97, "pred"] = "N/A"
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    db = tmp_path / "store.duckdb"
    with wb.Workbench.from_predictions(path, label="label", prediction="pred", path=db) as bench:
        eval_id = bench.eval_id
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute(
        f"SELECT label, prediction, checksum FROM eval_{eval_id} ORDER BY __wb_row_id"
    ).df()
    data = con.execute("SELECT zip FROM data_1 ORDER BY __wb_row_id").df()
    con.close()
    assert stored["label"].tolist() == frame["label"].tolist()
    assert stored["prediction"].tolist() == frame["pred"].tolist()
    expected = row_checksums(frame["label"], frame["pred"])
    assert np.array_equal(stored["checksum"].to_numpy(dtype=np.uint64), expected)
    assert np.array_equal(
        row_checksums(stored["label"], stored["prediction"]), expected
    )  # recomputed from what the store holds
    assert data["zip"].tolist() == frame["zip"].tolist()  # leading zeros kept


def test_exclude_is_honoured_with_features() -> None:
    with wb.Workbench.from_predictions(
        _frame(),
        label="label",
        prediction="pred",
        features=["region", "zip", "age"],
        exclude=["zip"],
        path=":memory:",
    ) as bench:
        assert set(bench.features["feature"]) == {"region", "age"}


@pytest.mark.parametrize("name", ["__wb_error", "__wb_weight", "__WB_row_id", "__wb_label"])
def test_reserved_column_names_are_refused(name: str) -> None:
    with pytest.raises(wb.DataError, match=f"'{name}' starts with '__wb_'"):
        wb.Workbench.from_predictions(
            _frame().assign(**{name: 1.0}), label="label", prediction="pred", path=":memory:"
        )


def test_data_columns_named_like_internal_ones_stay_data() -> None:
    frame = _frame().assign(row_id=np.arange(4000)[::-1], _error=-1.0, _label="mine")
    with wb.Workbench.from_predictions(
        frame, label="label", prediction="pred", path=":memory:"
    ) as bench:
        members = bench.members({"region": "north"})
    assert members["row_id"].tolist() == frame.loc[frame.region == "north", "row_id"].tolist()
    assert (members["_error"] == -1.0).all() and (members["_label"] == "mine").all()
    assert members.index.name == "_row_id"
    assert set(members["__error"]) <= {0.0, 1.0}
    assert members["__label"].tolist() == frame.loc[frame.region == "north", "label"].tolist()


EURO = "region;score;label;pred;zip\n" + "".join(
    f"{r};{s};{lab};{p};0{z}\n"
    for r, s, lab, p, z in [
        ("K\u00f6ln", "0,25", "1", "0", "1067"),
        ("M\u00fcnchen", "1.234,5", "0", "0", "8031"),
        ("Z\u00fcrich", "12", "1", "1", "8001"),
    ]
    * 40
)


@pytest.mark.parametrize(
    "options",
    [{}, {"delimiter": ";", "decimal": ",", "thousands": ".", "encoding": "latin-1"}],
    ids=["detected", "explicit"],
)
def test_european_file_through_the_api(tmp_path: Path, options: dict[str, str]) -> None:
    path = tmp_path / "euro.csv"
    path.write_bytes(EURO.encode("latin-1"))
    with wb.Workbench.from_predictions(
        path, label="label", prediction="pred", path=":memory:", **options
    ) as bench:
        assert bench.n_rows == 120
        rows = bench.members({"region": "K\u00f6ln"})
    assert len(rows) == 40
    assert set(rows["score"]) == {0.25} and set(rows["zip"]) == {"01067"}


def test_cli_csv_options(tmp_path: Path) -> None:
    path = tmp_path / "euro.csv"
    path.write_bytes(EURO.encode("latin-1"))
    db = tmp_path / "s.duckdb"
    command = [sys.executable, "-m", "workbench", *_scan_command(path, db), "--json"]
    command += ["--delimiter", ";", "--decimal", ",", "--encoding", "latin-1", "--na-values", "x"]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, env={**os.environ}
    )
    assert result.returncode == 0, result.stderr
    bad = subprocess.run(
        [*command[:-8], "--decimal", ";"], capture_output=True, text=True, timeout=120, check=False
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_checksum_detects_changed_rows() -> None:
    a = row_checksums(pd.Series(["x", None, "NA"]), pd.Series([1, 2, 3]))
    b = row_checksums(pd.Series(["x", "NA", None]), pd.Series([1, 2, 3]))
    assert a[0] == b[0] and a[1] != b[1] and a[2] != b[2]


def test_snippet_of_paused_load_is_valid() -> None:
    compile(textwrap.dedent(PAUSED_LOAD), "paused.py", "exec")


def _stored(db: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
            for name in ("datasets", "features", "feature_values", "codes_1", "eval_1")
        } | {"data_1": con.execute("SELECT * FROM data_1 ORDER BY __wb_row_id").df()}
    finally:
        con.close()


@pytest.mark.parametrize("missing", ["error", "drop"])
def test_a_parquet_file_streamed_in_stores_what_its_frame_does(
    tmp_path: Path, missing: str
) -> None:
    """A parquet file is read column by column and written in record batches; the store
    then holds the same fingerprint, codes, labels, predicates and evaluation as a load
    of the whole file as one frame."""
    from workbench._io import read_table

    rng = np.random.default_rng(5)
    frame = _frame(3000).assign(
        income=rng.lognormal(10, 1, 3000).round(2),
        score=rng.random(3000),
        tier=pd.Categorical(rng.choice(["gold", "silver", None], 3000)),
        pred=lambda f: f["pred"].where(rng.random(3000) > 0.02) if missing == "drop" else f["pred"],
    )
    frame.loc[::50, "income"] = np.nan
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, index=False)
    stores = {}
    for kind, data in (("file", path), ("frame", read_table(path))):
        stores[kind] = tmp_path / f"{kind}.duckdb"
        wb.Workbench.from_predictions(
            data, label="label", prediction="pred", score="score", missing=missing,
            path=stores[kind], name="data",
        ).close()  # fmt: skip
    streamed, whole = _stored(stores["file"]), _stored(stores["frame"])
    for name in ("features", "feature_values", "codes_1", "eval_1"):
        pd.testing.assert_frame_equal(streamed[name], whole[name], check_dtype=False, obj=name)
    for key in ("fingerprint", "n_rows", "columns"):
        assert streamed["datasets"][key].tolist() == whole["datasets"][key].tolist(), key
    kept = frame.dropna(subset=["pred"]).reset_index(drop=True)
    assert streamed["data_1"]["__wb_row_id"].tolist() == list(range(len(kept)))
    for column in ("zip", "income", "label", "pred", "tier"):
        assert _values(streamed["data_1"][column]) == _values(kept[column]), column


def _values(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in series.astype(object)]


def test_fingerprint_streams_the_columns_as_pandas_hashes_the_frame() -> None:
    import hashlib

    from workbench._ingest import fingerprint_frame

    frame = _frame(500).assign(x=np.linspace(0, 1, 500), flag=True)
    digest = hashlib.sha256()
    for column in frame.columns:
        digest.update(f"{column}\x00{frame[column].dtype}\x00".encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    assert fingerprint_frame(frame) == digest.hexdigest()[:16]


@pytest.mark.parametrize(
    ("label", "prediction"),
    [
        (pd.Series([1, 2, 3] * 40), pd.Series([1, 1, 2] * 40)),
        (pd.Series(["a", "b", None] * 40), pd.Series([1.0, 2.5, np.nan] * 40)),
        (pd.Series(pd.Categorical(["x", "y"] * 60)), pd.Series([True, False, False] * 40)),
        (pd.Series([1, None, 2] * 40, dtype="Int64"), pd.Series(["NA", "x"] * 60, dtype="string")),
        (pd.Series([0.0, -0.0, 1.0] * 40), pd.Series([0, 1, 2] * 40)),  # -0.0 reads as '-0.0'
        (pd.Series([1, 1.0, "1"] * 40, dtype=object), pd.Series([0, 1, 2] * 40)),
    ],
)
def test_checksums_of_distinct_pairs_equal_those_of_every_row(
    label: pd.Series, prediction: pd.Series
) -> None:
    from workbench._ingest import _text_checksums

    assert np.array_equal(row_checksums(label, prediction), _text_checksums(label, prediction))
