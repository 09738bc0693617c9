"""Count slices on a Spark DataFrame: the search's count plan on Apache Spark.

The one job of this module is to give :class:`~workbench.search.SliceSearch` an
aggregator whose rows live in Spark. The driver keeps the lattice (candidate
generation and pruning, level by level); Spark only counts. Every pass runs
``mapInArrow`` over the rows: inside each partition the same numpy counting plan as
in memory (:func:`~workbench.search._counts.make_plan`) counts every candidate of
the level, and the partitions' counts are summed by candidate id with one
``groupBy``. Only counts reach the driver -- never rows -- and there is no
``GROUPING SETS`` expansion (which would copy every row once per feature tuple).

Passes over a DataFrame of ``n`` rows and ``m`` features (one Spark job each):

1. labels: the distinct values of each feature (``collect_set``; categorical
   features are expected, as in memory) and their missing values;
2. rows per partition: how many rows with ``error > 0`` and ``error = 0`` each
   partition holds (so the seeded discovery/confirmation split of
   :class:`~workbench.search._split.SplitAssigner` follows the DataFrame's row order
   exactly as it does in memory), and checks of the errors and weights;
3. codes: integer codes, error, weight and the split flag of every row, persisted
   (``MEMORY_AND_DISK``) for the passes that follow; the profile (totals and the
   level-1 counts) is counted in the same pass;
4. one pass per lattice level from level 2 on, and one or two for the statistics of
   the reported slices on the confirmation split.

It imports numpy, pyarrow and the sibling ``_aggregators``/``_counts``/``_split``/
``_inputs`` modules; pyspark only inside functions (the ``spark`` extra). Workers
import ``workbench`` too, so a cluster's executors need the package installed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from workbench.exceptions import (
    ColumnNotFoundError,
    DataError,
    EmptyDataError,
    MissingExtraError,
)
from workbench.search._aggregators import DataProfile, Part, _block_profile, _max_bins
from workbench.search._counts import RowBlock, SliceCounts, make_plan
from workbench.search._inputs import code_dtype, labels_to_predicates
from workbench.search._split import SplitAssigner

__all__ = ["SparkAggregator", "prepare_spark"]

#: Rows a partition gathers before it counts them (Arrow batches from Spark are small).
COUNT_CHUNK_ROWS = 1 << 20

_MOMENTS = ("error_sq_sum", "error_weight_sum", "weight_sq_sum")
_SUMS = ("size", "error_sum", "weight_sum", *_MOMENTS)


def _pyspark() -> Any:
    try:
        import pyspark.sql.functions as functions
    except ImportError:  # pragma: no cover - the extra is installed in CI
        raise MissingExtraError(
            "SliceSearch.fit_spark needs PySpark. Expected the 'spark' extra to be installed. "
            "Got no module named 'pyspark'. Install it with: pip install 'slice-workbench[spark]' "
            "(and a Java 17 runtime)."
        ) from None
    return functions


def _partition_id() -> int:
    from pyspark import TaskContext

    context = TaskContext.get()
    return 0 if context is None else int(context.partitionId())


def _float_column(batch: Any, j: int) -> np.ndarray:
    return np.asarray(batch.column(j).to_numpy(zero_copy_only=False), dtype=np.float64)


# ---------------------------------------------------------------- worker functions
def _rows_per_partition(
    has_weights: bool, batches: Iterator[Any]
) -> Iterator[Any]:  # pragma: no cover - runs in Spark's Python workers
    """Pass 2: per partition, rows with error > 0 and = 0, and what is wrong with the data."""
    import pyarrow as pa

    n_rows = n_positive = bad_errors = bad_weights = not_binary = weights_not_one = 0
    first_bad_error = first_bad_weight = math.nan
    for batch in batches:
        errors = _float_column(batch, 0)
        bad = ~np.isfinite(errors) | (errors < 0)
        if bad.any():
            if bad_errors == 0:
                first_bad_error = float(errors[bad][0])
            bad_errors += int(bad.sum())
        n_rows += len(errors)
        n_positive += int(np.count_nonzero(errors > 0))
        not_binary += int(np.count_nonzero((errors != 0) & (errors != 1)))
        if has_weights:
            weights = _float_column(batch, 1)
            bad = ~np.isfinite(weights) | (weights <= 0)
            if bad.any():
                if bad_weights == 0:
                    first_bad_weight = float(weights[bad][0])
                bad_weights += int(bad.sum())
            weights_not_one += int(np.count_nonzero(weights != 1.0))
    yield pa.RecordBatch.from_pydict(
        {
            "partition": pa.array([_partition_id()], pa.int64()),
            "rows": pa.array([n_rows], pa.int64()),
            "positive": pa.array([n_positive], pa.int64()),
            "bad_errors": pa.array([bad_errors], pa.int64()),
            "first_bad_error": pa.array([first_bad_error], pa.float64()),
            "bad_weights": pa.array([bad_weights], pa.int64()),
            "first_bad_weight": pa.array([first_bad_weight], pa.float64()),
            "not_binary": pa.array([not_binary], pa.int64()),
            "weights_not_one": pa.array([weights_not_one], pa.int64()),
        }
    )


def _encode(
    labels: Sequence[Sequence[Any]],
    has_weights: bool,
    split: tuple[float, int] | None,
    seen_before: dict[int, tuple[int, int]],
    strict: bool,
    batches: Iterator[Any],
) -> Iterator[Any]:  # pragma: no cover - runs in Spark's Python workers
    """Pass 3: integer codes, error, weight and the discovery flag of each row (with
    ``strict``, the features are codes already and a value outside them is an error)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    assigner = None
    if split is not None:
        assigner = SplitAssigner(*split)
        negative, positive = seen_before.get(_partition_id(), (0, 0))
        assigner._seen = [negative, positive]
    m = len(labels)
    value_sets: list[Any] = [None] * m
    for batch in batches:
        out: dict[str, Any] = {}
        for j in range(m):
            column = batch.column(j)
            if value_sets[j] is None:
                value_sets[j] = pa.array(list(labels[j]), type=column.type)
            codes = pc.index_in(column, value_set=value_sets[j])
            if strict and codes.null_count:
                raise ValueError(
                    f"Feature column {j} holds NULLs or codes outside 0..{len(labels[j]) - 1}. "
                    "Expected integer codes with one label each in value_labels."
                )
            # NULL matched the None label; NaN (not in the value set) is missing too
            missing = len(labels[j]) - 1 if labels[j] and labels[j][-1] is None else len(labels[j])
            codes = pc.fill_null(codes, missing)
            out[f"f{j}"] = pc.cast(codes, pa.int32())
        errors = _float_column(batch, m)
        out["e"] = pa.array(errors, pa.float64())
        if has_weights:
            out["w"] = pa.array(_float_column(batch, m + 1), pa.float64())
        if assigner is None:
            out["d"] = pa.array(np.ones(len(errors), dtype=bool))
        else:
            out["d"] = pa.array(assigner.assign(errors > 0))
        yield pa.RecordBatch.from_pydict(out)


def _row_blocks(
    cardinalities: Sequence[int],
    has_weights: bool,
    binary: bool,
    batches: Iterator[Any],
) -> Iterator[tuple[RowBlock, np.ndarray]]:  # pragma: no cover - runs in Spark's workers
    """Gather a partition's coded Arrow batches into row blocks of about COUNT_CHUNK_ROWS."""
    m = len(cardinalities)
    pending: list[Any] = []
    pending_rows = 0

    def flush() -> tuple[RowBlock, np.ndarray]:
        import pyarrow as pa

        table = pa.Table.from_batches(pending)
        columns = [
            np.asarray(table.column(j).to_numpy(), dtype=code_dtype(card))
            for j, card in enumerate(cardinalities)
        ]
        errors = np.asarray(table.column(m).to_numpy(), dtype=np.float64)
        weights = np.asarray(table.column(m + 1).to_numpy(), np.float64) if has_weights else None
        discovery = np.asarray(table.column(table.num_columns - 1).to_numpy(), dtype=bool)
        return RowBlock(columns, errors, weights, binary), discovery

    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        pending_rows += batch.num_rows
        if pending_rows >= COUNT_CHUNK_ROWS:
            yield flush()
            pending, pending_rows = [], 0
    if pending:
        yield flush()


def _part_rows(rows: RowBlock, discovery: np.ndarray, part: Part) -> RowBlock:
    if discovery.all():
        return rows if part == "discovery" else rows.subset(np.zeros(0, dtype=np.int64))
    return rows.subset(discovery if part == "discovery" else ~discovery)


def _counts_batch(ids: np.ndarray, counts: SliceCounts, extra: dict[str, np.ndarray]) -> Any:
    import pyarrow as pa

    data: dict[str, Any] = {"id": pa.array(ids, pa.int64())}
    data["size"] = pa.array(counts.size[ids], pa.int64())
    for name in _SUMS[1:]:
        values = getattr(counts, name)
        data[name] = pa.array(np.zeros(len(ids)) if values is None else values[ids], pa.float64())
    for name, values in extra.items():
        data[name] = pa.array(values, pa.float64())
    return pa.RecordBatch.from_pydict(data)


def _profile_partition(
    cardinalities: Sequence[int],
    has_weights: bool,
    binary: bool,
    batches: Iterator[Any],
) -> Iterator[Any]:  # pragma: no cover - runs in Spark's Python workers
    """Profile pass: totals (id -1) and level-1 counts per part, extremes on discovery."""
    import pyarrow as pa

    n_items = int(sum(cardinalities))
    acc: dict[int, tuple[SliceCounts, SliceCounts]] = {}
    max_ratio = np.zeros(n_items)
    min_weight = np.full(n_items, np.inf)
    for rows, discovery in _row_blocks(cardinalities, has_weights, binary, batches):
        for part_id, part in enumerate(("discovery", "confirmation")):
            sub = _part_rows(rows, discovery, part)  # type: ignore[arg-type]
            if sub.n_rows == 0:
                continue
            extremes = part == "discovery" and not binary
            t, i, mr, mw = _block_profile(sub, cardinalities, extremes)
            acc[part_id] = (acc[part_id][0] + t, acc[part_id][1] + i) if part_id in acc else (t, i)
            if extremes:
                np.maximum(max_ratio, mr, out=max_ratio)
                np.minimum(min_weight, mw, out=min_weight)
    for part_id, (totals, items) in acc.items():
        both = SliceCounts.concat([totals, items], True)
        ids = np.flatnonzero(both.size)
        ratio = np.concatenate([[0.0], max_ratio]) if part_id == 0 else np.zeros(n_items + 1)
        least = (
            np.concatenate([[np.inf], min_weight]) if part_id == 0 else np.full(n_items + 1, np.inf)
        )
        batch = _counts_batch(ids, both, {"max_ratio": ratio[ids], "min_weight": least[ids]})
        yield batch.append_column("part", pa.array(np.full(len(ids), part_id), pa.int64()))


def _count_partition(
    plan: Any,
    cardinalities: Sequence[int],
    has_weights: bool,
    binary: bool,
    part: Part,
    moments: bool,
    batches: Iterator[Any],
) -> Iterator[Any]:  # pragma: no cover - runs in Spark's Python workers
    """Count pass: the plan's candidates on this partition's rows of ``part``."""
    total = SliceCounts.zeros(plan.n_candidates, moments)
    for rows, discovery in _row_blocks(cardinalities, has_weights, binary, batches):
        sub = _part_rows(rows, discovery, part)
        if sub.n_rows:
            total = total + plan.count(sub, moments=moments)
    ids = np.flatnonzero(total.size)
    if len(ids):
        yield _counts_batch(ids, total, {})


# ---------------------------------------------------------------- driver side
def _counts_schema(extra: Sequence[str] = ()) -> str:
    fields = ["id long", "size long"] + [f"{name} double" for name in (*_SUMS[1:], *extra)]
    return ", ".join(fields)


class SparkAggregator:
    """Count slices on a coded, persisted Spark DataFrame (see the module docstring).

    Build it with :func:`prepare_spark`; :meth:`close` unpersists the coded rows.
    """

    def __init__(
        self,
        coded: Any,
        cardinalities: Sequence[int],
        *,
        has_weights: bool,
        binary: bool,
    ) -> None:
        self._coded = coded
        self._cardinalities = tuple(int(c) for c in cardinalities)
        self._has_weights = has_weights
        self._binary = binary
        self._profile: DataProfile | None = None
        self.n_jobs_run = 0

    @property
    def cardinalities(self) -> tuple[int, ...]:
        return self._cardinalities

    def close(self) -> None:
        """Release the persisted coded rows."""
        self._coded.unpersist()

    def _sum_by_id(self, counted: Any, extra: dict[str, str], keys: Sequence[str] = ("id",)) -> Any:
        functions = _pyspark()
        aggregates = [functions.sum(name).alias(name) for name in _SUMS]
        for name, how in extra.items():
            aggregates.append(getattr(functions, how)(name).alias(name))
        self.n_jobs_run += 1
        return counted.groupBy(*keys).agg(*aggregates).toArrow()

    def profile(self) -> DataProfile:
        if self._profile is not None:
            return self._profile
        n_items = int(sum(self._cardinalities))
        worker = functools.partial(
            _profile_partition, self._cardinalities, self._has_weights, self._binary
        )
        schema = _counts_schema(("max_ratio", "min_weight")) + ", part long"
        table = self._sum_by_id(
            self._coded.mapInArrow(worker, schema),
            {"max_ratio": "max", "min_weight": "min"},
            keys=("part", "id"),
        )
        columns = {name: table.column(name).to_numpy() for name in table.column_names}
        totals: dict[str, SliceCounts] = {}
        items: dict[str, SliceCounts] = {}
        max_ratio = np.zeros(n_items)
        min_weight = np.full(n_items, np.inf)
        for part_id, part in enumerate(("discovery", "confirmation")):
            rows = columns["part"] == part_id
            ids = columns["id"][rows]  # totals at 0, item i at i + 1
            dense = SliceCounts.zeros(n_items + 1, True)
            for name in _SUMS:
                getattr(dense, name)[ids] = columns[name][rows]
            totals[part] = dense.take(np.array([0]))
            items[part] = dense.take(np.arange(1, n_items + 1))
            if part == "discovery":
                item_rows = ids > 0
                max_ratio[ids[item_rows] - 1] = columns["max_ratio"][rows][item_rows]
                min_weight[ids[item_rows] - 1] = columns["min_weight"][rows][item_rows]
        if self._binary:
            max_ratio = (items["discovery"].error_sum > 0).astype(float)
            min_weight = np.ones(n_items)
        elif not self._has_weights:
            min_weight = np.ones(n_items)
        self._profile = DataProfile(
            {part: int(totals[part].size[0]) for part in totals},
            totals,
            items,
            max_ratio,
            min_weight,
            self._binary,
            not self._has_weights,
        )
        return self._profile

    def count(
        self, features: np.ndarray, codes: np.ndarray, part: Part, *, moments: bool = False
    ) -> SliceCounts:
        profile = self.profile()
        out = SliceCounts.zeros(len(features), moments)
        if len(features) == 0 or profile.n_rows[part] == 0:
            return out
        plan = make_plan(features, codes, self._cardinalities, _max_bins(COUNT_CHUNK_ROWS))
        worker = functools.partial(
            _count_partition,
            plan,
            self._cardinalities,
            self._has_weights,
            self._binary,
            part,
            moments,
        )
        table = self._sum_by_id(self._coded.mapInArrow(worker, _counts_schema()), {})
        ids = table.column("id").to_numpy()
        for name in _SUMS if moments else _SUMS[:3]:
            getattr(out, name)[ids] = table.column(name).to_numpy()
        return out


def _spark_type_is_float(data_type: Any) -> bool:
    return type(data_type).__name__ in ("DoubleType", "FloatType")


def prepare_spark(
    frame: Any,
    features: Sequence[str],
    error: str,
    weight: str | None,
    split_for: Callable[[int], tuple[float, int] | None],
    value_labels: Sequence[Sequence[Any]] | None = None,
) -> tuple[SparkAggregator, list[str], list[list[Any]], int, bool]:
    """Labels, checks, codes and the split of a Spark DataFrame, ready to count.

    Returns the aggregator, the feature names, each feature's predicates, the number
    of rows and whether a confirmation split is used. ``split_for(n_rows)`` gives the
    split's ``(fraction, seed)`` or ``None``. With ``value_labels`` the features are
    integer codes ``0..len(value_labels[j]) - 1`` (no labels pass).
    """
    functions = _pyspark()
    if not hasattr(frame, "mapInArrow") or not hasattr(frame, "schema"):
        raise DataError(
            "fit_spark needs a Spark DataFrame. Got "
            f"{type(frame).__name__}. Pass spark.table(...), spark.read.parquet(...) or any "
            "pyspark.sql.DataFrame (classic or Spark Connect)."
        )
    if isinstance(features, str):
        features = [features]
    names = [str(f) for f in features]
    if not names:
        raise EmptyDataError(
            "features must name at least one column. Got none. "
            "Pass features=[...] with the categorical columns to search over."
        )
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"The features must be distinct columns. Got duplicates: {dup}.")
    fields = {field.name: field for field in frame.schema.fields}
    for role, column in [
        *(("feature", n) for n in names),
        ("error", error),
        *([("weight", weight)] if weight else []),
    ]:
        if column not in fields:
            raise ColumnNotFoundError.for_column(role, column, list(fields))
    overlap = {c for c in (error, weight) if c} & set(names)
    if overlap:
        raise DataError(
            f"The error and weight columns cannot also be features. Got {sorted(overlap)} in "
            "both. Leave them out of features."
        )
    col = functions.col

    if value_labels is not None:
        if len(value_labels) != len(names):
            raise DataError(
                f"value_labels must give the labels of each of the {len(names)} features. "
                f"Got {len(value_labels)}. Pass one list of labels per feature column."
            )
        return _prepare(
            frame,
            names,
            [list(range(len(v))) for v in value_labels],
            [labels_to_predicates(n, v) for n, v in zip(names, value_labels, strict=True)],
            error,
            weight,
            split_for,
            strict=True,
        )

    # Pass 1: labels (the distinct values, sorted as in memory) and missing values.
    aggregates = []
    for j, name in enumerate(names):
        column = col(name)
        missing = column.isNull()
        if _spark_type_is_float(fields[name].dataType):
            missing = missing | functions.isnan(column)
            column = functions.when(~functions.isnan(column), column)
        aggregates.append(functions.collect_set(column).alias(f"v{j}"))
        aggregates.append(functions.count(functions.when(missing, 1)).alias(f"m{j}"))
    summary = frame.agg(*aggregates).collect()[0]
    labels: list[list[Any]] = []
    for j in range(len(names)):
        values = sorted(summary[f"v{j}"])  # one Spark column holds one type
        if summary[f"m{j}"]:
            values.append(None)
        labels.append(values)
    predicates = [labels_to_predicates(n, v) for n, v in zip(names, labels, strict=True)]
    return _prepare(frame, names, labels, predicates, error, weight, split_for, strict=False)


def _prepare(
    frame: Any,
    names: list[str],
    labels: list[list[Any]],
    predicates: list[list[Any]],
    error: str,
    weight: str | None,
    split_for: Callable[[int], tuple[float, int] | None],
    *,
    strict: bool,
) -> tuple[SparkAggregator, list[str], list[list[Any]], int, bool]:
    """Passes 2 and 3 (see the module docstring) once the labels are known."""
    functions = _pyspark()
    col = functions.col

    # Pass 2: rows per partition, checks of errors and weights.
    value_columns = [col(error).cast("double")]
    if weight:
        value_columns.append(col(weight).cast("double"))
    values = frame.select(*value_columns)
    parts = values.mapInArrow(
        functools.partial(_rows_per_partition, weight is not None),
        "partition long, rows long, positive long, bad_errors long, first_bad_error double, "
        "bad_weights long, first_bad_weight double, not_binary long, weights_not_one long",
    ).toArrow()
    stats = {name: parts.column(name).to_numpy() for name in parts.column_names}
    n_rows = int(stats["rows"].sum())
    if n_rows == 0:
        raise EmptyDataError(
            "The Spark DataFrame has no rows. Expected at least one row to search. "
            "Check its source or filter."
        )
    if stats["bad_errors"].sum():
        first = float(stats["first_bad_error"][stats["bad_errors"] > 0][0])
        raise DataError(
            f"The errors must be finite numbers >= 0. Got {first!r} in column {error!r} "
            f"({int(stats['bad_errors'].sum())} such rows, NULL counts as NaN). "
            "Drop those rows or fill them."
        )
    if stats["bad_weights"].sum():
        first = float(stats["first_bad_weight"][stats["bad_weights"] > 0][0])
        raise DataError(
            f"The weights must be finite numbers > 0. Got {first!r} in column {weight!r} "
            f"({int(stats['bad_weights'].sum())} such rows). Drop rows with zero weight or "
            "pass weight=None."
        )
    if weight and not stats["weights_not_one"].sum():
        weight = None  # all ones: unit weights, as in memory
    has_weights = weight is not None
    binary = not has_weights and not stats["not_binary"].sum()
    split = split_for(n_rows)
    seen_before: dict[int, tuple[int, int]] = {}
    if split is not None:
        order = np.argsort(stats["partition"], kind="stable")
        negative = stats["rows"][order] - stats["positive"][order]
        positive = stats["positive"][order]
        before_negative = np.concatenate([[0], np.cumsum(negative)[:-1]])
        before_positive = np.concatenate([[0], np.cumsum(positive)[:-1]])
        for p, neg, pos in zip(
            stats["partition"][order], before_negative, before_positive, strict=True
        ):
            seen_before[int(p)] = (int(neg), int(pos))

    # Pass 3 (lazy, run by the profile): codes, error, weight and split flag, persisted.
    source = [col(n) for n in names] + value_columns
    schema = ", ".join(
        [f"f{j} int" for j in range(len(names))]
        + ["e double"]
        + (["w double"] if has_weights else [])
        + ["d boolean"]
    )
    if not has_weights:
        source = source[: len(names) + 1]
    from pyspark.storagelevel import StorageLevel

    coded = frame.select(*source).mapInArrow(
        functools.partial(_encode, labels, has_weights, split, seen_before, strict), schema
    )
    coded = coded.persist(StorageLevel.MEMORY_AND_DISK)
    cardinalities = [max(len(v), 1) for v in labels]
    aggregator = SparkAggregator(coded, cardinalities, has_weights=has_weights, binary=binary)
    return aggregator, names, predicates, n_rows, split is not None
