"""Guess which columns of an uploaded table hold the label, the prediction and the score.

Pure functions over a pandas frame, so the guesses are testable without widgets.
The app shows the guesses as defaults the user can change; nothing here is
authoritative. Imports pandas and the standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["ColumnGuess", "guess_columns", "is_text", "missing_counts"]

_LABEL_NAMES = re.compile(
    r"^(label|labels|target|y|y_true|ytrue|truth|ground_truth|groundtruth|true|true_label|"
    r"actual|outcome|class|gold|reference|ref|transcript_ref|reference_text)$",
    re.IGNORECASE,
)
_LABEL_WORDS = re.compile(
    r"(label|target|truth|actual|gold|reference|outcome|true|observed|ground|diagnosis|"
    r"verdict|result)",
    re.IGNORECASE,
)
_PRED_WORDS = re.compile(
    r"(^|[^a-z])(pred|preds|prediction|predictions|predicted|yhat|y_hat|y_pred|output|hyp|"
    r"hypothesis|asr|transcription|decision|estimate|estimated|forecast|model|recommended|"
    r"classifier|guess)([^a-z]|$)",
    re.IGNORECASE,
)
_SCORE_WORDS = re.compile(
    r"(^|[^a-z])(proba|probas|prob|probs|probability|score|scores|confidence|conf|likelihood)"
    r"([^a-z]|$)",
    re.IGNORECASE,
)
_ID_WORDS = re.compile(r"(^id$|_id$|^id_|[^a-z]id$|uuid|guid|^index$|^row$|^key$|number$)", re.I)

#: Rows read for the value checks (they only need a sample).
_SAMPLE_ROWS = 5000


@dataclass(frozen=True)
class ColumnGuess:
    """Which columns look like the label, the prediction and the score, and why.

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
    identifiers : list of str
        Columns with a different value in every row (IDs): never a label or a
        prediction, and left out of the search by default.
    reasons : dict
        Role (``"label"``, ``"prediction"``, ``"score"``, ``"identifiers"``) -> why,
        in words the app shows next to the menus.
    """

    label: str | None
    prediction: str | None
    score: str | None
    features: list[str] = field(default_factory=list)
    other_outputs: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


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


def _is_identifier(name: str, series: pd.Series) -> bool:
    """A different value in every row (and not a measurement), or an ID-like name."""
    n = len(series)
    if is_text(series):
        return False  # sentences (transcripts, comments) differ row by row too
    if n < 20 or pd.api.types.is_float_dtype(series) or pd.api.types.is_bool_dtype(series):
        return bool(_ID_WORDS.search(name)) and series.nunique() >= 0.9 * max(n, 1) and n >= 2
    return series.nunique(dropna=False) == n or (
        bool(_ID_WORDS.search(name)) and series.nunique() >= 0.9 * n
    )


def is_text(series: pd.Series) -> bool:
    """Whether a column holds sentences (two or more words on average)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    values = series.dropna().astype(str).head(200)
    return bool(len(values)) and float(values.str.count(r"\S+").mean()) >= 2


def _name_score(name: str, role: str) -> int:
    if role == "label":
        return 3 if _LABEL_NAMES.match(name) else (2 if _LABEL_WORDS.search(name) else 0)
    return 3 if _PRED_WORDS.search(name) else 0


def _pair_evidence(label: pd.Series, prediction: pd.Series) -> tuple[float, str]:
    """How much the values say that these two are a label and its prediction, and why.

    A label and a prediction share their values and agree on most rows (a model is
    mostly right, rarely always); texts share most words; numbers move together.
    """
    both = label.notna() & prediction.notna()
    if both.sum() == 0:
        return 0.0, ""
    a, b = label[both], prediction[both]
    if is_text(a) and is_text(b):
        words_a = a.astype(str).str.lower().str.split()
        words_b = b.astype(str).str.lower().str.split()
        shared = [
            len(set(x) & set(y)) / max(len(set(x)), 1)
            for x, y in zip(words_a.head(300), words_b.head(300), strict=True)
        ]
        mean = sum(shared) / len(shared)
        if mean >= 0.4:
            return 3.0, f"texts that share {mean:.0%} of their words, row by row"
        return 0.0, ""
    n_a, n_b = a.nunique(), b.nunique()
    if n_a <= 50 and n_b <= 50:
        overlap = _value_overlap(a, b)
        agree = float((a.astype(str) == b.astype(str)).mean())
        if overlap < 0.5:
            return -1.0, ""
        if n_a > 3 * n_b + 2:
            # A wide range (an age, a count) that happens to contain the prediction's
            # few values is not its label.
            return -1.0, ""
        score = 2.0 * overlap + (1.0 if agree >= 0.5 else 0.0)
        return score, (
            f"the same {n_b} value{'s' if n_b != 1 else ''} as the label, equal in "
            f"{agree:.0%} of rows"
        )
    numeric = pd.api.types.is_numeric_dtype
    if numeric(a) and numeric(b) and not pd.api.types.is_bool_dtype(a):
        x, y = a.astype(float), b.astype(float)
        if x.std() == 0 or y.std() == 0:
            return 0.0, ""
        corr = float(x.corr(y))
        lo, hi = max(x.min(), y.min()), min(x.max(), y.max())
        ranges = (hi - lo) / max(x.max() - x.min(), y.max() - y.min(), 1e-12)
        if corr >= 0.5 and ranges >= 0.5:
            return 2.0 + corr, f"numbers on the same scale that follow the label (r = {corr:.2f})"
    return 0.0, ""


def guess_columns(frame: pd.DataFrame) -> ColumnGuess:
    """Guess the label, prediction and score columns of a table of predictions.

    Each pair of columns is scored by its names (``label``, ``target``, ``outcome``;
    ``pred``, ``decision``, ``model_output``) *and* its values: a label and a
    prediction share their set of values and agree on most rows; IDs (a different
    value in every row) are never either. The reasons are kept for the app to show.

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
    sample = frame.head(_SAMPLE_ROWS)
    sample.columns = [str(c) for c in sample.columns]
    columns = list(sample.columns)
    reasons: dict[str, str] = {}
    identifiers = [c for c in columns if _is_identifier(c, sample[c])]
    scores = [c for c in columns if _SCORE_WORDS.search(c) and _is_probability(sample[c])]
    candidates = [c for c in columns if c not in identifiers and c not in scores]
    preds = [c for c in candidates if _PRED_WORDS.search(c) and not _LABEL_NAMES.match(c)]

    # Score every ordered pair (label, prediction); names count, values decide ties and
    # rescue unhelpful names. Wide tables: only the first 60 columns are paired.
    best: tuple[float, int, str, str, str] | None = None
    for i, lab in enumerate(candidates[:60]):
        for j, pred in enumerate(candidates[:60]):
            if lab == pred:
                continue
            names = _name_score(lab, "label") + _name_score(pred, "prediction")
            names -= 3 if lab in preds else 0
            names -= 2 if _name_score(pred, "label") == 3 else 0
            evidence, why = _pair_evidence(sample[lab], sample[pred])
            total = names + evidence
            order = -(i * 1000 + j)  # earlier columns win ties
            if best is None or (total, order) > best[:2]:
                best = (total, order, lab, pred, why)
    label = prediction = None
    if best is not None and best[0] > 0:
        _, _, label, prediction, why = best
        said = []
        if _name_score(label, "label"):
            said.append(f"its name {label!r} reads like a true outcome")
        reasons["label"] = "; ".join(said) or "its values match the prediction's"
        said = []
        if _name_score(prediction, "prediction"):
            said.append(f"its name {prediction!r} reads like a model's output")
        if why:
            said.append(why)
        reasons["prediction"] = "; ".join(said) or "the best match for the label"
    else:
        # Nothing looks like a pair: take the first two usable columns and say so.
        usable = candidates or columns
        label = usable[0] if usable else None
        prediction = usable[1] if len(usable) > 1 else None
        note = "no column looked like one: check this choice"
        reasons["label"] = reasons["prediction"] = note

    score = None
    if prediction is not None and scores:
        stem = _stem(prediction, _PRED_WORDS)
        matching = [c for c in scores if _stem(c, _SCORE_WORDS) == stem]
        score = (matching or scores)[0]
        reasons["score"] = (
            f"values between 0 and 1 and a name ({score!r}) that reads like a probability"
        )
    if identifiers:
        reasons["identifiers"] = (
            f"{', '.join(identifiers)}: a different value in every row (an ID), so not "
            "searched by default"
        )
    chosen = {label, prediction, score}
    other_outputs = [c for c in preds + scores if c not in chosen]
    features = [
        c for c in columns if c not in chosen and c not in other_outputs and c not in identifiers
    ]
    return ColumnGuess(label, prediction, score, features, other_outputs, identifiers, reasons)


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
