"""Bad submissions: each gets an expected/got/fix message and leaves ledger and list unchanged."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import workbench as wb
from workbench.bounty import Bounty

Planted = Any  # the planted-data fixture of conftest.py


def _always(label: str) -> Callable[[Any], np.ndarray]:
    def predict(X: Any) -> np.ndarray:
        return np.full(len(X), label)

    return predict


def _snapshot(bounty: Bounty) -> tuple[int, int, int, float]:
    rows = bounty._con.execute("SELECT count(*) FROM nodes").fetchone()
    return (
        len(bounty.ledger()),
        len(bounty.model),
        int(rows[0]) if rows else -1,
        bounty.overall_error,
    )


@pytest.fixture
def bounty(tmp_path: Path, data: Planted) -> Bounty:
    bounty = wb.Bounty.create(
        tmp_path / "bounty.duckdb",
        model=data.base,
        X=data.X_holdout,
        y=data.y_holdout,
        alpha=data.alpha,
        budget=data.budget,
    )
    in_a = (data.X_train["a"] == "a1").to_numpy()
    assert bounty.submit({"a": "a1"}, data.model_for(in_a), submitter="team-a").accepted
    return bounty


def _corrupt_skops(tmp_path: Path, data: Planted) -> Path:
    path = tmp_path / "broken.skops"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")
    return path


def _pickle_file(tmp_path: Path, data: Planted) -> Path:
    path = tmp_path / "h.joblib"
    path.write_bytes(pickle.dumps(data.base))
    return path


def _passthrough(X: Any) -> Any:
    return X


def _untrusted_skops(tmp_path: Path, data: Planted) -> Path:
    # a function from the submitter's own module: loading it would run their code
    model = make_pipeline(FunctionTransformer(_passthrough), data.base)
    path = tmp_path / "h.skops"
    sio.dump(model, path)
    return path


def _repeat(tmp_path: Path, data: Planted) -> Any:
    return data.model_for((data.X_train["a"] == "a1").to_numpy())


CASES = [
    # (id, group, model factory, exception, message fragment)
    ("no-rows", {"a": "a9"}, lambda t, d: _always("yes"), wb.DataError, "matches no row"),
    ("typed-mismatch", {"c": "50"}, lambda t, d: _always("yes"), wb.DataError, "matches no row"),
    (
        "unknown-column",
        {"sexx": "F"},
        lambda t, d: _always("yes"),
        wb.ColumnNotFoundError,
        "not found",
    ),
    ("sql-text", "a = 'a1' OR 1=1", lambda t, d: _always("yes"), wb.ParameterError, "must be data"),
    ("code-condition", {"a": len}, lambda t, d: _always("yes"), wb.ParameterError, "never code"),
    ("empty-group", {}, lambda t, d: _always("yes"), wb.ParameterError, "empty"),
    ("fails-to-load", {"b": "y"}, _corrupt_skops, wb.InputFileError, "cannot be read"),
    (
        "missing-file",
        {"b": "y"},
        lambda t, d: t / "nope.skops",
        wb.InputFileError,
        "does not exist",
    ),
    ("pickle", {"b": "y"}, _pickle_file, wb.InputFileError, "pickle"),
    ("untrusted-types", {"b": "y"}, _untrusted_skops, wb.InputFileError, "not trusted"),
    (
        "wrong-shape",
        {"b": "y"},
        lambda t, d: lambda X: np.zeros((len(X), 2)),
        wb.ModelError,
        "shape",
    ),
    ("wrong-length", {"b": "y"}, lambda t, d: lambda X: np.zeros(3), wb.ModelError, "shape"),
    ("wrong-labels", {"b": "y"}, lambda t, d: _always("1"), wb.LabelError, "labels the holdout"),
    (
        "model-raises",
        {"b": "y"},
        lambda t, d: lambda X: X["nope"],
        wb.ModelError,
        "failed to predict",
    ),
    ("not-a-model", {"b": "y"}, lambda t, d: 42, wb.ModelError, "Expected a model"),
    ("raw-bytes", {"b": "y"}, lambda t, d: pickle.dumps(1), wb.InputFileError, "pickle"),
    ("repeat", {"a": "a1"}, _repeat, wb.DataError, "repeats accepted submission 1"),
]


@pytest.mark.parametrize(
    ("group", "make_model", "error", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_submission_changes_nothing(
    bounty: Bounty,
    data: Planted,
    tmp_path: Path,
    group: Any,
    make_model: Callable[[Path, Any], Any],
    error: type[Exception],
    fragment: str,
) -> None:
    before = _snapshot(bounty)
    with pytest.raises(error, match=fragment) as info:
        bounty.submit(group, make_model(tmp_path, data), submitter="team-x")
    message = str(info.value)
    assert len(message) > 40  # says what was expected and what came
    assert _snapshot(bounty) == before


def test_bad_submitter(bounty: Bounty) -> None:
    with pytest.raises(wb.ParameterError, match="submitter"):
        bounty.submit({"b": "y"}, _always("yes"), submitter="")


def test_holdout_too_small_says_rows_needed(tmp_path: Path, data: Planted) -> None:
    with pytest.raises(wb.DataError, match=r"needs \d+ rows") as info:
        wb.Bounty.create(
            tmp_path / "small.duckdb",
            model=data.base,
            X=data.X_holdout.head(1000),
            y=data.y_holdout.head(1000),
            alpha=data.alpha,
        )
    assert "raise alpha" in str(info.value)
    assert not (tmp_path / "small.duckdb").exists()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"alpha": 0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": "0.1"}, "alpha"),
        ({"budget": 0}, "budget"),
        ({"metric": "log_loss"}, "error_rate"),
    ],
)
def test_bad_create_parameters(
    tmp_path: Path, data: Planted, kwargs: dict[str, Any], fragment: str
) -> None:
    arguments: dict[str, Any] = {"alpha": data.alpha, "budget": data.budget} | kwargs
    with pytest.raises(wb.ParameterError, match=fragment):
        wb.Bounty.create(
            tmp_path / "b.duckdb", model=data.base, X=data.X_holdout, y=data.y_holdout, **arguments
        )


def test_existing_file_is_not_overwritten(bounty: Bounty, data: Planted) -> None:
    with pytest.raises(wb.StoreError, match=r"Bounty\.open"):
        wb.Bounty.create(
            bounty.path, model=data.base, X=data.X_holdout, y=data.y_holdout, alpha=data.alpha
        )
    assert len(bounty.ledger()) == 1


def test_spent_holdout_is_refused_then_refreshed(tmp_path: Path, data: Planted) -> None:
    bounty = wb.Bounty.create(
        tmp_path / "bounty.duckdb",
        model=data.base,
        X=data.X_holdout,
        y=data.y_holdout,
        alpha=data.alpha,
        budget=1,
    )
    in_a = (data.X_train["a"] == "a1").to_numpy()
    result = bounty.submit({"a": "a1"}, data.model_for(in_a), submitter="team-a")
    assert result.accepted and result.report["holdout_spent"]
    assert "spent" in result.report["holdout_note"]
    before = _snapshot(bounty)
    in_b = (data.X_train["b"] == "x").to_numpy()
    with pytest.raises(wb.DataError, match="holdout is spent") as info:
        bounty.submit({"b": "x"}, data.model_for(in_b & ~in_a), submitter="team-b")
    assert "refresh_holdout" in str(info.value)
    assert _snapshot(bounty) == before
    X_new, y_new = data.fresh_holdout(7)
    bounty.refresh_holdout(X_new, y_new)
    assert not bounty.spent
    again = bounty.submit({"b": "x"}, data.model_for(in_b & ~in_a), submitter="team-b")
    assert again.accepted and again.repairs
    groups = bounty.certified_groups()
    assert (groups["current_error"] <= groups["best_error"] + 1e-12).all()


def test_a_failed_write_leaves_everything_unchanged(
    bounty: Bounty, data: Planted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger row, nodes, round and certified groups are one transaction."""
    before = _snapshot(bounty)
    versions = dict(bounty._versions)
    from workbench.bounty import _bounty

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(_bounty, "_insert_model", fail)
    in_b = (data.X_train["b"] == "x").to_numpy()
    with pytest.raises(RuntimeError, match="disk full"):
        bounty.submit(
            {"b": "x"}, data.model_for(in_b & ~(data.X_train["a"] == "a1")), submitter="t"
        )
    assert _snapshot(bounty) == before
    assert bounty._versions.keys() == versions.keys()
    rows = bounty._con.execute("SELECT count(*) FROM rounds").fetchone()
    assert rows is not None and rows[0] == 2
