"""Columns that restate the outcome are never slice features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    frame = pd.read_parquet(wb.sample_path("adult"))
    frame["error"] = (frame["income"] != frame["pred_v1"]).astype(int)
    frame["correct"] = np.where(frame["error"] == 1, "no", "yes")
    frame["income_text"] = frame["income"].map({">50K": "high", "<=50K": "low"})
    return frame


def test_outcome_columns_are_left_out_with_a_note(adult: pd.DataFrame) -> None:
    with wb.Workbench.from_predictions(
        adult,
        label="income",
        prediction="pred_v1",
        exclude="pred_v2,proba_v2,proba_v1",
        path=":memory:",
    ) as bench:
        notes = " ".join(bench.notes)
        for column in ("error", "correct", "income_text"):
            assert f"column {column!r} left out of the search" in notes
        findings = bench.scan(k=10, max_predicates=2)
        used = {p.feature for s in findings for p in s.predicates}
        assert not used & {"error", "correct", "income_text", "income", "pred_v1"}
        rows = findings.to_frame()
        assert np.allclose(rows.error_sum / rows.weight_sum, rows.slice_error)


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (["sex", "income"], "The column 'income' is the label"),
        (["sex", "pred_v1"], "The column 'pred_v1' is the prediction"),
        (["sex", "error"], "The column 'error' restates the error"),
        (["income_text"], "The column 'income_text' restates the label"),
    ],
)
def test_asking_for_an_outcome_column_is_refused(
    adult: pd.DataFrame, features: list[str], message: str
) -> None:
    with pytest.raises(wb.ParameterError, match=message):
        wb.Workbench.from_predictions(
            adult, label="income", prediction="pred_v1", features=features, path=":memory:"
        )


@pytest.mark.parametrize("seed", range(10))
def test_a_categorical_column_counts_from_its_own_codes_as_the_general_path(seed: int) -> None:
    from workbench.features._leakage import (
        _codes,
        _combine,
        _dictionary_joint_tables,
        _joint_tables,
    )

    rng = np.random.default_rng(seed)
    n = 2_000
    words = [f"v{i}" for i in range(int(rng.integers(1, 12)))]
    values = pd.Series(rng.choice([*words, None], n), dtype=object)
    unused = ["never"] if seed % 2 else []
    column = pd.Series(pd.Categorical(values, categories=[*unused, *rng.permutation(words)]))
    targets = [
        pd.Series(rng.integers(0, 2, n)),
        pd.Series(rng.choice(list("abc"), n)),
        pd.Series(rng.random(n)),  # too many values: no table
    ]
    combined = _combine([_codes(t) for t in targets])
    fast = _dictionary_joint_tables(column, combined)
    assert fast is not None
    (_, k), tables = fast
    general = _codes(column)
    assert general is not None and k == general[1]
    want = _joint_tables(general, combined)
    assert want is not None and tables is not None
    for got_table, want_table in zip(tables, want, strict=True):
        if want_table is None:
            assert got_table is None
        else:
            np.testing.assert_array_equal(got_table, want_table)
