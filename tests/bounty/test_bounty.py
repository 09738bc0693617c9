"""The bounty's guarantees on planted data: accept, reject, repair, reopen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

import workbench as wb
from workbench.bounty import Bounty

Planted = Any  # the planted-data fixture of conftest.py


def _create(tmp_path: Path, data: Planted, **kwargs: object) -> Bounty:
    return wb.Bounty.create(
        tmp_path / "bounty.duckdb",
        model=data.base,
        X=data.X_holdout,
        y=data.y_holdout,
        alpha=kwargs.pop("alpha", data.alpha),
        budget=kwargs.pop("budget", data.budget),
        **kwargs,
    )


def _holdout_errors(bounty: Bounty, data: Planted) -> np.ndarray:
    return bounty.model.predict(data.X_holdout) != data.y_holdout.to_numpy()


def _assert_guarantees(bounty: Bounty, data: Planted) -> None:
    """Every certified group at or below its best error; overall error never rose."""
    groups = bounty.certified_groups()
    assert (groups["current_error"] <= groups["best_error"] + 1e-12).all(), groups
    # the numbers come from predict(), not only from the bookkeeping
    wrong = _holdout_errors(bounty, data)
    for row in groups.itertuples():
        mask = bounty._mask(
            next(c.group for c in bounty._certified if c.submission_id == row.submission_id)
        )
        assert wrong[mask].mean() == pytest.approx(row.current_error)
    curve = bounty.rounds()["overall_error"].to_numpy()
    assert (np.diff(curve) <= 1e-12).all()
    assert wrong.mean() == pytest.approx(curve[-1])


def test_good_submission_is_accepted_and_error_falls(tmp_path: Path, data: Planted) -> None:
    bounty = _create(tmp_path, data)
    before = bounty.overall_error
    group = {"a": "a1"}
    h = data.model_for((data.X_train["a"] == "a1").to_numpy())
    result = bounty.submit(group, h, submitter="team-a")
    assert result.accepted, result.report["reason"]
    report = result.report
    assert report["mu"] == pytest.approx(np.mean(data.X_holdout["a"] == "a1"))
    assert report["improvement"] == pytest.approx(report["mu"] * report["delta"])
    assert report["improvement"] >= data.alpha
    assert report["p_value"] < 1e-6
    assert (
        report["current_error_ci_low"] < report["current_error"] < report["current_error_ci_high"]
    )
    after = bounty.overall_error
    assert after <= before - report["improvement"] + 1e-12
    assert np.mean(_holdout_errors(bounty, data)) == pytest.approx(after)
    assert "ACCEPTED" in str(result)
    _assert_guarantees(bounty, data)
    ledger = bounty.ledger()
    assert ledger["verdict"].tolist() == ["accepted"]
    assert ledger.loc[0, "model_fingerprint"] == result.report["model_fingerprint"]
    assert ledger.loc[0, "features"] == ["a"]


def test_bad_model_is_rejected_and_changes_nothing_but_the_ledger(
    tmp_path: Path, data: Planted
) -> None:
    bounty = _create(tmp_path, data)
    before = bounty.overall_error
    # trained on the wrong rows: learns the 50 threshold, no better on A
    h = data.model_for((data.X_train["a"] == "a0").to_numpy())
    result = bounty.submit({"a": "a1"}, h, submitter="team-b")
    assert not result.accepted
    assert result.report["improvement"] < data.alpha
    assert "rejected" in result.report["reason"]
    assert len(bounty.model) == 0
    assert bounty.overall_error == before
    assert bounty.ledger()["verdict"].tolist() == ["rejected"]
    board = bounty.leaderboard()
    assert board.loc[0, "accepted"] == 0 and board.loc[0, "submissions"] == 1


def test_repair_keeps_every_certified_group_at_its_best(tmp_path: Path, data: Planted) -> None:
    bounty = _create(tmp_path, data)
    in_a = (data.X_train["a"] == "a1").to_numpy()
    in_b = (data.X_train["b"] == "x").to_numpy()
    first = bounty.submit({"a": "a1"}, data.model_for(in_a), submitter="team-a")
    assert first.accepted and not first.repairs
    _assert_guarantees(bounty, data)
    # B's model is trained on B outside A (threshold 10): on A∩B it is wrong, so A gets worse
    second = bounty.submit({"b": "x"}, data.model_for(in_b & ~in_a), submitter="team-b")
    assert second.accepted, second.report["reason"]
    assert second.repairs == (first.submission_id,)
    assert second.report["repairs"][0]["group"] == "a = a1"
    _assert_guarantees(bounty, data)
    nodes = bounty.model.to_frame()
    assert nodes.loc[0, "reason"] == "repair" and nodes.loc[0, "group"] == "a = a1"
    # a third group over both, with a model that is good on it only outside A and B
    in_c = (data.X_train["d"] >= 50).to_numpy()
    third = bounty.submit(
        {"d": (50, None)}, data.model_for(in_c & ~in_a & ~in_b), submitter="team-c"
    )
    _assert_guarantees(bounty, data)
    assert bounty.accepted_count == 2 + third.accepted
    rounds = bounty.rounds()
    steps = -np.diff(rounds["overall_error"].to_numpy())
    gains = bounty.ledger().query("verdict == 'accepted'")["improvement"].to_numpy()
    assert (steps >= gains - 1e-12).all()


def test_pdl_predicts_identically_after_reopening(tmp_path: Path, data: Planted) -> None:
    bounty = _create(tmp_path, data)
    in_a = (data.X_train["a"] == "a1").to_numpy()
    in_b = (data.X_train["b"] == "x").to_numpy()
    bounty.submit({"a": "a1"}, data.model_for(in_a), submitter="team-a")
    bounty.submit({"b": "x"}, data.model_for(in_b & ~in_a), submitter="team-b")
    new_rows = data.X_train.sample(500, random_state=1)
    before = bounty.model.predict(new_rows)
    ledger = bounty.ledger()
    bounty.close()
    with wb.Bounty.open(tmp_path / "bounty.duckdb") as reopened:
        assert np.array_equal(reopened.model.predict(new_rows), before)
        assert len(reopened.model) == 3
        pd.testing.assert_frame_equal(reopened.ledger(), ledger)
        _assert_guarantees(reopened, data)
        assert reopened.accepted_count == 2


def test_pickle_is_refused(tmp_path: Path, data: Planted) -> None:
    import pickle

    bounty = _create(tmp_path, data)
    path = tmp_path / "h.pkl"
    path.write_bytes(pickle.dumps(data.base))
    with pytest.raises(wb.InputFileError, match="pickle"):
        bounty.submit({"a": "a1"}, path, submitter="team-x")
    renamed = tmp_path / "h.skops"
    renamed.write_bytes(pickle.dumps(data.base))
    with pytest.raises(wb.InputFileError, match="pickle"):
        bounty.submit({"a": "a1"}, renamed, submitter="team-x")
    assert bounty.ledger().empty and len(bounty.model) == 0


def test_skops_and_onnx_files_are_accepted(tmp_path: Path, data: Planted) -> None:
    bounty = _create(tmp_path, data)
    in_a = (data.X_train["a"] == "a1").to_numpy()
    h = data.model_for(in_a)
    path = tmp_path / "h.skops"
    sio.dump(h, path)
    result = bounty.submit({"a": "a1"}, path, submitter="team-a")
    assert result.accepted
    assert result.report["model_kind"] == "skops"
    stored = list((tmp_path / "bounty.models").glob("*.skops"))
    assert {p.stem for p in stored} >= {result.report["model_fingerprint"]}

    skl2onnx = pytest.importorskip("skl2onnx")
    from skl2onnx.common.data_types import FloatTensorType

    in_b = (data.X_train["b"] == "x").to_numpy()
    tree = data.model_for(in_b & ~in_a).named_steps["tree"]
    onx = skl2onnx.convert_sklearn(
        tree, initial_types=[("c", FloatTensorType([None, 1]))], options={"zipmap": False}
    )
    onnx_path = tmp_path / "h.onnx"
    onnx_path.write_bytes(onx.SerializeToString())
    result = bounty.submit({"b": "x"}, onnx_path, submitter="team-b")
    assert result.accepted, result.report["reason"]
    assert result.report["model_kind"] == "onnx"
    bounty.close()
    with wb.Bounty.open(tmp_path / "bounty.duckdb") as reopened:
        assert reopened.model.predict(data.X_holdout.head(50)).shape == (50,)


def test_leaderboard_heatmap_and_error_curve(tmp_path: Path, data: Planted) -> None:
    pytest.importorskip("plotly")
    bounty = _create(tmp_path, data)
    empty = bounty.heatmap()
    assert empty.layout.annotations[0].text == "no accepted submissions yet"
    in_a = (data.X_train["a"] == "a1").to_numpy()
    in_b = (data.X_train["b"] == "x").to_numpy()
    bounty.submit({"a": "a1"}, data.model_for(in_a), submitter="team-a")
    bounty.submit({"b": "x", "d": (18, None)}, data.model_for(in_b & ~in_a), submitter="team-b")
    board = bounty.leaderboard()
    assert board["accepted"].tolist() == [1, 1]
    assert board["certified_improvement"].is_monotonic_decreasing
    assert board["certified_improvement"].sum() == pytest.approx(
        bounty.ledger()["improvement"].sum()
    )
    use = bounty.feature_use()
    assert use.loc["team-b", "d"] == 1 and use.loc["team-a", "a"] == 1
    heat = bounty.heatmap().data[0]
    assert list(heat.y) == ["team-a", "team-b"] and set(heat.x) == {"a", "b", "d"}
    curve = bounty.error_curve().data[0]
    assert list(curve.x) == [0, 1, 2]
    assert list(curve.y) == pytest.approx(bounty.rounds()["overall_error"].tolist())


def test_callables_are_rebound_when_reopening(tmp_path: Path, data: Planted) -> None:
    def base(X: pd.DataFrame) -> np.ndarray:
        return np.where(X["c"] > 50, "yes", "no")

    bounty = wb.Bounty.create(
        tmp_path / "b.duckdb",
        model=base,
        X=data.X_holdout,
        y=data.y_holdout,
        alpha=data.alpha,
        budget=data.budget,
    )
    in_a = (data.X_train["a"] == "a1").to_numpy()
    assert bounty.submit({"a": "a1"}, data.model_for(in_a), submitter="team-a").accepted
    expected = bounty.model.predict(data.X_train)
    bounty.close()
    with wb.Bounty.open(tmp_path / "b.duckdb") as unbound:
        assert len(unbound.ledger()) == 1  # the ledger stays readable
        with pytest.raises(wb.ModelError, match="callables="):
            unbound.submit({"b": "x"}, data.base, submitter="t")
    with wb.Bounty.open(tmp_path / "b.duckdb", callables=[base]) as bound:
        assert np.array_equal(bound.model.predict(data.X_train), expected)


def _threshold(cut: float) -> Any:
    def predict(X: pd.DataFrame) -> np.ndarray:
        return np.where(X["c"].to_numpy() > cut, "yes", "no")

    return predict


def test_random_sequences_keep_the_guarantees_after_every_step(
    tmp_path: Path, data: Planted
) -> None:
    """Overlapping groups and threshold models in random order: every step keeps the promise."""
    rng = np.random.default_rng(5)
    conditions: list[dict[str, Any]] = [
        {"a": "a1"},
        {"b": "x"},
        {"a": "a1", "b": "x"},
        {"d": (40, None)},
        {"b": ["x", "y"]},
        {"a": ["a0", "a1"], "d": (None, 60)},
        {"c": (20, 80)},
    ]
    bounty = _create(tmp_path, data)
    # A then B (whose model is wrong on A∩B) forces a repair; then random submissions
    plan = [({"a": "a1"}, 70.0), ({"b": "x"}, 10.0)] + [
        (conditions[int(rng.integers(len(conditions)))], float(rng.choice([10, 30, 50, 70])))
        for _ in range(10)
    ]
    for step, (group, cut) in enumerate(plan):
        if bounty.spent:
            break
        try:
            result = bounty.submit(group, _threshold(cut), submitter=f"team-{step % 3}")
        except wb.DataError as error:  # a repeat of an accepted pair: refused, nothing changes
            assert "repeats accepted submission" in str(error)
            _assert_guarantees(bounty, data)
            continue
        _assert_guarantees(bounty, data)
        if result.accepted:
            report = result.report
            assert report["overall_error_after"] <= (
                report["overall_error_before"] - report["improvement"] + 1e-12
            )
    assert bounty.accepted_count >= 2
    assert bounty.model.to_frame()["reason"].eq("repair").any()
