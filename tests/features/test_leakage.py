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
