"""Aggregators: where the rows live and how slices get counted on them.

The search asks an aggregator two things: a one-pass :meth:`~Aggregator.profile` of
the data (totals, per-value counts and extremes, the split sizes) and, level by
level, :meth:`~Aggregator.count` -- size, error sum and weight sum of each candidate
slice. Counts are additive over row chunks, so an aggregator may count chunk by
chunk (:class:`DuckDBAggregator` streams Arrow record batches) or hand the same
per-candidate ``GROUP BY`` to a SQL engine (a Spark SQL aggregator would implement
the same two methods).

This module imports numpy, the sibling ``_counts``/``_kernels``/``_split`` modules and
``workbench.exceptions``. It never imports the store: the DuckDB aggregator is
given a connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from workbench.exceptions import DataError
from workbench.search import _kernels
from workbench.search._counts import (
    _FIELDS,
    RowBlock,
    SliceCounts,
    _row_sums,
    binary_joint,
    make_plan,
)
from workbench.search._split import SplitAssigner

__all__ = [
    "Aggregator",
    "DataProfile",
    "DuckDBAggregator",
    "NumpyAggregator",
    "Part",
    "move_to_front",
]

#: Which rows to count on: the searched rows or the held-out confirmation rows.
Part = Literal["discovery", "confirmation"]
_PARTS: tuple[Part, Part] = ("discovery", "confirmation")


@dataclass(frozen=True)
class DataProfile:
    """What one pass over the data tells the search before it starts.

    ``totals[part]`` holds one entry (all rows of that part, with moments);
    ``items[part]`` holds the level-1 counts of every (feature, code) item, items
    ordered by feature then code; ``item_max_ratio`` and ``item_min_weight`` give,
    per item on the discovery rows, the largest ``error / weight`` and the smallest
    weight (they bound the error of any sub-slice).
    """

    n_rows: Mapping[str, int]
    totals: Mapping[str, SliceCounts]
    items: Mapping[str, SliceCounts]
    item_max_ratio: np.ndarray
    item_min_weight: np.ndarray
    binary: bool
    unit_weights: bool


@runtime_checkable
class Aggregator(Protocol):
    """The counting interface the search needs (numpy, DuckDB, or a SQL engine)."""

    @property
    def cardinalities(self) -> tuple[int, ...]: ...

    def profile(self) -> DataProfile:
        """Totals, level-1 counts and extremes for each part (one pass)."""
        ...

    def count(
        self, features: np.ndarray, codes: np.ndarray, part: Part, *, moments: bool = False
    ) -> SliceCounts:
        """Counts of the candidates ``features[i] = codes[i]`` (``(c, L)`` int arrays)."""
        ...


def _items(cardinalities: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    features = np.repeat(np.arange(len(cardinalities)), cardinalities)[:, None]
    codes = np.concatenate([np.arange(c) for c in cardinalities])[:, None]
    return features.astype(np.int64), codes.astype(np.int64)


def _extremes(rows: RowBlock, cardinalities: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per item: max error/weight ratio and min weight over ``rows``."""
    n_items = int(sum(cardinalities))
    offsets = np.concatenate([[0], np.cumsum(cardinalities)[:-1]]).astype(np.int64)
    max_ratio = np.zeros(n_items)
    min_weight = np.full(n_items, np.inf)
    if rows.n_rows == 0:
        return max_ratio, min_weight
    ratio = rows.errors if rows.weights is None else rows.errors / rows.weights
    nz = rows.nonzero
    for f, col in enumerate(rows.columns):
        lo, hi = offsets[f], offsets[f] + cardinalities[f]
        np.maximum.at(max_ratio[lo:hi], col[nz], ratio[nz])
        if rows.weights is not None:
            np.minimum.at(min_weight[lo:hi], col, rows.weights)
    if rows.weights is None:
        min_weight[:] = 1.0
    return max_ratio, min_weight


#: Above this many features, single-feature slices are counted column by column.
_DIRECT_SINGLES = 200
#: From this many rows, single-feature counts of 0/1 errors come from joint histograms
#: of at most this many bins (measured at 50k, 500k and 5M rows x 20 features).
_PLANNED_SINGLES_ROWS = 200_000
_PLANNED_SINGLES_BINS = 1 << 14


def _single_counts(rows: RowBlock, cardinalities: Sequence[int]) -> SliceCounts:
    """Every single-feature slice counted with one histogram per column (exact)."""
    out = SliceCounts.zeros(int(sum(cardinalities)), True)
    offset = 0
    for f, (column, card) in enumerate(zip(rows.columns, cardinalities, strict=True)):
        sums: tuple[np.ndarray, ...]
        if rows.binary:  # as _row_sums gives them for 0/1 errors, in one pass
            size, errors = binary_joint(rows, [f], cardinalities)
            error, weight = errors.astype(np.float64), size.astype(np.float64)
            sums = (size, error, weight, error.copy(), error.copy(), weight.copy())
        else:
            sums = _row_sums(column.astype(np.intp), rows, int(card), True)
        for name, hist in zip(_FIELDS, sums, strict=True):
            getattr(out, name)[offset : offset + card] = hist
        offset += int(card)
    return out


def _block_profile(
    rows: RowBlock,
    cardinalities: Sequence[int],
    extremes: bool,
    count: Callable[[Any], SliceCounts] | None = None,
) -> tuple:
    if rows.n_rows == 0:
        items = SliceCounts.zeros(int(sum(cardinalities)), True)
    elif (
        count is None
        and rows.binary
        and rows.n_rows >= _PLANNED_SINGLES_ROWS
        and len(cardinalities) <= _DIRECT_SINGLES
    ):
        # 0/1 errors on many rows: small joint histograms (one pass over the rows each,
        # the error a digit of the key) marginalised into the single-feature counts beat
        # one pass per column (about 2x from 500,000 rows on; integer counts, so equal).
        features, codes = _items(cardinalities)
        plan = make_plan(features, codes, cardinalities, _PLANNED_SINGLES_BINS)
        items = plan.count(rows, moments=True)
    elif count is None or len(cardinalities) > _DIRECT_SINGLES:
        # One histogram per column: cheaper than marginalising joint histograms (about
        # 1.75x on 100k rows x 10 features; for thousands of single-feature slices the
        # planning alone took minutes). Joint plans are kept for parallel counting only.
        items = _single_counts(rows, cardinalities)
    else:
        features, codes = _items(cardinalities)
        plan = make_plan(features, codes, cardinalities)
        items = plan.count(rows, moments=True) if count is None else count(plan)
    e = rows.errors
    if rows.weights is None:
        # unit weights: w.sum() and (w * w).sum() are the row count and e * w is e, so
        # the same sums without full-length temporaries (and e * e is e for 0/1 errors)
        error_sum = e.sum()
        totals = SliceCounts(
            np.array([rows.n_rows], dtype=np.int64),
            np.array([error_sum]),
            np.array([float(rows.n_rows)]),
            np.array([error_sum if rows.binary else (e * e).sum()]),
            np.array([error_sum]),
            np.array([float(rows.n_rows)]),
        )
    else:
        w = rows.weights
        totals = SliceCounts(
            np.array([rows.n_rows], dtype=np.int64),
            np.array([e.sum()]),
            np.array([w.sum()]),
            np.array([(e * e).sum()]),
            np.array([(e * w).sum()]),
            np.array([(w * w).sum()]),
        )
    if extremes:
        max_ratio, min_weight = _extremes(rows, cardinalities)
    else:
        n_items = int(sum(cardinalities))
        max_ratio = np.zeros(n_items)
        min_weight = np.full(n_items, np.inf)
    return totals, items, max_ratio, min_weight


def _is_binary(errors: np.ndarray, weights: np.ndarray | None) -> bool:
    return weights is None and bool(np.all((errors == 0) | (errors == 1)))


def _finish_extremes(
    max_ratio: np.ndarray, min_weight: np.ndarray, items: SliceCounts, binary: bool
) -> tuple[np.ndarray, np.ndarray]:
    if binary:  # 0/1 errors, unit weights: the largest ratio is 1 wherever there is an error
        return (items.error_sum > 0).astype(float), np.ones(len(items))
    return max_ratio, min_weight


class NumpyAggregator:
    """Count slices on integer codes held in memory.

    Parameters
    ----------
    columns : list of 1-D integer ndarrays
        Codes of each feature, ``0 <= code < cardinalities[j]``.
    cardinalities : sequence of int
        Number of codes of each feature.
    errors, weights : 1-D float ndarrays
        Per-row error (>= 0) and weight (> 0, ``None`` for all ones); already validated.
    discovery_mask : bool ndarray, optional
        ``True`` for rows searched, ``False`` for confirmation rows; ``None``: no split.
    n_jobs : int, default=1
        Cores to count with (-1: every core); a level's counting is shared out by
        joint histogram or row range between threads (compiled kernels) or processes
        (see :mod:`workbench.search._parallel`). Call :meth:`close` after the search to
        remove the shared copies of the rows (processes only).
    split_in_front : bool, default=False
        The rows are already ordered discovery rows first (each part in row order, see
        :func:`move_to_front`): both parts are counted on views of the arrays, not on
        copies.

    Examples
    --------
    >>> import numpy as np
    >>> agg = NumpyAggregator([np.array([0, 1, 1]), np.array([0, 0, 1])], (2, 2),
    ...                       np.array([0.0, 1.0, 1.0]), None)
    >>> counts = agg.count(np.array([[0, 1]]), np.array([[1, 0]]), "discovery")
    >>> int(counts.size[0]), float(counts.error_sum[0])
    (1, 1.0)
    """

    def __init__(
        self,
        columns: Sequence[np.ndarray],
        cardinalities: Sequence[int],
        errors: np.ndarray,
        weights: np.ndarray | None,
        discovery_mask: np.ndarray | None = None,
        n_jobs: int = 1,
        split_in_front: bool = False,
    ) -> None:
        from workbench.search._parallel import SharedRows, effective_jobs

        self._cardinalities = tuple(int(c) for c in cardinalities)
        binary = _is_binary(errors, weights)
        columns = [
            np.asarray(c).astype(_code_dtype(card), copy=False)
            for c, card in zip(columns, self._cardinalities, strict=True)
        ]
        block = RowBlock(columns, errors, weights, binary)
        if block.n_rows >= _kernels.MIN_ROWS:
            _kernels.kernels()  # compiled counting (GIL released: threads) when numba is installed
        if discovery_mask is None:
            self._parts = {"discovery": block, "confirmation": block.subset(np.zeros(0, int))}
        elif split_in_front:
            n_discovery = int(np.count_nonzero(discovery_mask))
            self._parts = {
                "discovery": _rows_between(block, 0, n_discovery),
                "confirmation": _rows_between(block, n_discovery, block.n_rows),
            }
        else:
            self._parts = {
                "discovery": block.subset(discovery_mask),
                "confirmation": block.subset(~discovery_mask),
            }
        self._binary = binary
        self._profile: DataProfile | None = None
        self.n_jobs = effective_jobs(n_jobs)
        self._shared = {part: SharedRows(rows, self.n_jobs) for part, rows in self._parts.items()}

    @property
    def cardinalities(self) -> tuple[int, ...]:
        return self._cardinalities

    @property
    def parallel(self) -> bool:
        """Whether counting runs on more than one thread or process."""
        return self.n_jobs > 1 and self._shared["discovery"].parallel

    def close(self) -> None:
        """Remove the rows shared with worker processes (nothing to do on one core)."""
        for shared in self._shared.values():
            shared.close()

    def profile(self) -> DataProfile:
        if self._profile is None:
            n_rows, totals, items = {}, {}, {}
            extremes: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
            for part, rows in self._parts.items():
                want = part == "discovery" and not self._binary
                shared = self._shared[part]
                count = shared.count_moments if shared.parallel else None
                t, i, mr, mw = _block_profile(rows, self._cardinalities, want, count)
                n_rows[part], totals[part], items[part] = rows.n_rows, t, i
                if part == "discovery":
                    extremes = _finish_extremes(mr, mw, i, self._binary)
            disc = self._parts["discovery"]
            self._profile = DataProfile(
                n_rows,
                totals,
                items,
                extremes[0],
                extremes[1],
                self._binary,
                disc.weights is None,
            )
        return self._profile

    def count(
        self, features: np.ndarray, codes: np.ndarray, part: Part, *, moments: bool = False
    ) -> SliceCounts:
        shared = self._shared[part]
        n_rows = shared.rows.n_rows
        plan = make_plan(features, codes, self._cardinalities, _max_bins(n_rows, self._binary))
        return shared.count(plan, moments)


def move_to_front(front: np.ndarray, *arrays: np.ndarray | None) -> None:
    """Reorder each array in place: the rows of the boolean mask ``front`` first, then
    the others, each in row order (a stable partition, by index: several times faster
    than by mask). ``None`` entries are skipped."""
    n_front = int(np.count_nonzero(front))
    front_rows, back_rows = np.flatnonzero(front), np.flatnonzero(~front)
    for array in arrays:
        if array is None:
            continue
        back = array.take(back_rows)
        array[:n_front] = array.take(front_rows)
        array[n_front:] = back
        del back


def _rows_between(rows: RowBlock, start: int, stop: int) -> RowBlock:
    """Rows ``start:stop`` of ``rows`` as views."""
    weights = None if rows.weights is None else rows.weights[start:stop]
    columns = [c[start:stop] for c in rows.columns]
    return RowBlock(columns, rows.errors[start:stop], weights, rows.binary)


def _max_bins(n_rows: int, binary: bool = False) -> int:
    # a histogram much larger than the rows costs more to clear and marginalise than to fill;
    # 0/1 errors (one histogram pass, see binary_joint) are fastest with at most 2^16 bins
    # (about 1.6x at 1M rows x 20 features, 1.15x at 10M). Their counts are integers, so
    # any plan gives the same counts; other errors keep their plans (and float sums).
    return int(min(1 << 16 if binary else 1 << 18, max(1 << 12, n_rows // 2)))


class DuckDBAggregator:
    """Count slices by streaming Arrow record batches out of a DuckDB query.

    Every call reads the query once, batch by batch, and adds up each batch's
    counts, so only one batch (plus the small histograms) is in memory at a time:
    data larger than memory works. The result equals the in-memory count.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
        An open connection (the aggregator never opens or closes one).
    query : str
        A table name or a ``SELECT`` whose rows are the data.
    feature_columns : sequence of str
        Integer-coded feature columns (``0 <= code < cardinality``, no NULLs).
    error_column, weight_column : str
        Per-row error (>= 0) and optional weight (> 0) columns.
    cardinalities : sequence of int
        Number of codes of each feature.
    split : tuple (fraction, seed), optional
        Hold out ``fraction`` of the rows for confirmation with
        :class:`~workbench.search._split.SplitAssigner`; ``None``: no split.
    batch_rows : int
        Rows per record batch.

    Examples
    --------
    >>> import duckdb, numpy as np
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE t AS SELECT i % 2 AS a, (i % 4 = 1)::DOUBLE AS e "
    ...                 "FROM range(8) r(i)")
    >>> agg = DuckDBAggregator(con, "t", ["a"], "e", cardinalities=[2])
    >>> counts = agg.count(np.array([[0]]), np.array([[1]]), "discovery")
    >>> int(counts.size[0]), float(counts.error_sum[0])
    (4, 2.0)
    """

    def __init__(
        self,
        connection: Any,
        query: str,
        feature_columns: Sequence[str],
        error_column: str,
        weight_column: str | None = None,
        *,
        cardinalities: Sequence[int],
        split: tuple[float, int] | None = None,
        batch_rows: int = 1_000_000,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        from workbench.findings import quote_identifier

        self._connection = connection
        source = query.strip()
        if not source.lower().startswith(("select", "with", "from", "(")):
            source = f"SELECT * FROM {quote_identifier(source)}"
        names = [*feature_columns, error_column] + ([weight_column] if weight_column else [])
        select = ", ".join(quote_identifier(c) for c in names)
        self._sql = f"SELECT {select} FROM ({source}) AS rows_"
        self._n_features = len(feature_columns)
        self._feature_columns = list(feature_columns)
        self._has_weights = weight_column is not None
        self._cardinalities = tuple(int(c) for c in cardinalities)
        self._split = split
        self._batch_rows = int(batch_rows)
        self._on_batch = on_batch
        self._profile: DataProfile | None = None
        self._binary: bool | None = None
        self.n_passes = 0

    @property
    def cardinalities(self) -> tuple[int, ...]:
        return self._cardinalities

    def _batches(self) -> Iterator[tuple[RowBlock, np.ndarray | None]]:
        """Yield (rows, discovery mask or None) per record batch."""
        self.n_passes += 1
        relation = self._connection.sql(self._sql)
        fetch = getattr(relation, "to_arrow_reader", None)
        if fetch is None:  # duckdb < 1.4
            fetch = relation.fetch_record_batch
        reader = fetch(self._batch_rows)
        assigner = None if self._split is None else SplitAssigner(*self._split)
        for batch in reader:
            columns = []
            for j, card in enumerate(self._cardinalities):
                arrow = batch.column(j)
                if arrow.null_count:
                    raise DataError(
                        f"The feature column {self._feature_columns[j]!r} holds NULLs. "
                        "Expected integer codes 0..cardinality-1 with no NULLs; give missing "
                        "values a code of their own (and a label, e.g. None)."
                    )
                col = arrow.to_numpy(zero_copy_only=False)
                if col.size and (col.min() < 0 or col.max() >= card):
                    raise DataError(
                        f"The feature column {self._feature_columns[j]!r} holds codes from "
                        f"{col.min()} to {col.max()}, but its value_labels have {card} labels. "
                        f"Expected codes in [0, {card}); pass one label per code."
                    )
                columns.append(col.astype(_code_dtype(card), copy=False))
            errors = batch.column(self._n_features).to_numpy(zero_copy_only=False)
            errors = np.asarray(errors, dtype=np.float64)
            weights = None
            if self._has_weights:
                weights = np.asarray(
                    batch.column(self._n_features + 1).to_numpy(zero_copy_only=False),
                    dtype=np.float64,
                )
            _check_errors_weights(errors, weights)
            binary = self._binary if self._binary is not None else False
            rows = RowBlock(columns, errors, weights, binary)
            mask = None if assigner is None else assigner.assign(errors > 0)
            if self._on_batch is not None:
                self._on_batch(rows.n_rows)
            yield rows, mask

    @staticmethod
    def _part_rows(rows: RowBlock, mask: np.ndarray | None, part: Part) -> RowBlock | None:
        if mask is None:
            return rows if part == "discovery" else None
        return rows.subset(mask if part == "discovery" else ~mask)

    def profile(self) -> DataProfile:
        if self._profile is not None:
            return self._profile
        n_items = int(sum(self._cardinalities))
        acc: dict[str, Any] = {}
        max_ratio = np.zeros(n_items)
        min_weight = np.full(n_items, np.inf)
        binary = not self._has_weights
        for rows, mask in self._batches():
            binary = binary and _is_binary(rows.errors, None)
            for part in _PARTS:
                sub = self._part_rows(rows, mask, part)
                if sub is None:
                    continue
                t, i, mr, mw = _block_profile(sub, self._cardinalities, part == "discovery")
                if part in acc:
                    acc[part] = (acc[part][0] + t, acc[part][1] + i)
                else:
                    acc[part] = (t, i)
                if part == "discovery":
                    np.maximum(max_ratio, mr, out=max_ratio)
                    np.minimum(min_weight, mw, out=min_weight)
        totals: dict[str, SliceCounts] = {}
        items: dict[str, SliceCounts] = {}
        n_rows: dict[str, int] = {}
        for part in _PARTS:
            t, i = acc.get(part, (SliceCounts.zeros(1, True), SliceCounts.zeros(n_items, True)))
            totals[part], items[part], n_rows[part] = t, i, int(t.size[0])
        self._binary = binary
        max_ratio, min_weight = _finish_extremes(max_ratio, min_weight, items["discovery"], binary)
        self._profile = DataProfile(
            n_rows,
            totals,
            items,
            max_ratio,
            min_weight,
            binary,
            not self._has_weights,
        )
        return self._profile

    def count(
        self, features: np.ndarray, codes: np.ndarray, part: Part, *, moments: bool = False
    ) -> SliceCounts:
        return self.count_many([(features, codes, part)], moments=moments)[0]

    def count_many(
        self, requests: Sequence[tuple[np.ndarray, np.ndarray, Part]], *, moments: bool = False
    ) -> list[SliceCounts]:
        """:meth:`count` of several ``(features, codes, part)`` requests in one pass over
        the rows (each pass reads the whole query, so the search batches its requests)."""
        self.profile()
        plans = [
            make_plan(features, codes, self._cardinalities, _max_bins(self._batch_rows))
            for features, codes, _ in requests
        ]
        totals = [SliceCounts.zeros(len(features), moments) for features, _, _ in requests]
        wanted = [i for i, (features, _, _) in enumerate(requests) if len(features)]
        if not wanted:
            return totals
        for rows, mask in self._batches():
            subs = {part: self._part_rows(rows, mask, part) for part in _PARTS}
            for i in wanted:
                sub = subs[requests[i][2]]
                if sub is not None and sub.n_rows:
                    totals[i] = totals[i] + plans[i].count(sub, moments=moments)
        return totals


def _code_dtype(cardinality: int) -> type[np.integer]:
    if cardinality <= 1 << 8:
        return np.uint8
    if cardinality <= 1 << 16:
        return np.uint16
    return np.int64


def _check_errors_weights(errors: np.ndarray, weights: np.ndarray | None) -> None:
    from workbench.search._inputs import check_errors, check_weights

    check_errors(errors, len(errors))
    if weights is not None:
        check_weights(weights, len(errors))
