"""Sanity checks on the shipped Adult sample (sample_data/adult)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ADULT_DIR = Path(__file__).resolve().parents[1] / "sample_data" / "adult"
PREDICTIONS = ADULT_DIR / "adult_test_predictions.parquet"
TRAIN = ADULT_DIR / "adult_train.parquet"

FEATURES = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
]
NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
MODEL_COLUMNS = ["pred_v1", "proba_v1", "pred_v2", "proba_v2"]
LABELS = {"<=50K", ">50K"}


@pytest.fixture(scope="module")
def preds() -> pd.DataFrame:
    return pd.read_parquet(PREDICTIONS)


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return pd.read_parquet(TRAIN)


def test_predictions_shape_and_columns(preds: pd.DataFrame) -> None:
    assert preds.shape == (16_281, len(FEATURES) + 1 + len(MODEL_COLUMNS))
    assert list(preds.columns) == [*FEATURES, "income", *MODEL_COLUMNS]
    assert not preds.columns.duplicated().any()


def test_train_shape_and_columns(train: pd.DataFrame) -> None:
    assert train.shape == (32_561, len(FEATURES) + 1)
    assert list(train.columns) == [*FEATURES, "income"]
    assert not train.columns.duplicated().any()


@pytest.mark.parametrize("which", ["preds", "train"])
def test_labels_and_dtypes(which: str, request: pytest.FixtureRequest) -> None:
    df: pd.DataFrame = request.getfixturevalue(which)
    assert df["income"].notna().all()
    assert set(df["income"].unique()) == LABELS
    for col in NUMERIC:
        assert pd.api.types.is_integer_dtype(df[col]), col
    # '?' in the raw files is kept as missing, never as a literal category.
    for col in ("workclass", "occupation", "native_country"):
        assert df[col].isna().any(), col
    text = df[[c for c in FEATURES if c not in NUMERIC]]
    assert not text.isin(["?", ""]).any().any()
    assert not text.stack().str.contains(r"^\s|\s$").any()


def test_predictions_are_binary_labels(preds: pd.DataFrame) -> None:
    for name in ("v1", "v2"):
        pred = preds[f"pred_{name}"]
        proba = preds[f"proba_{name}"]
        assert pred.notna().all()
        assert set(pred.unique()) <= LABELS
        assert pred.nunique() == 2
        assert pd.api.types.is_float_dtype(proba)
        assert proba.between(0.0, 1.0).all()
        # The label is the thresholded probability of '>50K'.
        assert ((proba > 0.5) == (pred == ">50K")).mean() > 0.999


@pytest.mark.parametrize(("name", "low", "high"), [("v1", 0.82, 0.88), ("v2", 0.85, 0.90)])
def test_accuracy_plausible(preds: pd.DataFrame, name: str, low: float, high: float) -> None:
    accuracy = (preds[f"pred_{name}"] == preds["income"]).mean()
    assert low <= accuracy <= high


def test_the_shipped_samples_stay_within_20_mb() -> None:
    # Tables and media of every sample (the speech clips and face thumbnails shown on the
    # first pages of the top slices): small enough to ship in the repository.
    root = ADULT_DIR.parent
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert total <= 20_000_000, f"sample_data/ holds {total / 1e6:.1f} MB"
