"""Large tables are written in whole row groups, in row order, and the memory of a large
load is handed back without losing anything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import workbench as wb
from workbench.store import Store, _store


def test_a_stream_is_written_in_whole_chunks_in_order(tmp_path, monkeypatch, rng) -> None:
    # Batches of uneven sizes, each dictionary column with a dictionary of its own per
    # batch: re-cut into chunks of exactly _CHUNK_ROWS rows, every value and the row order
    # kept.
    monkeypatch.setattr(_store, "_CHUNK_ROWS", 1_000)
    words = np.array(["alpha", "beta", "gamma", "delta", None], dtype=object)
    sizes = [700, 1_300, 1, 2_999, 0, 1_000]
    schema = pa.schema([("w", pa.dictionary(pa.int8(), pa.string())), ("x", pa.float64())])
    batches, frames = [], []
    for size in sizes:
        values = rng.choice(words[rng.permutation(5)[:3]], size)
        x = rng.random(size)
        frames.append(pd.DataFrame({"w": values, "x": x}))
        w = pa.array(values, type=pa.string()).dictionary_encode()
        batches.append(pa.RecordBatch.from_arrays([w, pa.array(x)], schema=schema))
    chunks = list(_store._whole_row_groups(pa.RecordBatchReader.from_batches(schema, batches)))
    assert [c.num_rows for c in chunks] == [1_000] * 6
    assert all(c.column("w").num_chunks == 1 for c in chunks)
    with Store(tmp_path / "s.duckdb") as store:
        store.con.begin()
        store._create_table("t", pa.RecordBatchReader.from_batches(schema, batches), row_ids=True)
        store.con.commit()
        got = store.con.execute("SELECT * FROM t").df()
    want = pd.concat(frames, ignore_index=True)
    assert got["__wb_row_id"].tolist() == list(range(len(want)))  # stored in row order

    def text(values: pd.Series) -> list:
        return values.astype(object).where(values.notna(), None).tolist()

    assert text(got["w"]) == text(want["w"])
    np.testing.assert_array_equal(got["x"].to_numpy(), want["x"].to_numpy())


def test_an_empty_stream_still_makes_the_table(tmp_path) -> None:
    schema = pa.schema([("w", pa.string())])
    with Store(tmp_path / "s.duckdb") as store:
        store._create_table("t", pa.RecordBatchReader.from_batches(schema, []), row_ids=True)
        assert store.con.execute("SELECT count(*) FROM t").fetchall() == [(0,)]
        assert [r[0] for r in store.con.execute("DESCRIBE t").fetchall()] == ["__wb_row_id", "w"]


@pytest.mark.parametrize("on_disk", [True, False])
def test_a_large_load_hands_back_its_memory_and_stays_usable(
    tmp_path, monkeypatch, rng, on_disk: bool
) -> None:
    import workbench._ingest as ingest

    monkeypatch.setattr(ingest, "_RELEASE_ROWS", 100)  # any load counts as large here
    n = 3_000
    df = pd.DataFrame({"a": rng.choice(list("xyz"), n), "label": rng.integers(0, 2, n)})
    df["pred"] = np.where((df["a"] == "x") | (rng.random(n) < 0.2), 1 - df["label"], df["label"])
    data = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pandas(df), data)
    path = tmp_path / "s.duckdb" if on_disk else ":memory:"
    bench = wb.Workbench.from_predictions(data, label="label", prediction="pred", path=path)
    try:
        findings = bench.scan()
        bench.flag(findings[0], note="after the reopen")
        assert [s.flag_note for s in bench.flagged()] == ["after the reopen"]
    finally:
        bench.close()
    if on_disk:
        with wb.Workbench.open(path) as again:
            assert [s.flag_note for s in again.flagged()] == ["after the reopen"]


@pytest.mark.parametrize("kind", ["arrow table", "arrow stream", "pandas"])
def test_a_written_table_is_let_go_before_the_commit(tmp_path, kind) -> None:
    # Inside the load's transaction nothing may keep what was written: a registered view
    # dropped there keeps its object (a whole file's batches, for the data table) until
    # the commit.
    import gc
    import weakref

    values = np.arange(50_000, dtype=np.int64)
    alive = weakref.ref(values)
    if kind == "pandas":
        rows: object = pd.DataFrame({"x": values}, copy=False)
    else:
        table = pa.table({"x": values})
        rows = table if kind == "arrow table" else table.to_reader(max_chunksize=7_000)
        del table
    del values
    with Store(tmp_path / "s.duckdb") as store:
        store.con.begin()
        store._create_table("t", rows, row_ids=True)
        del rows
        gc.collect()
        assert alive() is None
        store.con.commit()
        assert store.con.execute("SELECT count(*), sum(x) FROM t").fetchone() == (
            50_000,
            sum(range(50_000)),
        )
