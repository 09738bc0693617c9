"""Planted data for the bounty: a threshold rule with overlapping groups that break it.

The label is ``c > 50`` except in group A (``a == 'a1'``, threshold 70) and group
B (``b == 'x'`` outside A, threshold 10), with 2 % label noise. The base model
is the plain threshold 50, so A and B (which overlap in A∩B) have high error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("skops")

from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

ALPHA = 0.04
BUDGET = 5  # 8 ln(5 / 0.05) / 0.04^2 = 23,026 holdout rows needed


def planted(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, pd.Series]:
    X = pd.DataFrame(
        {
            "a": rng.choice(["a0", "a1", "a2", "a3"], n),
            "b": rng.choice(["x", "y", "z"], n),
            "c": rng.uniform(0, 100, n).round(2),
            "d": rng.integers(18, 80, n),
        }
    )
    threshold = np.where(X["a"] == "a1", 70.0, np.where(X["b"] == "x", 10.0, 50.0))
    positive = X["c"].to_numpy() > threshold
    noise = rng.random(n) < 0.02
    y = pd.Series(np.where(positive ^ noise, "yes", "no"), name="outcome")
    return X, y


def threshold_model(X: pd.DataFrame, y: pd.Series) -> Pipeline:
    """A depth-1 tree on column c: learns one threshold."""
    return Pipeline(
        [
            ("select", ColumnTransformer([("c", "passthrough", ["c"])])),
            ("tree", DecisionTreeClassifier(max_depth=1, random_state=0)),
        ]
    ).fit(X, y)


@dataclass
class Planted:
    X_train: pd.DataFrame
    y_train: pd.Series
    X_holdout: pd.DataFrame
    y_holdout: pd.Series
    base: Pipeline
    alpha: float = ALPHA
    budget: int = BUDGET

    def fresh_holdout(self, seed: int) -> tuple[pd.DataFrame, pd.Series]:
        return planted(np.random.default_rng(seed), len(self.X_holdout))

    def model_for(self, group_mask: np.ndarray) -> Pipeline:
        return threshold_model(self.X_train[group_mask], self.y_train[group_mask])


@pytest.fixture(scope="module")
def data() -> Planted:
    rng = np.random.default_rng(20261201)
    X_train, y_train = planted(rng, 8000)
    X_holdout, y_holdout = planted(rng, 24000)
    base_X = X_train.assign(c=X_train["c"])
    base_y = pd.Series(np.where(base_X["c"] > 50, "yes", "no"))
    return Planted(X_train, y_train, X_holdout, y_holdout, threshold_model(base_X, base_y))
