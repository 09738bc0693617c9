"""Ingest: a table of predictions, or a model run on data, into the store.

Reads the data, checks the label and prediction columns, computes the per-row error
and weight with the metric, fingerprints the rows and the model, and writes the
dataset, its feature codes and the evaluation to the store. A parquet file is never
one frame: its columns are read one at a time (fingerprint, leakage guard, binning)
and its rows go to the store in Arrow record batches, so memory holds a few columns,
the small integer codes and the per-row evaluation. Imports the store,
features, metrics, adapters and ``_io``; the ``Workbench`` wraps what it returns.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from workbench._io import read_columns, read_table
from workbench._validation import Interval, Options, validate_params
from workbench.adapters import Probabilities, adapt_model
from workbench.exceptions import (
    ColumnNotFoundError,
    DataError,
    EmptyDataError,
    LabelError,
    ParameterError,
)
from workbench.features._binning import encode_features
from workbench.metrics import Metric, choose_metric, get_metric
from workbench.metrics._metrics import show_value
from workbench.store import Store

__all__ = [
    "DEFAULT_PATH",
    "Ingested",
    "as_list",
    "encode_dataset",
    "fingerprint_frame",
    "ingest_model",
    "ingest_predictions",
    "require_columns",
    "save_encoded",
]

DEFAULT_PATH = "workbench.duckdb"


class Ingested(NamedTuple):
    """What a load leaves: the open store, the evaluation's id and notes for the user."""

    store: Store
    eval_id: int
    notes: tuple[str, ...]


#: From this many rows, a load hands back the memory of its writes when it is done.
_RELEASE_ROWS = 1_000_000

#: Names of the store's internal columns start with this; data columns may not.
RESERVED_PREFIX = "__wb_"


def fingerprint_frame(frame: Any, columns: Sequence[str] | None = None) -> str:
    """A content hash of a table: same values, names and types give the same hash.

    ``frame`` is a pandas frame or a file read column by column
    (:class:`~workbench._io.ParquetColumns`): the columns are hashed one at a time, so
    memory holds one column and one 64-bit hash per row (the value equals that of
    ``pandas.util.hash_pandas_object`` over the whole frame).

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    >>> fingerprint_frame(frame) == fingerprint_frame(frame.copy())
    True
    >>> fingerprint_frame(frame) == fingerprint_frame(frame.assign(b=["x", "z"]))
    False
    """
    names = list(frame.columns) if columns is None else list(columns)
    digest = hashlib.sha256()
    for column in names:
        digest.update(f"{column}\x00{frame.dtypes[column]}\x00".encode())
    # pandas' row hash over several columns (CPython's tuple hash), fed one column at a time.
    out = np.full(len(frame), 0x345678, dtype=np.uint64)
    mult = np.uint64(1000003)
    for i, column in enumerate(names):
        out ^= pd.util.hash_pandas_object(frame[column], index=False).to_numpy()
        out *= mult
        mult += np.uint64(82520 + 2 * (len(names) - i))
    out += np.uint64(97531)
    digest.update(out.tobytes())
    return digest.hexdigest()[:16]


def _keep_rows(frame: Any, keep: np.ndarray) -> Any:
    """``frame`` without the rows where ``keep`` is False, numbered from 0 again."""
    if isinstance(frame, pd.DataFrame):
        return frame.loc[keep].reset_index(drop=True)
    return frame.filtered(keep)


def require_columns(frame: Any, role: str, names: Iterable[str]) -> None:
    for name in names:
        if name not in frame.columns:
            raise ColumnNotFoundError.for_column(role, name, frame.columns)


def as_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def _check_label(
    label: pd.Series, prediction: pd.Series, missing: str, label_name: str, pred_name: str
) -> np.ndarray:
    """Rows to keep; raise on missing values unless asked to drop them."""
    if label.isna().all():
        raise LabelError(
            f"Every value of the label column {label_name!r} is missing. Expected the true "
            "outcome for each row; check that you picked the right column."
        )
    for series, role, name in ((label, "label", label_name), (prediction, "prediction", pred_name)):
        if pd.api.types.is_float_dtype(series):
            infinite = np.isinf(series.to_numpy(dtype=np.float64, na_value=np.nan))
            if infinite.any():
                raise LabelError(
                    f"{int(infinite.sum())} rows have an infinite {role} in {name!r} (first at "
                    f"row {int(np.flatnonzero(infinite)[0])}). Expected finite values; fix or "
                    "drop those rows (an infinite value is not a class of its own)."
                )
    missing_rows = label.isna().to_numpy() | prediction.isna().to_numpy()
    if missing_rows.any():
        n_label, n_pred = int(label.isna().sum()), int(prediction.isna().sum())
        if missing == "error":
            raise LabelError(
                f"{int(missing_rows.sum())} rows have no label or no prediction "
                f"({n_label} missing in {label_name!r}, {n_pred} in {pred_name!r}); their error "
                "cannot be computed. Fill them in, or pass missing='drop' to leave those rows "
                "out (the workbench then records how many were dropped)."
            )
    return ~missing_rows


@contextlib.contextmanager
def _returning_memory() -> Any:
    """During a load (a decorator of the two loaders), Arrow allocates from the system
    allocator, which hands freed blocks back (Arrow's default pool keeps them: a few
    hundred MB after reading a large file); the default pool is restored afterwards."""
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


@_returning_memory()
def ingest_predictions(
    data: Any,
    *,
    label: str,
    prediction: str,
    score: str | None = None,
    features: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    metric: str | Metric | Callable[..., Any] | None = None,
    path: str | os.PathLike[str] = DEFAULT_PATH,
    name: str | None = None,
    model_name: str | None = None,
    pos_label: Any = None,
    missing: str = "error",
    n_bins: int = 5,
    max_categories: int = 20,
    read_options: Mapping[str, Any] | None = None,
) -> Ingested:
    """Load a table of precomputed predictions (see ``Workbench.from_predictions``)."""
    validate_params(
        "Workbench.from_predictions",
        {"missing": missing, "n_bins": n_bins, "max_categories": max_categories},
        {
            "missing": [Options(("error", "drop"))],
            "n_bins": [Interval("int", 2, 50)],
            "max_categories": [Interval("int", 2, 1000)],
        },
    )
    source = str(data) if isinstance(data, (str, os.PathLike)) else type(data).__name__
    # A parquet file is read column by column and streamed to the store in record batches.
    frame = read_columns(data, **{k: v for k, v in (read_options or {}).items() if v is not None})
    if len(frame) == 0:
        raise EmptyDataError(
            f"The data has no rows (columns: {list(frame.columns)[:10]}). Expected at least "
            "one row per example with its label and prediction."
        )
    require_columns(frame, "label", [label])
    require_columns(frame, "prediction", [prediction])
    if score is not None:
        require_columns(frame, "score", [score])
    if label == prediction:
        raise ParameterError(
            f"label and prediction are the same column {label!r}. Pass the column with the "
            "true outcome as label and the model's output as prediction."
        )
    label_series, prediction_series = frame[label], frame[prediction]
    score_series = frame[score] if score is not None else None
    keep = _check_label(label_series, prediction_series, missing, label, prediction)
    notes = []
    if not keep.all():
        notes.append(f"{int((~keep).sum())} rows without label or prediction were dropped")
        frame = _keep_rows(frame, keep)
        label_series = label_series.loc[keep].reset_index(drop=True)
        prediction_series = prediction_series.loc[keep].reset_index(drop=True)
        if score_series is not None:
            score_series = score_series.loc[keep].reset_index(drop=True)
    score_values: Any = None
    if score_series is not None and not (
        pd.api.types.is_numeric_dtype(score_series) and not pd.api.types.is_bool_dtype(score_series)
    ):
        sample = score_series.dropna()
        shown = repr(sample.iloc[0])[:40] if len(sample) else "nothing"
        raise DataError(
            f"The score column {score!r} must hold numbers (predicted probabilities). Got "
            f"{score_series.dtype} values such as {shown}. Pass the column of probabilities "
            "(a CSV with decimal commas: pass decimal=','), or leave score out."
        )
    if score_series is not None:
        score_values = score_series.to_numpy(dtype=np.float64, na_value=np.nan).view(Probabilities)
        score_values.pos_label = pos_label
    columns = {"label": label, "prediction": prediction, "score": score}
    model_columns = {prediction: prediction_series}
    if score is not None and score_series is not None:
        model_columns[score] = score_series
    model_fp = fingerprint_frame(pd.DataFrame(model_columns))
    outcome = _Outcome(label_series, prediction_series, score_values)
    # The per-row columns live on in the outcome only, which the load empties once the
    # evaluation is written (its arrays are not held here while the rows are written).
    del label_series, prediction_series, score_series, score_values, model_columns
    return _store_evaluation(
        frame=frame,
        outcome=outcome,
        columns=columns,
        features=as_list(features),
        exclude=[c for c in (label, prediction, score) if c] + (as_list(exclude) or []),
        metric=metric,
        path=path,
        name=name or (Path(source).stem if isinstance(data, (str, os.PathLike)) else "data"),
        source=source,
        model_name=model_name or prediction,
        model_fingerprint=model_fp,
        model_kind="predictions",
        notes=notes,
        n_bins=n_bins,
        max_categories=max_categories,
        missing=missing,
    )


@_returning_memory()
def ingest_model(
    model: Any,
    X: Any,
    y: Any,
    *,
    features: str | Sequence[str] | None = None,
    metric: str | Metric | Callable[..., Any] | None = None,
    path: str | os.PathLike[str] = DEFAULT_PATH,
    name: str | None = None,
    model_name: str | None = None,
    n_bins: int = 5,
    max_categories: int = 20,
) -> Ingested:
    """Run a model on ``X`` and compare with ``y`` (see ``Workbench.from_model``)."""
    validate_params(
        "Workbench.from_model",
        {"n_bins": n_bins, "max_categories": max_categories},
        {"n_bins": [Interval("int", 2, 50)], "max_categories": [Interval("int", 2, 1000)]},
    )
    adapter = adapt_model(model, model_name)
    frame = read_table(X)
    if len(frame) == 0:
        raise EmptyDataError("X has no rows. Expected one row per example to predict.")
    if isinstance(y, str):
        require_columns(frame, "label", [y])
        label_name = y
        y_series = frame[y]
        X_model = frame.drop(columns=[y])
    else:
        y_series = pd.Series(np.asarray(y)) if not isinstance(y, pd.Series) else y
        if y_series.ndim != 1 or len(y_series) != len(frame):
            raise DataError(
                f"X has {len(frame)} rows but y has {len(y_series)} values. Expected one "
                "label per row of X; check that both come from the same split."
            )
        label_name = str(y_series.name) if y_series.name is not None else "label"
        while label_name in frame.columns:
            label_name = f"{label_name}_true"
        y_series = y_series.reset_index(drop=True).rename(label_name)
        X_model = frame
        frame = frame.assign(**{label_name: y_series.to_numpy()})
    if y_series.isna().all():
        raise LabelError(
            f"Every value of y ({label_name!r}) is missing. Expected the true outcome of each row."
        )
    predictions = adapter.predict(X_model)
    _check_label(y_series, predictions.prediction, "error", label_name, "prediction")
    prediction = predictions.prediction.reset_index(drop=True)
    frame = frame.reset_index(drop=True)
    return _store_evaluation(
        frame=frame,
        outcome=_Outcome(frame[label_name], prediction, predictions.score),
        columns={"label": label_name, "prediction": None, "score": None},
        features=as_list(features),
        exclude=[label_name],
        metric=metric,
        path=path,
        name=name or "data",
        source=type(X).__name__ if not isinstance(X, (str, os.PathLike)) else str(X),
        model_name=adapter.name,
        model_fingerprint=adapter.fingerprint(),
        model_kind=adapter.kind,
        notes=[],
        n_bins=n_bins,
        max_categories=max_categories,
        missing="error",
    )


class _Outcome:
    """The per-row label, prediction and score of a load, handed over once: the loader
    drops its own references, so the arrays are freed as soon as the evaluation is
    written, before the dataset's rows are."""

    __slots__ = ("label", "prediction", "score")

    def __init__(self, label: pd.Series, prediction: pd.Series, score: Any) -> None:
        self.label: Any = label
        self.prediction: Any = prediction
        self.score: Any = score

    def take(self) -> tuple[pd.Series, pd.Series, Any]:
        """The three columns; the outcome keeps none of them."""
        taken = (self.label, self.prediction, self.score)
        self.label = self.prediction = self.score = None
        return taken


def _store_evaluation(
    *,
    frame: Any,
    outcome: _Outcome,
    columns: Mapping[str, str | None],
    features: list[str] | None,
    exclude: list[str],
    metric: Any,
    path: Any,
    name: str,
    source: str,
    model_name: str,
    model_fingerprint: str,
    model_kind: str,
    notes: list[str],
    n_bins: int,
    max_categories: int,
    missing: str,
) -> Ingested:
    label_series, prediction_series, score_values = outcome.take()
    if metric is None:
        chosen, why = choose_metric(label_series, prediction_series)
    else:
        chosen = get_metric(metric)
        why = f"metric {chosen.name}: {chosen.description} (chosen by the caller)"
    if chosen.kind == "classification" and label_series.nunique(dropna=True) < 2:
        only = label_series.dropna().iloc[0]
        raise LabelError(
            f"The label column {columns['label']!r} has one class only ({show_value(only)}), so error "
            "rates cannot differ between classes and a classifier cannot be audited on it. "
            "Check the column, or include examples of the other classes."
        )
    error, weight = chosen.compute(label_series, prediction_series, score_values)
    if weight.sum() <= 0:
        raise LabelError(
            "The total weight of the rows is 0 (for WER: every reference is empty), so no "
            "error rate can be computed. Check the reference column."
        )
    weightless = weight <= 0
    if weightless.any():
        # A row that weighs nothing (an empty reference transcript for WER) has no
        # error rate of its own; it is never dropped silently.
        # A fairness rate is measured on some rows by definition (FNR on the positives):
        # the others are left out and the note says which rows remain.
        if missing != "drop" and not chosen.domain:
            raise LabelError(
                f"{int(weightless.sum())} rows have zero weight under {chosen.name} (for "
                "WER/CER: an empty reference transcript), so their error rate is undefined. "
                "Fix the references, or pass missing='drop' to leave those rows out."
            )
        keep = ~weightless
        if chosen.domain:
            notes = [
                *notes,
                f"{chosen.name} is measured on the {int(keep.sum()):,} {chosen.domain}; the "
                f"other {int(weightless.sum()):,} rows are left out of this evaluation",
            ]
        else:
            notes = [*notes, f"{int(weightless.sum())} rows with zero weight were dropped"]
        frame = _keep_rows(frame, keep)
        label_series = label_series.reset_index(drop=True).loc[keep].reset_index(drop=True)
        prediction_series = (
            prediction_series.reset_index(drop=True).loc[keep].reset_index(drop=True)
        )
        if score_values is not None:
            score_values = score_values[keep]
        error, weight = error[keep], weight[keep]
    reserved = [c for c in frame.columns if str(c).lower().startswith(RESERVED_PREFIX)]
    if reserved:
        raise DataError(
            f"Column {reserved[0]!r} starts with {RESERVED_PREFIX!r}, which the workbench keeps "
            "for its own columns (row id, label, prediction, error, weight). Rename it before "
            "loading."
        )
    require_columns(frame, "feature", features or [])
    require_columns(frame, "exclude", [c for c in exclude if c])
    # The label, prediction and score, excluded columns and columns that restate the
    # outcome are never searched (named excluded columns are dropped, named outcome
    # columns refused).
    feature_names, leak_notes = _guard_leakage(
        frame, features, exclude, columns, label_series, prediction_series, error, score_values
    )
    notes = [*notes, *leak_notes]
    if not feature_names:
        raise DataError(
            "There are no feature columns left to search over (every column is the label, "
            "prediction, score or excluded). Add columns that describe the rows."
        )
    store = Store(path)
    try:
        # One transaction per load: an interrupted or failed load (Ctrl-C, kill -9, an
        # error) leaves the store exactly as it was, never a dataset without features.
        store.con.begin()
        fp = fingerprint_frame(frame)
        dataset_id = store.find_dataset(fp)
        new_dataset = dataset_id is None
        if dataset_id is None:
            # Encoded first, from the columns already read, and the columns let go. The
            # codes and then the evaluation are written and freed before the dataset's
            # rows stream from the file into the store: what DuckDB holds of its write
            # until the commit never meets the codes or the per-row arrays in memory.
            codes, encoding = encode_features(
                frame, list(frame.columns), n_bins=n_bins, max_categories=max_categories
            )
            if not isinstance(frame, pd.DataFrame):
                frame.clear_cache()
            dataset_id = store.add_dataset(
                frame,
                name=name,
                fingerprint=fp,
                source=source,
                encoding={"n_bins": n_bins, "max_categories": max_categories},
            )
            save_encoded(store, dataset_id, codes, encoding)
            del codes, encoding
        n_rows = len(frame)
        if not isinstance(frame, pd.DataFrame):
            frame.clear_cache()  # the columns are encoded; the rows stream from the file
        model_id = store.add_model(name=model_name, fingerprint=model_fingerprint, kind=model_kind)
        label_values = label_series.reset_index(drop=True)
        prediction_values = prediction_series.reset_index(drop=True)
        rows = pd.DataFrame(
            {
                "label": label_values,
                "prediction": prediction_values,
                "score": _score_column(score_values, n_rows),
                "error": error,
                "weight": weight,
                "checksum": row_checksums(label_values, prediction_values),
            },
            copy=False,  # no second copy of the per-row columns
        )
        all_columns = (
            [str(c) for c in frame.columns] if new_dataset else store.dataset_columns(dataset_id)
        )
        excluded = [c for c in all_columns if c not in set(feature_names)]
        eval_id = store.add_evaluation(
            dataset_id=dataset_id,
            model_id=model_id,
            columns=columns,
            metric=chosen,
            metric_note=why,
            rows=rows,
            excluded=excluded,
        )
        del rows, label_values, prediction_values, label_series, prediction_series
        del score_values, error, weight
        if new_dataset:
            store.write_dataset_rows(dataset_id, frame)
        store.con.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            store.con.rollback()
        store.close()
        raise
    if n_rows >= _RELEASE_ROWS:
        store.release_memory()  # the written pages are on disk: the scan starts lean
    return Ingested(store, eval_id, (why, *notes))


def _guard_leakage(
    frame: Any,
    features: list[str] | None,
    exclude: list[str],
    columns: Mapping[str, str | None],
    label: pd.Series,
    prediction: pd.Series,
    error: np.ndarray,
    score: Any,
) -> tuple[list[str], list[str]]:
    """The feature columns without the outcome's restatements, and notes saying which.

    The label, prediction and score columns and any column that (nearly) determines
    the label, the prediction, the score or the per-row error are left out by default
    (each named in a note) and refused when asked for by name.
    """
    from workbench.features._leakage import leaky_columns

    roles = {c: role for role, c in columns.items() if c}
    targets: dict[str, Any] = {"label": label, "prediction": prediction, "error": error}
    if score is not None and np.ndim(score) == 1:
        targets["score"] = np.asarray(score, dtype=np.float64)
    if features is not None:
        for name in features:
            if name in roles:
                raise ParameterError(
                    f"The column {name!r} is the {roles[name]}, so it cannot be a slice feature: "
                    "every slice on it would restate the outcome. Remove it from features."
                )
        named = [c for c in features if c not in set(exclude)]
        leaky = leaky_columns(frame, named, targets)
        if leaky:
            name, why = next(iter(leaky.items()))
            fix = (
                "Name it as the score, or remove it from features."
                if why.startswith("is a score")
                else "Remove it from features."
            )
            raise ParameterError(
                f"The column {name!r} {why}, so slices on it would restate the outcome rather "
                f"than find where the model fails. {fix}"
            )
        return named, []
    candidates = [c for c in frame.columns if c not in set(exclude) and c not in roles]
    leaky = leaky_columns(frame, candidates, targets)
    notes = [
        f"column {name!r} left out of the search: it {why} (pass exclude=... to silence)"
        for name, why in leaky.items()
    ]
    return [c for c in candidates if c not in leaky], notes


def encode_dataset(
    store: Store,
    dataset_id: int,
    frame: Any,
    columns: list[str],
    n_bins: int,
    max_categories: int,
) -> None:
    codes, encoding = encode_features(frame, columns, n_bins=n_bins, max_categories=max_categories)
    save_encoded(store, dataset_id, codes, encoding)


def save_encoded(store: Store, dataset_id: int, codes: Any, encoding: Any) -> None:
    """Write a dataset's feature codes and descriptions (the last step of adding it)."""
    store.save_features(dataset_id, codes, encoding.features, encoding.skipped)


def row_checksums(label: pd.Series, prediction: pd.Series) -> np.ndarray:
    """Per row, a 64-bit checksum of the label and the prediction as given (as text).

    Stored with each evaluation, so that what the store holds can be checked against
    what went in. Each distinct (label, prediction) pair is turned into text and hashed
    once (the same value as hashing every row's text).

    Examples
    --------
    >>> a = row_checksums(pd.Series(["NA", "x"]), pd.Series([1, 2]))
    >>> b = row_checksums(pd.Series(["NA", "x"]), pd.Series([1, 3]))
    >>> bool(a[0] == b[0]), bool(a[1] == b[1])
    (True, False)
    """
    label = pd.Series(label).reset_index(drop=True)
    prediction = pd.Series(prediction).reset_index(drop=True)
    if not (_text_faithful(label) and _text_faithful(prediction)) or label.isna().all():
        return _text_checksums(label, prediction)
    label_codes, label_values = pd.factorize(label, use_na_sentinel=True)
    pred_codes, pred_values = pd.factorize(prediction, use_na_sentinel=True)
    width = len(pred_values) + 1
    cells = (len(label_values) + 1) * width
    # The pair's number in the smallest integers that hold it (10M rows: 40 MB, not 80).
    kind: Any = np.int32 if cells < 2**31 else np.int64
    pairs: np.ndarray = (label_codes.astype(kind) + 1) * width
    np.add(pairs, pred_codes.astype(kind) + 1, out=pairs)
    del label_codes, pred_codes
    if not len(pred_values):
        return _text_checksums(label, prediction)
    if cells <= len(pairs):  # few pairs: counted, not sorted
        distinct = np.flatnonzero(np.bincount(pairs, minlength=cells))
        index = np.zeros(cells, dtype=kind)
        index[distinct] = np.arange(len(distinct))
        inverse = index[pairs]
    else:
        distinct, inverse = np.unique(pairs, return_inverse=True)
    if len(distinct) > len(pairs) // 2:
        return _text_checksums(label, prediction)

    def values(uniques: Any, codes: np.ndarray) -> pd.Series:
        # code -1 is a missing value, which reads as missing whatever it was
        taken = pd.Series(uniques).take(np.maximum(codes, 0)).reset_index(drop=True)
        return taken.astype(object).where(codes >= 0, None)

    sums = _text_checksums(
        values(label_values, distinct // width - 1), values(pred_values, distinct % width - 1)
    )
    return sums[inverse.ravel()]


def _text_faithful(values: pd.Series) -> bool:
    """Whether equal values (as ``factorize`` sees them) always read as the same text."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _text_faithful(pd.Series(dtype.categories))
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return True
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return True
    if pd.api.types.is_float_dtype(dtype):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return not bool(np.any((numbers == 0) & np.signbit(numbers)))  # -0.0 reads as '-0.0'
    return False


def _text_checksums(label: pd.Series, prediction: pd.Series) -> np.ndarray:
    text = _as_text(label) + "\x1f" + _as_text(prediction)
    return pd.util.hash_pandas_object(text, index=False).to_numpy(dtype=np.uint64)


def _as_text(values: pd.Series) -> pd.Series:
    values = pd.Series(values).reset_index(drop=True)
    return values.astype(object).where(values.notna(), "\x00missing").astype(str)


def _score_column(score: Any, n: int) -> np.ndarray:
    if score is None:
        return np.full(n, np.nan)
    matrix = np.asarray(score, dtype=np.float64)
    if matrix.ndim == 1:
        return matrix
    if matrix.shape[1] == 2:
        return matrix[:, 1]
    return matrix.max(axis=1)
