"""The stored codes stream in row order with bounded memory (positional join)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import workbench as wb


def test_codes_and_errors_stream_in_row_order_by_position(tmp_path, rng) -> None:
    n = 3000
    df = pd.DataFrame({"a": rng.choice(list("xyz"), n), "label": rng.integers(0, 2, n)})
    df["pred"] = np.where(rng.random(n) < 0.8, df["label"], 1 - df["label"])
    path = tmp_path / "s.duckdb"
    with wb.Workbench.from_predictions(df, label="label", prediction="pred", path=path) as bench:
        store, queries = bench._store, bench._queries
        sql = store.codes_and_errors_sql(queries.dataset_id, queries.eval_id, ["a"])
        assert "POSITIONAL JOIN" in sql
        streamed = store.con.sql(sql).fetchnumpy()
        np.testing.assert_array_equal(
            streamed["a"], store.load_codes(queries.dataset_id, ["a"])[:, 0]
        )
        np.testing.assert_array_equal(streamed["error"], store.load_errors(queries.eval_id)[0])
        # Rows out of order (a table rewritten by hand): the sorted join, same rows.
        table = f"eval_{queries.eval_id}"
        store.con.execute(f"CREATE TABLE shuffled AS SELECT * FROM {table} ORDER BY random()")
        store.con.execute(f"DROP TABLE {table}")
        store.con.execute(f"ALTER TABLE shuffled RENAME TO {table}")
        sql = store.codes_and_errors_sql(queries.dataset_id, queries.eval_id, ["a"])
        assert "POSITIONAL JOIN" not in sql
        again = store.con.sql(sql).fetchnumpy()
        np.testing.assert_array_equal(again["error"], streamed["error"])
        # The errors read in row order too (sorted by row id); no weights when not asked.
        error, weight = store.load_errors(queries.eval_id, weights=False)
        np.testing.assert_array_equal(error, streamed["error"])
        assert weight is None
        # The codes come as one contiguous column per feature; a row mask puts its rows
        # first, the others after, each in row order.
        codes = store.load_codes(queries.dataset_id, ["a"])
        assert codes.flags.f_contiguous
        front = rng.random(n) < 0.4
        np.testing.assert_array_equal(
            store.load_codes(queries.dataset_id, ["a"], front=front)[:, 0],
            np.concatenate([codes[front, 0], codes[~front, 0]]),
        )
