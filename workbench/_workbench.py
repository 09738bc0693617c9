"""Workbench: the one place that wires the layers together.

    data / model --> _ingest (adapters, metrics, features) --> store
    store --> _report (search) --> findings --> _slices / _compare / export / widgets

Each job lives in its own module: ``_ingest`` (load data and predictions),
``_report`` (run a scan, keep its findings, near-duplicates), ``_slices``
(statistics, rows and distributions of a named slice), ``_compare`` (slices on
another dataset or model), ``_descriptors`` (media descriptors), ``export`` (claims).
Nothing else in the package imports this module except the front ends (``cli``,
``widgets`` and ``app`` get a Workbench handed to them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
import pandas as pd

from workbench import _ingest, _report
from workbench._compare import compare as _compare
from workbench._ingest import DEFAULT_PATH, as_list
from workbench._slices import SliceQueries, SliceRef
from workbench.exceptions import ParameterError, SliceNotFoundError, StoreError
from workbench.findings import Findings, Predicate, Slice
from workbench.metrics import Metric
from workbench.search._change import ChangeFindings
from workbench.search._parameters import scan_defaults
from workbench.store import Store

#: The scan parameters' defaults, from the one table.
_SCAN = scan_defaults()

__all__ = ["Workbench"]

ProgressCallback = Callable[[int, int, str], None]


class Workbench:
    """A model's predictions on a dataset, stored in DuckDB, ready to scan for failing slices.

    Build one with :meth:`from_predictions` or :meth:`from_model`, reopen one with
    :meth:`open`. Then :meth:`scan` finds the slices whose error is significantly
    higher than the whole, :meth:`members` lists a slice's rows, :meth:`explore`
    opens the interactive explorer.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"g": ["a", "a", "b", "b"] * 50, "y": [0, 1] * 100, "p": [0, 0] * 100})
    >>> bench = Workbench.from_predictions(df, label="y", prediction="p", path=":memory:")
    >>> bench.overall_error
    0.5
    """

    def __init__(self, store: Store, eval_id: int, notes: Sequence[str] = ()) -> None:
        self._store = store
        self._eval_id = eval_id
        self._queries = SliceQueries(store, eval_id)
        self._evaluation = self._queries.evaluation
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
        na_values: str | Sequence[str] | None = None,
        delimiter: str | None = None,
        decimal: str | None = None,
        thousands: str | None = None,
        encoding: str | None = None,
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
        na_values, delimiter, decimal, thousands, encoding : optional
            How a CSV file is written (see :func:`workbench.read_table`): by default only
            empty cells are missing (``NA`` or ``null`` are values unless named in
            ``na_values``) and the rest is detected.
        """
        return cls(
            *_ingest.ingest_predictions(
                data,
                label=label,
                prediction=prediction,
                score=score,
                features=features,
                exclude=exclude,
                metric=metric,
                path=path,
                name=name,
                model_name=model_name,
                pos_label=pos_label,
                missing=missing,
                n_bins=n_bins,
                max_categories=max_categories,
                read_options={
                    "na_values": na_values,
                    "delimiter": delimiter,
                    "decimal": decimal,
                    "thousands": thousands,
                    "encoding": encoding,
                },
            )
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
        return cls(
            *_ingest.ingest_model(
                model,
                X,
                y,
                features=features,
                metric=metric,
                path=path,
                name=name,
                model_name=model_name,
                n_bins=n_bins,
                max_categories=max_categories,
            )
        )

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

    @property
    def features(self) -> pd.DataFrame:
        """The searchable features: kind, categories and how each was made."""
        return self._queries.features_table()

    def evaluations(self) -> pd.DataFrame:
        """Every model's predictions held in this store."""
        return self._store.evaluations()

    def scans(self) -> pd.DataFrame:
        """Every scan held in this store, oldest first."""
        return self._store.scans()

    def scan_ids(self, *, all_models: bool = False) -> list[str]:
        """Ids of the scans of these predictions (or of every model's), oldest first."""
        return self._store.scan_ids(None if all_models else self._eval_id)

    def __repr__(self) -> str:
        return (
            f"Workbench(path={self.path!r}, model={self.model_name!r}, rows={self.n_rows}, "
            f"metric={self.metric!r}, overall_error={self.overall_error:.4g}, "
            f"features={len(self._queries.encoded_features())})"
        )

    # -- media descriptors -------------------------------------------------------------------
    def add_descriptors(
        self,
        extractor: Any,
        column: str,
        *,
        base_dir: str | os.PathLike[str] | None = None,
        prefix: str = "",
        text_column: str | None = None,
        batch_size: int = 64,
        progress: Callable[[int, int], None] | bool | None = True,
    ) -> pd.DataFrame:
        """Compute media descriptors for a column and make them slice features.

        ``extractor`` follows the :class:`~workbench.Extractor` interface (``name``,
        ``columns``, ``extract(batch)``), for example
        ``workbench.features.audio.AudioDescriptors()`` or
        ``workbench.features.image.ImageDescriptors()``. Items of ``column`` are
        paths (relative ones resolved against ``base_dir``), bytes or arrays; rows
        without an item get missing descriptors. Results are added to the dataset as
        columns named ``prefix + column`` and binned like any other feature. They are
        cached in the store under the media column, the prefix, the extractor's name,
        version and settings, and the items (each file's path, size and modification
        time): another column, setting or an edited file recomputes. ``text_column``
        names a transcript column handed to the extractor with each item (for
        ``AudioDescriptors``' ``speaking_rate_wps``).

        Returns the descriptor columns (one row per dataset row).
        """
        from workbench._descriptors import add_descriptors

        return add_descriptors(
            self._store,
            self.dataset_id,
            extractor,
            column,
            base_dir=base_dir,
            prefix=prefix,
            text_column=text_column,
            batch_size=batch_size,
            progress=progress,
        )

    # -- search ------------------------------------------------------------------------------
    # The parameters are those of the implementation below; the overloads only say
    # what a plain and a differential scan return.
    @overload
    def scan(self, *, baseline: None = None, **options: Any) -> Findings: ...

    @overload
    def scan(self, *, baseline: Workbench, **options: Any) -> ChangeFindings: ...

    def scan(
        self,
        *,
        baseline: Workbench | None = None,
        k: int = _SCAN["k"],
        max_predicates: int = _SCAN["max_predicates"],
        min_support: int | float = _SCAN["min_support"],
        alpha: float = _SCAN["alpha"],
        fdr: float = _SCAN["fdr"],
        confirm: bool | str = _SCAN["confirm"],
        random_state: int | None = _SCAN["random_state"],
        features: str | Sequence[str] | None = None,
        progress: ProgressCallback | None = None,
        n_jobs: int = _SCAN["n_jobs"],
        engine: str = _SCAN["engine"],
        memory_limit: int | str | None = _SCAN["memory_limit"],
        spark: Any = None,
        paired: bool | str = "auto",
        ranking: str | None = None,
        distinct: bool = _SCAN["distinct"],
        max_overlap: float = _SCAN["max_overlap"],
        min_rows: int = _SCAN["min_rows"],
        min_errors: int = _SCAN["min_errors"],
        **unknown: Any,
    ) -> Findings | ChangeFindings:
        """Search for the slices whose error is highest, with honest statistics.

        The top-``k`` distinct groups (``distinct=False``: the exact top-k slices) of up
        to ``max_predicates`` predicates under ``ranking`` (``"excess"``, the default:
        the lower end of the slice error's 95 % interval minus the rest's error;
        ``"sliceline"``: SliceLine's score), each slice with its size, error,
        confidence interval and a p-value corrected for every slice tried (see
        :class:`~workbench.SliceSearch`; the parameters, defaults and checks are
        those of :data:`~workbench.search.SCAN_PARAMETERS`). The result is saved in the
        store and returned.

        With ``baseline`` (another Workbench: the vendor's test set, or the previous
        model), the search is *differential*: it finds the slices whose error rose more
        from ``baseline`` to this workbench than the whole's did, using the baseline's
        bins on both sides, and returns a :class:`~workbench.search.ChangeFindings`
        (the overall change first, then each slice's error on both sides with 95 %
        intervals, the change with its interval, and tests corrected over every slice
        evaluated). ``paired`` ("auto": when both sides are the same dataset) uses
        paired tests; ``ranking`` is ``"change"`` (the default there; also
        ``"sliceline"``: SliceLine's score on the change in excess of the whole's) or
        ``"excess"`` (lower end of the change interval minus the whole's change: small
        groups with a clear rise rank high). ``confirm`` and ``random_state`` split each
        side into discovery and held-out confirmation rows as for a plain scan (then BH
        runs over the reported slices); ``progress`` and the engine parameters below
        apply to the plain scan only.

        Where the counting runs: ``engine="auto"`` loads the codes into numpy when they
        fit ``memory_limit`` (bytes or e.g. ``"4GB"``; default half the memory this
        process can still get) and otherwise streams them out of the store through
        DuckDB; ``"numpy"``, ``"duckdb"`` or ``"spark"`` (on ``spark``, a SparkSession,
        default the active one) force it. A note of the findings says which ran and why.
        ``n_jobs`` cores count in memory (-1: every core).
        """
        if unknown:
            import difflib

            name = sorted(unknown)[0]
            known = [*_SCAN, "baseline", "features", "progress", "spark", "paired"]
            close = difflib.get_close_matches(name, known, n=1)
            raise ParameterError(
                f"Workbench.scan() got an unknown parameter {name!r}."
                + (f" Did you mean {close[0]!r}?" if close else "")
                + f" Expected one of {', '.join(known)}."
            )
        if baseline is not None:
            from workbench._compare import change_scan

            return change_scan(
                self._queries,
                baseline._queries,
                features=as_list(features),
                paired=paired,
                ranking="change" if ranking in (None, "sliceline") else ranking,
                k=k,
                max_predicates=max_predicates,
                min_support=min_support,
                alpha=alpha,
                fdr=fdr,
                confirm=confirm,
                random_state=random_state,
            )
        return _report.run_scan(
            self._queries,
            features=as_list(features),
            progress=progress,
            engine=engine,
            memory_limit=memory_limit,
            spark=spark,
            n_jobs=n_jobs,
            k=k,
            max_predicates=max_predicates,
            min_support=min_support,
            alpha=alpha,
            fdr=fdr,
            confirm=confirm,
            random_state=random_state,
            ranking=_SCAN["ranking"] if ranking is None else ranking,
            distinct=distinct,
            max_overlap=max_overlap,
            min_rows=min_rows,
            min_errors=min_errors,
        )

    def by_group(
        self,
        columns: str | Sequence[str],
        metrics: Sequence[Any] | None = None,
        *,
        pos_label: Any = None,
    ) -> pd.DataFrame:
        """One row per group of ``columns`` (and per intersection when several are named)
        with its row count and, per metric, its value, 95 % interval and its difference
        and ratio to the overall value (``frame.attrs["overall"]``).

        ``metrics`` are metric names (default: this workbench's metric), e.g.
        ``["false_negative_rate", "false_positive_rate"]`` with ``pos_label=">50K"``;
        the values equal Fairlearn's ``MetricFrame.by_group``.
        """
        return self._queries.by_group(as_list(columns) or [], metrics, pos_label=pos_label)

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
        """The findings without near-duplicates: a slice whose rows overlap a
        better-ranked kept slice's by more than ``max_overlap`` (Jaccard index of the
        rows) is folded into it, its description joining the kept slice's
        ``also_described_as``.

        SliceLine's exact top-k often fills with variants of one group (the same rows
        described with one more or one fewer condition); this keeps the first of each.
        It is the rule a default (distinct) scan applies while it searches
        (``workbench.search.fold_near_duplicates``), applied to stored findings.
        """
        findings = findings if findings is not None else self.findings()
        return _report.distinct(self._queries, findings, max_overlap=max_overlap)

    def compare(
        self, other: Workbench, findings: Findings | None = None, *, fdr: float = 0.05
    ) -> pd.DataFrame:
        """How the slices of a scan fare on another dataset or another model version.

        Each slice (default: this workbench's latest findings) is recomputed on
        ``other`` from its predicates over the raw columns, so bins found on one
        dataset apply unchanged to the other. The slices were chosen before looking
        at ``other``, so Benjamini–Hochberg runs over just these hypotheses.

        Returns one row per slice: size, error and 95 % interval here (``_a``) and
        there (``_b``), the change in error, and whether the slice is still
        significantly worse than the rest of ``other``.
        """
        findings = findings if findings is not None else self.findings()
        return _compare(other._queries, findings, fdr=fdr)

    # -- one slice ---------------------------------------------------------------------------
    def slice(self, slice_id: str) -> Slice:
        """A stored slice by its id (``"scan3.s1"``), with its current flag."""
        found, _ = self._store.find_slice(slice_id)
        return found

    def evaluate(
        self, conditions: Mapping[str, Any] | Sequence[Predicate], *, fdr: float = 0.05
    ) -> Slice:
        """Statistics of any slice, computed by DuckDB over all stored rows.

        ``conditions`` maps a column to a stored category (``{"age": "[33, 41)"}``) or to
        a raw value: ``{"sex": "Female"}``, an interval ``{"age": (25, 35)}`` meaning
        ``25 <= age < 35``, ``None`` for missing, or a list for "one of". The p-value is
        not corrected for multiple testing: this is one slice a person chose (a
        hypothesis stated in advance), not a search result.
        """
        return self._queries.evaluate(conditions, fdr=fdr)

    def members(
        self,
        slice_or_id: SliceRef,
        *,
        limit: int | None = None,
        offset: int = 0,
        worst_first: bool = False,
    ) -> pd.DataFrame:
        """The rows of a slice: original columns plus ``_label``, ``_prediction``,
        ``_score``, ``_error`` and ``_weight``, indexed by row id.

        A stored slice id shows the predictions of the model its scan was run on.
        """
        queries = self._queries
        if isinstance(slice_or_id, str):
            _, scan_eval = self._store.load_scan(self._store.find_slice(slice_or_id)[1])
            if scan_eval != self._eval_id:
                queries = SliceQueries(self._store, scan_eval)
        target = queries.resolve(slice_or_id)
        return queries.members(target, limit=limit, offset=offset, worst_first=worst_first)

    def distributions(self, slice_or_id: SliceRef) -> pd.DataFrame:
        """Share of each category of each feature inside vs outside the slice.

        Columns: ``feature, category, inside, outside, inside_share, outside_share``.
        """
        return self._queries.distributions(self._queries.resolve(slice_or_id))

    def error_values(self, slice_or_id: SliceRef) -> pd.DataFrame:
        """Which values of each feature carry a slice's errors, over its rows in the data.

        One row per (feature, category) inside the slice: ``rows``, ``error_sum``,
        ``weight_sum``, the value's ``error`` and 95 % interval, its ``error_share`` of the
        slice's errors, the slice's own ``slice_error`` on those rows, and ``well_above``
        (its error is clearly above the slice's). Counted by DuckDB from the slice's
        typed predicates.
        """
        return self._queries.error_values(self._queries.resolve(slice_or_id))

    def confusion_matrix(self, slice_or_id: SliceRef) -> pd.DataFrame:
        """Counts of (label, prediction) pairs inside and outside the slice (classification)."""
        return self._queries.confusion(self._queries.resolve(slice_or_id))

    def error_histogram(self, slice_or_id: SliceRef, bins: int = 20) -> pd.DataFrame:
        """Histogram of per-row error inside and outside the slice (regression, WER)."""
        return self._queries.error_histogram(self._queries.resolve(slice_or_id), bins)

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
        preds = (
            slice_or_conditions.predicates
            if isinstance(slice_or_conditions, Slice)
            else self._queries.predicates(slice_or_conditions)
        )
        findings = self.findings(scan_id)
        for existing in findings:
            if set(existing.predicates) == set(preds):
                return existing
        evaluated = self._queries.evaluate(preds)
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
        from workbench._verify import claim_for

        slice_id = slice_or_id if isinstance(slice_or_id, str) else slice_or_id.slice_id
        return claim_for(self._store, slice_id, note)

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
        **read_options: Any,
    ) -> dict[str, Any]:
        """Re-check a claim on data: does the slice's error still exceed the rest's?

        ``read_options`` (``na_values``, ``delimiter``, ``decimal``, ``thousands``,
        ``encoding``) say how a CSV ``data`` file is written, as for
        :meth:`from_predictions`.

        The slice's rows are selected from the claim's typed predicates (its SQL text is
        never run; a claim whose text and predicates disagree is invalid). The claim
        names one slice in advance, so its one-sided p-value is not corrected for
        multiple testing. The claim holds when the slice has rows, its error is
        significantly higher than the rest's at ``level``, and it is at least the lower
        end of the claimed confidence interval.

        Returns a dict with ``holds`` (bool), ``checks``, ``recomputed`` statistics
        and a human ``report`` (list of lines).
        """
        from workbench._verify import verify_claim

        return verify_claim(
            claim, data, label=label, prediction=prediction, level=level, **read_options
        )

    # -- front ends --------------------------------------------------------------------------
    def explore(
        self, scan_id: str | None = None, *, baseline: Workbench | None = None, **options: Any
    ) -> Any:
        """The interactive explorer widget (needs ``slice-workbench[app]``).

        ``options`` go to :class:`workbench.widgets.Explorer` (``media_root`` for
        relative image/audio paths, ``column_kinds``, ``page_size``, ...). With
        ``baseline``, the change view instead (:class:`workbench.widgets.ChangeView`):
        before/after per slice of the differential scan ``self.scan(baseline=...)``
        (pass ``result=`` to show one already run), with both sides' member rows.
        Inside marimo (which shows anywidgets but not ipywidgets) it returns
        :class:`workbench.widgets.MarimoExplorer`: the slice table, chart and a
        drill-down with refine, flag and export.
        """
        if baseline is not None:
            from workbench.widgets import ChangeView

            return ChangeView(self, baseline, **options)
        from workbench.widgets import Explorer, MarimoExplorer, running_in_marimo

        if running_in_marimo():
            # marimo shows anywidgets only: the table, chart, drill-down, refine, flag and
            # export, without the ipywidgets of the full explorer.
            return MarimoExplorer(self, scan_id, **options)
        return Explorer(self, scan_id=scan_id, **options)

    def close(self) -> None:
        """Close the store (releases the file lock for other processes)."""
        self._store.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
