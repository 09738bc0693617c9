"""Per-row error functions: what "error" means for a slice.

A metric maps (label, prediction, score) to a per-row ``error`` and ``weight``;
a slice's error is always ``sum(error) / sum(weight)``. Built in: 0/1
misclassification (``error_rate``), ``log_loss``, ``absolute_error``,
``squared_error``, and word/character error rate (``wer``, ``cer``, weighted
by reference length). Any callable returning ``(error, weight)`` plugs in.
Imports numpy, pandas and ``workbench.exceptions``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import LabelError, ParameterError, WorkbenchError

__all__ = ["METRICS", "Metric", "choose_metric", "get_metric", "show_value"]

ErrorFunction = Callable[[pd.Series, pd.Series, Any], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Metric:
    """A per-row error with its weight.

    Parameters
    ----------
    name : str
        Short name (``error_rate``, ``log_loss``, ...), stored with each scan.
    kind : str
        ``"classification"``, ``"regression"`` or ``"text"``: decides the
        drill-down view (confusion matrix or error distribution).
    function : callable
        ``function(label, prediction, score) -> (error, weight)``; ``score`` is
        None, a 1-D array of positive-class probabilities, or an (n, classes)
        probability matrix with ``classes`` attached by the adapter.
    description : str
        One line for people.
    binary_error : bool
        Whether every per-row error is 0 or 1 with weight 1 (exact tests apply).
    needs_score : bool
        Whether the metric needs predicted probabilities.
    """

    name: str
    kind: str
    function: ErrorFunction
    description: str
    binary_error: bool = False
    needs_score: bool = False

    def compute(
        self, label: pd.Series, prediction: pd.Series, score: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.needs_score and score is None:
            raise ParameterError(
                f"The metric {self.name!r} needs predicted probabilities, but no score was "
                "given. Pass score='<probability column>' (or a model with predict_proba), "
                "or choose metric='error_rate'."
            )
        try:
            error, weight = self.function(label, prediction, score)
        except WorkbenchError:
            raise
        except Exception as exc:
            first = str(exc).splitlines()[0][:200] if str(exc) else ""
            raise ParameterError(
                f"The metric {self.name!r} raised {type(exc).__name__}: {first}. Expected a "
                "callable (label, prediction, score) -> (error, weight) that returns one error "
                "and one weight per row; fix the metric or pass a built-in metric name."
            ) from None
        error = np.asarray(error, dtype=np.float64)
        weight = np.asarray(weight, dtype=np.float64)
        if error.shape != (len(label),) or weight.shape != (len(label),):
            raise LabelError(
                f"The metric {self.name!r} must return one error and one weight per row "
                f"({len(label)}). Got shapes {error.shape} and {weight.shape}. Fix the metric."
            )
        if not np.isfinite(error).all() or (error < 0).any():
            bad = int((~np.isfinite(error) | (error < 0)).sum())
            raise LabelError(
                f"The metric {self.name!r} gave {bad} rows an error that is negative, NaN or "
                "infinite; errors must be finite and >= 0. Check the label and prediction "
                "values of those rows."
            )
        if not np.isfinite(weight).all() or (weight < 0).any():
            raise LabelError(
                f"The metric {self.name!r} gave negative, NaN or infinite weights; weights "
                "must be finite and >= 0."
            )
        return error, weight


def show_value(value: Any) -> str:
    """A value as a person reads it in a message (``1``, not ``np.int64(1)``)."""
    with contextlib.suppress(AttributeError, ValueError):
        value = value.item()
    return repr(value)


def _as_comparable(label: pd.Series, prediction: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predictions as arrays that compare equal when they mean the same class."""
    lab, pred = label.to_numpy(), prediction.to_numpy()
    lab_num = pd.api.types.is_numeric_dtype(label) or pd.api.types.is_bool_dtype(label)
    pred_num = pd.api.types.is_numeric_dtype(prediction) or pd.api.types.is_bool_dtype(prediction)
    if lab_num and pred_num:
        return lab.astype(np.float64), pred.astype(np.float64)
    return label.astype(str).to_numpy(), prediction.astype(str).to_numpy()


def _error_rate(
    label: pd.Series, prediction: pd.Series, score: Any
) -> tuple[np.ndarray, np.ndarray]:
    lab, pred = _as_comparable(label, prediction)
    common = np.intersect1d(np.unique(lab), np.unique(pred))
    if len(common) == 0:
        show_l = ", ".join(show_value(v) for v in pd.unique(label)[:5])
        show_p = ", ".join(show_value(v) for v in pd.unique(prediction)[:5])
        raise LabelError(
            f"The label and the prediction share no value, so every row would count as an "
            f"error. Label values: {show_l}; prediction values: {show_p}. Map the predictions "
            "to the label's vocabulary (e.g. 1 -> '>50K') before loading."
        )
    error = (lab != pred).astype(np.float64)
    return error, np.ones(len(error))


def _score_of_true_class(label: pd.Series, score: Any) -> np.ndarray:
    classes = getattr(score, "classes", None)
    matrix = np.asarray(score, dtype=np.float64)
    if matrix.ndim == 2 and classes is not None:
        index = {c: i for i, c in enumerate(classes)}
        lab = label.to_numpy()
        try:
            cols = np.array([index[v] for v in lab])
        except KeyError as exc:
            raise LabelError(
                f"The label value {exc.args[0]!r} is not one of the model's classes "
                f"{list(classes)}. Check that the label column matches the model."
            ) from None
        return matrix[np.arange(len(lab)), cols]
    if matrix.ndim == 1:
        pos_label = getattr(score, "pos_label", None)
        values = sorted(pd.unique(label.dropna()).tolist(), key=str)
        if len(values) > 2:
            raise LabelError(
                f"log_loss from a single score column needs a binary label; got {len(values)} "
                "classes. Pass a model with predict_proba, or use metric='error_rate'."
            )
        if pos_label is None:
            pos_label = values[-1]
        if (matrix < 0).any() or (matrix > 1).any():
            raise LabelError(
                "The score column must hold probabilities in [0, 1] of the positive class "
                f"{pos_label!r}. Got values from {matrix.min():.3g} to {matrix.max():.3g}."
            )
        is_pos = label.to_numpy() == pos_label
        return np.where(is_pos, matrix, 1.0 - matrix)
    raise LabelError(f"Unsupported score of shape {matrix.shape} for log_loss.")


def _log_loss(label: pd.Series, prediction: pd.Series, score: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.clip(_score_of_true_class(label, score), 1e-15, 1.0)
    return -np.log(p), np.ones(len(p))


def _numeric_pair(
    name: str, label: pd.Series, prediction: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    for role, series in (("label", label), ("prediction", prediction)):
        if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
            sample = ", ".join(show_value(v) for v in pd.unique(series)[:3])
            raise LabelError(
                f"The metric {name!r} needs a numeric {role} (a regression target), but the "
                f"{role} column holds {series.dtype} values such as {sample}. Use "
                "metric='error_rate' for classes, or convert the column to numbers."
            )
    return label.to_numpy(dtype=np.float64), prediction.to_numpy(dtype=np.float64)


def _absolute_error(
    label: pd.Series, prediction: pd.Series, score: Any
) -> tuple[np.ndarray, np.ndarray]:
    y, p = _numeric_pair("absolute_error", label, prediction)
    return np.abs(y - p), np.ones(len(y))


def _squared_error(
    label: pd.Series, prediction: pd.Series, score: Any
) -> tuple[np.ndarray, np.ndarray]:
    y, p = _numeric_pair("squared_error", label, prediction)
    return (y - p) ** 2, np.ones(len(y))


def _text_metric(unit: str) -> ErrorFunction:
    def function(
        label: pd.Series, prediction: pd.Series, score: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        try:
            from workbench.metrics._wer import char_errors, word_errors
        except ImportError as exc:  # jiwer is in the [audio] extra
            from workbench.exceptions import MissingExtraError

            raise MissingExtraError.for_extra(
                "audio", f"The {unit} metric", str(exc.name)
            ) from None
        fn = word_errors if unit == "wer" else char_errors
        errors, ref_len = fn(label.tolist(), prediction.tolist())
        return np.asarray(errors, dtype=np.float64), np.asarray(ref_len, dtype=np.float64)

    return function


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "error_rate",
            "classification",
            _error_rate,
            "0/1 misclassification: a slice's error is its share of wrong predictions",
            binary_error=True,
        ),
        Metric(
            "log_loss",
            "classification",
            _log_loss,
            "log loss of the true class's predicted probability",
            needs_score=True,
        ),
        Metric(
            "absolute_error",
            "regression",
            _absolute_error,
            "absolute error |label - prediction|: a slice's error is its mean absolute error",
        ),
        Metric(
            "squared_error",
            "regression",
            _squared_error,
            "squared error: a slice's error is its mean squared error",
        ),
        Metric(
            "wer",
            "text",
            _text_metric("wer"),
            "word error rate: word errors / reference words, summed over the slice",
        ),
        Metric(
            "cer",
            "text",
            _text_metric("cer"),
            "character error rate: character errors / reference characters",
        ),
    )
}


def get_metric(metric: str | Metric | Callable[..., Any]) -> Metric:
    """Resolve a metric name, a :class:`Metric`, or a callable ``(label, prediction, score)``."""
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str):
        if metric not in METRICS:
            import difflib

            close = difflib.get_close_matches(metric, METRICS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ParameterError(
                f"Unknown metric {metric!r}.{hint} Expected one of {', '.join(METRICS)}, "
                "or a callable (label, prediction, score) -> (error, weight)."
            )
        return METRICS[metric]
    if callable(metric):
        name = getattr(metric, "__name__", "custom")
        return Metric(name, "regression", metric, f"custom metric {name}")
    raise ParameterError(
        f"The 'metric' parameter must be a metric name ({', '.join(METRICS)}), a Metric or a "
        f"callable. Got {type(metric).__name__} instead."
    )


def choose_metric(label: pd.Series, prediction: pd.Series) -> tuple[Metric, str]:
    """Pick a default metric from the label and prediction types, and say why.

    Numbers with many distinct values (or non-integer floats) are a regression
    target (absolute error); everything else is classes (0/1 error rate).
    """
    numeric = pd.api.types.is_numeric_dtype(label) and not pd.api.types.is_bool_dtype(label)
    if numeric:
        values = label.dropna().to_numpy(dtype=np.float64)
        n_unique = len(np.unique(values))
        fractional = bool(len(values)) and not np.allclose(values, np.round(values))
        if fractional or n_unique > 20:
            return METRICS["absolute_error"], (
                f"metric absolute_error: the label is numeric with {n_unique} distinct values, "
                "so it is treated as a regression target (pass metric=... to change)"
            )
    n_classes = label.nunique(dropna=True)
    return METRICS["error_rate"], (
        f"metric error_rate: the label has {n_classes} classes, so errors are 0/1 "
        "misclassifications (pass metric=... to change)"
    )
