"""Scan reporting: run the search on an evaluation's stored codes and keep its findings.

``run_scan`` hands the stored integer codes and per-row errors to
:class:`~workbench.search.SliceSearch` (with each code's typed predicate, so the
findings come back with the predicates that select their rows), numbers the slices,
records the parameters and timings, and saves the scan. ``distinct`` folds
near-duplicate findings by the search's one rule (``fold_near_duplicates``). Imports the store (through ``SliceQueries``), search and
findings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench._slices import SliceQueries
from workbench._validation import Interval, validate_params
from workbench._version import __version__
from workbench.exceptions import ColumnNotFoundError, DataError
from workbench.findings import Findings, predicates_mask, quote_identifier
from workbench.store._store import now

__all__ = ["distinct", "run_scan"]

ProgressCallback = Callable[[int, int, str], None]


def run_scan(
    queries: SliceQueries,
    *,
    features: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    engine: str = "auto",
    memory_limit: int | float | str | None = None,
    spark: Any = None,
    **search_params: Any,
) -> Findings:
    """Search the evaluation's stored codes, save the scan and return its findings.

    ``search_params`` are :class:`~workbench.search.SliceSearch` parameters; the scan
    records the search's full parameter set (defaults included) once. ``engine`` and
    ``memory_limit`` choose where the counting runs (see
    :func:`workbench.search._engine.choose_engine`); a note says which ran and why.
    """
    from workbench.search import SliceSearch
    from workbench.search._engine import choose_engine
    from workbench.search._parameters import check_scan_parameters

    # The engine's parameters are checked against the table as the search's are.
    check_scan_parameters({"engine": engine, "memory_limit": memory_limit}, "Workbench.scan")
    search = SliceSearch(**search_params)
    encoded = queries.encoded_features()
    if features is not None:
        known = [f.name for f in encoded]
        for w in features:
            if w not in known:
                raise ColumnNotFoundError.for_column("feature", w, known)
        encoded = [f for f in encoded if f.name in set(features)]
    if not encoded:
        raise DataError(
            "No searchable features: every column was skipped or excluded. See "
            "bench.features for why each column was left out."
        )
    store = queries.store
    started_at = now()
    t0 = time.perf_counter()
    names = [f.name for f in encoded]
    labels = [list(f.predicates) for f in encoded]
    n_rows = int(queries.evaluation["n_rows"])
    weighted = store.has_weights(queries.eval_id)
    code_bytes = [1 if len(f.predicates) <= 256 else 2 for f in encoded]
    chosen, why = choose_engine(engine, n_rows, code_bytes, weighted, memory_limit)
    if chosen == "numpy":
        error, weight = store.load_errors(queries.eval_id, weights=weighted)
        t_load = time.perf_counter() - t0

        def read_codes(front: np.ndarray | None) -> np.ndarray:
            # the search reads the codes once it knows its split, discovery rows first
            nonlocal t_load
            tic = time.perf_counter()
            codes = store.load_codes(queries.dataset_id, names, front=front)
            t_load += time.perf_counter() - tic
            return codes

        # The errors were read for this search only: it may reorder their rows in place.
        search._fit_handed_over(
            read_codes, error, weight, feature_names=names, value_labels=labels, progress=progress
        )
        del error, weight
    else:
        t_load = 0.0
        rows_sql = store.codes_and_errors_sql(queries.dataset_id, queries.eval_id, names)
        if chosen == "duckdb":
            search.fit_duckdb(
                store.con,
                rows_sql,
                feature_columns=names,
                error_column="error",
                weight_column="weight" if weighted else None,
                value_labels=labels,
                batch_rows=_batch_rows(n_rows, code_bytes, memory_limit),
                progress=progress,
            )
        else:
            session = _spark_session(spark)
            # Spark reads the codes itself, from a parquet copy written once per
            # evaluation and feature set; the driver only ever holds counts.
            export = spark_export(queries, names, rows_sql)
            frame = session.read.parquet(str(export))
            search.fit_spark(
                frame,
                features=names,
                error="error",
                weight="weight" if weighted else None,
                value_labels=labels,
                progress=progress,
            )
    raw: Findings = search.findings_
    raw = raw.replace(notes=(*raw.notes, f"Counted with {chosen}: {why}."))
    scan_id = store.new_scan_id()
    slices = tuple(
        s.replace(slice_id=f"{scan_id}.s{rank}") for rank, s in enumerate(raw.slices, start=1)
    )
    seconds = time.perf_counter() - t0
    timings = {"load": t_load, **getattr(search, "timings_", {}), "total": seconds}
    evaluation = queries.evaluation
    # The search's own record: every parameter, with the seed it actually used.
    parameters = {
        **dict(raw.parameters),
        "engine": chosen,
        "features": names,
        "metric": evaluation["metric"],
        "model": evaluation["model_name"],
        "label": evaluation["label_column"],
    }
    findings = raw.replace(
        slices=slices,
        scan_id=scan_id,
        dataset_fingerprint=evaluation["dataset_fingerprint"],
        model_fingerprint=evaluation["model_fingerprint"],
        created_at=started_at,
        workbench_version=__version__,
        parameters=parameters,
    )
    store.save_scan(
        scan_id=scan_id,
        eval_id=queries.eval_id,
        findings=findings,
        started_at=started_at,
        seconds=seconds,
        timings=timings,
        discovery_mask=search.discovery_mask_,
    )
    return findings


def _batch_rows(n_rows: int, code_bytes: Sequence[int], memory_limit: Any) -> int:
    """Rows per streamed record batch: 1M, fewer when the memory budget (``memory_limit``,
    or what the process may still get, e.g. under an address-space cap) is small."""
    from workbench.search._engine import memory_budget

    limit, _ = memory_budget(memory_limit)
    per_row = 4 * (sum(code_bytes) + 16) + 16
    return int(min(1_000_000, max(50_000, limit // (4 * per_row))))


def spark_export(queries: SliceQueries, names: Sequence[str], rows_sql: str) -> Path:
    """The evaluation's codes, error and weight as one parquet file Spark can read.

    Written once, next to the store (``<store>.spark/``; a temporary folder for an
    in-memory store), streamed batch by batch so memory stays bounded, and reused by later
    Spark scans of the same rows, model and features. Rows keep their order (one file,
    row groups in row order), which the confirmation split follows. On a cluster, the
    store's folder must be one the executors read (a shared or mounted file system).
    """
    import hashlib
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    store = queries.store
    evaluation = queries.evaluation
    if store.path == ":memory:":
        folder = Path(tempfile.gettempdir()) / "workbench-spark"
    else:
        folder = Path(store.path).with_name(Path(store.path).name + ".spark")
    key = hashlib.sha256(
        "\x1f".join(
            [
                str(evaluation["dataset_fingerprint"]),
                str(evaluation["model_fingerprint"]),
                str(queries.eval_id),
                str(evaluation["n_rows"]),
                *names,
            ]
        ).encode()
    ).hexdigest()[:16]
    path = folder / f"codes_{queries.dataset_id}_{queries.eval_id}_{key}.parquet"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    # Spark has no unsigned integers: the codes go over as INTEGER.
    casts = ", ".join(
        f"CAST({quote_identifier(n)} AS INTEGER) AS {quote_identifier(n)}" for n in names
    )
    relation = store.con.sql(f"SELECT {casts}, error, weight FROM ({rows_sql})")
    reader = relation.to_arrow_reader(1_000_000)
    partial = path.with_suffix(".partial")
    with pq.ParquetWriter(partial, reader.schema) as writer:
        for batch in reader:
            writer.write_table(pa.Table.from_batches([batch]), row_group_size=1_000_000)
    partial.replace(path)
    return path


def _spark_session(spark: Any) -> Any:
    """The given SparkSession, else the active one, else a local one."""
    if spark is not None:
        return spark
    from workbench.search._spark import _pyspark

    _pyspark()  # a clear message when the extra is missing
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    return active if active is not None else SparkSession.builder.getOrCreate()


def _row_masks(queries: SliceQueries, findings: Findings) -> list[np.ndarray]:
    """Each slice's rows as a boolean mask over the dataset, from codes where possible."""
    coded = [queries.code_predicates(s) for s in findings]
    names = sorted({p.feature for c in coded if c is not None for p in c})
    codes = queries.store.load_codes(queries.dataset_id, names)
    column = {name: i for i, name in enumerate(names)}
    raw_names = sorted(
        {p.feature for s, c in zip(findings, coded, strict=True) if c is None for p in s.predicates}
    )
    raw = queries.store.read_dataset(queries.dataset_id, raw_names) if raw_names else None
    n = int(queries.evaluation["n_rows"])
    masks = []
    for s, c in zip(findings, coded, strict=True):
        if c is None:
            assert raw is not None
            masks.append(predicates_mask(s.predicates, raw))
            continue
        mask = np.ones(n, dtype=bool)
        for p in c:
            mask &= codes[:, column[p.feature]] == p.values[0]
        masks.append(mask)
    return masks


def distinct(queries: SliceQueries, findings: Findings, *, max_overlap: float = 0.5) -> Findings:
    """The findings without near-duplicates, by the search's one rule.

    Walking down the findings in order, a slice whose rows overlap a kept slice's by
    more than ``max_overlap`` (Jaccard index over the rows of the data) is folded
    into the kept slice it overlaps most: its description (and its own alternatives)
    join that slice's ``also_described_as``. Slices without rows are dropped. This
    is what ``SliceSearch(distinct=True)`` does during a scan
    (:func:`workbench.search.fold_near_duplicates`); here the overlaps come from the
    stored rows of each finding.
    """
    from workbench.search import fold_near_duplicates, jaccard_of_masks

    validate_params(
        "Workbench.distinct",
        {"max_overlap": max_overlap},
        {"max_overlap": [Interval("real", 0, 1)]},
    )
    if not len(findings):
        return findings
    masks = _row_masks(queries, findings)
    present = [i for i, mask in enumerate(masks) if mask.any()]
    kept, attached = fold_near_duplicates(
        len(present),
        jaccard_of_masks([masks[i] for i in present]),
        max_overlap=max_overlap,
    )
    slices = []
    for position in kept:
        s = findings[present[position]]
        folded = [findings[present[j]] for j in attached[position]]
        if folded:
            alternatives = [s.also_described_as]
            alternatives += [(f.description, *f.also_described_as) for f in folded]
            names = dict.fromkeys(a for group in alternatives for a in group)
            names.pop(s.description, None)
            s = s.replace(also_described_as=tuple(names))
        slices.append(s)
    return findings.replace(slices=tuple(slices))
