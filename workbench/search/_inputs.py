"""Check the search's inputs; turn data frames into integer codes.

The one job of this module is to make what the caller gave into what the lattice
search needs -- per-feature integer codes with one
:class:`~workbench.findings.Predicate` per code, float errors and weights -- or to
raise a :mod:`workbench.exceptions` error saying what was expected, what came and
how to fix it. (The parameters are checked against the one table in
``_parameters``.) Columns that are already categories are encoded by the project's
one categorical encoder (``workbench.features.encode_categories``, as the stored
features are). It imports numpy, pandas, pyarrow (through Arrow and polars input),
``workbench.features``, ``workbench.findings`` and ``workbench.exceptions``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import DataError, EmptyDataError
from workbench.features import encode_categories
from workbench.findings import Predicate

__all__ = ["EncodedFeatures", "check_errors", "check_weights"]


def as_float_vector(values: Any, name: str, n_rows: int) -> np.ndarray:
    """A 1-D float64 array of length ``n_rows`` (DataError otherwise)."""
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        values = values.to_numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"The {name} must be numbers, one per row. Got values that cannot be read as "
            f"floats ({exc}). Pass a 1-D numeric array."
        ) from None
    if array.ndim != 1:
        raise DataError(
            f"The {name} must be a 1-D array with one value per row. Got shape {array.shape}. "
            "Pass a flat array (e.g. errors.ravel())."
        )
    if len(array) != n_rows:
        raise DataError(
            f"The {name} must have one value per row of the features ({n_rows} rows). "
            f"Got {len(array)} values. Pass {name} aligned with the feature rows."
        )
    return array


def check_errors(errors: np.ndarray, n_rows: int) -> None:
    bad = ~np.isfinite(errors)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"The errors must be finite numbers >= 0. Got {float(errors[first])!r} at row {first} "
            f"({int(bad.sum())} non-finite values). Drop those rows or fill them."
        )
    if len(errors) and errors.min() < 0:
        first = int(np.flatnonzero(errors < 0)[0])
        raise DataError(
            f"The errors must be >= 0 (a per-row loss). Got {float(errors[first])!r} at row {first}. "
            "Use a non-negative per-row error such as 0/1 misclassification or absolute error."
        )


def check_weights(weights: np.ndarray, n_rows: int) -> None:
    bad = ~np.isfinite(weights) | (weights <= 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"The weights must be finite numbers > 0. Got {float(weights[first])!r} at row {first} "
            f"({int(bad.sum())} such values). Drop rows with zero weight or pass weights=None."
        )


@dataclass(frozen=True)
class EncodedFeatures:
    """Integer codes per feature, and the predicate each code stands for."""

    columns: list[np.ndarray]
    cardinalities: tuple[int, ...]
    names: list[str]
    predicates: list[list[Predicate]]

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def code_dtype(cardinality: int) -> Any:
    if cardinality <= 1 << 8:
        return np.uint8
    if cardinality <= 1 << 16:
        return np.uint16
    return np.int64


def _predicate(feature: str, label: Any) -> Predicate:
    if isinstance(label, Predicate):
        return label
    if isinstance(label, pd.Interval):
        return Predicate.range(
            feature, label.left, label.right, closed=label.closed, label=str(label)
        )
    if isinstance(label, float) and math.isnan(label):
        label = None
    elif isinstance(label, np.generic):
        label = label.item()
    return Predicate.eq(feature, label)


def labels_to_predicates(name: str, labels: Sequence[Any]) -> list[Predicate]:
    return [_predicate(name, label) for label in labels]


def _encode_column(name: str, column: Any) -> tuple[np.ndarray, list[Predicate]]:
    """Codes and predicates of one column that is already categorical, by the
    project's one categorical encoder (every value kept, in sorted or categorical
    order; missing values last)."""
    if not isinstance(column, pd.Series):  # a pyarrow (Chunked)Array
        column = column.to_pandas()
    codes, feature = encode_categories(
        name, column.reset_index(drop=True), order="sorted", labelled=False, intervals=True
    )
    return codes, list(feature.predicates)


def encode_frame(features: Any) -> EncodedFeatures:
    """Codes and predicates for a pandas or polars DataFrame or a pyarrow Table."""
    kind = type(features).__module__.split(".")[0]
    if kind == "polars":
        features = features.to_arrow()
        kind = "pyarrow"
    if isinstance(features, pd.DataFrame):
        names = [str(c) for c in features.columns]
        encoded = [_encode_column(names[j], features.iloc[:, j]) for j in range(features.shape[1])]
        n_rows = len(features)
    elif kind == "pyarrow" and hasattr(features, "column_names"):
        names = [str(c) for c in features.column_names]
        encoded = [
            _encode_column(names[j], features.column(j)) for j in range(features.num_columns)
        ]
        n_rows = features.num_rows
    else:
        raise DataError(
            "The features must be a pandas DataFrame, a polars DataFrame or a pyarrow Table. "
            f"Got {type(features).__name__}. For integer codes in an array use fit_codes()."
        )
    if n_rows == 0 or not names:
        raise EmptyDataError(
            f"The features must have at least one row and one column. Got {n_rows} rows and "
            f"{len(names)} columns. Pass the table of features to search over."
        )
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DataError(
            f"The feature columns must have distinct names. Got duplicates: {dup}. "
            "Rename the columns."
        )
    columns, cards, predicates = [], [], []
    for codes, preds in encoded:
        card = max(len(preds), 1)
        columns.append(codes.astype(code_dtype(card)))
        cards.append(card)
        predicates.append(preds)
    return EncodedFeatures(columns, tuple(cards), names, predicates)


def encode_codes(
    codes: Any, feature_names: Sequence[str] | None, value_labels: Sequence[Sequence[Any]] | None
) -> EncodedFeatures:
    """Check integer codes given as an ``(n, m)`` array or a list of 1-D arrays."""
    if isinstance(codes, np.ndarray):
        if codes.ndim != 2:
            raise DataError(
                f"The codes must be a 2-D integer array (rows x features) or a list of 1-D "
                f"arrays. Got an array of shape {codes.shape}. Reshape it to (n_rows, n_features)."
            )
        raw = [codes[:, j] for j in range(codes.shape[1])]
    else:
        raw = [np.asarray(c) for c in codes]
    if not raw or len(raw[0]) == 0:
        raise EmptyDataError(
            "The codes must have at least one row and one feature. Got "
            f"{len(raw[0]) if raw else 0} rows and {len(raw)} features. "
            "Pass the integer-coded feature table."
        )
    n_rows = len(raw[0])
    m = len(raw)
    if feature_names is None or len(feature_names) != m:
        got = None if feature_names is None else len(feature_names)
        raise DataError(
            f"feature_names must name each of the {m} features. Got {got} names. "
            "Pass feature_names=[...] with one name per column of codes."
        )
    if value_labels is None or len(value_labels) != m:
        got = None if value_labels is None else len(value_labels)
        raise DataError(
            f"value_labels must give the labels of each of the {m} features. Got {got}. "
            "Pass value_labels=[labels_of_feature_0, ...], one label per code."
        )
    columns, cards, predicates = [], [], []
    for j, (col, name, labels) in enumerate(zip(raw, feature_names, value_labels, strict=True)):
        if col.ndim != 1 or len(col) != n_rows:
            raise DataError(
                f"Every feature's codes must be 1-D with {n_rows} rows. Feature {j} "
                f"({name!r}) has shape {col.shape}. Pass equally long 1-D arrays."
            )
        if not np.issubdtype(col.dtype, np.integer):
            raise DataError(
                f"The codes of feature {name!r} must be integers. Got dtype {col.dtype}. "
                "Factorize the column first (e.g. pandas.factorize) or use fit()."
            )
        card = len(labels)
        lo, hi = (int(col.min()), int(col.max())) if len(col) else (0, -1)
        if lo < 0 or hi >= card:
            raise DataError(
                f"The codes of feature {name!r} must lie in [0, {card}) (one label per code). "
                f"Got codes from {lo} to {hi}. Pass a label for every code."
            )
        columns.append(col.astype(code_dtype(max(card, 1)), copy=False))
        cards.append(max(card, 1))
        predicates.append(labels_to_predicates(str(name), labels))
    names = [str(n) for n in feature_names]
    if len(set(names)) != len(names):
        raise DataError(f"feature_names must be distinct. Got {names}. Rename the duplicates.")
    return EncodedFeatures(columns, tuple(cards), names, predicates)
