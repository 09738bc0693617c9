"""The group table equals Fairlearn's MetricFrame.by_group."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.metrics import get_metric
from workbench.search._groups import group_table

fairlearn_metrics = pytest.importorskip("fairlearn.metrics")

RATES = {
    "false_negative_rate": fairlearn_metrics.false_negative_rate,
    "false_positive_rate": fairlearn_metrics.false_positive_rate,
    "selection_rate": fairlearn_metrics.selection_rate,
}


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return pd.read_parquet(wb.sample_path("adult"))


@pytest.mark.parametrize("columns", [["sex"], ["race"], ["sex", "race"]])
def test_rates_by_group_equal_fairlearn(adult: pd.DataFrame, columns: list[str]) -> None:
    label, prediction = adult["income"], adult["pred_v1"]
    measures = {}
    for name in RATES:
        error, weight = get_metric(name, pos_label=">50K").compute(label, prediction)
        measures[name] = (error, weight, True)
    table = group_table(adult[columns], measures).set_index(columns)
    frame = fairlearn_metrics.MetricFrame(
        metrics={name: functools.partial(f, pos_label=">50K") for name, f in RATES.items()},
        y_true=label,
        y_pred=prediction,
        sensitive_features=adult[columns],
    )
    expected = frame.by_group
    assert list(table.index) == list(expected.index)
    for name in RATES:
        np.testing.assert_allclose(table[name], expected[name], rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            table[f"{name}_difference"],
            expected[name] - frame.overall[name],
            rtol=0,
            atol=1e-12,
        )
        assert table.attrs["overall"][name] == pytest.approx(frame.overall[name], abs=1e-12)
    counts = adult.groupby(columns, observed=True).size()
    assert table["count"].tolist() == counts.tolist()


def test_precision_and_per_class_error(adult: pd.DataFrame) -> None:
    from sklearn.metrics import precision_score, recall_score

    label, prediction = adult["income"], adult["pred_v1"]
    fdr = get_metric("false_discovery_rate", pos_label=">50K").compute(label, prediction)
    per_class = get_metric("class_error_rate", pos_label="<=50K").compute(label, prediction)
    table = group_table(
        adult[["sex"]],
        {"false_discovery_rate": (*fdr, True), "class_error_rate": (*per_class, True)},
    ).set_index("sex")
    for sex, rows in adult.groupby("sex"):
        y, p = rows["income"], rows["pred_v1"]
        precision = precision_score(y, p, pos_label=">50K")
        recall = recall_score(y, p, pos_label="<=50K")
        assert table.loc[sex, "false_discovery_rate"] == pytest.approx(1 - precision, abs=1e-12)
        assert table.loc[sex, "class_error_rate"] == pytest.approx(1 - recall, abs=1e-12)
        low = table.loc[sex, "false_discovery_rate_ci_low"]
        high = table.loc[sex, "false_discovery_rate_ci_high"]
        assert low < 1 - precision < high


def test_missing_values_form_their_own_group() -> None:
    groups = pd.DataFrame({"g": ["a", None, "a", None]})
    table = group_table(groups, {"e": (np.array([1.0, 0, 0, 0]), np.ones(4), True)})
    assert table["g"].tolist() == ["a", None]
    assert table["e"].tolist() == [0.5, 0.0]


def test_rates_need_a_positive_class_unless_labels_are_zero_one() -> None:
    error, weight = get_metric("false_negative_rate").compute(
        pd.Series([1, 1, 0]), pd.Series([0, 1, 1])
    )
    assert error.tolist() == [1.0, 0.0, 0.0] and weight.tolist() == [1.0, 1.0, 0.0]
    with pytest.raises(wb.ParameterError, match="Pass pos_label="):
        get_metric("false_negative_rate").compute(pd.Series(["a", "b"]), pd.Series(["a", "a"]))
    with pytest.raises(wb.ParameterError, match="pos_label only applies"):
        get_metric("error_rate", pos_label=1)


def test_workbench_by_group_equals_fairlearn(adult: pd.DataFrame) -> None:
    with wb.Workbench.from_predictions(
        adult,
        label="income",
        prediction="pred_v1",
        exclude="pred_v2,proba_v2,proba_v1",
        path=":memory:",
    ) as bench:
        table = bench.by_group(
            ["sex"], metrics=["false_negative_rate", "false_positive_rate"], pos_label=">50K"
        ).set_index("sex")
    frame = fairlearn_metrics.MetricFrame(
        metrics={
            "false_negative_rate": functools.partial(
                fairlearn_metrics.false_negative_rate, pos_label=">50K"
            ),
            "false_positive_rate": functools.partial(
                fairlearn_metrics.false_positive_rate, pos_label=">50K"
            ),
        },
        y_true=adult["income"],
        y_pred=adult["pred_v1"],
        sensitive_features=adult["sex"],
    )
    expected = frame.by_group
    for name in ("false_negative_rate", "false_positive_rate"):
        got = table[name].reindex(expected.index)
        np.testing.assert_allclose(got, expected[name], rtol=0, atol=1e-12)
        ratio = table[f"{name}_ratio"].reindex(expected.index)
        np.testing.assert_allclose(ratio, expected[name] / frame.overall[name], rtol=1e-12)


def test_a_fairness_rate_is_scanned_on_its_own_rows(adult: pd.DataFrame) -> None:
    metric = get_metric("false_negative_rate", pos_label=">50K")
    with wb.Workbench.from_predictions(
        adult,
        label="income",
        prediction="pred_v1",
        exclude="pred_v2,proba_v2,proba_v1",
        metric=metric,
        path=":memory:",
    ) as bench:
        positives = int((adult["income"] == ">50K").sum())
        assert bench.n_rows == positives
        assert any("measured on the" in note for note in bench.notes)
        expected = fairlearn_metrics.false_negative_rate(
            adult["income"], adult["pred_v1"], pos_label=">50K"
        )
        assert bench.overall_error == pytest.approx(expected, abs=1e-12)
