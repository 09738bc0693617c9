"""Turn what the user has (an estimator, a callable) into predictions.

An adapter has one method, ``predict(X) -> Predictions``. A scikit-learn
estimator or pipeline uses ``predict`` and, when present, ``predict_proba``; any
callable ``X -> predictions`` works too, which doubles as the test double.
Each adapter also gives a fingerprint of the model, so findings say which model
they were found on. Imports numpy, pandas and ``workbench.exceptions``.
"""

from __future__ import annotations

import hashlib
import inspect
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from workbench.exceptions import ModelError

__all__ = [
    "CallableAdapter",
    "ModelAdapter",
    "Predictions",
    "Probabilities",
    "SklearnAdapter",
    "adapt_model",
]


class Probabilities(np.ndarray):
    """An (n, classes) probability matrix that remembers its class order."""

    classes: tuple[Any, ...] = ()


def with_classes(matrix: np.ndarray, classes: Any) -> Probabilities:
    out = np.asarray(matrix, dtype=np.float64).view(Probabilities)
    out.classes = tuple(np.asarray(classes).tolist())
    return out


@dataclass(frozen=True)
class Predictions:
    """What a model said about each row."""

    prediction: pd.Series
    score: Probabilities | None = None


class ModelAdapter(Protocol):
    name: str
    kind: str

    def predict(self, X: pd.DataFrame) -> Predictions: ...

    def fingerprint(self) -> str: ...


def _check_length(values: Any, X: pd.DataFrame, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 0 or array.shape[0] != len(X):
        raise ModelError(
            f"The model's {what} returned {array.shape[0] if array.ndim else 'a scalar'} values "
            f"for {len(X)} rows. Expected one per row; check that the model accepts a DataFrame "
            "with these columns."
        )
    return array


class SklearnAdapter:
    """A fitted scikit-learn estimator or pipeline (anything with ``predict``)."""

    def __init__(self, model: Any, name: str | None = None) -> None:
        self.model = model
        self.name = name or type(model).__name__
        self.kind = "sklearn"

    def predict(self, X: pd.DataFrame) -> Predictions:
        try:
            predicted = self.model.predict(X)
        except Exception as exc:  # the model's own failure, reported with context
            raise ModelError(
                f"{self.name}.predict failed on the data ({type(exc).__name__}: {exc}). "
                "Expected a fitted model that accepts the feature columns "
                f"{list(X.columns)[:10]}. Fit the model, or pass the columns it was trained on."
            ) from exc
        predicted = _check_length(predicted, X, "predict")
        score = None
        proba = getattr(self.model, "predict_proba", None)
        classes = getattr(self.model, "classes_", None)
        if proba is not None and classes is not None:
            try:
                matrix = _check_length(proba(X), X, "predict_proba")
            except ModelError:
                raise
            except Exception:
                # predict_proba can exist but be unusable (e.g. SVC without probability=True)
                matrix = None
            if matrix is not None:
                score = with_classes(matrix, classes)
        return Predictions(pd.Series(predicted, index=X.index, name="prediction"), score)

    def fingerprint(self) -> str:
        try:
            import joblib

            return str(joblib.hash(self.model))[:16]
        except Exception:
            return hashlib.sha256(pickle.dumps(self.model)).hexdigest()[:16]


class CallableAdapter:
    """Any callable ``X -> predictions`` (a 1-D array or Series, one value per row)."""

    def __init__(self, function: Callable[[pd.DataFrame], Any], name: str | None = None) -> None:
        self.function = function
        self.name: str = name or str(getattr(function, "__name__", type(function).__name__))
        self.kind = "callable"

    def predict(self, X: pd.DataFrame) -> Predictions:
        try:
            predicted = self.function(X)
        except Exception as exc:
            raise ModelError(
                f"The prediction function {self.name!r} failed on the data "
                f"({type(exc).__name__}: {exc}). It is called with a pandas DataFrame of the "
                "feature columns and must return one prediction per row."
            ) from exc
        predicted = _check_length(predicted, X, "function")
        if predicted.ndim != 1:
            raise ModelError(
                f"The prediction function {self.name!r} returned an array of shape "
                f"{predicted.shape}. Expected one prediction per row (1-D)."
            )
        return Predictions(pd.Series(predicted, index=X.index, name="prediction"))

    def fingerprint(self) -> str:
        try:
            source = inspect.getsource(self.function)
        except (OSError, TypeError):
            source = repr(self.function)
        return hashlib.sha256(f"{self.name}\n{source}".encode()).hexdigest()[:16]


def adapt_model(model: Any, name: str | None = None) -> ModelAdapter:
    """Wrap ``model`` in the adapter that fits it.

    Examples
    --------
    >>> adapt_model(lambda X: X["a"] > 0).kind
    'callable'
    """
    if hasattr(model, "predict") and callable(model.predict):
        return SklearnAdapter(model, name)
    if callable(model):
        return CallableAdapter(model, name)
    raise ModelError(
        f"Expected a model with a predict() method (a scikit-learn estimator or pipeline) or "
        f"a callable X -> predictions. Got {type(model).__name__} without predict(). "
        "Wrap your model: Workbench.from_model(lambda X: my_model.run(X), X, y)."
    )
