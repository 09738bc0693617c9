"""Input formats, labels, missing values and the fitted attributes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from workbench.findings import Findings
from workbench.search import SliceSearch


@pytest.fixture
def frame(rng) -> tuple[pd.DataFrame, np.ndarray]:
    n = 600
    df = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], n), categories=["S", "M", "L"]),
            "count": rng.integers(0, 4, n),
        }
    )
    df.loc[df.index % 7 == 0, "colour"] = None
    bad = (df.colour.isna()) & (df["count"] == 2)
    errors = (rng.random(n) < np.where(bad, 0.9, 0.1)).astype(float)
    return df, errors


def _descriptions(search: SliceSearch) -> list[str]:
    return [s.description for s in search.findings_]


def test_pandas_polars_and_arrow_give_the_same_findings(frame):
    df, errors = frame
    by_pandas = SliceSearch(k=5).fit(df, errors)
    by_polars = SliceSearch(k=5).fit(pl.from_pandas(df), errors)
    by_arrow = SliceSearch(k=5).fit(pa.Table.from_pandas(df, preserve_index=False), errors)
    assert _descriptions(by_pandas) == _descriptions(by_polars) == _descriptions(by_arrow)
    best = by_pandas.findings_[0]
    # a missing value is the category "missing", as in the stored features
    assert best.conditions == {"colour": "missing", "count": 2}
    assert best.predicates[0].to_sql() == '"colour" IS NULL'


def test_fitted_attributes_and_findings(frame):
    df, errors = frame
    calls = []
    search = SliceSearch(k=3).fit(df, errors, progress=lambda *a: calls.append(a))
    assert isinstance(search.findings_, Findings)
    assert search.findings_.n_rows == len(df)
    assert search.n_evaluated_ == search.findings_.n_evaluated > 0
    assert search.discovery_mask_ is None  # 600 rows < 2,000: in-sample
    assert search.overall_error_ == pytest.approx(errors.mean())
    assert {"profile", "search", "statistics", "total"} <= set(search.timings_)
    assert calls[-1][0] == calls[-1][1] and all(isinstance(c[2], str) for c in calls)
    scores = [s.score for s in search.findings_]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 3
    assert search.findings_.to_frame().shape[0] == len(search.findings_)
    assert len({s.slice_id for s in search.findings_}) == len(search.findings_)


def test_interval_categories_become_sql_ranges(rng):
    ages = rng.uniform(0, 100, 400)
    df = pd.DataFrame({"age": pd.cut(ages, [0, 30, 60, 100])})
    errors = (ages > 60).astype(float)
    best = SliceSearch(k=1, min_support=5).fit(df, errors).findings_[0]
    assert best.predicates[0].interval
    assert best.description == "age in (60, 100]"
    assert best.sql_where == '("age" > 60 AND "age" <= 100 AND NOT isnan("age"))'


def test_all_zero_errors_give_no_slice_and_a_note():
    df = pd.DataFrame({"a": ["x", "y"] * 10})
    search = SliceSearch().fit(df, np.zeros(20))
    assert len(search.findings_) == 0
    assert any("no slice can score above 0" in note for note in search.findings_.notes)


def test_unit_weights_equal_no_weights(frame):
    df, errors = frame
    a = SliceSearch(k=4).fit(df, errors).findings_.to_frame()
    b = SliceSearch(k=4).fit(df, errors, np.ones(len(errors))).findings_.to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_same_seed_same_split_other_seed_other_split(rng):
    n = 5000
    df = pd.DataFrame({"a": rng.integers(0, 3, n), "b": rng.integers(0, 4, n)})
    errors = (rng.random(n) < 0.2).astype(float)
    first = SliceSearch(random_state=3).fit(df, errors).discovery_mask_
    again = SliceSearch(random_state=3).fit(df, errors).discovery_mask_
    other = SliceSearch(random_state=4).fit(df, errors).discovery_mask_
    assert first is not None and again is not None and other is not None
    assert (first == again).all() and not (first == other).all()
