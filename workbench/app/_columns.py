"""Guess which columns of an uploaded table hold the label, the prediction and the score.

Pure functions over a pandas frame, so the guesses are testable without widgets.
The app shows the guesses as defaults the user can change; nothing here is
authoritative. Imports pandas and the standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["ColumnGuess", "guess_columns", "missing_counts"]

_LABEL_NAMES = re.compile(
    r"^(label|labels|target|y|y_true|ytrue|truth|ground_truth|groundtruth|true|true_label|"
    r"actual|outcome|class|gold|reference|ref|transcript_ref|reference_text)$",
    re.IGNORECASE,
)
_LABEL_WORDS = re.compile(r"(label|target|truth|actual|gold|reference)", re.IGNORECASE)
_PRED_WORDS = re.compile(
    r"(^|[^a-z])(pred|preds|prediction|predictions|predicted|yhat|y_hat|y_pred|output|hyp|"
    r"hypothesis|asr|transcription)([^a-z]|$)",
    re.IGNORECASE,
)
_SCORE_WORDS = re.compile(
    r"(^|[^a-z])(proba|probas|prob|probs|probability|score|scores|confidence|conf|likelihood)"
    r"([^a-z]|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ColumnGuess:
    """Which columns look like the label, the prediction and the score.

    Attributes
    ----------
    label, prediction : str or None
        The guessed columns (None when the table has too few columns).
    score : str or None
        A column of probabilities in [0, 1] that goes with the prediction.
    features : list of str
        Every other column, to search over by default.
    other_outputs : list of str
        Columns that look like another model's predictions or scores; left out of
        the search by default so a scan does not "explain" errors by predictions.
    """

    label: str | None
    prediction: str | None
    score: str | None
    features: list[str] = field(default_factory=list)
    other_outputs: list[str] = field(default_factory=list)


def _is_probability(series: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    values = series.dropna()
    return bool(len(values)) and float(values.min()) >= 0.0 and float(values.max()) <= 1.0


def _stem(name: str, words: re.Pattern[str]) -> str:
    return words.sub(lambda m: m.group(1) + m.group(3), name.lower()).strip("_- ")


def _value_overlap(a: pd.Series, b: pd.Series) -> float:
    """Share of b's distinct values (at most 50 of them) that also occur in a."""
    b_values = b.dropna().unique()
    if len(b_values) == 0 or len(b_values) > 50:
        return 0.0
    a_values = {str(v) for v in a.dropna().unique()[:1000]}
    return sum(str(v) in a_values for v in b_values) / len(b_values)


def guess_columns(frame: pd.DataFrame) -> ColumnGuess:
    """Guess the label, prediction and score columns of a table of predictions.

    Names decide first (``label``, ``target``, ``y_true``; ``pred``, ``prediction``;
    ``proba``, ``score``); without a label-like name, the column whose values best
    match the prediction's values is taken as the label.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per example.

    Returns
    -------
    ColumnGuess

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [30, 40], "income": ["<=50K", ">50K"],
    ...                       "pred_v1": ["<=50K", "<=50K"], "proba_v1": [0.1, 0.4]})
    >>> g = guess_columns(frame)
    >>> g.label, g.prediction, g.score
    ('income', 'pred_v1', 'proba_v1')
    """
    columns = [str(c) for c in frame.columns]
    scores = [c for c in columns if _SCORE_WORDS.search(c) and _is_probability(frame[c])]
    preds = [c for c in columns if _PRED_WORDS.search(c) and c not in scores]
    prediction = preds[0] if preds else None

    named = [c for c in columns if _LABEL_NAMES.match(c)]
    named += [c for c in columns if _LABEL_WORDS.search(c) and c not in named and c not in preds]
    label = named[0] if named else None
    if label is None and prediction is not None:
        candidates = [c for c in columns if c not in preds and c not in scores]
        overlaps = [(_value_overlap(frame[c], frame[prediction]), c) for c in candidates]
        best = max(overlaps, default=(0.0, ""), key=lambda t: t[0])
        label = best[1] if best[0] > 0 else None
    rest = [c for c in columns if c not in (label, prediction)]
    if prediction is None and rest:
        prediction = rest[-1] if label is not None else (rest[1] if len(rest) > 1 else None)
    if label is None:
        others = [c for c in columns if c != prediction]
        label = others[0] if others else None

    score = None
    if prediction is not None and scores:
        stem = _stem(prediction, _PRED_WORDS)
        matching = [c for c in scores if _stem(c, _SCORE_WORDS) == stem]
        score = (matching or scores)[0]
    chosen = {label, prediction, score}
    other_outputs = [c for c in preds + scores if c not in chosen]
    features = [c for c in columns if c not in chosen and c not in other_outputs]
    return ColumnGuess(label, prediction, score, features, other_outputs)


def missing_counts(frame: pd.DataFrame, label: str, prediction: str) -> tuple[int, int, int]:
    """Rows without a label, without a prediction, and without either (their union).

    Examples
    --------
    >>> missing_counts(pd.DataFrame({"y": [1, None, 0], "p": [1, 0, None]}), "y", "p")
    (1, 1, 2)
    """
    no_label = frame[label].isna()
    no_pred = frame[prediction].isna()
    return int(no_label.sum()), int(no_pred.sum()), int((no_label | no_pred).sum())
