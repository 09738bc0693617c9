"""Turn raw columns into categorical slice features with integer codes.

Every slice predicate is ``feature = category``. Numbers are cut into quantile
bins with readable edges (``age in [38, 47)``); a value that holds a large share
of the rows (like ``capital_gain = 0``) gets a bin of its own; missing values
are their own ``missing`` category; columns with many distinct values keep their
most frequent ones and pool the rest into ``other``; booleans and strings are
categories; ID-like columns (all values distinct) and constant columns are
skipped with a note. Each category also knows its SQL over the *raw* column, so
a slice can be checked on the original data. Imports numpy, pandas and
``workbench.findings``.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.findings import MISSING, OTHER, Predicate

__all__ = ["EncodedFeature", "FeatureEncoding", "encode_categories", "encode_features"]

_ID_NAME = re.compile(r"(^|_|\b)(id|key|uuid|index|idx)($|_|\b)", re.IGNORECASE)


@dataclass(frozen=True)
class EncodedFeature:
    """One searchable feature: a label and a typed predicate per integer code."""

    name: str
    kind: str  # "numeric", "categorical" or "boolean"
    labels: tuple[str, ...]
    predicates: tuple[Predicate, ...]
    interval: bool = False
    note: str = ""

    @property
    def cardinality(self) -> int:
        return len(self.labels)

    def predicate(self, code: int) -> Predicate:
        return self.predicates[code]


@dataclass(frozen=True)
class FeatureEncoding:
    """The features of a dataset and the columns left out, with reasons."""

    features: tuple[EncodedFeature, ...]
    skipped: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> EncodedFeature:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]


def _fmt(value: float, integer: bool) -> str:
    if integer:
        return str(int(value))
    return f"{value:.4g}"


def _nice(value: float) -> float:
    """Round to two significant digits, so edges read like 38 or 0.25 or 12000."""
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.2g}")


def _numeric_edges(values: np.ndarray, n_bins: int, integer: bool) -> list[float]:
    """Bin edges for sorted, non-missing ``values``."""
    lo, hi = float(values[0]), float(values[-1])
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    run_lengths = np.diff(np.r_[starts, len(values)])
    edges: set[float] = set()
    rest = values
    mode_index = int(run_lengths.argmax())
    if run_lengths[mode_index] / len(values) >= 1.0 / n_bins:
        # A heavy point mass (e.g. zero) gets a bin of its own.
        mode = float(values[starts[mode_index]])
        step = 1.0 if integer else 0.0
        edges.add(mode)
        if integer:
            edges.add(mode + step)
        rest = values[values != mode]
    if len(rest):
        qs = np.quantile(rest, np.linspace(0, 1, n_bins + 1)[1:-1])
        for q in qs:
            e = _nice(float(q))
            if integer:
                e = float(math.ceil(e))
            edges.add(e)
    return sorted(e for e in edges if lo < e <= hi)


def _encode_numeric(
    name: str, raw: np.ndarray, present: np.ndarray, n_bins: int
) -> tuple[np.ndarray, EncodedFeature]:
    """Quantile-bin ``raw`` (float, NaN = missing); ``present`` is its sorted non-missing part."""
    missing = np.isnan(raw)
    integer = bool(len(present)) and bool(np.all(present == np.round(present)))
    edges = _numeric_edges(present, n_bins, integer) if len(present) else []
    labels: list[str] = []
    preds: list[Predicate] = []

    def edge(v: float) -> float | int | None:
        if math.isinf(v):
            return None
        return int(v) if integer else float(v)

    bounds = [-math.inf, *edges, math.inf]
    for lo, hi in itertools.pairwise(bounds):
        if math.isinf(lo) and math.isinf(hi):
            label = "all values"
            preds.append(Predicate.present(name, numeric=True, label=label))
        else:
            if math.isinf(lo):
                label = f"< {_fmt(hi, integer)}"
            elif math.isinf(hi):
                label = f">= {_fmt(lo, integer)}"
            else:
                label = f"[{_fmt(lo, integer)}, {_fmt(hi, integer)})"
            preds.append(Predicate.range(name, edge(lo), edge(hi), label=label))
        labels.append(label)
    codes = np.searchsorted(np.asarray(edges, dtype=np.float64), np.nan_to_num(raw), side="right")
    if missing.any():
        codes[missing] = len(labels)
        labels.append(MISSING)
        preds.append(Predicate.missing(name, numeric=True))
    feature = EncodedFeature(
        name,
        "numeric",
        tuple(labels),
        tuple(preds),
        interval=True,
        note=f"numeric, {len(edges) + 1} quantile bins",
    )
    return codes, feature


def _encode_categorical(
    name: str, series: pd.Series, max_categories: int
) -> tuple[np.ndarray, EncodedFeature]:
    return encode_categories(name, series, max_categories=max_categories)


def _category_predicate(name: str, value: object, label: str | None, intervals: bool) -> Predicate:
    """The predicate of one category: a given predicate as is, an interval (from
    ``pandas.cut``) as a range when ``intervals``, any other value as equality."""
    if isinstance(value, Predicate):
        return value
    if intervals and isinstance(value, pd.Interval):
        return Predicate.range(name, value.left, value.right, closed=value.closed, label=label)
    if isinstance(value, np.generic):
        value = value.item()
    return Predicate.eq(name, value, label=label)


def _category_feature(
    name: str,
    kept: Sequence[Any],
    *,
    n_distinct: int,
    cap: int,
    has_missing: bool,
    is_bool: bool,
    labelled: bool,
    intervals: bool,
) -> EncodedFeature:
    """The feature of a categorical column whose ``kept`` categories take codes 0, 1, ...;
    then ``other`` (code ``len(kept)``) when more than ``cap`` values were seen, then
    ``missing`` when there are missing values."""
    labels = [str(v) for v in kept]
    n_kept = len(kept)
    note = "boolean" if is_bool else f"categorical, {n_distinct} values"
    if n_distinct > cap:
        labels.append(OTHER)
        note += f"; capped: the {cap} most frequent kept, the rest pooled as 'other'"
    if has_missing:
        labels.append(MISSING)
    # A real category that reads like our reserved labels stays distinguishable.
    reserved = set(labels[n_kept:])
    for i in range(n_kept):
        if labels[i] in reserved:
            labels[i] = f"{labels[i]} (value)"
    kind = "boolean" if is_bool else "categorical"
    preds = [
        _category_predicate(name, v, labels[i] if labelled else None, intervals)
        for i, v in enumerate(kept)
    ]
    if n_distinct > cap:
        preds.append(Predicate.not_in(name, kept, label=labels[n_kept]))
    if has_missing:
        preds.append(Predicate.missing(name, label=labels[-1]))
    return EncodedFeature(name, kind, tuple(labels), tuple(preds), note=note)


class _Dictionary:
    """A categorical column's codes and counts, read once (no hashing of its values).

    ``raw`` holds the column's own codes viewed as unsigned (missing, code -1, becomes
    the largest value); ``counts[c]`` is how many rows take category ``c`` and
    ``n_missing`` how many are missing. Serves the encoder's checks and its codes
    without a factorisation or a 64-bit copy of the column.
    """

    def __init__(self, series: pd.Series) -> None:
        codes = series.cat.codes.to_numpy()
        unsigned = {1: np.uint8, 2: np.uint16}.get(codes.dtype.itemsize)
        if unsigned is None or codes.dtype.kind != "i":
            raise ValueError("wide codes")
        self.raw = codes.view(unsigned)
        self.categories = series.cat.categories
        n_slots = 1 << (8 * codes.dtype.itemsize)
        counts = np.bincount(self.raw, minlength=n_slots)
        self.n_missing = int(counts[-1])
        self.counts = counts[: len(self.categories)]
        self.present = np.flatnonzero(self.counts)

    @classmethod
    def of(cls, series: pd.Series) -> _Dictionary | None:
        if not isinstance(series.dtype, pd.CategoricalDtype):
            return None
        try:
            return cls(series)
        except ValueError:  # more categories than 16-bit codes hold: the general path
            return None

    @functools.cached_property
    def first_seen(self) -> np.ndarray:
        """The present categories in the order of their first row (as ``factorize``)."""
        wanted = len(self.present)
        seen = np.zeros(len(self.categories), dtype=bool)
        order: list[int] = []
        missing_code = np.iinfo(self.raw.dtype).max
        step = 1 << 16
        for start in range(0, len(self.raw), step):
            for code in pd.unique(self.raw[start : start + step]):
                if code != missing_code and not seen[code]:
                    seen[code] = True
                    order.append(int(code))
            if len(order) == wanted:
                break
            step = min(step * 4, 1 << 22)
        return np.asarray(order, dtype=np.int64)


def _encode_dictionary(
    name: str,
    dictionary: _Dictionary,
    *,
    max_categories: int | None,
    labelled: bool,
    intervals: bool,
    is_bool: bool,
) -> tuple[np.ndarray, EncodedFeature]:
    """``encode_categories`` (most frequent first) from a column's own codes: the same
    codes, labels and predicates, by lookup tables over the categories."""
    uniques = dictionary.first_seen  # category positions, in order of first appearance
    n_distinct = len(uniques)
    positions = np.argsort(-dictionary.counts[uniques], kind="stable")
    cap = n_distinct if max_categories is None else max_categories
    kept_positions = positions[:cap]
    kept = [dictionary.categories[uniques[i]] for i in kept_positions]
    feature = _category_feature(
        name,
        kept,
        n_distinct=n_distinct,
        cap=cap,
        has_missing=dictionary.n_missing > 0,
        is_bool=is_bool,
        labelled=labelled,
        intervals=intervals,
    )
    # One lookup from the column's code to ours: a kept category's rank, else 'other';
    # missing (the last slot) after 'other'.
    n_kept = len(kept)
    table = np.full(np.iinfo(dictionary.raw.dtype).max + 1, n_kept, dtype=np.int64)
    table[uniques[kept_positions]] = np.arange(n_kept)
    table[-1] = n_kept + (n_distinct > cap)
    width = np.uint8 if feature.cardinality <= 255 else np.uint16
    return table.astype(width)[dictionary.raw], feature


def encode_categories(
    name: str,
    series: pd.Series,
    *,
    max_categories: int | None = None,
    order: str = "frequency",
    labelled: bool = True,
    intervals: bool = False,
) -> tuple[np.ndarray, EncodedFeature]:
    """Integer codes and one typed predicate per category of a categorical column.

    The one categorical encoder: the stored features use it (most frequent first,
    at most ``max_categories`` kept, the rest pooled as ``other``) and so does
    ``SliceSearch.fit`` for columns that are already categories (``order="sorted"``:
    a pandas categorical's own order, else sorted values, every value kept).
    Missing values are their own ``missing`` category (last). With ``intervals``
    the intervals of ``pandas.cut`` become range predicates over the numbers they
    were cut from (``SliceSearch.fit``; the stored features bin numbers themselves
    and leave it off). With ``labelled=False`` a value's predicate carries the
    value only (``Slice.conditions`` then gives the values back, as a search over
    given categories should), not its text label.

    Examples
    --------
    >>> codes, feature = encode_categories("sex", pd.Series(["M", "F", "M", None]))
    >>> codes.tolist(), feature.labels
    ([0, 1, 0, 2], ('M', 'F', 'missing'))
    >>> encode_categories("sex", pd.Series(["M", "F", "M"]), order="sorted")[1].labels
    ('F', 'M')
    """
    is_bool = pd.api.types.is_bool_dtype(series)
    if order == "frequency":
        dictionary = _Dictionary.of(series)
        if dictionary is not None:
            return _encode_dictionary(
                name,
                dictionary,
                max_categories=max_categories,
                labelled=labelled,
                intervals=intervals,
                is_bool=is_bool,
            )
    # factorize is vectorised (also for Arrow-backed strings); -1 marks missing values.
    if order == "sorted" and isinstance(series.dtype, pd.CategoricalDtype):
        raw_codes = series.cat.codes.to_numpy().astype(np.int64)
        uniques: Any = series.cat.categories
    elif order == "sorted":
        try:
            raw_codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
        except TypeError:  # values of mixed types cannot be sorted
            raw_codes, uniques = pd.factorize(series, sort=False, use_na_sentinel=True)
    else:
        raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    raw_codes = np.asarray(raw_codes, dtype=np.int64)
    n_distinct = len(uniques)
    if order == "sorted":
        positions = np.arange(n_distinct)
    else:
        counts = np.bincount(raw_codes[raw_codes >= 0], minlength=n_distinct)
        # Most frequent first; ties broken by first appearance, so the order is stable.
        positions = np.argsort(-counts, kind="stable")
    cap = n_distinct if max_categories is None else max_categories
    kept_positions = positions[:cap]
    kept = [uniques[i] for i in kept_positions]
    missing = raw_codes < 0
    has_missing = bool(missing.any())
    n_kept = len(kept)
    # Categories keep their rank as code; everything else is 'other'; missing after it.
    rank = np.full(n_distinct, n_kept, dtype=np.int64)
    rank[kept_positions] = np.arange(n_kept)
    codes = rank[np.where(missing, 0, raw_codes)] if n_distinct else np.zeros(len(series), np.int64)
    if has_missing:
        codes[missing] = n_kept + (n_distinct > cap)
    feature = _category_feature(
        name,
        kept,
        n_distinct=n_distinct,
        cap=cap,
        has_missing=has_missing,
        is_bool=is_bool,
        labelled=labelled,
        intervals=intervals,
    )
    return codes, feature


def encode_features(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    n_bins: int = 5,
    max_categories: int = 20,
    max_integer_categories: int = 10,
) -> tuple[dict[str, np.ndarray], FeatureEncoding]:
    """Encode ``columns`` of ``frame`` as integer-coded categorical features.

    Returns
    -------
    codes : dict of str to ndarray
        One small-integer array per kept feature (code ``c`` means ``labels[c]``).
    encoding : FeatureEncoding
        Labels and a typed predicate per code, plus the skipped columns and why.

    Examples
    --------
    >>> frame = pd.DataFrame({"age": list(range(20, 80)) * 2, "sex": list("FM") * 60})
    >>> codes, enc = encode_features(frame, ["age", "sex"], n_bins=3)
    >>> enc.get("age").labels
    ('< 40', '[40, 59)', '>= 59')
    >>> enc.get("sex").labels
    ('F', 'M')
    """
    features: list[EncodedFeature] = []
    skipped: list[tuple[str, str]] = []
    codes: dict[str, np.ndarray] = {}
    n = len(frame)
    for name in columns:
        series = frame[name]
        dtype = series.dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
            skipped.append((name, "date/time column: derive a feature such as month or weekday"))
            continue
        is_bool = pd.api.types.is_bool_dtype(dtype)
        is_number = pd.api.types.is_numeric_dtype(dtype) and not is_bool
        if is_number:
            # One sort serves the distinct count, the mode and the quantiles.
            raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
            present = np.sort(raw[~np.isnan(raw)])
            n_unique = int(np.count_nonzero(present[1:] != present[:-1]) + 1) if len(present) else 0
        dictionary = None if is_number else _Dictionary.of(series)
        if dictionary is not None:  # a categorical column: its own codes give the counts
            n_unique = len(dictionary.present)
        elif not is_number:
            n_unique = series.nunique(dropna=True)
        if n_unique == 0:
            skipped.append((name, "every value is missing"))
            continue
        has_missing = dictionary.n_missing > 0 if dictionary is not None else series.isna().any()
        if n_unique == 1 and not has_missing:
            skipped.append((name, "constant: one value for every row, so no slice can differ"))
            continue
        if dictionary is not None:
            sample = dictionary.categories[dictionary.first_seen[0]]
            if not isinstance(sample, (str, int, float, bool, np.generic)):
                skipped.append(
                    (name, f"holds {type(sample).__name__} values: use an extractor for media")
                )
                continue
        elif not is_number and not is_bool:
            sample = series.iloc[int(np.argmax(series.notna().to_numpy()))]
            if not isinstance(sample, (str, int, float, bool, np.generic)):
                skipped.append(
                    (name, f"holds {type(sample).__name__} values: use an extractor for media")
                )
                continue
        integer_like = is_number and pd.api.types.is_integer_dtype(dtype)
        # All-distinct strings are identifiers; all-distinct integers only when the
        # name says so or there are too many rows for a measurement to never repeat.
        id_name = bool(_ID_NAME.search(str(name)))
        looks_like_id = not is_number or (integer_like and (id_name or n >= 1000))
        if looks_like_id and n >= 20 and n_unique == n:
            skipped.append((name, "ID-like: every value is distinct, so it cannot define a group"))
            continue
        # A few distinct whole numbers (a count, a rating) are categories; fractional
        # measurements (a share, a duration) are binned like any number, however few
        # distinct values they take, so no category is labelled with a raw float.
        fractional = is_number and bool(np.any(present != np.round(present)))
        if is_number and (n_unique > max_integer_categories or fractional):
            code, feature = _encode_numeric(name, raw, present, n_bins)
        elif dictionary is not None:
            code, feature = _encode_dictionary(
                name,
                dictionary,
                max_categories=max_categories,
                labelled=True,
                intervals=False,
                is_bool=is_bool,
            )
        else:
            code, feature = _encode_categorical(name, series, max_categories)
        dtype_out = np.uint8 if feature.cardinality <= 255 else np.uint16
        codes[name] = code.astype(dtype_out)
        features.append(feature)
    return codes, FeatureEncoding(tuple(features), tuple(skipped))
