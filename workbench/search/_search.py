"""SliceSearch: the public estimator that finds the top-k failing slices.

The one job of this module is to wire inputs, the discovery/confirmation split,
an aggregator, the lattice search and the statistics into a
:class:`~workbench.findings.Findings` value. It imports numpy, the sibling
search modules, ``workbench.findings`` and ``workbench.exceptions`` (and duckdb
lazily, for the DuckDB aggregator); never the store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from workbench.exceptions import DataError, EmptyDataError
from workbench.findings import Findings, Predicate, Slice, quote_identifier
from workbench.search import _kernels
from workbench.search._aggregators import (
    Aggregator,
    DuckDBAggregator,
    NumpyAggregator,
    move_to_front,
)
from workbench.search._counts import SliceCounts
from workbench.search._inputs import (
    EncodedFeatures,
    as_float_vector,
    check_errors,
    check_weights,
    encode_codes,
    encode_frame,
    labels_to_predicates,
)
from workbench.search._lattice import TIE_TOLERANCE, LatticeResult, lattice_search
from workbench.search._overlap import fold_near_duplicates
from workbench.search._parameters import ResolvedParameters, check_scan_parameters, scan_defaults
from workbench.search._split import SplitAssigner
from workbench.search._stats import benjamini_hochberg, error_rows, slice_statistics

__all__ = ["SliceSearch"]

Progress = Callable[[int, int, str], None]

#: In-sample, evaluated slices whose Chernoff bound on the p-value is above this get
#: the bound as p-value (conservative); the reported slices always get the exact p.
EXACT_P_BELOW = 0.2

_DEFAULTS = scan_defaults()


class SliceSearch(BaseEstimator):
    """Exact top-k search for the data slices where a model's error is high.

    A slice is a conjunction of 1 to ``max_predicates`` predicates ``feature = value``
    on distinct categorical features (``slice_error = sum(error) / sum(weight)``).
    Slices are ranked by one of two exact rankings:

    * ``"excess"`` (default): ``error_ci_low - rest_error``, how far the slice's error
      is above the rest's at the least (lower end of its 95 % interval). A small
      group with a large, well-supported excess is not buried under large groups.
    * ``"sliceline"``: SliceLine's score
      ``alpha * (slice_error / overall_error - 1) - (1 - alpha) * (n / slice_size - 1)``
      (``n`` = rows searched).

    The exact top-k under either ranking is identical to exhaustive enumeration: the
    ``k`` best slices with rank > 0 and ``slice_size >= min_support``, plus every slice
    tied with the k-th (relative tolerance 1e-12), ordered by rank, then fewer
    predicates, then (feature, code). With ``distinct`` (default) the list is the
    top-k *distinct groups*: walking down the exact ranking, a slice whose rows
    overlap an already listed slice's by more than ``max_overlap`` (Jaccard index over
    all rows) is attached to it as an alternative description instead of listed, and
    the list is refilled to ``k`` when the data allow. ``ranking="sliceline",
    distinct=False`` is SliceLine's exact top-k.

    Every reported slice carries honest statistics: its error with a 95 % interval,
    the error of the rest, a one-sided p-value of "slice error > rest error" and a
    Benjamini--Hochberg adjusted p-value. With ``confirm`` the search runs on a
    seeded *discovery* split and the statistics come from the held-out
    *confirmation* split (BH over the reported slices); otherwise they are in-sample
    and BH runs over every slice the search evaluated. A slice whose error rests on
    fewer than ``min_errors`` rows of the statistics rows is never significant (see
    ``min_errors``). When the data cannot support findings at all (fewer erring rows
    than ``min_errors`` on the statistics rows, or too few rows for any slice to meet
    the size floor), nothing is significant and the first of the findings' notes
    starts with "The data cannot support findings" and says what to change; when
    fewer than ``k`` slices qualify, a note says why and what to change.

    The parameters, their defaults and constraints are declared once in
    :data:`~workbench.search.SCAN_PARAMETERS` (shared with ``Workbench.scan``, the CLI,
    the explorer and the app). As a scikit-learn estimator, ``SliceSearch`` only
    stores its arguments (``get_params``, ``set_params`` and ``sklearn.base.clone``
    work); ``fit`` validates them.

    Parameters
    ----------
    ranking : {"excess", "sliceline"}, default="excess"
        How slices are ranked (see above).
    distinct : bool, default=True
        Report distinct groups (with their alternative descriptions) instead of the
        exact top-k, which often fills with descriptions of one group.
    max_overlap : float, default=0.5
        Jaccard overlap above which two slices count as one group, in [0, 1).
    alpha : float, default=0.95
        Weight of the error term against the size term of SliceLine's score, in
        (0, 1] (``ranking="sliceline"`` only).
    k : int, default=10
        Number of slices to report (more when scores tie).
    max_predicates : int, default=3
        Most predicates in a slice.
    min_support : int or float, default=0.01
        Fewest rows of a reported slice (inclusive): a whole number (``50`` or ``50.0``)
        counts rows, a float in (0, 1) is a fraction of the rows searched
        (``int(fraction * n)``, at least ``min_rows``). Anything else (``2.7``) is
        refused.
    min_rows : int, default=20
        Floor of ``min_support`` in rows when it is a fraction.
    min_errors : int, default=5
        Fewest erring rows on the statistics rows for a slice to be called
        significant. For 0/1 errors (and the fairness rates, 0/1 on the rows they
        are defined on) it counts the slice's errors; for continuous or weighted
        errors (absolute or squared error, word errors over reference words) the
        effective number of rows carrying the error, ``sum(e)^2 / sum(e^2)``:
        the rows with a nonzero error when those errors are equal, fewer when a few
        rows carry most of it (one outlier counts as one). Scale-free, so 5 means
        the same for every metric.
    fdr : float, default=0.05
        False discovery rate for ``Slice.significant``.
    confirm : bool or "auto", default="auto"
        Hold out a confirmation split for the statistics; "auto" does so when there
        are at least ``min_confirm_rows`` rows.
    confirm_fraction : float, default=0.5
        Share of rows held out for confirmation.
    min_confirm_rows : int, default=2000
        Rows needed for ``confirm="auto"`` to split.
    random_state : int or None, default=0
        Seed of the split; None draws a fresh seed at each fit (kept in
        ``random_state_`` and in the findings' parameters, so the run can be repeated).
    aggregator : {"auto", "numpy", "duckdb"}, default="auto"
        Where counting happens: numpy for in-memory input, DuckDB for
        :meth:`fit_duckdb` ("duckdb" with in-memory input streams it through an
        in-memory DuckDB, which gives the same result); :meth:`fit_spark` always
        counts in Spark.
    n_jobs : int, default=1
        Cores that count in-memory rows (-1: every core this process may use). Each
        level's counting is shared out by joint histogram or row range: between threads
        running the compiled kernels when numba is installed and the data have at least
        2,000,000 rows (from 500,000 rows per thread), else between worker processes (from
        2,500,000 rows per process); fewer rows are counted in the calling thread, where
        they count faster than they can be shared out. The result is the same up to the
        order float sums are added in.

    Attributes
    ----------
    findings_ : Findings
        The reported slices, best score first.
    n_evaluated_ : int
        Number of slices whose counts the search evaluated.
    discovery_mask_ : ndarray of bool or None
        ``True`` for rows searched when a split was used (``None`` otherwise, and
        for :meth:`fit_duckdb`, whose split is recomputed batch by batch).
    overall_error_ : float
        ``sum(error) / sum(weight)`` over all rows given.
    timings_ : dict of str to float
        Seconds spent per phase.
    random_state_ : int
        The seed actually used (drawn when ``random_state`` is None).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["F", "M"] * 50, "age": ["young", "young", "old", "old"] * 25})
    >>> errors = ((df.sex == "F") & (df.age == "young")).astype(float).to_numpy()
    >>> search = SliceSearch(k=1, min_support=5).fit(df, errors)
    >>> search.findings_[0].description
    'sex = F AND age = young'
    """

    def __init__(
        self,
        *,
        ranking: str = _DEFAULTS["ranking"],
        distinct: bool = _DEFAULTS["distinct"],
        max_overlap: float = _DEFAULTS["max_overlap"],
        min_rows: int = _DEFAULTS["min_rows"],
        min_errors: int = _DEFAULTS["min_errors"],
        alpha: float = _DEFAULTS["alpha"],
        k: int = _DEFAULTS["k"],
        max_predicates: int = _DEFAULTS["max_predicates"],
        min_support: int | float = _DEFAULTS["min_support"],
        fdr: float = _DEFAULTS["fdr"],
        confirm: bool | str = _DEFAULTS["confirm"],
        confirm_fraction: float = _DEFAULTS["confirm_fraction"],
        min_confirm_rows: int = _DEFAULTS["min_confirm_rows"],
        random_state: int | None = _DEFAULTS["random_state"],
        aggregator: str = _DEFAULTS["aggregator"],
        n_jobs: int = _DEFAULTS["n_jobs"],
    ) -> None:
        # scikit-learn's contract: store the arguments untouched; fit validates them.
        self.ranking = ranking
        self.distinct = distinct
        self.max_overlap = max_overlap
        self.min_rows = min_rows
        self.min_errors = min_errors
        self.alpha = alpha
        self.k = k
        self.max_predicates = max_predicates
        self.min_support = min_support
        self.fdr = fdr
        self.confirm = confirm
        self.confirm_fraction = confirm_fraction
        self.min_confirm_rows = min_confirm_rows
        self.random_state = random_state
        self.aggregator = aggregator
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ entry points
    def fit(
        self,
        features: Any,
        errors: Any,
        weights: Any = None,
        *,
        progress: Progress | None = None,
    ) -> SliceSearch:
        """Search a pandas or polars DataFrame or a pyarrow Table of categorical features.

        Parameters
        ----------
        features : pandas.DataFrame, polars.DataFrame or pyarrow.Table
            One column per feature. pandas Categorical columns keep their categories;
            other columns are factorized; missing values form their own category
            (``Predicate.value`` is ``None``).
        errors : array-like of float, shape (n,)
            Per-row error, >= 0.
        weights : array-like of float, shape (n,), optional
            Per-row weight, > 0 (default 1). A slice's error is
            ``sum(error) / sum(weight)``.
        progress : callable, optional
            ``progress(done, total, message)``, called once per lattice level.

        Returns
        -------
        self : SliceSearch

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"colour": ["red", "blue", None, "red"] * 25})
        >>> errors = (df.colour == "red").to_numpy(float)
        >>> SliceSearch(k=1, min_support=2).fit(df, errors).findings_[0].description
        'colour = red'
        """
        params = self._check()
        encoded = encode_frame(features)
        return self._fit_in_memory(params, encoded, errors, weights, progress)

    def fit_codes(
        self,
        codes: Any,
        errors: Any,
        weights: Any = None,
        *,
        feature_names: Sequence[str],
        value_labels: Sequence[Sequence[Any]],
        progress: Progress | None = None,
    ) -> SliceSearch:
        """Search integer-coded features (no pandas overhead).

        Parameters
        ----------
        codes : ndarray of int, shape (n, m), or list of m 1-D int arrays
            Code ``c`` of feature ``j`` lies in ``[0, len(value_labels[j]))``.
        errors, weights : array-like of float, shape (n,)
            As in :meth:`fit`.
        feature_names : sequence of str
            Name of each feature.
        value_labels : sequence of sequences
            For each feature, the label of each code; labels become
            ``Predicate.value`` (a :class:`~workbench.findings.Predicate` is used as is).
        progress : callable, optional
            As in :meth:`fit`.

        Returns
        -------
        self : SliceSearch

        Examples
        --------
        >>> import numpy as np
        >>> codes = np.array([[0, 1], [1, 1], [1, 0], [0, 0]] * 10)
        >>> errors = np.array([0, 1, 0, 0] * 10, dtype=float)
        >>> search = SliceSearch(k=1, min_support=2).fit_codes(
        ...     codes, errors, feature_names=["a", "b"], value_labels=[["x", "y"], ["n", "m"]])
        >>> search.findings_[0].description
        'a = y AND b = m'
        """
        params = self._check()
        encoded = encode_codes(codes, feature_names, value_labels)
        return self._fit_in_memory(params, encoded, errors, weights, progress)

    def _fit_handed_over(
        self,
        read_codes: Callable[[np.ndarray | None], np.ndarray],
        errors: np.ndarray,
        weights: np.ndarray | None = None,
        *,
        feature_names: Sequence[str],
        value_labels: Sequence[Sequence[Any]],
        progress: Progress | None = None,
    ) -> SliceSearch:
        """:meth:`fit_codes` on rows read for this search only (a stored scan).

        ``read_codes(front)`` returns the codes (rows x features) with the rows of the
        boolean mask ``front`` first and the others after, each in row order (``None``:
        all rows in row order). The search reads them once it knows the confirmation
        split, discovery rows first, and moves the rows of ``errors`` and ``weights``
        (which the caller hands over and never reads again) the same way in place, so
        both parts are counted on views: the rows are in memory once.
        """
        params = self._check()

        def encode(front: np.ndarray | None) -> EncodedFeatures:
            return encode_codes(read_codes(front), feature_names, value_labels)

        return self._fit_in_memory(params, encode, errors, weights, progress)

    def fit_duckdb(
        self,
        connection: Any,
        table_or_query: str,
        *,
        feature_columns: Sequence[str],
        error_column: str,
        weight_column: str | None = None,
        value_labels: Sequence[Sequence[Any]],
        batch_rows: int = 1_000_000,
        progress: Progress | None = None,
    ) -> SliceSearch:
        """Search rows streamed out of DuckDB, chunk by chunk (data larger than memory).

        Each lattice level reads the rows once as Arrow record batches of
        ``batch_rows`` rows and adds up their counts; the result equals that of
        :meth:`fit_codes` on the same rows in the same order.

        Parameters
        ----------
        connection : duckdb.DuckDBPyConnection
            An open connection.
        table_or_query : str
            A table (or view) name, or a ``SELECT`` query.
        feature_columns : sequence of str
            Integer-coded feature columns (codes ``0..len(value_labels[j]) - 1``).
        error_column, weight_column : str
            Per-row error and optional weight columns.
        value_labels : sequence of sequences
            Labels of each feature's codes, as in :meth:`fit_codes`.
        batch_rows : int, default=1_000_000
            Rows per record batch.
        progress : callable, optional
            As in :meth:`fit`.

        Returns
        -------
        self : SliceSearch

        Examples
        --------
        >>> import duckdb
        >>> con = duckdb.connect()
        >>> _ = con.execute("CREATE TABLE t AS SELECT i % 2 AS a, i % 3 AS b, "
        ...                 "(i % 6 = 1)::DOUBLE AS e FROM range(600) r(i)")
        >>> search = SliceSearch(k=1).fit_duckdb(
        ...     con, "t", feature_columns=["a", "b"], error_column="e",
        ...     value_labels=[["even", "odd"], ["0", "1", "2"]])
        >>> search.findings_[0].description
        'a = odd AND b = 1'
        """
        params = self._check()
        started = time.perf_counter()
        if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
            from workbench.exceptions import ParameterError

            raise ParameterError(
                "The 'batch_rows' parameter of SliceSearch.fit_duckdb must be an int >= 1. "
                f"Got {batch_rows!r} instead."
            )
        feature_columns = [str(c) for c in feature_columns]
        if len(value_labels) != len(feature_columns):
            raise DataError(
                f"value_labels must give the labels of each of the {len(feature_columns)} "
                f"feature columns. Got {len(value_labels)}. Pass one list of labels per column."
            )
        if not feature_columns:
            raise EmptyDataError(
                "feature_columns must name at least one column. Got none. "
                "Pass the integer-coded feature columns to search over."
            )
        predicates = [
            labels_to_predicates(name, labels)
            for name, labels in zip(feature_columns, value_labels, strict=True)
        ]
        source = table_or_query.strip()
        if not source.lower().startswith(("select", "with", "from", "(")):
            source = f"SELECT * FROM {quote_identifier(source)}"
        count_sql = f"SELECT count(*) FROM ({source}) AS rows_"
        n_rows = int(connection.execute(count_sql).fetchall()[0][0])
        if n_rows == 0:
            raise EmptyDataError(
                f"The query {table_or_query!r} returned no rows. Expected at least one row "
                "to search. Check the table name or the query's WHERE clause."
            )
        use_split = self._use_split(params, n_rows)
        aggregator = DuckDBAggregator(
            connection,
            source,
            feature_columns,
            error_column,
            weight_column,
            cardinalities=[max(len(labels), 1) for labels in value_labels],
            split=(params.confirm_fraction, params.random_state) if use_split else None,
            batch_rows=batch_rows,
        )
        self.discovery_mask_: np.ndarray | None = None
        return self._run(
            params, aggregator, feature_columns, predicates, n_rows, use_split, progress, started
        )

    def fit_spark(
        self,
        df: Any,
        *,
        features: Sequence[str],
        error: str = "error",
        weight: str | None = None,
        value_labels: Sequence[Sequence[Any]] | None = None,
        progress: Progress | None = None,
    ) -> SliceSearch:
        """Search a Spark DataFrame where it lives: Spark counts, the driver searches.

        The same level-wise plan as in memory: the driver generates and prunes each
        level's candidates; Spark counts them partition by partition (``mapInArrow``
        running the numpy counting plan) and sums the counts by candidate id, so only
        counts reach the driver. The discovery/confirmation split and the statistics'
        counts are computed in Spark too. The result is identical to :meth:`fit` on
        ``df.toPandas()`` (same split, same slices and order; float sums may differ in
        the last bits because Spark adds partitions in another order). The split follows
        the DataFrame's row order, so a DataFrame whose partitions are not reproducible
        (e.g. after ``repartition``) should be persisted or checkpointed first.

        Parameters
        ----------
        df : pyspark.sql.DataFrame
            Classic or Spark Connect DataFrame holding the features, the error and
            optionally the weight columns (needs the ``spark`` extra).
        features : sequence of str
            Categorical feature columns; each distinct value is a category and NULL
            (and NaN in float columns) the missing category, as in :meth:`fit`.
        error : str, default="error"
            Per-row error column (>= 0).
        weight : str, optional
            Per-row weight column (> 0).
        value_labels : sequence of sequences, optional
            When the features are integer codes already: the label (or
            :class:`~workbench.findings.Predicate`) of each code, as in :meth:`fit_codes`.
        progress : callable, optional
            As in :meth:`fit`.

        Returns
        -------
        self : SliceSearch
        """
        from workbench.search._spark import prepare_spark

        params = self._check()
        started = time.perf_counter()

        def split_for(n_rows: int) -> tuple[float, int] | None:
            if self._use_split(params, n_rows):
                return params.confirm_fraction, params.random_state
            return None

        aggregator, names, predicates, n_rows, use_split = prepare_spark(
            df, features, error, weight, split_for, value_labels
        )
        self.discovery_mask_ = None
        try:
            if use_split:
                n_discovery = aggregator.profile().n_rows["discovery"]
                if n_discovery == 0 or n_discovery == n_rows:
                    raise DataError(
                        "confirm=True needs rows in both the discovery and the confirmation "
                        f"split. Got {n_rows} rows, which split into {n_discovery} and "
                        f"{n_rows - n_discovery}. Pass more rows or confirm=False."
                    )
            self._run(params, aggregator, names, predicates, n_rows, use_split, progress, started)
        finally:
            aggregator.close()
        self.spark_jobs_ = aggregator.n_jobs_run
        return self

    # ------------------------------------------------------------------ internals
    def _check(self) -> ResolvedParameters:
        params = check_scan_parameters(self.get_params(deep=False))
        self.random_state_ = params.random_state
        return params

    @staticmethod
    def _use_split(params: ResolvedParameters, n_rows: int) -> bool:
        if params.confirm == "auto":
            return n_rows >= params.min_confirm_rows
        return bool(params.confirm)

    def _fit_in_memory(
        self,
        params: ResolvedParameters,
        encoded: EncodedFeatures | Callable[[np.ndarray | None], EncodedFeatures],
        errors: Any,
        weights: Any,
        progress: Progress | None,
    ) -> SliceSearch:
        """Search codes in memory; ``encoded`` may be a reader of codes handed over
        (see :meth:`_fit_handed_over`), called once the split is known."""
        started = time.perf_counter()
        n_rows = encoded.n_rows if isinstance(encoded, EncodedFeatures) else len(errors)
        if n_rows >= _kernels.MIN_ROWS and params.aggregator != "duckdb":
            _kernels.warm_up()  # load the compiled counting kernels while the rows are read
        error_array = as_float_vector(errors, "errors", n_rows)
        check_errors(error_array, n_rows)
        weight_array = None
        if weights is not None:
            weight_array = as_float_vector(weights, "weights", n_rows)
            check_weights(weight_array, n_rows)
            if np.all(weight_array == 1.0):
                weight_array = None
        use_split = self._use_split(params, n_rows)
        mask: np.ndarray | None = None
        if use_split:
            mask = SplitAssigner(params.confirm_fraction, params.random_state).assign(
                error_array > 0
            )
            n_discovery = int(mask.sum())
            if n_discovery == 0 or n_discovery == n_rows:
                raise DataError(
                    f"confirm=True needs rows in both the discovery and the confirmation split. "
                    f"Got {n_rows} rows, which split into {n_discovery} and "
                    f"{n_rows - n_discovery}. Pass more rows or confirm=False."
                )
        self.discovery_mask_ = mask
        split_in_front = False
        if not isinstance(encoded, EncodedFeatures):
            # Rows handed over: discovery rows first (not for the DuckDB aggregator,
            # which splits the rows as it streams them in row order).
            front = mask if params.aggregator != "duckdb" else None
            if front is not None:
                move_to_front(front, error_array, weight_array)
            encoded = encoded(front)
            if encoded.n_rows != n_rows:
                raise DataError(
                    f"The codes must have one row per error. Got {encoded.n_rows} rows of "
                    f"codes and {n_rows} errors. Pass codes and errors of the same rows."
                )
            split_in_front = front is not None
        aggregator: Aggregator
        private_connection = None
        if params.aggregator == "duckdb":
            aggregator, private_connection = _duckdb_from_arrays(
                encoded, error_array, weight_array, params, use_split
            )
        else:
            aggregator = NumpyAggregator(
                encoded.columns,
                encoded.cardinalities,
                error_array,
                weight_array,
                mask,
                n_jobs=params.n_jobs,
                split_in_front=split_in_front,
            )
        try:
            return self._run(
                params,
                aggregator,
                encoded.names,
                encoded.predicates,
                n_rows,
                use_split,
                progress,
                started,
            )
        finally:
            # The DuckDB aggregator over in-memory arrays runs on a connection of its own.
            if private_connection is not None:
                private_connection.close()
            if isinstance(aggregator, NumpyAggregator):
                aggregator.close()

    def _run(
        self,
        params: ResolvedParameters,
        aggregator: Aggregator,
        names: Sequence[str],
        predicates: Sequence[Sequence[Predicate]],
        n_rows: int,
        use_split: bool,
        progress: Progress | None,
        started: float,
    ) -> SliceSearch:
        timings = {"prepare": time.perf_counter() - started}
        tic = time.perf_counter()
        profile = aggregator.profile()
        timings["profile"] = time.perf_counter() - tic
        n_discovery = profile.n_rows["discovery"]
        min_support_rows = params.min_support_rows(n_discovery)
        cards = np.asarray(aggregator.cardinalities)
        offsets = np.concatenate([[0], np.cumsum(cards)[:-1]])
        item_feature = np.repeat(np.arange(len(cards)), cards)
        tic = time.perf_counter()
        # Distinct groups: search a deeper exact top list and walk down it; search
        # deeper again only when it ran out before k distinct groups were found.
        k_search = max(4 * params.k, params.k + 20) if params.distinct else params.k
        while True:
            result = lattice_search(
                aggregator,
                profile,
                alpha=params.alpha,
                k=k_search,
                max_predicates=params.max_predicates,
                min_support=min_support_rows,
                ranking=params.ranking,
                keep_evaluated=not use_split,
                progress=progress,
            )
            # items of the alternative descriptions of each reported slice
            alternatives: list[list[np.ndarray]] = [[] for _ in range(len(result.scores))]
            qualifying = len(result.scores)  # slices that qualify (before folding overlaps)
            if not params.distinct:
                break
            kept, attached = _distinct_groups(
                aggregator, result, item_feature, offsets, use_split, params
            )
            exhausted = len(result.scores) < k_search
            if len(kept) >= params.k or exhausted or k_search >= _MAX_POOL:
                qualifying = len(result.scores)
                alternatives = [
                    [result.items[j, : int(result.n_predicates[j])] for j in attached[i]]
                    for i in kept
                ]
                result = _take(result, np.asarray(kept, dtype=np.int64))
                break
            k_search = min(4 * k_search, _MAX_POOL)
        timings["search"] = time.perf_counter() - tic
        timings.update(result.timings)

        tic = time.perf_counter()
        binary = profile.binary
        totals_all = profile.totals["discovery"] + profile.totals["confirmation"]
        overall_all = float(totals_all.error_sum[0] / totals_all.weight_sum[0])
        reported = len(result.scores)
        stats_part = "confirmation" if use_split else "discovery"
        stats_totals = profile.totals[stats_part]
        total_error_rows = float(
            error_rows(stats_totals.error_sum, stats_totals.error_sq_sum, binary=binary)[0]
        )
        unsupported = _cannot_support(
            params,
            n_rows=n_rows,
            n_discovery=n_discovery,
            min_support_rows=min_support_rows,
            n_stats=int(profile.n_rows[stats_part]),
            total_error_rows=total_error_rows,
            use_split=use_split,
            binary=binary,
        )
        p_adjusted = np.zeros(0)
        slice_error_rows = np.zeros(0)
        if reported:
            # Counts of the reported slices on the statistics rows, with moments.
            flat_items = [
                row[: int(level)]
                for row, level in zip(result.items, result.n_predicates, strict=True)
            ]
            if binary and not use_split:
                # The search counted these slices on these rows already; with 0/1 errors
                # and unit weights the second moments equal the first ones.
                found = result.counts
                stats_counts = SliceCounts(
                    found.size,
                    found.error_sum,
                    found.weight_sum,
                    found.error_sum.copy(),
                    found.error_sum.copy(),
                    found.weight_sum.copy(),
                )
            else:
                stats_counts = _count_ragged(
                    aggregator, flat_items, item_feature, offsets, stats_part
                )
            stats = slice_statistics(stats_counts, profile.totals[stats_part], binary=binary)
            slice_error_rows = error_rows(
                stats_counts.error_sum, stats_counts.error_sq_sum, binary=binary
            )
            if use_split:
                p_adjusted = benjamini_hochberg(stats.p_value)
                sizes_all = result.counts.size + stats_counts.size
                correction = f"Benjamini-Hochberg over the {reported:,} reported slices"
            else:
                assert result.evaluated is not None
                evaluated_stats = slice_statistics(
                    result.evaluated,
                    profile.totals["discovery"],
                    binary=binary,
                    eligible=result.evaluated_eligible,
                    exact_below=EXACT_P_BELOW,
                )
                # The reported slices enter BH with their exact p-values: swap them in
                # for the (possibly bounded) values they got among all evaluated slices.
                as_evaluated = slice_statistics(
                    stats_counts,
                    profile.totals["discovery"],
                    binary=binary,
                    exact_below=EXACT_P_BELOW,
                ).p_value
                others = np.sort(evaluated_stats.p_value)
                drop = []
                for value in as_evaluated:
                    at = int(np.searchsorted(others, value))
                    while at in drop:
                        at += 1
                    drop.append(min(at, len(others) - 1))
                others = np.delete(others, drop)
                combined = np.concatenate([stats.p_value, others])
                p_adjusted = benjamini_hochberg(combined, n_tests=result.n_evaluated)[:reported]
                sizes_all = result.counts.size
                correction = f"Benjamini-Hochberg over the {result.n_evaluated:,} slices evaluated"

        def predicates_of(items: np.ndarray) -> tuple[Predicate, ...]:
            return tuple(
                predicates[int(item_feature[it])][int(it - offsets[item_feature[it]])]
                for it in items
            )

        slices = []
        described_as = []
        for i in range(reported):
            level = int(result.n_predicates[i])
            preds = predicates_of(result.items[i, :level])
            description = " AND ".join(p.describe() for p in preds)
            described_as.append(
                tuple(
                    " AND ".join(p.describe() for p in predicates_of(items))
                    for items in alternatives[i]
                )
            )
            # min_errors counts the rows the error rests on (the errors, for 0/1 errors)
            enough_errors = bool(slice_error_rows[i] >= params.min_errors)
            slices.append(
                Slice(
                    predicates=preds,
                    slice_size=int(stats_counts.size[i]),
                    error_sum=float(stats_counts.error_sum[i]),
                    weight_sum=float(stats_counts.weight_sum[i]),
                    slice_error=float(stats.slice_error[i]),
                    overall_error=overall_all,
                    score=float(result.scores[i]),
                    error_ci_low=float(stats.error_ci_low[i]),
                    error_ci_high=float(stats.error_ci_high[i]),
                    rest_error=float(stats.rest_error[i]),
                    p_value=float(stats.p_value[i]),
                    p_value_adjusted=float(p_adjusted[i]),
                    significant=bool(
                        p_adjusted[i] <= params.fdr and enough_errors and unsupported is None
                    ),
                    statistics_on="confirmation split" if use_split else "all rows",
                    stats_size=int(stats_counts.size[i]),
                    size_in_data=int(sizes_all[i]),
                    discovery_size=int(result.counts.size[i]),
                    p_value_correction=correction,
                    also_described_as=described_as[i],
                    slice_id="s" + hashlib.sha1(description.encode()).hexdigest()[:10],
                )
            )
        timings["statistics"] = time.perf_counter() - tic
        held_back = int(
            np.count_nonzero((p_adjusted <= params.fdr) & (slice_error_rows < params.min_errors))
        )
        notes = _notes(
            params,
            profile,
            result,
            use_split,
            n_rows,
            binary,
            reported,
            qualifying=qualifying,
            held_back=held_back if unsupported is None else 0,
            unsupported=unsupported is not None,
        )
        if unsupported is not None:
            notes.insert(0, unsupported)
        parameters = dict(self.get_params(deep=False))
        parameters.update(
            {
                "random_state": params.random_state,
                "min_support_rows": min_support_rows,
                "tie_tolerance": TIE_TOLERANCE,
                "features": list(names),
            }
        )
        self.findings_ = Findings(
            slices=tuple(slices),
            overall_error=overall_all,
            n_rows=n_rows,
            n_evaluated=result.n_evaluated,
            parameters=parameters,
            notes=tuple(notes),
        )
        self.alternatives_ = tuple(described_as)
        self.n_evaluated_ = result.n_evaluated
        self.overall_error_ = overall_all
        self.min_support_rows_ = min_support_rows
        timings["total"] = time.perf_counter() - started
        self.timings_ = timings
        return self


def _count_ragged(
    aggregator: Aggregator,
    slices: list[np.ndarray],
    item_feature: np.ndarray,
    offsets: np.ndarray,
    part: str | Sequence[str],
    moments: bool = True,
) -> Any:
    """Counts (with moments) of slices of different lengths, in the given order; with
    several parts, their sum. An aggregator that streams its rows (``count_many``)
    counts every length and part in one pass."""
    from workbench.search._counts import SliceCounts

    parts = [part] if isinstance(part, str) else list(part)
    n = len(slices)
    out = SliceCounts.zeros(n, moments)
    lengths = np.array([len(s) for s in slices])
    requests, targets = [], []
    for level in np.unique(lengths):
        idx = np.flatnonzero(lengths == level)
        items = np.stack([slices[i] for i in idx]).astype(np.int64)
        features = item_feature[items]
        for name in parts:
            requests.append((features, items - offsets[features], name))
            targets.append(idx)
    count_many = getattr(aggregator, "count_many", None)
    if count_many is not None:
        counted = count_many(requests, moments=moments)
    else:
        counted = [
            aggregator.count(f, c, p, moments=moments)  # type: ignore[arg-type]
            for f, c, p in requests
        ]
    names: tuple[str, ...] = ("size", "error_sum", "weight_sum")
    if moments:
        names += ("error_sq_sum", "error_weight_sum", "weight_sq_sum")
    for idx, counts in zip(targets, counted, strict=True):
        for name in names:
            getattr(out, name)[idx] += getattr(counts, name)
    return out


#: Most slices the distinct-groups walk looks at before it stops refilling.
_MAX_POOL = 2560


def _take(result: LatticeResult, index: np.ndarray) -> LatticeResult:
    """The lattice result restricted to the slices at ``index`` (in that order)."""
    return dataclasses.replace(
        result,
        items=result.items[index],
        n_predicates=result.n_predicates[index],
        counts=result.counts.take(index),
        scores=result.scores[index],
    )


def _distinct_groups(
    aggregator: Aggregator,
    result: LatticeResult,
    item_feature: np.ndarray,
    offsets: np.ndarray,
    use_split: bool,
    params: ResolvedParameters,
) -> tuple[list[int], dict[int, list[int]]]:
    """Walk down the exact ranking and fold near-duplicates (Jaccard over all rows
    above ``max_overlap``, see :func:`~workbench.search._overlap.fold_near_duplicates`)
    into the kept slices as alternative descriptions; the overlaps are counted by the
    aggregator from the slices' codes.

    Returns the kept positions (at most ``k``, in rank order) and, per kept position,
    the positions of its alternatives (in rank order).
    """
    n = len(result.scores)
    items = [result.items[i, : int(result.n_predicates[i])] for i in range(n)]
    parts = ["discovery", "confirmation"] if use_split else ["discovery"]

    def sizes_of(slices: list[np.ndarray]) -> np.ndarray:
        if not slices:
            return np.zeros(0)
        return _count_ragged(aggregator, slices, item_feature, offsets, parts, False).size.astype(
            np.float64
        )

    # sizes over all rows: the search's own counts, plus the held-out rows
    sizes = result.counts.size.astype(np.float64)
    if use_split:
        sizes = (
            sizes
            + _count_ragged(aggregator, items, item_feature, offsets, "confirmation", False).size
        )

    def jaccard(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], float]:
        # The rows of both slices are the slice of both slices' predicates (none when
        # they ask one feature for two different values).
        merged, at = [], []
        for p, (i, j) in enumerate(pairs):
            both = np.union1d(items[i], items[j])
            if len(np.unique(item_feature[both])) == len(both):
                merged.append(both)
                at.append(p)
        common = np.zeros(len(pairs))
        common[at] = sizes_of(merged)
        out = {}
        for p, (i, j) in enumerate(pairs):
            union = sizes[i] + sizes[j] - common[p]
            out[i, j] = common[p] / union if union > 0 else 0.0
        return out

    return fold_near_duplicates(
        len(result.scores), jaccard, max_overlap=params.max_overlap, k=params.k
    )


#: How the first note of findings on data too small for findings starts (stable text).
CANNOT_SUPPORT = "The data cannot support findings"


def _cannot_support(
    params: ResolvedParameters,
    *,
    n_rows: int,
    n_discovery: int,
    min_support_rows: int,
    n_stats: int,
    total_error_rows: float,
    use_split: bool,
    binary: bool,
) -> str | None:
    """The note saying why the data cannot support findings, or None when they can.

    Two cases: no slice smaller than the searched rows meets the size floor, or the
    rows the statistics are on hold fewer errors (error rows, see ``error_rows``)
    than ``min_errors``, so no slice can reach the floor.
    """
    if n_discovery <= min_support_rows:
        floor = (
            f"min_support={params.min_support} with a floor of min_rows={params.min_rows}"
            if isinstance(params.min_support, float)
            else f"min_support={params.min_support}"
        )
        searched = "on the discovery split " if use_split else ""
        return (
            f"{CANNOT_SUPPORT}: {n_discovery:,} rows were searched {searched}and a slice needs "
            f"at least {min_support_rows:,} rows ({floor}), so no group smaller than the whole "
            "can be found and nothing is called significant. To change this: use more rows, "
            "or lower min_rows / min_support (slices that small rarely show more than chance)."
        )
    if total_error_rows < params.min_errors:
        where = (
            f"the {n_stats:,} held-out confirmation rows the statistics are on"
            if use_split
            else f"the {n_rows:,} rows"
        )
        if binary:
            errors = f"{round(total_error_rows):,} error{'s' * (total_error_rows != 1)}"
        else:  # the effective number of rows carrying the error (see error_rows)
            errors = f"an error resting on about {total_error_rows:.3g} rows"
        return (
            f"{CANNOT_SUPPORT}: {where} hold {errors}, fewer than the min_errors="
            f"{params.min_errors} a slice needs to be called significant, so nothing is called "
            "significant (the slices listed, if any, are descriptions, not findings). To "
            "change this: use more rows, or rows with more errors; lowering min_errors lets "
            "a handful of rows count as a finding."
        )
    return None


def _shortfall(params: ResolvedParameters, result: Any, reported: int, qualifying: int) -> str:
    """Why fewer than k slices are listed, and what to change."""
    rows = f"at least {result.min_support:,} rows"
    if params.ranking == "sliceline":
        # score > 0  <=>  error ratio > 1 + (1 - alpha) / alpha * (n / size - 1)
        needed = 1 + (1 - params.alpha) / params.alpha * (result.n_rows / result.min_support - 1)
        rule = (
            f"a SliceLine score above 0 with {rows}; the score subtracts "
            f"(1 - alpha) * (n / size - 1), so at alpha={params.alpha} a slice of "
            f"{result.min_support:,} rows needs {needed:.1f} times the overall error"
        )
        change = (
            f"raise alpha toward 1, lower min_support (now {result.min_support:,} rows), or "
            "rank by ranking='excess', which does not penalise small groups"
        )
    else:
        rule = f"the lower end of their error's 95% interval above the rest's error, with {rows}"
        change = (
            f"lower min_support (now {result.min_support:,} rows) or min_rows, allow more "
            "predicates (max_predicates), or use more rows (a small slice's interval is wide)"
        )
    if params.distinct and qualifying > reported:
        groups = "1 distinct group is" if reported == 1 else f"{reported} distinct groups are"
        return (
            f"Only {groups} listed (k={params.k}): {qualifying:,} slices "
            f"have {rule}, and the others overlap a listed group by more than "
            f"max_overlap={params.max_overlap} (Jaccard over the rows), so they are listed "
            "as its alternative descriptions. To list more: raise max_overlap, pass "
            f"distinct=False (--exact) for the exact top-k, or {change}."
        )
    which = {0: "No slice has", 1: "Only 1 slice has"}.get(reported, f"Only {reported} slices have")
    return f"{which} {rule} (k={params.k}). To list more: {change}."


def _notes(
    params: ResolvedParameters,
    profile: Any,
    result: Any,
    use_split: bool,
    n_rows: int,
    binary: bool,
    reported: int,
    *,
    qualifying: int,
    held_back: int,
    unsupported: bool,
) -> list[str]:
    notes = []
    if use_split:
        n_conf = profile.n_rows["confirmation"]
        n_disc = profile.n_rows["discovery"]
        why = (
            f"{n_rows:,} rows >= {params.min_confirm_rows:,}"
            if params.confirm == "auto"
            else "confirm=True"
        )
        notes.append(
            f"{why}: the search ran on a discovery split of {n_disc:,} rows; statistics are on "
            f"the held-out confirmation split of {n_conf:,} rows, Benjamini-Hochberg over the "
            f"{reported:,} reported slices."
        )
    else:
        why = (
            f"{n_rows:,} rows < {params.min_confirm_rows:,}"
            if params.confirm == "auto"
            else "confirm=False"
        )
        notes.append(
            f"{why}: statistics are in-sample, Benjamini-Hochberg over all "
            f"{result.n_evaluated:,} evaluated slices (slices below min_support or with error "
            "not above the rest count as p = 1)."
        )
    if binary:
        notes.append(
            "0/1 errors: 95% Wilson intervals; p-values from the exact one-sided "
            "hypergeometric (Fisher) test of slice error > rest error."
        )
    else:
        notes.append(
            "Continuous or weighted errors: 95% t-intervals on the ratio estimator "
            "sum(error)/sum(weight); p-values from a one-sided t-test of slice versus rest "
            "(slice variance floored at the rest's, slice_size - 1 degrees of freedom)."
        )
    notes.extend(result.notes)  # a level narrowed to the candidate budget (wide data)
    if not (result.overall_error > 0):
        notes.append("Every error on the searched rows is 0: no slice can score above 0.")
    elif reported < params.k and not unsupported:
        # (on data that cannot support findings, listing more is not the advice)
        notes.append(_shortfall(params, result, reported, qualifying))
    if held_back:
        notes.append(
            f"{held_back} slice{'s' * (held_back != 1)} with an adjusted p-value at or below "
            f"fdr={params.fdr} {'rest' if held_back != 1 else 'rests'} on fewer than "
            f"min_errors={params.min_errors} erring rows on the statistics rows and "
            f"{'are' if held_back != 1 else 'is'} not called significant."
        )
    return notes


def _duckdb_from_arrays(
    encoded: EncodedFeatures,
    errors: np.ndarray,
    weights: np.ndarray | None,
    params: ResolvedParameters,
    use_split: bool,
) -> tuple[DuckDBAggregator, Any]:
    """An aggregator over in-memory arrays through DuckDB, and the connection to close after."""
    import duckdb
    import pyarrow as pa

    names = [f"f{j}" for j in range(len(encoded.columns))]
    arrays = {name: col for name, col in zip(names, encoded.columns, strict=True)}
    arrays["error_"] = errors
    if weights is not None:
        arrays["weight_"] = weights
    table = pa.table(arrays)
    # Only generated SQL runs here; still, nothing may reach files or extensions.
    connection = duckdb.connect(
        config={
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    connection.execute("SET lock_configuration = true")
    connection.register("search_rows", table)
    aggregator = DuckDBAggregator(
        connection,
        "search_rows",
        names,
        "error_",
        "weight_" if weights is not None else None,
        cardinalities=encoded.cardinalities,
        split=(params.confirm_fraction, params.random_state) if use_split else None,
    )
    return aggregator, connection
