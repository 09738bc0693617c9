"""Per-row error functions: what "error" means for a slice.

A metric maps (label, prediction, score) to a per-row ``error`` and ``weight``;
a slice's error is always ``sum(error) / sum(weight)``. Built in: 0/1
misclassification (``error_rate``), ``log_loss``, ``absolute_error``,
``squared_error``, word/character error rate (``wer``, ``cer``, weighted
by reference length), and the fairness rates, each a ratio of sums over the rows
it is defined on (the other rows weigh 0): ``false_negative_rate`` (over rows whose
label is ``pos_label``), ``false_positive_rate`` (over the other labels),
``selection_rate`` (share predicted ``pos_label``, over all rows),
``false_discovery_rate`` (1 - precision, over rows predicted ``pos_label``) and
``class_error_rate`` (error among rows of the class ``pos_label``, any number of
classes). Any callable returning ``(error, weight)`` plugs in.
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
        Whether every per-row error is 0 or 1 with weight 1 on the rows it is
        measured on (exact tests apply).
    needs_score : bool
        Whether the metric needs predicted probabilities.
    pos_label : object, optional
        The positive class of a fairness rate (None: 1 or True for 0/1 labels).
    domain : str
        For a metric measured on some rows only (weight 0 elsewhere), which rows;
        empty when every row counts.
    """

    name: str
    kind: str
    function: ErrorFunction
    description: str
    binary_error: bool = False
    needs_score: bool = False
    pos_label: Any = None
    domain: str = ""

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


def _positive_class(label: pd.Series, prediction: pd.Series, pos_label: Any, name: str) -> Any:
    """``pos_label``, or 1 / True when the labels are 0/1 or booleans."""
    if pos_label is not None:
        return pos_label
    values = set(pd.unique(label.dropna())) | set(pd.unique(prediction.dropna()))
    if values and values <= {0, 1}:
        return True if all(isinstance(v, (bool, np.bool_)) for v in values) else 1
    shown = ", ".join(sorted(show_value(v) for v in values)[:6])
    raise ParameterError(
        f"The metric {name!r} needs the positive class, and the labels are not 0/1. Got "
        f"classes {shown}. Pass pos_label=<the class a positive decision means>, e.g. "
        f"pos_label={show_value(sorted(values, key=str)[-1])} (--pos-label on the CLI)."
    )


def _is_class(values: pd.Series, cls: Any) -> np.ndarray:
    """Whether each value is the class ``cls`` (numbers compare as numbers, else as text)."""
    numeric = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
    if numeric and isinstance(cls, str):  # "1" typed on the command line
        with contextlib.suppress(ValueError):
            cls = float(cls)
    if numeric and isinstance(cls, (int, float, bool, np.number, np.bool_)):
        return values.to_numpy(dtype=np.float64, na_value=np.nan) == float(cls)
    return (values.astype(str) == str(cls)).to_numpy()


def _rate_function(rate: str, pos_label: Any) -> ErrorFunction:
    """(error, weight) of a fairness rate: error and weight are 0/1 per row."""

    def function(
        label: pd.Series, prediction: pd.Series, score: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        pos = _positive_class(label, prediction, pos_label, rate)
        true_pos = _is_class(label, pos)
        pred_pos = _is_class(prediction, pos)
        if rate in ("false_negative_rate", "class_error_rate"):
            weight, error = true_pos, true_pos & ~pred_pos
        elif rate == "false_positive_rate":
            weight, error = ~true_pos, ~true_pos & pred_pos
        elif rate == "false_discovery_rate":
            weight, error = pred_pos, pred_pos & ~true_pos
        else:  # selection_rate
            weight, error = np.ones(len(label), dtype=bool), pred_pos
        return error.astype(np.float64), weight.astype(np.float64)

    function.__name__ = rate
    return function


_RATES = {
    "false_negative_rate": (
        "false negative rate: share of the positives (label = pos_label) predicted negative",
        "rows whose label is the positive class",
    ),
    "false_positive_rate": (
        "false positive rate: share of the negatives (label != pos_label) predicted positive",
        "rows whose label is not the positive class",
    ),
    "selection_rate": (
        "selection rate: share of rows predicted positive (prediction = pos_label)",
        "",
    ),
    "false_discovery_rate": (
        "false discovery rate (1 - precision): share of predicted positives that are negatives",
        "rows predicted as the positive class",
    ),
    "class_error_rate": (
        "per-class error: share of the rows of class pos_label predicted as another class",
        "rows whose label is the class pos_label",
    ),
}


def _rate_metric(rate: str, pos_label: Any = None) -> Metric:
    description, domain = _RATES[rate]
    return Metric(
        rate,
        "classification",
        _rate_function(rate, pos_label),
        description,
        binary_error=True,
        pos_label=pos_label,
        domain=domain,
    )


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
        *(_rate_metric(rate) for rate in _RATES),
    )
}


def get_metric(metric: str | Metric | Callable[..., Any], *, pos_label: Any = None) -> Metric:
    """Resolve a metric name, a :class:`Metric`, or a callable ``(label, prediction, score)``.

    ``pos_label`` names the positive class of the fairness rates
    (``false_negative_rate``, ``false_positive_rate``, ``selection_rate``,
    ``false_discovery_rate``, ``class_error_rate``); other metrics refuse it.

    Examples
    --------
    >>> m = get_metric("false_negative_rate", pos_label=">50K")
    >>> error, weight = m.compute(pd.Series([">50K", ">50K", "<=50K"]),
    ...                           pd.Series([">50K", "<=50K", ">50K"]))
    >>> error.tolist(), weight.tolist()
    ([0.0, 1.0, 0.0], [1.0, 1.0, 0.0])
    """
    if pos_label is not None:
        name = metric if isinstance(metric, str) else getattr(metric, "name", "")
        if name not in _RATES:
            raise ParameterError(
                f"pos_label only applies to the fairness rates ({', '.join(_RATES)}). Got "
                f"metric {name or metric!r} with pos_label={show_value(pos_label)}. Drop "
                "pos_label or choose one of those metrics."
            )
        return _rate_metric(name, pos_label)
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
