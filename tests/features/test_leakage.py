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


def test_an_unnamed_score_of_the_prediction_is_left_out_and_refused(adult: pd.DataFrame) -> None:
    # proba_v1 is the probability pred_v1 thresholds at 0.5; nobody said it is the score.
    with wb.Workbench.from_predictions(
        adult, label="income", prediction="pred_v1", exclude="error", path=":memory:"
    ) as bench:
        notes = " ".join(bench.notes)
        assert "column 'proba_v1' left out of the search: it is a score for the prediction" in notes
        # another model's probability and strong ordinary features stay
        for kept in ("proba_v2", "age", "capital_gain", "hours_per_week"):
            assert f"column {kept!r} left out" not in notes
        findings = bench.scan(k=10, max_predicates=2)
        assert "proba_v1" not in {p.feature for s in findings for p in s.predicates}
    with pytest.raises(wb.ParameterError, match="'proba_v1' is a score for the prediction"):
        wb.Workbench.from_predictions(
            adult, label="income", prediction="pred_v1", features=["proba_v1"], path=":memory:"
        )


def test_a_score_is_found_by_its_cut_on_a_subset_of_many_rows() -> None:
    from workbench.features._leakage import leaky_columns

    rng = np.random.default_rng(3)
    n = 450_000  # more than the rows the cut is searched on
    score = rng.random(n)
    flipped = rng.random(n) < 0.001  # a few predictions against the score
    prediction = pd.Series(np.where((score >= 0.3) ^ flipped, "yes", "no"))
    noisy = score + rng.normal(0, 0.2, n)  # related, but no cut restates the prediction
    # A model's prediction may be a cut of an input (a stump): only a probability is
    # its score. The label cut from a number restates it whatever the number's range.
    frame = pd.DataFrame({"score": score, "noisy": noisy, "input": score * 10 + 1})
    columns = ["score", "noisy", "input"]
    found = leaky_columns(frame, columns, {"prediction": prediction})
    assert set(found) == {"score"}
    assert "is a score for the prediction (one cut at 0.3 " in found["score"]
    found = leaky_columns(frame, columns, {"label": prediction})
    assert set(found) == {"score", "input"}
    assert "is a score for the label (one cut at 4 " in found["input"]


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
