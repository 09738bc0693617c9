"""fit_spark counts in Spark (local[2]) and finds exactly what the numpy search finds."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from workbench.exceptions import ColumnNotFoundError, DataError
from workbench.search import SliceSearch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from planted import make_planted

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    sql = pytest.importorskip("pyspark.sql")
    session = (
        sql.SparkSession.builder.master("local[2]")
        .appName("workbench-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.default.parallelism", "3")  # three partitions: the split crosses them
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _same_findings(spark_search: SliceSearch, numpy_search: SliceSearch, rtol: float) -> None:
    got, want = spark_search.findings_, numpy_search.findings_
    assert [s.description for s in got] == [s.description for s in want]
    assert got.n_rows == want.n_rows and got.n_evaluated == want.n_evaluated
    for a, b in zip(got, want, strict=True):
        assert (a.slice_size, a.stats_size, a.significant) == (
            b.slice_size,
            b.stats_size,
            b.significant,
        )
        for name in ("score", "slice_error", "rest_error", "error_ci_low", "p_value"):
            np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, atol=1e-300)
        np.testing.assert_allclose(a.p_value_adjusted, b.p_value_adjusted, rtol=rtol)
    np.testing.assert_allclose(got.overall_error, want.overall_error, rtol=rtol)
    assert list(got.notes) == list(want.notes)


@pytest.mark.parametrize("confirm", [False, True])
def test_planted_data_same_findings_as_numpy(spark, confirm):
    data = make_planted(30_000, 6, seed=5)
    frame = pd.DataFrame(data.codes.astype(np.int64), columns=data.feature_names)
    frame["error"] = data.errors
    df = spark.createDataFrame(frame)
    assert df.rdd.getNumPartitions() == 3
    params = {"k": 8, "confirm": confirm, "min_support": 0.01}
    on_spark = SliceSearch(**params).fit_spark(df, features=data.feature_names, error="error")
    rows = df.toArrow().to_pandas()  # the DataFrame's row order, which the split follows
    in_memory = SliceSearch(**params).fit(rows[data.feature_names], rows["error"].to_numpy())
    _same_findings(on_spark, in_memory, rtol=1e-12)  # 0/1 errors: every sum is exact
    found = {frozenset(p.describe() for p in s.predicates) for s in on_spark.findings_}
    assert any(frozenset(f"f{f} = {c}" for f, c in planted) in found for planted in data.planted)
    # the profile, levels 2 and 3, and the statistics: each one Spark job; the
    # distinct groups' overlaps one more per length of the merged pairs (2 to 6) and
    # part counted, and with a split the held-out sizes one per slice length (1 to 3)
    parts = 2 if confirm else 1
    assert on_spark.spark_jobs_ <= 6 + 5 * parts + 3 * (parts - 1)


def test_weighted_strings_and_missing_values_same_as_numpy(spark):
    rng = np.random.default_rng(11)
    n = 6_000
    colour = rng.choice(["red", "green", "blue", None], n, p=[0.4, 0.3, 0.2, 0.1])
    size = rng.choice([1.5, 2.5, np.nan], n)
    flag = rng.random(n) < 0.5
    words = rng.integers(1, 20, n).astype(float)
    bad = (colour == "red") & flag
    word_errors = rng.binomial(words.astype(int), np.where(bad, 0.4, 0.1)).astype(float)
    frame = pd.DataFrame(
        {"colour": colour, "size": size, "flag": flag, "errors": word_errors, "words": words}
    )
    functions = pytest.importorskip("pyspark.sql.functions")
    size_column = functions.col("size")
    df = spark.createDataFrame(frame).withColumn(  # NaN and NULL: both the missing category
        "size",
        functions.when(size_column.isNull() & functions.col("flag"), float("nan")).otherwise(
            size_column
        ),
    )
    features = ["colour", "size", "flag"]
    on_spark = SliceSearch(k=5).fit_spark(df, features=features, error="errors", weight="words")
    rows = df.toArrow().to_pandas()
    in_memory = SliceSearch(k=5).fit(
        rows[features], rows["errors"].to_numpy(), rows["words"].to_numpy()
    )
    import pyarrow.compute as pc

    assert pc.any(pc.is_nan(df.toArrow().column("size"))).as_py()  # a real NaN, not a NULL
    _same_findings(on_spark, in_memory, rtol=1e-9)  # float sums added in another order
    assert on_spark.findings_[0].predicates[0].value == "red"


def test_bad_input_is_refused_with_a_clear_message(spark):
    frame = pd.DataFrame({"a": ["x", "y"] * 50, "error": [0.0, -1.0] * 50})
    df = spark.createDataFrame(frame)
    with pytest.raises(DataError, match="errors must be finite numbers >= 0"):
        SliceSearch().fit_spark(df, features=["a"], error="error")
    with pytest.raises(ColumnNotFoundError):
        SliceSearch().fit_spark(df, features=["b"], error="error")
    with pytest.raises(DataError, match="needs a Spark DataFrame"):
        SliceSearch().fit_spark(frame, features=["a"], error="error")


def test_workbench_scan_on_spark_same_as_numpy(spark, tmp_path):
    import workbench as wb

    rng = np.random.default_rng(4)
    n = 5000
    frame = pd.DataFrame(
        {"colour": rng.choice(["red", "green", "blue"], n), "age": rng.integers(18, 80, n)}
    )
    frame["label"] = rng.integers(0, 2, n)
    wrong = rng.random(n) < np.where(frame["colour"] == "red", 0.4, 0.1)
    frame["pred"] = np.where(wrong, 1 - frame["label"], frame["label"])
    with wb.Workbench.from_predictions(
        frame, label="label", prediction="pred", path=tmp_path / "s.duckdb"
    ) as bench:
        in_memory = bench.scan()
        on_spark = bench.scan(engine="spark", spark=spark)
    assert on_spark.parameters["engine"] == "spark"
    assert any(n.startswith("Counted with spark") for n in on_spark.notes)
    assert [(s.predicates, s.slice_size, s.p_value) for s in on_spark] == [
        (s.predicates, s.slice_size, s.p_value) for s in in_memory
    ]
    # Spark read the rows itself from a parquet copy next to the store (written once).
    exported = list((tmp_path / "s.duckdb.spark").glob("*.parquet"))
    assert len(exported) == 1
    stamp = exported[0].stat().st_mtime_ns
    with wb.Workbench.open(tmp_path / "s.duckdb") as bench:
        again = bench.scan(engine="spark", spark=spark, k=3)
    assert exported[0].stat().st_mtime_ns == stamp
    assert [s.predicates for s in again] == [s.predicates for s in in_memory][:3]
