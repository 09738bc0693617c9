"""Workbench: the one place that wires the layers together.

    data / model ──► adapters + metrics ──► store ──► features ──► search ──► findings
                                                            (codes)            (saved back)

Nothing else in the package imports this module except the front ends
(``cli``, ``widgets`` get a Workbench handed to them).
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._io import read_table
from workbench._validation import Interval, Options, validate_params
from workbench._version import __version__
from workbench.adapters import Probabilities, adapt_model
from workbench.exceptions import (
    ColumnNotFoundError,
    DataError,
    EmptyDataError,
    LabelError,
    ParameterError,
    SliceNotFoundError,
    StoreError,
)
from workbench.features._binning import EncodedFeature, encode_features
from workbench.findings import Findings, Predicate, Slice
from workbench.metrics import Metric, choose_metric, get_metric
from workbench.metrics._metrics import show_value
from workbench.store import Store
from workbench.store._store import now

__all__ = ["Workbench"]

DEFAULT_PATH = "workbench.duckdb"
ProgressCallback = Callable[[int, int, str], None]


def fingerprint_frame(frame: pd.DataFrame) -> str:
    """A content hash of a table: same values, names and types give the same hash."""
    digest = hashlib.sha256()
    for column in frame.columns:
        digest.update(f"{column}\x00{frame[column].dtype}\x00".encode())
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest.update(hashed.tobytes())
    return digest.hexdigest()[:16]


def _require_columns(frame: pd.DataFrame, role: str, names: Iterable[str]) -> None:
    for name in names:
        if name not in frame.columns:
            raise ColumnNotFoundError.for_column(role, name, frame.columns)


def _as_list(value: str | Sequence[str] | None) -> list[str] | None:
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


class Workbench:
    """A model's predictions on a dataset, stored in DuckDB, ready to scan for failing slices.

    Build one with :meth:`from_predictions` or :meth:`from_model`, reopen one with
    :meth:`open`. Then :meth:`scan` finds the slices whose error is significantly
    higher than the whole, :meth:`members` lists a slice's rows, :meth:`explore`
    opens the interactive explorer.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"g": ["a", "b"] * 100, "y": [0, 1] * 100, "p": [0, 0] * 100})
    >>> bench = Workbench.from_predictions(df, label="y", prediction="p", path=":memory:")
    >>> bench.overall_error
    0.5
    """

    def __init__(self, store: Store, eval_id: int, notes: Sequence[str] = ()) -> None:
        self._store = store
        self._eval_id = eval_id
        self._evaluation = store.evaluation(eval_id)
        self.notes: tuple[str, ...] = tuple(notes)

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_predictions(
        cls,
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
    ) -> Workbench:
        """Load a table of precomputed predictions.

        Parameters
        ----------
        data : pandas/polars DataFrame, pyarrow Table, or path to CSV/parquet
            One row per example, with the true label and the model's prediction.
        label, prediction : str
            Columns holding the true outcome and the model's output.
        score : str, optional
            Column of predicted probabilities of the positive class (for log loss
            and the explorer); the positive class is ``pos_label`` or the larger label.
        features : str or list of str, optional
            Columns to search over; default every other column.
        exclude : str or list of str, optional
            Columns to leave out of the search (e.g. another model's predictions).
        metric : str, Metric or callable, optional
            ``error_rate``, ``log_loss``, ``absolute_error``, ``squared_error``,
            ``wer``, ``cer`` or a callable; picked from the types when omitted.
        path : str or path
            The DuckDB store (created or added to); ``":memory:"`` for none.
        missing : {"error", "drop"}
            What to do with rows that have no label or prediction.
        """
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
        frame = read_table(data)
        if len(frame) == 0:
            raise EmptyDataError(
                f"The data has no rows (columns: {list(frame.columns)[:10]}). Expected at least "
                "one row per example with its label and prediction."
            )
        _require_columns(frame, "label", [label])
        _require_columns(frame, "prediction", [prediction])
        if score is not None:
            _require_columns(frame, "score", [score])
        if label == prediction:
            raise ParameterError(
                f"label and prediction are the same column {label!r}. Pass the column with the "
                "true outcome as label and the model's output as prediction."
            )
        keep = _check_label(frame[label], frame[prediction], missing, label, prediction)
        notes = []
        if not keep.all():
            notes.append(f"{int((~keep).sum())} rows without label or prediction were dropped")
            frame = frame.loc[keep].reset_index(drop=True)
        score_values: Any = None
        if score is not None:
            score_values = (
                frame[score].to_numpy(dtype=np.float64, na_value=np.nan).view(Probabilities)
            )
            score_values.pos_label = pos_label
        columns = {"label": label, "prediction": prediction, "score": score}
        model_fp = fingerprint_frame(frame[[c for c in (prediction, score) if c]])
        return cls._build(
            frame=frame,
            label_series=frame[label],
            prediction_series=frame[prediction],
            score_values=score_values,
            columns=columns,
            features=_as_list(features),
            exclude=[c for c in (label, prediction, score) if c] + (_as_list(exclude) or []),
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

    @classmethod
    def from_model(
        cls,
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
    ) -> Workbench:
        """Run a model (scikit-learn estimator/pipeline or callable) on ``X`` and compare with ``y``.

        ``X`` is what the model takes (pandas, polars, pyarrow, or a path);
        ``y`` the true outcomes (a Series, array, or the name of a column of ``X``).
        """
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
            _require_columns(frame, "label", [y])
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
        return cls._build(
            frame=frame,
            label_series=frame[label_name],
            prediction_series=prediction,
            score_values=predictions.score,
            columns={"label": label_name, "prediction": None, "score": None},
            features=_as_list(features),
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

    @classmethod
    def _build(
        cls,
        *,
        frame: pd.DataFrame,
        label_series: pd.Series,
        prediction_series: pd.Series,
        score_values: Any,
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
    ) -> Workbench:
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
            if missing != "drop":
                raise LabelError(
                    f"{int(weightless.sum())} rows have zero weight under {chosen.name} (for "
                    "WER/CER: an empty reference transcript), so their error rate is undefined. "
                    "Fix the references, or pass missing='drop' to leave those rows out."
                )
            keep = ~weightless
            notes = [*notes, f"{int(weightless.sum())} rows with zero weight were dropped"]
            frame = frame.loc[keep].reset_index(drop=True)
            label_series = label_series.loc[keep].reset_index(drop=True)
            prediction_series = (
                prediction_series.reset_index(drop=True).loc[keep].reset_index(drop=True)
            )
            if score_values is not None:
                score_values = score_values[keep]
            error, weight = error[keep], weight[keep]
        _require_columns(frame, "feature", features or [])
        _require_columns(frame, "exclude", [c for c in exclude if c])
        feature_names = (
            features
            if features is not None
            else [c for c in frame.columns if c not in set(exclude)]
        )
        if not feature_names:
            raise DataError(
                "There are no feature columns left to search over (every column is the label, "
                "prediction, score or excluded). Add columns that describe the rows."
            )
        store = Store(path)
        try:
            fp = fingerprint_frame(frame)
            dataset_id = store.find_dataset(fp)
            if dataset_id is None:
                dataset_id = store.add_dataset(
                    frame,
                    name=name,
                    fingerprint=fp,
                    source=source,
                    encoding={"n_bins": n_bins, "max_categories": max_categories},
                )
                cls._encode(store, dataset_id, frame, list(frame.columns), n_bins, max_categories)
            model_id = store.add_model(
                name=model_name, fingerprint=model_fingerprint, kind=model_kind
            )
            rows = pd.DataFrame(
                {
                    "label": label_series.reset_index(drop=True),
                    "prediction": prediction_series.reset_index(drop=True),
                    "score": _score_column(score_values, len(frame)),
                    "error": error,
                    "weight": weight,
                }
            )
            all_columns = store.dataset_columns(dataset_id)
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
        except BaseException:
            store.close()
            raise
        return cls(store, eval_id, notes=[why, *notes])

    @staticmethod
    def _encode(
        store: Store,
        dataset_id: int,
        frame: pd.DataFrame,
        columns: list[str],
        n_bins: int,
        max_categories: int,
    ) -> None:
        codes, encoding = encode_features(
            frame, columns, n_bins=n_bins, max_categories=max_categories
        )
        store.save_features(dataset_id, codes, encoding.features, encoding.skipped)

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, evaluation: int | None = None, read_only: bool = False
    ) -> Workbench:
        """Reopen a saved workbench: rows, predictions, scans, findings and flags.

        ``evaluation`` picks one model's predictions when the store holds several
        (see :meth:`evaluations`); default the latest.
        """
        if str(path) != ":memory:" and not Path(path).exists():
            raise StoreError(
                f"The store {str(path)!r} does not exist. Check the path, or create one with "
                "Workbench.from_predictions(..., path=...)."
            )
        store = Store(path, read_only=read_only)
        eval_id = evaluation if evaluation is not None else store.latest_evaluation()
        if eval_id is None:
            store.close()
            raise StoreError(f"The store {str(path)!r} holds no predictions yet.")
        return cls(store, int(eval_id))

    def using(self, evaluation: int) -> Workbench:
        """The same store, looking at another model's predictions (see :meth:`evaluations`)."""
        return Workbench(self._store, evaluation)

    def add_predictions(
        self, data: Any = None, *, prediction: str, score: str | None = None, **kwargs: Any
    ) -> Workbench:
        """Another model's predictions for the same rows, in the same store.

        Returns a Workbench on the new evaluation; both scans live side by side.
        """
        frame = self._store.read_dataset(self.dataset_id) if data is None else data
        kwargs.setdefault("label", self._evaluation["label_column"])
        kwargs.setdefault("exclude", [])
        path = self._store.path
        if path == ":memory:":
            raise StoreError(
                "add_predictions needs a store on disk; pass path=... when creating it."
            )
        self._store.close()
        bench = Workbench.from_predictions(
            frame, prediction=prediction, score=score, path=path, **kwargs
        )
        self._store = bench._store
        return bench

    # -- facts -------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        return self._store

    @property
    def path(self) -> str:
        return self._store.path

    @property
    def eval_id(self) -> int:
        return self._eval_id

    @property
    def dataset_id(self) -> int:
        return int(self._evaluation["dataset_id"])

    @property
    def metric(self) -> str:
        return str(self._evaluation["metric"])

    @property
    def metric_kind(self) -> str:
        return str(self._evaluation["metric_kind"])

    @property
    def overall_error(self) -> float:
        return float(self._evaluation["overall_error"])

    @property
    def n_rows(self) -> int:
        return int(self._evaluation["n_rows"])

    @property
    def dataset_fingerprint(self) -> str:
        return str(self._evaluation["dataset_fingerprint"])

    @property
    def model_fingerprint(self) -> str:
        return str(self._evaluation["model_fingerprint"])

    @property
    def model_name(self) -> str:
        return str(self._evaluation["model_name"])

    @property
    def label_column(self) -> str:
        return str(self._evaluation["label_column"])

    def _encoded_features(self) -> list[EncodedFeature]:
        feats, _ = self._store.load_features(self.dataset_id)
        excluded = set(self._evaluation["excluded"])
        return [
            EncodedFeature(f["name"], f["kind"], f["labels"], f["sqls"], f["interval"], f["note"])
            for f in feats
            if f["name"] not in excluded
        ]

    @property
    def features(self) -> pd.DataFrame:
        """The searchable features: kind, categories and how each was made."""
        feats, skipped = self._store.load_features(self.dataset_id)
        excluded = set(self._evaluation["excluded"])
        rows = [
            {
                "feature": f["name"],
                "kind": f["kind"],
                "n_categories": len(f["labels"]),
                "categories": ", ".join(f["labels"][:8]) + (" ..." if len(f["labels"]) > 8 else ""),
                "note": f["note"],
            }
            for f in feats
            if f["name"] not in excluded
        ]
        rows += [
            {"feature": n, "kind": "skipped", "n_categories": 0, "categories": "", "note": why}
            for n, why in skipped
            if n not in excluded
        ]
        return pd.DataFrame(rows, columns=["feature", "kind", "n_categories", "categories", "note"])

    def evaluations(self) -> pd.DataFrame:
        """Every model's predictions held in this store."""
        return self._store.evaluations()

    def scans(self) -> pd.DataFrame:
        """Every scan held in this store, oldest first."""
        return self._store.scans()

    def __repr__(self) -> str:
        return (
            f"Workbench(path={self.path!r}, model={self.model_name!r}, rows={self.n_rows}, "
            f"metric={self.metric!r}, overall_error={self.overall_error:.4g}, "
            f"features={len(self._encoded_features())})"
        )

    # -- media descriptors -------------------------------------------------------------------
    def add_descriptors(
        self,
        extractor: Any,
        column: str,
        *,
        base_dir: str | os.PathLike[str] | None = None,
        prefix: str = "",
        batch_size: int = 64,
        progress: Callable[[int, int], None] | bool | None = True,
    ) -> pd.DataFrame:
        """Compute media descriptors for a column and make them slice features.

        ``extractor`` follows the :class:`~workbench.Extractor` interface (``name``,
        ``columns``, ``extract(batch)``), for example
        ``workbench.features.audio.AudioDescriptors()`` or
        ``workbench.features.image.ImageDescriptors()``. Items of ``column`` are
        paths (relative ones resolved against ``base_dir``), bytes or arrays; rows
        without an item get missing descriptors. Results are cached in the store
        (per extractor name and version), added to the dataset as columns named
        ``prefix + column``, and binned like any other feature.

        Returns the descriptor columns (one row per dataset row).
        """
        from workbench.features import run_extractor
        from workbench.findings import quote_identifier

        columns = self._store.dataset_columns(self.dataset_id)
        _require_columns(pd.DataFrame(columns=columns), "media", [column])
        new_names = [f"{prefix}{c}" for c in extractor.columns]
        clash = [c for c in new_names if c in columns]
        version = str(getattr(extractor, "version", "1"))
        cache = f"descriptors_{self.dataset_id}_{_safe_name(extractor.name)}_v{_safe_name(version)}"
        if self._store.has_table(cache):
            result = self._store.query(
                f"SELECT * FROM {cache} ORDER BY {quote_identifier('__row')}"
            )
            result = result.drop(columns="__row")
        else:
            if clash:
                raise DataError(
                    f"The dataset already has columns {clash}, which {extractor.name!r} would "
                    "overwrite. Pass prefix='...' to name the descriptors apart, or leave those "
                    "columns out of the data."
                )
            items = self._store.read_dataset(self.dataset_id, [column])[column]
            root = Path(base_dir) if base_dir is not None else Path.cwd()

            def resolve(item: Any) -> Any:
                if isinstance(item, str) and not Path(item).is_absolute():
                    return str(root / item)
                return item

            present = items.notna().to_numpy()
            values = [resolve(v) for v in items[present]]
            computed = run_extractor(extractor, values, batch_size=batch_size, progress=progress)
            computed.index = np.flatnonzero(present)
            result = computed.reindex(range(len(items)))
            result.columns = new_names
            cached = result.assign(__row=np.arange(len(result)))
            self._store.save_table(cache, cached)
        if not all(c in columns for c in new_names):
            self._store.add_columns(self.dataset_id, result)
        frame = self._store.read_dataset(self.dataset_id)
        # Same binning as when the dataset was loaded, so earlier scans' categories still match.
        encoding = self._store.dataset(self.dataset_id)["encoding"]
        self._encode(
            self._store,
            self.dataset_id,
            frame,
            list(frame.columns),
            int(encoding.get("n_bins", 5)),
            int(encoding.get("max_categories", 20)),
        )
        return result

    # -- search ------------------------------------------------------------------------------
    def scan(
        self,
        *,
        k: int = 10,
        max_predicates: int = 3,
        min_support: int | float = 0.01,
        alpha: float = 0.95,
        fdr: float = 0.05,
        confirm: bool | str = "auto",
        random_state: int = 0,
        features: str | Sequence[str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> Findings:
        """Search for the slices whose error is highest, with honest statistics.

        Exact top-``k`` conjunctions of up to ``max_predicates`` predicates under
        SliceLine's score, each slice with its size, error, confidence interval and
        a p-value corrected for every slice tried (see :class:`~workbench.SliceSearch`).
        The result is saved in the store and returned.
        """
        from workbench.search import SliceSearch

        encoded = self._encoded_features()
        wanted = _as_list(features)
        if wanted is not None:
            known = [f.name for f in encoded]
            for w in wanted:
                if w not in known:
                    raise ColumnNotFoundError.for_column("feature", w, known)
            encoded = [f for f in encoded if f.name in set(wanted)]
        if not encoded:
            raise DataError(
                "No searchable features: every column was skipped or excluded. See "
                "bench.features for why each column was left out."
            )
        started_at = now()
        t0 = time.perf_counter()
        codes = self._store.load_codes(self.dataset_id, [f.name for f in encoded])
        error, weight = self._store.load_errors(self._eval_id)
        t_load = time.perf_counter() - t0
        search = SliceSearch(
            alpha=alpha,
            k=k,
            max_predicates=max_predicates,
            min_support=min_support,
            fdr=fdr,
            confirm=confirm,
            random_state=random_state,
        )
        search.fit_codes(
            codes,
            error,
            weight,
            feature_names=[f.name for f in encoded],
            value_labels=[list(f.labels) for f in encoded],
            progress=progress,
        )
        raw: Findings = search.findings_
        scan_id = self._store.new_scan_id()
        by_name = {f.name: f for f in encoded}
        slices = []
        for rank, s in enumerate(raw.slices, start=1):
            preds = tuple(
                by_name[p.feature].predicate(by_name[p.feature].labels.index(str(p.value)))
                for p in s.predicates
            )
            slices.append(s.replace(predicates=preds, slice_id=f"{scan_id}.s{rank}"))
        seconds = time.perf_counter() - t0
        timings = {"load": t_load, **getattr(search, "timings_", {}), "total": seconds}
        parameters = {
            **dict(raw.parameters),
            "k": k,
            "max_predicates": max_predicates,
            "min_support": min_support,
            "alpha": alpha,
            "fdr": fdr,
            "confirm": confirm,
            "random_state": random_state,
            "features": [f.name for f in encoded],
            "metric": self.metric,
            "model": self.model_name,
            "label": self.label_column,
        }
        findings = raw.replace(
            slices=tuple(slices),
            scan_id=scan_id,
            dataset_fingerprint=self.dataset_fingerprint,
            model_fingerprint=self.model_fingerprint,
            created_at=started_at,
            workbench_version=__version__,
            parameters=parameters,
            notes=tuple(raw.notes),
        )
        self._store.save_scan(
            scan_id=scan_id,
            eval_id=self._eval_id,
            findings=findings,
            started_at=started_at,
            seconds=seconds,
            timings=timings,
            discovery_mask=search.discovery_mask_,
        )
        return findings

    def findings(self, scan_id: str | None = None) -> Findings:
        """The findings of a scan (default: this model's latest), with current flags."""
        if scan_id is None:
            ids = self._store.scan_ids(self._eval_id)
            if not ids:
                raise SliceNotFoundError(
                    "No scan has been run on these predictions yet. Run bench.scan() first."
                )
            scan_id = ids[-1]
        findings, _ = self._store.load_scan(scan_id)
        return findings

    def split(self, scan_id: str | None = None) -> np.ndarray | None:
        """The scan's discovery rows (True) vs confirmation rows (False); None without a split."""
        findings = self.findings(scan_id)
        return self._store.load_split(findings.scan_id)

    def distinct(self, findings: Findings | None = None, *, max_overlap: float = 0.5) -> Findings:
        """The findings without near-duplicates: a slice is dropped when its rows overlap a
        better-ranked kept slice by more than ``max_overlap`` (Jaccard index of the rows).

        SliceLine's exact top-k often fills with variants of one group (the same rows
        described with one more or one fewer condition); this keeps the first of each.
        """
        validate_params(
            "Workbench.distinct",
            {"max_overlap": max_overlap},
            {"max_overlap": [Interval("real", 0, 1)]},
        )
        findings = findings if findings is not None else self.findings()
        if not len(findings):
            return findings
        names = sorted({p.feature for s in findings for p in s.predicates})
        encoded = {f.name: f for f in self._encoded_features()}
        codes = self._store.load_codes(self.dataset_id, names)
        column = {name: i for i, name in enumerate(names)}
        kept: list[Slice] = []
        masks: list[np.ndarray] = []
        for s in findings:
            mask = np.ones(len(codes), dtype=bool)
            for p in s.predicates:
                code = encoded[p.feature].labels.index(str(p.value))
                mask &= codes[:, column[p.feature]] == code
            size = int(mask.sum())
            redundant = False
            for other in masks:
                union = int((mask | other).sum())
                if union and int((mask & other).sum()) / union > max_overlap:
                    redundant = True
                    break
            if not redundant and size:
                kept.append(s)
                masks.append(mask)
        return findings.replace(slices=tuple(kept))

    def _resolve(self, slice_or_id: Slice | str | Mapping[str, Any] | Sequence[Predicate]) -> Slice:
        if isinstance(slice_or_id, Slice):
            return slice_or_id
        if isinstance(slice_or_id, str):
            found, _ = self._store.find_slice(slice_or_id)
            return found
        # Only the definition is needed here; statistics come from evaluate().
        return Slice(
            self._predicates(slice_or_id), 0, 0.0, 0.0, math.nan, self.overall_error, math.nan
        )

    def _predicates(
        self, conditions: Mapping[str, Any] | Sequence[Predicate]
    ) -> tuple[Predicate, ...]:
        if isinstance(conditions, Mapping):
            items = list(conditions.items())
        else:
            items = [(p.feature, p.value) for p in conditions]
        encoded = {f.name: f for f in self._encoded_features()}
        preds = []
        for feature, value in items:
            if feature not in encoded:
                raise ColumnNotFoundError.for_column("feature", feature, list(encoded))
            f = encoded[feature]
            if str(value) not in f.labels:
                raise ParameterError(
                    f"{value!r} is not a category of feature {feature!r}. Categories: "
                    f"{', '.join(f.labels)}."
                )
            preds.append(f.predicate(f.labels.index(str(value))))
        return tuple(preds)

    def _where_statistics(self, sql_where: str) -> tuple[dict[str, float], Any]:
        """Counts (by DuckDB over all stored rows) and statistics of one SQL-defined slice."""
        from workbench.search import SliceCounts, slice_statistics

        c = self._store.slice_counts(self.dataset_id, self._eval_id, sql_where)
        moments = (
            "size",
            "error_sum",
            "weight_sum",
            "error_sq_sum",
            "error_weight_sum",
            "weight_sq_sum",
        )

        def counts(prefix: str) -> SliceCounts:
            return SliceCounts(*(np.array([c[f"{prefix}_{n}"]]) for n in moments))

        binary = bool(self._evaluation["binary_error"])
        return c, slice_statistics(counts("slice"), counts("total"), binary=binary)

    def compare(
        self, other: Workbench, findings: Findings | None = None, *, fdr: float = 0.05
    ) -> pd.DataFrame:
        """How the slices of a scan fare on another dataset or another model version.

        Each slice (default: this workbench's latest findings) is recomputed on
        ``other`` with its SQL condition over the raw columns, so bins found on one
        dataset apply unchanged to the other. The slices were chosen before looking
        at ``other``, so Benjamini–Hochberg runs over just these hypotheses.

        Returns one row per slice: size, error and 95 % interval here (``_a``) and
        there (``_b``), the change in error, and whether the slice is still
        significantly worse than the rest of ``other``.
        """
        from workbench.search import benjamini_hochberg

        findings = findings if findings is not None else self.findings()
        available = set(other._store.dataset_columns(other.dataset_id))
        rows = []
        for s in findings:
            missing = [p.feature for p in s.predicates if p.feature not in available]
            if missing:
                raise ColumnNotFoundError.for_column("slice feature", missing[0], sorted(available))
            c, stats = other._where_statistics(s.sql_where)
            size_b = int(c["slice_size"])
            rows.append(
                {
                    "slice_id": s.slice_id,
                    "description": s.description,
                    "slice_size_a": s.slice_size,
                    "slice_error_a": s.slice_error,
                    "error_ci_low_a": s.error_ci_low,
                    "error_ci_high_a": s.error_ci_high,
                    "slice_size_b": size_b,
                    "slice_error_b": float(stats.slice_error[0]) if size_b else math.nan,
                    "error_ci_low_b": float(stats.error_ci_low[0]) if size_b else math.nan,
                    "error_ci_high_b": float(stats.error_ci_high[0]) if size_b else math.nan,
                    "rest_error_b": float(stats.rest_error[0]),
                    "p_value_b": float(stats.p_value[0]) if size_b else 1.0,
                }
            )
        columns = [
            "slice_id",
            "description",
            "slice_size_a",
            "slice_error_a",
            "error_ci_low_a",
            "error_ci_high_a",
            "slice_size_b",
            "slice_error_b",
            "error_ci_low_b",
            "error_ci_high_b",
            "rest_error_b",
            "error_change",
            "p_value_b",
            "p_value_adjusted_b",
            "significant_b",
        ]
        frame = pd.DataFrame(rows)
        if frame.empty:
            return pd.DataFrame(columns=columns)
        frame["error_change"] = frame["slice_error_b"] - frame["slice_error_a"]
        frame["p_value_adjusted_b"] = benjamini_hochberg(frame["p_value_b"].to_numpy())
        frame["significant_b"] = frame["p_value_adjusted_b"] <= fdr
        return frame[columns]

    def evaluate(
        self, conditions: Mapping[str, Any] | Sequence[Predicate], *, fdr: float = 0.05
    ) -> Slice:
        """Statistics of any slice, computed by DuckDB over all stored rows.

        ``conditions`` maps feature to category (``{"sex": "Female", "age": "[33, 41)"}``).
        The p-value is not corrected for multiple testing: this is one slice a person
        chose (a hypothesis stated in advance), not a search result.
        """
        preds = self._predicates(conditions)
        where = Slice(preds, 0, 0, 0, 0, 0, 0).sql_where
        c, stats = self._where_statistics(where)
        if c["slice_size"] == 0:
            description = " AND ".join(p.describe() for p in preds) or "all rows"
            raise EmptyDataError(
                f"The slice {description} has no rows. Remove a condition or pick another category."
            )
        p_value = float(stats.p_value[0])
        return Slice(
            predicates=preds,
            slice_size=int(c["slice_size"]),
            error_sum=c["slice_error_sum"],
            weight_sum=c["slice_weight_sum"],
            slice_error=float(stats.slice_error[0]),
            overall_error=self.overall_error,
            score=math.nan,
            error_ci_low=float(stats.error_ci_low[0]),
            error_ci_high=float(stats.error_ci_high[0]),
            rest_error=float(stats.rest_error[0]),
            p_value=p_value,
            p_value_adjusted=p_value,
            significant=bool(p_value <= fdr),
            statistics_on="all rows (chosen by a person, uncorrected)",
            stats_size=int(c["slice_size"]),
        )

    def members(
        self,
        slice_or_id: Slice | str | Mapping[str, Any],
        *,
        limit: int | None = None,
        offset: int = 0,
        worst_first: bool = False,
    ) -> pd.DataFrame:
        """The rows of a slice: original columns plus ``_label``, ``_prediction``,
        ``_score``, ``_error`` and ``_weight``, indexed by row id."""
        target = self._resolve(slice_or_id)
        return self._store.members(
            self.dataset_id,
            self._eval_id,
            target.sql_where,
            limit=limit,
            offset=offset,
            order_by_error=worst_first,
        )

    def _code_where(self, target: Slice) -> str:
        """The slice as a condition on the stored integer codes (fast on large stores)."""
        from workbench.findings import quote_identifier

        # Every stored feature, excluded ones too: a slice from another evaluation may use them.
        feats, _ = self._store.load_features(self.dataset_id)
        every = {f["name"]: f["labels"] for f in feats}
        parts = []
        for p in target.predicates:
            labels = every.get(p.feature)
            if labels is None or str(p.value) not in labels:
                raise ParameterError(
                    f"The slice condition {p.describe()!r} does not match a stored category "
                    f"of this dataset. Known features: {', '.join(every)}."
                )
            parts.append(f"{quote_identifier(p.feature)} = {labels.index(str(p.value))}")
        return " AND ".join(parts) or "TRUE"

    def distributions(self, slice_or_id: Slice | str | Mapping[str, Any]) -> pd.DataFrame:
        """Share of each category of each feature inside vs outside the slice.

        Columns: ``feature, category, inside, outside, inside_share, outside_share``.
        """
        target = self._resolve(slice_or_id)
        encoded = self._encoded_features()
        counts = self._store.code_distributions(
            self.dataset_id, [f.name for f in encoded], self._code_where(target)
        )
        labels = {f.name: f.labels for f in encoded}
        counts["category"] = [
            labels[f][int(c)] for f, c in zip(counts["feature"], counts["code"], strict=True)
        ]
        inside_total = counts.groupby("feature")["inside"].transform("sum").replace(0, np.nan)
        outside_total = counts.groupby("feature")["outside"].transform("sum").replace(0, np.nan)
        counts["inside_share"] = counts["inside"] / inside_total
        counts["outside_share"] = counts["outside"] / outside_total
        order = {f.name: i for i, f in enumerate(encoded)}
        counts = counts.sort_values(
            ["feature", "code"], key=lambda s: s.map(order) if s.name == "feature" else s
        )
        return counts[
            ["feature", "category", "inside", "outside", "inside_share", "outside_share"]
        ].reset_index(drop=True)

    def confusion_matrix(self, slice_or_id: Slice | str | Mapping[str, Any]) -> pd.DataFrame:
        """Counts of (label, prediction) pairs inside and outside the slice (classification)."""
        target = self._resolve(slice_or_id)
        return self._store.confusion(self.dataset_id, self._eval_id, self._code_where(target))

    def error_histogram(
        self, slice_or_id: Slice | str | Mapping[str, Any], bins: int = 20
    ) -> pd.DataFrame:
        """Histogram of per-row error inside and outside the slice (regression, WER)."""
        target = self._resolve(slice_or_id)
        return self._store.error_histogram(
            self.dataset_id, self._eval_id, self._code_where(target), bins
        )

    # -- flags -------------------------------------------------------------------------------
    def flag(self, slice_or_id: Slice | str, note: str = "") -> None:
        """Mark a slice of a saved scan as a finding to report (kept in the store)."""
        slice_id = slice_or_id if isinstance(slice_or_id, str) else slice_or_id.slice_id
        found, scan_id = self._store.find_slice(slice_id)
        self._store.set_flag(found.slice_id, scan_id, note)

    def save_slice(
        self, slice_or_conditions: Slice | Mapping[str, Any], *, scan_id: str | None = None
    ) -> Slice:
        """Keep a slice you defined (for example refined in the explorer) with a scan.

        The slice is added to the scan's findings (default: the latest scan) under the
        next rank, so it can be flagged, exported and claimed like the others. Its
        statistics are computed over all rows and its p-value is *not* corrected for
        the search (``statistics_on`` says so): it is a hypothesis a person chose.
        A slice with the same conditions already in the scan is returned as it is.
        """
        if isinstance(slice_or_conditions, Slice) and slice_or_conditions.slice_id:
            return slice_or_conditions
        conditions = (
            slice_or_conditions.conditions
            if isinstance(slice_or_conditions, Slice)
            else dict(slice_or_conditions)
        )
        findings = self.findings(scan_id)
        for existing in findings:
            if existing.conditions == conditions:
                return existing
        evaluated = self.evaluate(conditions)
        return self._store.append_slice(findings.scan_id, evaluated)

    def unflag(self, slice_or_id: Slice | str) -> None:
        slice_id = slice_or_id if isinstance(slice_or_id, str) else slice_or_id.slice_id
        self._store.clear_flag(slice_id)

    def flagged(self, scan_id: str | None = None) -> Findings:
        """The flagged slices of a scan (default: the latest scan of these predictions)."""
        findings = self.findings(scan_id)
        return findings.replace(slices=tuple(s for s in findings if s.flagged))

    # -- claims ------------------------------------------------------------------------------
    def claim(self, slice_or_id: Slice | str, note: str = "") -> dict[str, Any]:
        """A self-contained claim (JSON-ready dict) for a slice of a saved scan.

        It holds the predicates, SQL ``WHERE``, statistics with CI and adjusted
        p-value, the scan parameters, data and model fingerprints and the tool
        version, so a model owner can re-check it with :meth:`verify_claim`.
        """
        from workbench.export import make_claim

        slice_id = slice_or_id if isinstance(slice_or_id, str) else slice_or_id.slice_id
        if not slice_id:
            raise ParameterError(
                "Only slices of a saved scan can be claimed (this one has no slice_id). "
                "Run bench.scan() and pick a slice from its findings."
            )
        found, scan_id = self._store.find_slice(slice_id)
        findings, eval_id = self._store.load_scan(scan_id)
        evaluation = self._store.evaluation(eval_id)
        dataset = self._store.dataset(int(evaluation["dataset_id"]))
        return make_claim(
            found,
            findings,
            dataset={
                "name": dataset["name"],
                "fingerprint": dataset["fingerprint"],
                "n_rows": dataset["n_rows"],
                "source": dataset["source"],
                "columns": self._store.dataset_columns(int(evaluation["dataset_id"])),
            },
            model={
                "name": evaluation["model_name"],
                "fingerprint": evaluation["model_fingerprint"],
                "kind": evaluation["model_kind"],
            },
            evaluation={
                "label_column": evaluation["label_column"],
                "prediction_column": evaluation["prediction_column"],
                "score_column": evaluation["score_column"],
                "metric": evaluation["metric"],
                "overall_error": evaluation["overall_error"],
            },
            note=note,
        )

    def export_claim(
        self, slice_or_id: Slice | str, path: str | os.PathLike[str], note: str = ""
    ) -> Path:
        """Write :meth:`claim` to a JSON file."""
        from workbench.export import write_claim

        return write_claim(self.claim(slice_or_id, note), path)

    @classmethod
    def verify_claim(
        cls,
        claim: str | os.PathLike[str] | Mapping[str, Any],
        data: Any,
        *,
        label: str | None = None,
        prediction: str | None = None,
        level: float = 0.05,
    ) -> dict[str, Any]:
        """Re-check a claim on data: does the slice's error still exceed the rest's?

        The claim names one slice in advance, so its one-sided p-value is not
        corrected for multiple testing. The claim holds when the slice has rows,
        its error is significantly higher than the rest's at ``level``, and it is
        at least the lower end of the claimed confidence interval.

        Returns a dict with ``holds`` (bool), ``checks``, ``recomputed`` statistics
        and a human ``report`` (list of lines).
        """
        from workbench.export import read_claim

        claim = read_claim(claim)
        evaluation = claim["evaluation"]
        label = label or evaluation.get("label_column")
        prediction = prediction or evaluation.get("prediction_column")
        if not prediction:
            raise ParameterError(
                "The claim was made from a model's predictions, so the data must carry the "
                "predictions: pass prediction='<column>' (CLI: --prediction COL)."
            )
        frame = read_table(data)
        same_data = fingerprint_frame(frame) == claim["dataset"].get("fingerprint")
        features = sorted({p["feature"] for p in claim["slice"]["predicates"]})
        _require_columns(frame, "slice feature", features)
        _require_columns(frame, "label", [str(label)])
        _require_columns(frame, "prediction", [str(prediction)])
        bench = cls.from_predictions(
            frame,
            label=str(label),
            prediction=str(prediction),
            score=evaluation.get("score_column")
            if evaluation.get("score_column") in frame.columns
            else None,
            metric=evaluation.get("metric"),
            features=features,
            path=":memory:",
            # Rows without label or prediction have no error; a claim made after dropping
            # them must still be checkable on the data as it was handed in.
            missing="drop",
        )
        try:
            c, stats = bench._where_statistics(claim["slice"]["sql_where"])
        finally:
            bench.close()
        claimed = claim["statistics"]
        size = int(c["slice_size"])
        error = float(stats.slice_error[0]) if size else math.nan
        rest = float(stats.rest_error[0])
        p_value = float(stats.p_value[0]) if size else 1.0
        claimed_low = claimed.get("error_ci_low")
        checks = {
            "slice has rows": size > 0,
            f"error above the rest (one-sided p <= {level:g})": size > 0 and p_value <= level,
            "error at least the claimed CI's lower end": (
                size > 0 and (claimed_low is None or error >= float(claimed_low) - 1e-12)
            ),
        }
        holds = all(checks.values())
        report = [
            f"Claim: {claim['slice']['description']}",
            f"  data: {'same as the claim (fingerprint matches)' if same_data else 'different from the claim (fingerprint differs)'}",
            f"  slice rows: {size} (claimed {claimed.get('slice_size')})",
            f"  slice {evaluation.get('metric', 'error')}: {error:.4f} vs rest {rest:.4f} "
            f"(claimed {claimed.get('slice_error')}, CI [{claimed.get('error_ci_low')}, {claimed.get('error_ci_high')}])",
            f"  one-sided p-value: {p_value:.3g}",
        ]
        report += [f"  [{'ok' if ok else 'FAILED'}] {name}" for name, ok in checks.items()]
        report.append(
            "The claim HOLDS on this data." if holds else "The claim does NOT hold on this data."
        )
        return {
            "holds": holds,
            "same_data": same_data,
            "checks": checks,
            "recomputed": {
                "slice_size": size,
                "slice_error": error,
                "rest_error": rest,
                "p_value": p_value,
                "error_ci_low": float(stats.error_ci_low[0]),
                "error_ci_high": float(stats.error_ci_high[0]),
            },
            "report": report,
        }

    # -- front ends --------------------------------------------------------------------------
    def explore(self, scan_id: str | None = None, **options: Any) -> Any:
        """The interactive explorer widget (needs ``slice-workbench[app]``).

        ``options`` go to :class:`workbench.widgets.Explorer` (``media_root`` for
        relative image/audio paths, ``column_kinds``, ``page_size``, ...).
        """
        from workbench.widgets import Explorer

        return Explorer(self, scan_id=scan_id, **options)

    def close(self) -> None:
        """Close the store (releases the file lock for other processes)."""
        self._store.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)


def _score_column(score: Any, n: int) -> np.ndarray:
    if score is None:
        return np.full(n, np.nan)
    matrix = np.asarray(score, dtype=np.float64)
    if matrix.ndim == 1:
        return matrix
    if matrix.shape[1] == 2:
        return matrix[:, 1]
    return matrix.max(axis=1)
