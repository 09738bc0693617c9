"""End-to-end behaviour of the Workbench facade on real DuckDB files."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import workbench as wb

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT / "sample_data" / "adult" / "adult_test_predictions.parquet"


@pytest.fixture
def planted(rng: np.random.Generator) -> pd.DataFrame:
    """6,000 rows; the model fails on colour=red AND size=small (60 % vs 8 % error)."""
    n = 6000
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "size": rng.choice(["small", "large"], n),
            "age": rng.integers(18, 80, n),
            "city": rng.choice([f"c{i}" for i in range(8)], n),
        }
    )
    frame["label"] = rng.integers(0, 2, n)
    bad = (frame["colour"] == "red") & (frame["size"] == "small")
    wrong = rng.random(n) < np.where(bad, 0.6, 0.08)
    frame["pred"] = np.where(wrong, 1 - frame["label"], frame["label"])
    return frame


def test_scan_finds_the_planted_slice(planted: pd.DataFrame, tmp_path: Path) -> None:
    bench = wb.Workbench.from_predictions(
        planted, label="label", prediction="pred", path=tmp_path / "a.duckdb"
    )
    findings = bench.scan()
    top = findings[0]
    assert top.conditions == {"colour": "red", "size": "small"}
    assert top.significant
    assert top.error_ci_low > bench.overall_error
    assert top.slice_id == f"{findings.scan_id}.s1"
    frame = findings.to_frame()
    assert list(frame.columns) == list(wb.FINDINGS_COLUMNS)
    assert frame["size_in_data"].iloc[0] == int(
        ((planted["colour"] == "red") & (planted["size"] == "small")).sum()
    )
    members = bench.members(top)
    assert len(members) == top.size_in_data
    assert (frame.error_sum / frame.weight_sum).tolist() == frame.slice_error.tolist()
    assert set(members["colour"]) == {"red"} and set(members["size"]) == {"small"}
    bench.close()


def test_reopen_restores_rows_scans_findings_and_flags(
    planted: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "audit.duckdb"
    bench = wb.Workbench.from_predictions(planted, label="label", prediction="pred", path=path)
    findings = bench.scan(k=5)
    bench.flag(findings[0], note="red small items")
    bench.close()

    again = wb.Workbench.open(path)
    restored = again.findings()
    assert (
        restored.to_frame()
        .drop(columns=["flagged", "flag_note"])
        .equals(findings.to_frame().drop(columns=["flagged", "flag_note"]))
    )
    assert restored[0].flagged and restored[0].flag_note == "red small items"
    assert len(again.members(restored[0].slice_id)) == findings[0].size_in_data
    assert again.n_rows == len(planted)
    assert len(again.flagged()) == 1
    again.close()


def test_two_models_live_side_by_side(
    planted: pd.DataFrame, tmp_path: Path, rng: np.random.Generator
) -> None:
    path = tmp_path / "two.duckdb"
    planted = planted.assign(
        pred_v2=np.where(rng.random(len(planted)) < 0.05, 1 - planted["label"], planted["label"])
    )
    v1 = wb.Workbench.from_predictions(
        planted, label="label", prediction="pred", exclude="pred_v2", path=path
    )
    f1 = v1.scan()
    v1.close()
    v2 = wb.Workbench.from_predictions(
        planted, label="label", prediction="pred_v2", exclude="pred", path=path
    )
    f2 = v2.scan()
    assert len(v2.evaluations()) == 2
    assert f1.scan_id != f2.scan_id
    assert set(v2.scans()["scan_id"]) == {f1.scan_id, f2.scan_id}
    assert f1.model_fingerprint != f2.model_fingerprint
    assert f1.dataset_fingerprint == f2.dataset_fingerprint
    # the second model does not fail on the first one's planted slice
    planted_slice = {"colour": "red", "size": "small"}
    assert not any(s.significant and s.conditions == planted_slice for s in f2)
    assert not v2.evaluate(planted_slice).significant
    v2.close()


def _adult_pipeline_inputs() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    frame = pd.read_parquet(ADULT).head(4000)
    X = frame.drop(columns=["income", "pred_v1", "proba_v1", "pred_v2", "proba_v2"])
    y = frame["income"]
    return frame, y, X


def test_from_model_and_from_predictions_agree(tmp_path: Path) -> None:
    _frame, y, X = _adult_pipeline_inputs()
    categorical = [
        c for c in X.columns if X[c].dtype == object or str(X[c].dtype) in ("str", "string")
    ]
    model = make_pipeline(
        ColumnTransformer(
            [("cat", OneHotEncoder(handle_unknown="ignore"), categorical)], remainder="drop"
        ),
        LogisticRegression(max_iter=500),
    ).fit(X.fillna("missing"), y)

    def predict(data: pd.DataFrame) -> np.ndarray:
        return model.predict(data.fillna("missing"))

    from_model = wb.Workbench.from_model(predict, X, y, path=tmp_path / "m.duckdb")
    expected = from_model.scan(k=5, max_predicates=2, confirm=False).to_frame()
    from_model.close()

    with_preds = X.assign(income=y.to_numpy(), pred=predict(X))
    parquet = tmp_path / "preds.parquet"
    with_preds.to_parquet(parquet)
    sources = {
        "pandas": with_preds,
        "polars": pl.from_pandas(with_preds),
        "parquet": parquet,
    }
    keep = [
        "description",
        "sql_where",
        "slice_size",
        "slice_error",
        "search_score",
        "p_value_adjusted",
    ]
    for kind, data in sources.items():
        bench = wb.Workbench.from_predictions(
            data, label="income", prediction="pred", path=tmp_path / f"{kind}.duckdb"
        )
        got = bench.scan(k=5, max_predicates=2, confirm=False).to_frame()
        bench.close()
        pd.testing.assert_frame_equal(got[keep], expected[keep], obj=kind)


def test_sklearn_estimator_directly(tmp_path: Path, planted: pd.DataFrame) -> None:
    X = pd.get_dummies(planted[["colour", "size", "age"]], dtype=float)
    model = LogisticRegression(max_iter=300).fit(X, planted["label"])
    bench = wb.Workbench.from_model(model, X, planted["label"], path=":memory:", metric="log_loss")
    assert bench.metric == "log_loss"
    assert bench.overall_error > 0.5  # the label is noise: log loss near log(2)
    bench.close()


def test_injection_through_column_names_and_values(tmp_path: Path) -> None:
    evil = 'x"; DROP TABLE datasets; --'
    rows = 400
    frame = pd.DataFrame(
        {
            evil: ["it's", "a'); DROP TABLE scans; --"] * (rows // 2),
            "y": [0, 1, 0, 0] * (rows // 4),
            "p": [0, 0, 0, 0] * (rows // 4),
        }
    )
    path = tmp_path / "evil.duckdb"
    bench = wb.Workbench.from_predictions(frame, label="y", prediction="p", path=path)
    findings = bench.scan(confirm=False)
    values = {s.conditions[evil] for s in findings if evil in s.conditions}
    assert values <= {"it's", "a'); DROP TABLE scans; --"}
    for s in findings:
        members = bench.members(s)
        assert len(members) == s.size_in_data
    assert len(bench.scans()) == 1
    bench.close()
    assert len(wb.Workbench.open(path).evaluations()) == 1


def test_features_binned_missing_and_id_like(tmp_path: Path, rng: np.random.Generator) -> None:
    n = 500
    frame = pd.DataFrame(
        {
            "customer_id": [f"id{i}" for i in range(n)],
            "age": rng.integers(18, 90, n).astype(float),
            "y": rng.integers(0, 2, n),
            "p": rng.integers(0, 2, n),
        }
    )
    frame.loc[:40, "age"] = np.nan
    bench = wb.Workbench.from_predictions(frame, label="y", prediction="p", path=":memory:")
    feats = bench.features.set_index("feature")
    assert feats.loc["customer_id", "kind"] == "skipped"
    assert "ID-like" in feats.loc["customer_id", "note"]
    assert "missing" in feats.loc["age", "categories"]
    stats = bench.evaluate({"age": "missing"})
    assert stats.slice_size == 41
    bench.close()


def test_default_metric_is_reported() -> None:
    frame = pd.DataFrame(
        {"g": list("ab") * 50, "y": np.linspace(0, 10, 100), "p": np.linspace(0, 9, 100)}
    )
    bench = wb.Workbench.from_predictions(frame, label="y", prediction="p", path=":memory:")
    assert bench.metric == "absolute_error"
    assert any("regression" in note for note in bench.notes)
    bench.close()


@pytest.mark.parametrize(("k", "depth"), list(itertools.product([3, 10], [1, 2])))
def test_slices_meet_min_support(planted: pd.DataFrame, k: int, depth: int) -> None:
    bench = wb.Workbench.from_predictions(
        planted, label="label", prediction="pred", path=":memory:"
    )
    findings = bench.scan(k=k, max_predicates=depth, min_support=200)
    assert all(s.discovery_size >= 200 and s.n_predicates <= depth for s in findings)
    bench.close()


def test_compare_two_model_versions(planted: pd.DataFrame, rng: np.random.Generator) -> None:
    fixed = planted.assign(
        pred=np.where(rng.random(len(planted)) < 0.08, 1 - planted["label"], planted["label"])
    )
    v1 = wb.Workbench.from_predictions(planted, label="label", prediction="pred", path=":memory:")
    findings = v1.scan(k=3)
    v2 = wb.Workbench.from_predictions(fixed, label="label", prediction="pred", path=":memory:")
    table = v1.compare(v2, findings)
    assert list(table["slice_id"]) == [s.slice_id for s in findings]
    top = table.iloc[0]
    assert top["slice_size_b"] == top["slice_size_a"]  # same rows, other predictions
    assert top["error_change"] < -0.3  # the new version fixed the planted failure
    assert not top["significant_b"]
    v1.close()
    v2.close()


def test_evaluate_matches_members(planted: pd.DataFrame) -> None:
    bench = wb.Workbench.from_predictions(
        planted, label="label", prediction="pred", path=":memory:"
    )
    s = bench.evaluate({"colour": "red", "size": "small"})
    members = bench.members(s)
    assert s.size_in_data == len(members)
    assert s.slice_error == pytest.approx(members["_error"].mean())
    assert s.error_ci_low < s.slice_error < s.error_ci_high
    assert s.p_value < 1e-10
    bench.close()


def test_confirmation_split_is_stored(planted: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "split.duckdb"
    bench = wb.Workbench.from_predictions(planted, label="label", prediction="pred", path=path)
    findings = bench.scan(random_state=7)
    assert findings[0].statistics_on.startswith("confirmation")
    bench.close()
    again = wb.Workbench.open(path)
    mask = again.split()
    assert mask is not None and len(mask) == len(planted)
    assert 0.4 < mask.mean() < 0.6
    # the confirmation rows alone reproduce the reported statistics
    members = again.members(findings[0])
    held_out = members[~mask[members.index.to_numpy()]]
    assert len(held_out) == findings[0].stats_size
    assert findings[0].slice_error == pytest.approx(held_out["_error"].mean())
    again.close()


def test_distinct_drops_near_duplicates(planted: pd.DataFrame) -> None:
    bench = wb.Workbench.from_predictions(
        planted, label="label", prediction="pred", path=":memory:"
    )
    findings = bench.scan(k=10)
    distinct = bench.distinct(findings, max_overlap=0.5)
    # the default scan already lists distinct groups (overlap <= 0.5)
    assert len(distinct) == len(findings) == 10
    assert distinct[0] == findings[0]
    members = [set(bench.members(s).index) for s in distinct]
    for i, a in enumerate(members):
        for b in members[i + 1 :]:
            assert len(a & b) / len(a | b) <= 0.5
    with pytest.raises(wb.ParameterError, match="'max_overlap' parameter"):
        bench.distinct(findings, max_overlap=2)
    bench.close()


def test_distinct_of_the_exact_top_k_is_the_default_scan(planted: pd.DataFrame) -> None:
    # one rule for near-duplicates: folding the exact top list after the scan gives the
    # groups the default scan folds while it searches (it walks the exact top 4k)
    bench = wb.Workbench.from_predictions(
        planted, label="label", prediction="pred", path=":memory:"
    )
    default = bench.scan(k=5)
    exact = bench.scan(k=20, distinct=False)
    folded = bench.distinct(exact)
    assert [s.description for s in folded[:5]] == [s.description for s in default]
    for mine, theirs in zip(folded[:5], default, strict=True):
        assert set(theirs.also_described_as) <= set(mine.also_described_as)
    # every exact slice is either listed or an alternative description of a listed one
    named = {s.description for s in folded} | {a for s in folded for a in s.also_described_as}
    assert named == {s.description for s in exact}
    bench.close()


def test_save_slice_keeps_a_chosen_slice_with_the_scan(
    planted: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "save.duckdb"
    bench = wb.Workbench.from_predictions(planted, label="label", prediction="pred", path=path)
    findings = bench.scan(k=3)
    saved = bench.save_slice({"colour": "red", "city": "c1"})
    assert saved.slice_id == f"{findings.scan_id}.s{len(findings) + 1}"
    assert saved.statistics_on == "all rows"
    assert "uncorrected" in saved.p_value_correction
    assert bench.save_slice({"colour": "red", "city": "c1"}) == saved  # not saved twice
    bench.flag(saved, note="chosen by hand")
    bench.close()
    again = wb.Workbench.open(path)
    assert again.findings()[-1].slice_id == saved.slice_id
    assert [s.slice_id for s in again.flagged()] == [saved.slice_id]
    again.close()
