"""Binning numbers into readable intervals, categories, missing values, caps and skipped columns."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from workbench.features._binning import encode_categories, encode_features
from workbench.findings import predicates_mask, where_clause


def test_quantile_bins_are_readable_and_cover_every_row(rng: np.random.Generator) -> None:
    frame = pd.DataFrame({"age": rng.integers(17, 91, 5000)})
    codes, enc = encode_features(frame, ["age"])
    feature = enc.get("age")
    assert feature.labels[0].startswith("< ") and feature.labels[-1].startswith(">= ")
    assert all(label.startswith("[") for label in feature.labels[1:-1])
    counts = np.bincount(codes["age"], minlength=feature.cardinality)
    assert counts.sum() == 5000 and (counts > 0).all()
    # roughly equal bins
    assert counts.max() / counts.min() < 2


def test_each_code_predicate_selects_exactly_its_rows(rng: np.random.Generator) -> None:
    n = 3000
    frame = pd.DataFrame(
        {
            "income": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(10, 1, n)),
            "gain": np.where(rng.random(n) < 0.8, 0, rng.integers(1, 10000, n)),
            "city": rng.choice([f"city{i}" for i in range(40)], n),
            "flag": rng.random(n) < 0.3,
            "name": [f"o'brien {i}" if i % 2 else f"x{i % 7}" for i in range(n)],
        }
    )
    frame.loc[5, "city"] = None
    codes, enc = encode_features(frame, list(frame.columns), max_categories=10)
    con = duckdb.connect()
    con.register("data", frame)
    for feature in enc.features:
        for code, predicate in enumerate(feature.predicates):
            expected = codes[feature.name] == code
            where, params = where_clause([predicate])
            got = con.execute(f"SELECT count(*) FROM data WHERE {where}", params).fetchall()[0][0]
            assert got == int(expected.sum()), (feature.name, feature.labels[code], where)
            # the in-memory evaluation of the same predicate selects the same rows
            assert (predicates_mask([predicate], frame) == expected).all(), predicate
    assert "missing" in enc.get("income").labels
    assert "other" in enc.get("city").labels and "missing" in enc.get("city").labels
    # the heavy zero of 'gain' gets a bin of its own
    assert enc.get("gain").labels[0] == "< 1"
    assert enc.get("flag").kind == "boolean"


@pytest.mark.parametrize(
    ("name", "column", "reason"),
    [
        ("user", pd.Series([f"u{i}" for i in range(100)]), "ID-like"),
        ("row_id", pd.Series(np.arange(100)), "ID-like"),
        ("serial", pd.Series(np.arange(5000) * 7), "ID-like"),
        ("col", pd.Series(["same"] * 100), "constant"),
        ("col", pd.Series([None] * 100, dtype=object), "missing"),
        ("col", pd.Series(pd.date_range("2024-01-01", periods=100)), "date/time"),
        ("col", pd.Series([b"\x89PNG"] * 50 + [b"x"] * 50), "extractor"),
    ],
)
def test_skipped_columns_say_why(name: str, column: pd.Series, reason: str) -> None:
    frame = pd.DataFrame({name: column})
    _codes, enc = encode_features(frame, [name])
    assert not enc.features
    assert reason in enc.skipped[0][1]


def test_distinct_measurements_are_binned_not_skipped(rng: np.random.Generator) -> None:
    frame = pd.DataFrame({"x": rng.normal(size=200), "age": rng.permutation(200) + 18})
    _, enc = encode_features(frame, ["x", "age"])
    assert enc.get("x").kind == "numeric"
    assert enc.get("age").kind == "numeric"


def test_many_categories_are_capped(rng: np.random.Generator) -> None:
    frame = pd.DataFrame({"s": [f"v{i}" for i in rng.integers(0, 100_000, 20_000)]})
    _codes, enc = encode_features(frame, ["s"], max_categories=20)
    assert enc.get("s").cardinality == 21
    assert "capped" in enc.get("s").note


@pytest.mark.parametrize("seed", range(25))
def test_a_categorical_column_is_encoded_from_its_own_codes_as_from_its_values(seed: int) -> None:
    # The categorical path reads the column's codes and counts; its codes, labels and
    # predicates equal those of the same values given as plain objects (factorised).
    rng = np.random.default_rng(seed)
    n_categories = int(rng.integers(1, 40))
    words = [f"w{i}" for i in range(n_categories)] + ["other", "missing"]
    n_rows = int(rng.integers(1, 3_000))
    weights = rng.dirichlet(np.ones(len(words)) * rng.choice([0.3, 1.0, 50.0]))
    values = pd.Series(rng.choice(words, size=n_rows, p=weights), dtype=object)
    values[rng.random(n_rows) < rng.choice([0.0, 0.05])] = None
    unused = [f"unused{i}" for i in range(int(rng.integers(0, 3)))]
    categories = list(dict.fromkeys([*rng.permutation(words).tolist(), *unused]))
    categorical = pd.Series(pd.Categorical(values, categories=categories))
    cap = int(rng.integers(2, 30))
    got_codes, got = encode_categories("c", categorical, max_categories=cap)
    want_codes, want = encode_categories("c", values, max_categories=cap)
    assert got_codes.tolist() == want_codes.tolist()
    assert got.labels == want.labels and got.note == want.note
    assert [p.to_dict() for p in got.predicates] == [p.to_dict() for p in want.predicates]
    frame = pd.DataFrame({"c": categorical})
    fast, fast_enc = encode_features(frame, ["c"], max_categories=cap)
    slow, slow_enc = encode_features(frame.astype(object), ["c"], max_categories=cap)
    assert fast_enc.skipped == slow_enc.skipped
    assert [f.labels for f in fast_enc.features] == [f.labels for f in slow_enc.features]
    assert {k: v.tolist() for k, v in fast.items()} == {k: v.tolist() for k, v in slow.items()}
