"""The DuckDB store: the one module that speaks DuckDB (besides the SQL aggregator,
which is handed a connection).

One database file holds everything a workbench knows::

    meta            key/value: schema version, tool version
    datasets        one row per dataset (content fingerprint, size, source)
    data_<d>        the dataset's rows as given, with an internal row id
    features        searchable features of a dataset (kind, note), and skipped columns
    feature_values  per feature and integer code: label, typed predicate over the raw
                    column (JSON; its SQL text is for people), row count
    codes_<d>       per row, the integer code of each feature (what the search reads)
    models          one row per model (fingerprint)
    evaluations     a model's predictions on a dataset under a metric
    eval_<e>        per row: label, prediction, score, error, weight
    scans           parameters, timings, version and notes of each scan
    scan_slices     the slices each scan reported, in rank order
    scan_splits     the discovery/confirmation split of a scan (bit-packed, when one was used)
    flags           slices a person flagged, with a note

All SQL built from user data uses quoted identifiers and bound parameters; every query
that selects a slice's rows takes typed predicates and builds its condition with
:func:`workbench.findings.where_clause` (no SQL text read from a table, a claim or a
JSON dict is ever executed). Imports duckdb, pandas, numpy, ``workbench.findings`` and
``workbench.exceptions``.
"""

from __future__ import annotations

import json
import math
import os
import resource
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, overload

import duckdb
import numpy as np
import pandas as pd

from workbench._version import __version__
from workbench.exceptions import (
    SliceNotFoundError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
)
from workbench.findings import (
    MISSING,
    OTHER,
    Findings,
    Predicate,
    Slice,
    quote_identifier,
    where_clause,
)

__all__ = ["ROW_ID", "SCHEMA_VERSION", "Store"]

SCHEMA_VERSION = 1
ROW_ID = "__wb_row_id"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS datasets (
    dataset_id INTEGER PRIMARY KEY, name VARCHAR, fingerprint VARCHAR, n_rows BIGINT,
    columns JSON, source VARCHAR, created_at VARCHAR, encoding JSON);
CREATE TABLE IF NOT EXISTS features (
    dataset_id INTEGER, position INTEGER, feature VARCHAR, kind VARCHAR, cardinality INTEGER,
    interval BOOLEAN, note VARCHAR, skipped BOOLEAN);
CREATE TABLE IF NOT EXISTS feature_values (
    dataset_id INTEGER, feature VARCHAR, code INTEGER, label VARCHAR, sql VARCHAR,
    n_rows BIGINT, predicate JSON);
CREATE TABLE IF NOT EXISTS models (
    model_id INTEGER PRIMARY KEY, name VARCHAR, fingerprint VARCHAR, kind VARCHAR,
    created_at VARCHAR);
CREATE TABLE IF NOT EXISTS evaluations (
    eval_id INTEGER PRIMARY KEY, dataset_id INTEGER, model_id INTEGER, label_column VARCHAR,
    prediction_column VARCHAR, score_column VARCHAR, metric VARCHAR, metric_kind VARCHAR,
    binary_error BOOLEAN, metric_note VARCHAR, overall_error DOUBLE, n_rows BIGINT,
    excluded JSON, created_at VARCHAR);
CREATE TABLE IF NOT EXISTS scans (
    scan_id VARCHAR PRIMARY KEY, eval_id INTEGER, parameters JSON, started_at VARCHAR,
    seconds DOUBLE, workbench_version VARCHAR, n_rows BIGINT, n_evaluated BIGINT,
    overall_error DOUBLE, notes JSON, timings JSON);
CREATE TABLE IF NOT EXISTS scan_slices (
    scan_id VARCHAR, rank INTEGER, slice_id VARCHAR, description VARCHAR, sql_where VARCHAR,
    slice_size BIGINT, slice_error DOUBLE, score DOUBLE, p_value_adjusted DOUBLE,
    significant BOOLEAN, slice JSON);
CREATE TABLE IF NOT EXISTS scan_splits (scan_id VARCHAR PRIMARY KEY, n_rows BIGINT, discovery BLOB);
CREATE TABLE IF NOT EXISTS flags (
    slice_id VARCHAR PRIMARY KEY, scan_id VARCHAR, note VARCHAR, flagged_at VARCHAR);
"""


#: DuckDB settings of every store connection: no file system access beyond the store
#: itself (no read_csv('/etc/passwd'), COPY TO, ATTACH), no extension installed or
#: loaded, and (set after connecting) the configuration locked.
_HARDENED = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

_SQLITE_MAGIC = b"SQLite format 3\x00"

_FEATURE_COLUMNS = (
    "dataset_id", "position", "feature", "kind", "cardinality", "interval", "note", "skipped",
)  # fmt: skip
_VALUE_COLUMNS = ("dataset_id", "feature", "code", "label", "sql", "n_rows", "predicate")


#: Rows per INSERT when a table is written from Arrow (see ``Store._create_table_in_chunks``):
#: whole DuckDB row groups (122,880 rows), so no statement leaves one half full.
_CHUNK_ROWS = 8 * 122_880


def _whole_row_groups(reader: Any) -> Any:
    """``reader``'s rows as tables of exactly ``_CHUNK_ROWS`` rows (the last one fewer),
    each column one array (a dictionary column with one dictionary: DuckDB writes a
    column whose chunks carry different dictionaries out only at the next checkpoint)."""
    import pyarrow as pa

    pending: list[Any] = []
    n_pending = 0
    for batch in reader:
        pending.append(batch)
        n_pending += batch.num_rows
        while n_pending >= _CHUNK_ROWS:
            table = pa.Table.from_batches(pending, schema=reader.schema)
            yield table.slice(0, _CHUNK_ROWS).combine_chunks()
            rest = table.slice(_CHUNK_ROWS)
            pending, n_pending = rest.to_batches(), rest.num_rows
    if n_pending:
        yield pa.Table.from_batches(pending, schema=reader.schema).combine_chunks()


def _numbered(reader: Any) -> Any:
    """``reader``'s batches with the row id (0, 1, ...) as their first column."""
    import pyarrow as pa

    schema = reader.schema.insert(0, pa.field(ROW_ID, pa.int64()))

    def batches() -> Any:
        start = 0
        for batch in reader:
            ids = pa.array(np.arange(start, start + batch.num_rows, dtype=np.int64))
            start += batch.num_rows
            yield pa.RecordBatch.from_arrays([ids, *batch.columns], schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _memory_config() -> dict[str, str]:
    """DuckDB's memory limit under an address-space cap (``ulimit -v``, ``prlimit --as``).

    DuckDB sizes its buffer pool from the machine's RAM and does not see such a cap, so
    under one it would cache blocks until an allocation fails; a quarter of the address
    space the process has left keeps it (and its spilling to disk) within the cap.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return {}
    used = 0
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    used = int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return {"memory_limit": f"{max(64 * 2**20, (soft - used) // 4) // 2**20}MiB"}


def _check_file_kind(path: str) -> None:
    """Refuse a file that is not a DuckDB database before DuckDB tries to read it."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(
            f"Cannot open the store {path!r}: {exc.strerror or exc}. Make the file readable, "
            "or pass another path."
        ) from None
    if not head:
        raise StoreError(
            f"{path!r} is an empty file, not a workbench store. Delete it or pass a new path "
            "to create a store."
        )
    if head.startswith(_SQLITE_MAGIC):
        raise StoreError(
            f"{path!r} is a SQLite database, not a workbench store. Expected a DuckDB file "
            "written by Slice Workbench; pass a new path to create one."
        )
    if len(head) < 12 or head[8:12] != b"DUCK":
        raise StoreError(
            f"{path!r} is not a workbench store (not a DuckDB database file). Expected a "
            "DuckDB file written by Slice Workbench; pass a new path to create one."
        )


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class Store:
    """A workbench database on disk (or ``":memory:"``).

    Parameters
    ----------
    path : str or os.PathLike
        The DuckDB file; created if missing. ``":memory:"`` keeps it in memory.
    read_only : bool
        Open without taking the write lock (several readers may share a file).
    """

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *, read_only: bool = False):
        self.path = str(path)
        if self.path != ":memory:":
            # '~/x' names the same file when it is created and when it is opened again.
            self.path = os.path.expanduser(self.path)
            parent = Path(self.path).resolve().parent
            if Path(self.path).is_dir():
                raise StoreError(
                    f"{self.path!r} is a folder, not a workbench store. Expected a DuckDB file "
                    "written by Slice Workbench (e.g. workbench.duckdb); pass a file path."
                )
            if not parent.is_dir():
                raise StoreError(
                    f"Cannot create the store {self.path!r}: the folder {str(parent)!r} does not "
                    "exist. Create it first or choose another path."
                )
            if read_only and not Path(self.path).exists():
                raise StoreError(f"The store {self.path!r} does not exist. Check the path.")
            _check_file_kind(self.path)
        self._base = self._connect(read_only)
        self._owner = threading.get_ident()
        self._local = threading.local()
        self.read_only = read_only
        if not read_only:
            self._migrate()
        self._check_version()

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(
                self.path, read_only=read_only, config={**_HARDENED, **_memory_config()}
            )
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" in message.lower():
                raise StoreLockedError(
                    f"The store {self.path!r} is open in another process, which holds DuckDB's "
                    f"write lock ({message.splitlines()[0]}). Close the other notebook or "
                    "command (bench.close() or restart its kernel), or open a copy of the file."
                ) from None
            if "permission denied" in message.lower():
                raise StoreError(
                    f"Cannot open the store {self.path!r}: permission denied. Make the file (and "
                    "its folder) readable and writable for you, or work on a copy of it."
                ) from None
            if "read enough bytes" in message or "not a valid DuckDB" in message:
                raise StoreError(
                    f"{self.path!r} is not a complete workbench store (the file is truncated or "
                    "damaged). Use an intact copy, or pass a new path to create a new store."
                ) from None
            raise StoreError(
                f"Cannot open {self.path!r} as a workbench store: {message.splitlines()[0][:200]}. "
                "Expected a DuckDB file written by Slice Workbench; pass a new path to create one."
            ) from None
        except duckdb.Error as exc:
            raise StoreError(
                f"Cannot open {self.path!r} as a workbench store: {str(exc)[:200]}. Expected a "
                "DuckDB file written by Slice Workbench; pass a new path to create one."
            ) from None
        # A store opened twice in one process shares DuckDB's database instance, whose
        # configuration the first Store already set and locked.
        locked = con.execute("SELECT current_setting('lock_configuration')").fetchall()
        if not locked[0][0]:
            # The workbench reports its own progress; DuckDB's bar would print escapes.
            con.execute("SET enable_progress_bar = false")
            # Nothing run on this connection may reach files, the network or extensions,
            # and no statement may switch that back on.
            con.execute("SET lock_configuration = true")
        return con

    def release_memory(self) -> None:
        """Give back the memory DuckDB and Arrow keep after a large write.

        DuckDB keeps the pages it wrote in its buffer pool and Arrow's allocator keeps
        freed blocks; after a load neither is needed. A store on disk is closed and
        opened again (its rows are on disk); a store in memory keeps its pages.
        """
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
        if self.path == ":memory:" or threading.get_ident() != self._owner:
            return
        self._base.close()
        self._base = self._connect(self.read_only)
        self._local = threading.local()

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's connection: DuckDB connections must not be shared between threads,
        so a scan running in a background thread gets a cursor of its own."""
        if threading.get_ident() == self._owner:
            return self._base
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._base.cursor()  # shares the locked configuration
            self._local.cursor = cursor
        return cursor

    def close(self) -> None:
        self._base.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        try:
            tables = {
                r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
        except duckdb.Error as exc:
            raise StoreError(f"The store {self.path!r} cannot be read: {exc}") from None
        if tables and "meta" not in tables:
            raise StoreError(
                f"The DuckDB file {self.path!r} holds other tables ({', '.join(sorted(tables)[:5])}) "
                "and is not a workbench store. Pass a new path for the workbench."
            )
        if "meta" in tables:
            self._check_version()
        self.con.execute(_SCHEMA)
        # Stores written before predicates were typed get the column; their rows are
        # read from the category labels (see load_features).
        self.con.execute("ALTER TABLE feature_values ADD COLUMN IF NOT EXISTS predicate JSON")
        self.con.execute(
            "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING",
            [str(SCHEMA_VERSION)],
        )
        self.con.execute(
            "INSERT INTO meta VALUES ('created_with', ?) ON CONFLICT (key) DO NOTHING",
            [__version__],
        )

    def _check_version(self) -> None:
        try:
            row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            row = _first(row)
        except duckdb.CatalogException:
            raise StoreError(
                f"The DuckDB file {self.path!r} is not a workbench store (no 'meta' table). "
                "Pass a new path for the workbench."
            ) from None
        if row is None:
            return
        version = int(row[0])
        if version > SCHEMA_VERSION:
            raise StoreVersionError(
                f"The store {self.path!r} was written by a newer Slice Workbench (store format "
                f"{version}; this release {__version__} reads up to format {SCHEMA_VERSION}). "
                "Upgrade with: pip install -U slice-workbench"
            )

    def _row_count(self, table: str) -> int:
        """Rows in one of the store's own tables."""
        return int(
            self.con.execute(f"SELECT count(*) FROM {quote_identifier(table)}").fetchall()[0][0]
        )

    def _next_id(self, table: str, column: str) -> int:
        row = self.con.execute(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}").fetchall()
        row = _first(row)
        assert row is not None
        return int(row[0])

    def _create_table(self, table: str, frame: Any, *, row_ids: bool = False) -> None:
        """Create (or replace) ``table`` from a pandas frame, a ``pyarrow.Table`` or a
        ``pyarrow.RecordBatchReader`` (streamed: one batch in memory at a time);
        ``row_ids`` numbers its rows first."""
        import pyarrow as pa

        if isinstance(frame, (pa.RecordBatchReader, pa.Table)):
            if isinstance(frame, pa.Table):
                frame = frame.to_reader(max_chunksize=_CHUNK_ROWS)
            self._create_table_in_chunks(table, _numbered(frame) if row_ids else frame)
            return
        incoming = frame.reset_index(drop=True)
        if row_ids:
            incoming.insert(0, ROW_ID, np.arange(len(incoming), dtype=np.int64))
        # Rows go in through a relation, never a registered view: a view dropped inside a
        # transaction keeps its Python object, and every buffer it holds, until the commit.
        self.con.execute(f"DROP TABLE IF EXISTS {quote_identifier(table)}")
        self.con.from_df(incoming).create(quote_identifier(table))

    def _create_table_in_chunks(self, table: str, reader: Any) -> None:
        """Create ``table`` from a stream with one INSERT per record batch.

        One statement over a whole stream keeps every row in memory until the next
        checkpoint (DuckDB writes an ordered insert from Arrow out only then: 1.7 GB and a
        6-15 s checkpoint for a 10M x 20 table of strings); statement by statement, each
        batch's row groups are compressed and written as it goes, in the same order.
        """
        import pyarrow as pa

        name = quote_identifier(table)
        self.con.execute(f"DROP TABLE IF EXISTS {name}")
        created = False
        try:
            # Each chunk through a relation, not a registered view: a view dropped inside
            # the load's transaction would keep its chunk in memory until the commit (the
            # whole file, for the data table).
            for chunk in _whole_row_groups(reader):
                if created:
                    self.con.from_arrow(chunk).insert_into(name)
                else:
                    self.con.from_arrow(chunk).create(name)
                    created = True
                del chunk
            if not created:  # no rows: the table still gets its columns
                self.con.from_arrow(pa.Table.from_batches([], schema=reader.schema)).create(name)
        finally:
            pa.default_memory_pool().release_unused()  # the batches' blocks, not kept

    # -- datasets ----------------------------------------------------------------------------
    def find_dataset(self, fingerprint: str) -> int | None:
        row = self.con.execute(
            "SELECT dataset_id FROM datasets WHERE fingerprint = ? ORDER BY dataset_id LIMIT 1",
            [fingerprint],
        ).fetchall()
        row = _first(row)
        return None if row is None else int(row[0])

    def add_dataset(
        self,
        frame: Any,
        *,
        name: str,
        fingerprint: str,
        source: str,
        encoding: Mapping[str, Any] | None = None,
    ) -> int:
        """Record a dataset (its name, fingerprint, size and columns) and return its id;
        its rows follow, in the same transaction, with ``write_dataset_rows``."""
        dataset_id = self._next_id("datasets", "dataset_id")
        columns = [{"name": str(c), "dtype": str(frame.dtypes[c])} for c in frame.columns]
        self.con.execute(
            "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                dataset_id,
                name,
                fingerprint,
                len(frame),
                json.dumps(columns),
                source,
                now(),
                json.dumps(dict(encoding or {})),
            ],
        )
        return dataset_id

    def write_dataset_rows(self, dataset_id: int, frame: Any) -> None:
        """Write the rows of a dataset recorded with ``add_dataset``: a pandas frame, or a
        table read in parts that hands them over as ``frame.record_batches()`` (a
        ``pyarrow.RecordBatchReader``)."""
        rows = frame if isinstance(frame, pd.DataFrame) else frame.record_batches()
        self._create_table(f"data_{dataset_id}", rows, row_ids=True)

    def add_columns(self, dataset_id: int, frame: pd.DataFrame) -> None:
        """Append derived columns (e.g. media descriptors) to a dataset, row-aligned."""
        incoming = frame.reset_index(drop=True)
        incoming.insert(0, ROW_ID, np.arange(len(incoming), dtype=np.int64))
        self.con.register("_wb_incoming", incoming)
        try:
            keep = ", ".join(
                f"d.{quote_identifier(c)}"
                for c in self.dataset_columns(dataset_id)
                if c not in frame.columns
            )
            added = ", ".join(f"i.{quote_identifier(c)}" for c in frame.columns)
            self.con.execute(
                f"CREATE OR REPLACE TABLE data_{dataset_id} AS SELECT d.{quote_identifier(ROW_ID)}, "
                f"{keep}, {added} FROM data_{dataset_id} d JOIN _wb_incoming i "
                f"USING ({quote_identifier(ROW_ID)}) ORDER BY d.{quote_identifier(ROW_ID)}"
            )
        finally:
            self.con.unregister("_wb_incoming")

    def dataset(self, dataset_id: int) -> dict[str, Any]:
        row = self.con.execute(
            "SELECT dataset_id, name, fingerprint, n_rows, source, created_at, encoding "
            "FROM datasets WHERE dataset_id = ?",
            [dataset_id],
        ).fetchall()
        row = _first(row)
        if row is None:
            raise StoreError(f"No dataset {dataset_id} in {self.path!r}.")
        keys = ("dataset_id", "name", "fingerprint", "n_rows", "source", "created_at", "encoding")
        out = dict(zip(keys, row, strict=True))
        out["encoding"] = json.loads(out["encoding"] or "{}")
        return out

    def dataset_columns(self, dataset_id: int) -> list[str]:
        rows = self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
            [f"data_{dataset_id}"],
        ).fetchall()
        return [r[0] for r in rows if r[0] != ROW_ID]

    def read_dataset(self, dataset_id: int, columns: Sequence[str] | None = None) -> pd.DataFrame:
        cols = (
            ", ".join(quote_identifier(c) for c in columns)
            if columns
            else "* EXCLUDE (" + quote_identifier(ROW_ID) + ")"
        )
        return self.con.execute(
            f"SELECT {cols} FROM data_{dataset_id} ORDER BY {quote_identifier(ROW_ID)}"
        ).df()

    # -- features ----------------------------------------------------------------------------
    def save_features(
        self,
        dataset_id: int,
        codes: Mapping[str, np.ndarray],
        features: Sequence[Any],
        skipped: Sequence[tuple[str, str]],
    ) -> None:
        self.con.execute("DELETE FROM features WHERE dataset_id = ?", [dataset_id])
        self.con.execute("DELETE FROM feature_values WHERE dataset_id = ?", [dataset_id])
        rows = []
        value_rows = []
        for position, f in enumerate(features):
            rows.append(
                [dataset_id, position, f.name, f.kind, f.cardinality, f.interval, f.note, False]
            )
            counts = np.bincount(codes[f.name], minlength=f.cardinality)
            for code, (label, pred) in enumerate(zip(f.labels, f.predicates, strict=True)):
                value_rows.append(
                    [
                        dataset_id,
                        f.name,
                        code,
                        label,
                        pred.to_sql(),
                        int(counts[code]),
                        json.dumps(pred.to_dict()),
                    ]
                )
        for position, (name, reason) in enumerate(skipped, start=len(rows)):
            rows.append([dataset_id, position, name, "skipped", 0, False, reason, True])
        # One statement per table (executemany runs one statement per row).
        if rows:
            self._insert_rows("features", list(_FEATURE_COLUMNS), rows)
        if value_rows:
            self._insert_rows("feature_values", list(_VALUE_COLUMNS), value_rows)
        import pyarrow as pa

        self._create_table(
            f"codes_{dataset_id}",
            pa.table({f.name: codes[f.name] for f in features}),
            row_ids=True,
        )

    def _insert_rows(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        incoming = pd.DataFrame(rows, columns=columns)
        names = ", ".join(quote_identifier(c) for c in columns)
        self.con.register("_wb_rows", incoming)
        try:
            self.con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _wb_rows")
        finally:
            self.con.unregister("_wb_rows")

    def load_features(self, dataset_id: int) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        """Feature descriptions (with a label and a typed predicate per code) and skipped columns."""
        feats = self.con.execute(
            "SELECT feature, kind, cardinality, interval, note, skipped FROM features "
            "WHERE dataset_id = ? ORDER BY position",
            [dataset_id],
        ).fetchall()
        values = self.con.execute(
            "SELECT feature, code, label, predicate, n_rows FROM feature_values "
            "WHERE dataset_id = ? ORDER BY feature, code",
            [dataset_id],
        ).fetchall()
        by_feature: dict[str, list[tuple[Any, ...]]] = {}
        for feature, code, label, predicate, n_rows in values:
            by_feature.setdefault(feature, []).append((code, label, predicate, n_rows))
        out = []
        skipped = []
        for feature, kind, _card, interval, note, is_skipped in feats:
            if is_skipped:
                skipped.append((feature, note))
                continue
            vals = sorted(by_feature.get(feature, []), key=lambda v: v[0])
            labels = tuple(v[1] for v in vals)
            out.append(
                {
                    "name": feature,
                    "kind": kind,
                    "interval": bool(interval),
                    "note": note,
                    "labels": labels,
                    "predicates": tuple(
                        _stored_predicate(feature, v[1], v[2], bool(interval), labels) for v in vals
                    ),
                    "counts": tuple(int(v[3]) for v in vals),
                }
            )
        return out, skipped

    def load_codes(
        self, dataset_id: int, features: Sequence[str], *, front: np.ndarray | None = None
    ) -> np.ndarray:
        """The features' codes, one row per data row in row order (rows x features).

        The matrix is in column-major (Fortran) order, so each feature's codes are one
        contiguous column. Read in record batches (see :meth:`_read_in_row_order`).
        ``front``, a boolean mask over the rows, puts its rows first and the others
        after, each in row order (the search's split, done while reading, so the codes
        are never in memory twice)."""
        if not features:
            return np.zeros((0, 0), dtype=np.uint8)
        table = f"codes_{int(dataset_id)}"
        n = self._row_count(table)
        if front is not None and len(front) != n:
            raise StoreError(
                f"The row mask has {len(front)} rows, the codes of dataset {dataset_id} {n}. "
                "Pass a mask with one entry per row."
            )
        n_front = 0 if front is None else int(np.count_nonzero(front))
        out: np.ndarray | None = None
        seen_front = [0, 0]  # rows read so far, of them front rows (batches come in order)

        def fill(start: int, end: int, batch: Any) -> None:
            nonlocal out
            if out is None:
                dtype = np.result_type(*[f.type.to_pandas_dtype() for f in batch.schema][1:])
                out = np.empty((n, len(features)), dtype=dtype, order="F")
            if front is None:
                for j in range(len(features)):
                    out[start:end, j] = batch.column(j + 1).to_numpy()
                return
            if seen_front[0] != start:  # a second read from the first row
                seen_front[:] = [start, int(np.count_nonzero(front[:start]))]
            mask = front[start:end]
            first, rest = np.flatnonzero(mask), np.flatnonzero(~mask)
            at_front = seen_front[1]
            at_back = n_front + start - at_front
            seen_front[:] = [end, at_front + len(first)]
            for j in range(len(features)):
                column = batch.column(j + 1).to_numpy()
                # indices are in range: "clip" only spares take() buffering its output
                column.take(first, out=out[at_front : at_front + len(first), j], mode="clip")
                column.take(rest, out=out[at_back : at_back + len(rest), j], mode="clip")

        self._read_in_row_order(table, features, n, fill, what=f"codes of dataset {dataset_id}")
        if out is None:  # no rows
            return np.zeros((0, len(features)), dtype=np.uint8, order="F")
        return out

    def _read_in_row_order(
        self, table: str, columns: Sequence[str], n: int, fill: Any, *, what: str
    ) -> None:
        """Stream ``columns`` of ``table`` in row-id order into ``fill(start, end, batch)``.

        Without DuckDB sorting the table: the store writes rows in row order, which a
        plain scan keeps (the row ids, the batch's first column, are checked, and the
        table is read sorted only if they are out of order); ``n`` is its row count.
        """
        cols = ", ".join(quote_identifier(c) for c in columns)
        rid = quote_identifier(ROW_ID)
        for order in ("", f" ORDER BY {rid}"):
            relation: Any = self.con.sql(f"SELECT {rid}, {cols} FROM {table}{order}")
            fetch = getattr(relation, "to_arrow_reader", None)
            if fetch is None:  # duckdb < 1.4
                fetch = relation.fetch_record_batch
            reader = fetch(1 << 20)
            start, in_order = 0, True
            for batch in reader:
                end = start + batch.num_rows
                ids = batch.column(0).to_numpy()
                if end > n or not np.array_equal(ids, np.arange(start, end)):
                    in_order = False
                    reader.close()  # the connection runs no other query until it is closed
                    break
                fill(start, end, batch)
                start = end
            if in_order and start == n:
                return
        raise StoreError(f"The {what} do not hold one row per row id.")

    def codes_and_errors_sql(self, dataset_id: int, eval_id: int, features: Sequence[str]) -> str:
        """A query of the features' codes, error and weight, in row order (for streaming).

        The store writes both tables in row order, so a positional join streams them with
        bounded memory; one pass checks that the row ids agree with the positions (a store
        whose tables do not, e.g. edited by hand, is read through a join sorted by row id,
        which needs memory for the sort).
        """
        rid = quote_identifier(ROW_ID)
        codes, evals = f"codes_{int(dataset_id)}", f"eval_{int(eval_id)}"
        cols = ", ".join(f"c.{quote_identifier(f)}" for f in features)
        if self._rows_in_order(codes, evals):
            return f"SELECT {cols}, e.error, e.weight FROM {codes} c POSITIONAL JOIN {evals} e"
        return (
            f"SELECT {cols}, e.error, e.weight FROM {codes} c "
            f"JOIN {evals} e ON c.{rid} = e.{rid} ORDER BY c.{rid}"
        )

    def _rows_in_order(self, codes: str, evals: str) -> bool:
        """Whether both tables hold rows 0, 1, 2, ... in that order (one streamed pass)."""
        rid = quote_identifier(ROW_ID)
        n_codes, n_evals = self._row_count(codes), self._row_count(evals)
        if n_codes != n_evals:
            return False
        row = self.con.execute(
            f"SELECT count(*) FROM {codes} c POSITIONAL JOIN {evals} e POSITIONAL JOIN "
            f"range({int(n_codes)}) r(i) WHERE c.{rid} IS DISTINCT FROM r.i "
            f"OR e.{rid} IS DISTINCT FROM r.i"
        ).fetchall()
        return bool(row[0][0] == 0)

    def has_weights(self, eval_id: int) -> bool:
        """Whether any row's weight differs from 1."""
        row = self.con.execute(
            f"SELECT count(*) FROM eval_{int(eval_id)} WHERE weight <> 1"
        ).fetchall()
        return bool(row[0][0])

    # -- models and evaluations --------------------------------------------------------------
    def add_model(self, *, name: str, fingerprint: str, kind: str) -> int:
        row = self.con.execute(
            "SELECT model_id FROM models WHERE fingerprint = ? AND name = ?", [fingerprint, name]
        ).fetchall()
        row = _first(row)
        if row is not None:
            return int(row[0])
        model_id = self._next_id("models", "model_id")
        self.con.execute(
            "INSERT INTO models VALUES (?, ?, ?, ?, ?)", [model_id, name, fingerprint, kind, now()]
        )
        return model_id

    def add_evaluation(
        self,
        *,
        dataset_id: int,
        model_id: int,
        columns: Mapping[str, str | None],
        metric: Any,
        metric_note: str,
        rows: pd.DataFrame,
        excluded: Sequence[str],
    ) -> int:
        same = self._same_evaluation(dataset_id, model_id, columns, metric, rows, excluded)
        if same is not None:
            return same  # the same run again: no second copy of its rows
        eval_id = self._next_id("evaluations", "eval_id")
        self._create_table(f"eval_{eval_id}", rows, row_ids=True)
        weight_sum = float(rows["weight"].sum())
        overall = float(rows["error"].sum()) / weight_sum if weight_sum > 0 else math.nan
        self.con.execute(
            "INSERT INTO evaluations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                eval_id,
                dataset_id,
                model_id,
                columns.get("label"),
                columns.get("prediction"),
                columns.get("score"),
                metric.name,
                metric.kind,
                metric.binary_error,
                metric_note,
                overall,
                len(rows),
                json.dumps(list(excluded)),
                now(),
            ],
        )
        return eval_id

    def _same_evaluation(
        self,
        dataset_id: int,
        model_id: int,
        columns: Mapping[str, str | None],
        metric: Any,
        rows: pd.DataFrame,
        excluded: Sequence[str],
    ) -> int | None:
        """An existing evaluation with the same inputs and per-row checksums, if any."""
        if "checksum" not in rows:
            return None
        found = self.con.execute(
            "SELECT eval_id FROM evaluations WHERE dataset_id = ? AND model_id = ? "
            "AND label_column IS NOT DISTINCT FROM ? AND prediction_column IS NOT DISTINCT FROM ? "
            "AND score_column IS NOT DISTINCT FROM ? AND metric = ? AND n_rows = ? "
            "AND excluded = ?::JSON ORDER BY eval_id",
            [
                dataset_id,
                model_id,
                columns.get("label"),
                columns.get("prediction"),
                columns.get("score"),
                metric.name,
                len(rows),
                json.dumps(list(excluded)),
            ],
        ).fetchall()
        if not found:
            return None
        checksums = rows["checksum"].to_numpy(dtype=np.uint64)
        errors = rows["error"].to_numpy(dtype=np.float64)
        for (eval_id,) in found:
            table = f"eval_{int(eval_id)}"
            names = {r[0] for r in self.con.execute(f"DESCRIBE {table}").fetchall()}
            if "checksum" not in names:
                continue
            stored = self.con.execute(
                f"SELECT checksum, error FROM {table} ORDER BY {quote_identifier(ROW_ID)}"
            ).fetchnumpy()
            if np.array_equal(stored["checksum"], checksums) and np.allclose(
                stored["error"], errors, equal_nan=True
            ):
                return int(eval_id)
        return None

    def evaluation(self, eval_id: int) -> dict[str, Any]:
        cur = self.con.execute(
            "SELECT e.*, m.name AS model_name, m.fingerprint AS model_fingerprint, "
            "m.kind AS model_kind, d.fingerprint AS dataset_fingerprint, d.name AS dataset_name "
            "FROM evaluations e JOIN models m USING (model_id) JOIN datasets d USING (dataset_id) "
            "WHERE eval_id = ?",
            [eval_id],
        )
        row = cur.fetchall()
        row = _first(row)
        if row is None:
            raise StoreError(f"No evaluation {eval_id} in {self.path!r}.")
        names = [d[0] for d in cur.description]
        out = dict(zip(names, row, strict=True))
        out["excluded"] = json.loads(out["excluded"] or "[]")
        return out

    def evaluations(self) -> pd.DataFrame:
        return self.con.execute(
            "SELECT e.eval_id, d.name AS dataset, m.name AS model, e.metric, e.overall_error, "
            "e.n_rows, e.label_column, e.prediction_column, e.created_at, "
            "d.fingerprint AS dataset_fingerprint, m.fingerprint AS model_fingerprint "
            "FROM evaluations e JOIN models m USING (model_id) JOIN datasets d USING (dataset_id) "
            "ORDER BY e.eval_id"
        ).df()

    def latest_evaluation(self) -> int | None:
        row = self.con.execute("SELECT max(eval_id) FROM evaluations").fetchall()
        row = _first(row)
        return None if row is None or row[0] is None else int(row[0])

    @overload
    def load_errors(
        self, eval_id: int, *, weights: Literal[True] = True
    ) -> tuple[np.ndarray, np.ndarray]: ...

    @overload
    def load_errors(
        self, eval_id: int, *, weights: bool
    ) -> tuple[np.ndarray, np.ndarray | None]: ...

    def load_errors(
        self, eval_id: int, *, weights: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Each row's error and weight (float64, in row order); ``weights=False``: the
        weight is not read and comes back as None (for an evaluation without weights)."""
        names = ["error", "weight"] if weights else ["error"]
        table = f"eval_{int(eval_id)}"
        n = self._row_count(table)
        out = [np.empty(n, dtype=np.float64) for _ in names]

        def fill(start: int, end: int, batch: Any) -> None:
            for j, array in enumerate(out):
                array[start:end] = batch.column(j + 1).to_numpy(zero_copy_only=False)

        self._read_in_row_order(table, names, n, fill, what=f"errors of evaluation {eval_id}")
        return out[0], out[1] if weights else None

    # -- queries over slices -----------------------------------------------------------------
    def _joined(self, dataset_id: int, eval_id: int) -> str:
        rid = quote_identifier(ROW_ID)
        return (
            f"(SELECT d.*, e.label AS __wb_label, e.prediction AS __wb_prediction, "
            f"e.score AS __wb_score, e.error AS __wb_error, e.weight AS __wb_weight "
            f"FROM data_{dataset_id} d JOIN eval_{eval_id} e ON d.{rid} = e.{rid})"
        )

    def _where(self, predicates: Sequence[Predicate]) -> tuple[str, list[Any]]:
        return where_clause(predicates)

    def _run(self, sql: str, params: Sequence[Any], predicates: Sequence[Predicate]) -> Any:
        """Execute a slice query; a condition that does not fit the data is one clear error."""
        try:
            return self.con.execute(sql, list(params))
        except duckdb.Error as exc:
            described = " AND ".join(p.describe() for p in predicates) or "all rows"
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreError(
                f"The slice condition {described!r} cannot be evaluated on this data: {first}. "
                "Check that its columns exist and hold values of the same type."
            ) from None

    def slice_counts(
        self, dataset_id: int, eval_id: int, predicates: Sequence[Predicate]
    ) -> dict[str, float]:
        """Size, sums of error and weight, and their second moments: inside the slice and in all rows."""
        sums = (
            "count(*) {f}, coalesce(sum(__wb_error) {f}, 0), coalesce(sum(__wb_weight) {f}, 0), "
            "coalesce(sum(__wb_error * __wb_error) {f}, 0), "
            "coalesce(sum(__wb_error * __wb_weight) {f}, 0), "
            "coalesce(sum(__wb_weight * __wb_weight) {f}, 0)"
        )
        where, params = self._where(predicates)
        row = _first(
            self._run(
                f"SELECT {sums.format(f='FILTER (WHERE inside)')}, {sums.format(f='')} "
                f"FROM (SELECT coalesce(({where}), FALSE) AS inside, __wb_error, __wb_weight "
                f"FROM {self._joined(dataset_id, eval_id)})",
                params,
                predicates,
            ).fetchall()
        )
        assert row is not None
        names = (
            "size",
            "error_sum",
            "weight_sum",
            "error_sq_sum",
            "error_weight_sum",
            "weight_sq_sum",
        )
        keys = [f"slice_{n}" for n in names] + [f"total_{n}" for n in names]
        return dict(zip(keys, (float(v) for v in row), strict=True))

    def members(
        self,
        dataset_id: int,
        eval_id: int,
        predicates: Sequence[Predicate],
        *,
        limit: int | None = None,
        offset: int = 0,
        order_by_error: bool = False,
    ) -> pd.DataFrame:
        order = "__wb_error DESC, " if order_by_error else ""
        clause = " LIMIT ? OFFSET ?" if limit is not None else ""
        where, params = self._where(predicates)
        if limit is not None:
            params = [*params, int(limit), int(offset)]
        frame = self._run(
            f"SELECT * FROM {self._joined(dataset_id, eval_id)} WHERE coalesce(({where}), FALSE) "
            f"ORDER BY {order}{quote_identifier(ROW_ID)}{clause}",
            params,
            predicates,
        ).df()
        wanted = {
            ROW_ID: "row_id",
            "__wb_label": "_label",
            "__wb_prediction": "_prediction",
            "__wb_score": "_score",
            "__wb_error": "_error",
            "__wb_weight": "_weight",
        }
        # Internal columns never take the name of a data column (a column 'row_id' or
        # '_error' in the data stays what it is): they get one more leading underscore.
        taken = {str(c) for c in frame.columns} - set(wanted)
        rename = {}
        for internal, shown in wanted.items():
            while shown in taken:
                shown = "_" + shown
            rename[internal] = shown
            taken.add(shown)
        frame = frame.rename(columns=rename)
        score = rename["__wb_score"]
        if score in frame and frame[score].isna().all():
            frame = frame.drop(columns=score)
        return frame.set_index(rename[ROW_ID])

    def _inside_codes(
        self, dataset_id: int, predicates: Sequence[Predicate], on_codes: bool
    ) -> tuple[str, list[Any]]:
        """Rows of the codes table marked inside/outside a slice.

        ``on_codes``: the predicates are equalities on the integer codes (fast); otherwise
        they are conditions on the raw columns of the data table.
        """
        where, params = self._where(predicates)
        rid = quote_identifier(ROW_ID)
        if on_codes:
            return (
                f"(SELECT *, {rid} AS _wb_rid, coalesce(({where}), FALSE) AS inside "
                f"FROM codes_{dataset_id})"
            ), params
        return (
            f"(SELECT c.*, c.{rid} AS _wb_rid, coalesce(m.inside, FALSE) AS inside "
            f"FROM codes_{dataset_id} c JOIN (SELECT {rid}, ({where}) AS inside "
            f"FROM data_{dataset_id}) m ON c.{rid} = m.{rid})"
        ), params

    def code_distributions(
        self,
        dataset_id: int,
        features: Sequence[str],
        predicates: Sequence[Predicate],
        *,
        on_codes: bool = True,
    ) -> pd.DataFrame:
        """Rows per (feature, code) inside and outside a slice."""
        if not features:
            return pd.DataFrame(columns=["feature", "code", "inside", "outside"])
        marked, params = self._inside_codes(dataset_id, predicates, on_codes)
        parts = []
        for f in features:
            q = quote_identifier(f)
            parts.append(
                f"SELECT ? AS feature, {q}::INTEGER AS code, count(*) FILTER (WHERE inside) AS inside, "
                f"count(*) FILTER (WHERE NOT inside) AS outside FROM _wb_marked GROUP BY {q}"
            )
        sql = (
            f"WITH _wb_marked AS {marked} " + " UNION ALL ".join(parts) + " ORDER BY feature, code"
        )
        return self._run(sql, [*params, *features], predicates).df()

    def code_errors(
        self,
        dataset_id: int,
        eval_id: int,
        features: Sequence[str],
        predicates: Sequence[Predicate],
        *,
        on_codes: bool = True,
    ) -> pd.DataFrame:
        """Rows, error sum and weight sum per (feature, code) among the rows of a slice."""
        columns = ["feature", "code", "rows", "error_sum", "weight_sum"]
        if not features:
            return pd.DataFrame(columns=columns)
        marked, params = self._inside_codes(dataset_id, predicates, on_codes)
        rid = quote_identifier(ROW_ID)
        parts = []
        for f in features:
            q = quote_identifier(f)
            parts.append(
                f"SELECT ? AS feature, {q}::INTEGER AS code, count(*) AS rows, "
                "coalesce(sum(_wb_error), 0) AS error_sum, coalesce(sum(_wb_weight), 0) AS weight_sum "
                f"FROM _wb_in GROUP BY {q}"
            )
        sql = (
            f"WITH _wb_in AS (SELECT c.*, e.error AS _wb_error, e.weight AS _wb_weight "
            f"FROM {marked} c JOIN eval_{int(eval_id)} e ON e.{rid} = c._wb_rid WHERE c.inside) "
            + " UNION ALL ".join(parts)
            + " ORDER BY feature, code"
        )
        return self._run(sql, [*params, *features], predicates).df()[columns]

    def confusion(
        self,
        dataset_id: int,
        eval_id: int,
        predicates: Sequence[Predicate],
        *,
        on_codes: bool = True,
    ) -> pd.DataFrame:
        """Counts of (label, prediction) pairs inside and outside a slice."""
        rid = quote_identifier(ROW_ID)
        marked, params = self._inside_codes(dataset_id, predicates, on_codes)
        return self._run(
            f"SELECT e.label::VARCHAR AS label, e.prediction::VARCHAR AS prediction, "
            f"count(*) FILTER (WHERE inside) AS inside, count(*) FILTER (WHERE NOT inside) AS outside "
            f"FROM eval_{eval_id} e JOIN {marked} c ON e.{rid} = c._wb_rid "
            f"GROUP BY ALL ORDER BY label, prediction",
            params,
            predicates,
        ).df()

    def error_histogram(
        self,
        dataset_id: int,
        eval_id: int,
        predicates: Sequence[Predicate],
        bins: int = 20,
        *,
        on_codes: bool = True,
    ) -> pd.DataFrame:
        """Histogram of per-row error (error / weight) inside and outside a slice."""
        rid = quote_identifier(ROW_ID)
        marked, params = self._inside_codes(dataset_id, predicates, on_codes)
        return self._run(
            f"WITH r AS (SELECT CASE WHEN e.weight > 0 THEN e.error / e.weight ELSE e.error END AS x, "
            f"inside FROM eval_{eval_id} e JOIN {marked} c ON e.{rid} = c._wb_rid), "
            f"b AS (SELECT min(x) AS lo, greatest(max(x) - min(x), 1e-12) AS width FROM r) "
            f"SELECT least(floor((x - lo) / width * ?), ? - 1)::INTEGER AS bin, "
            f"any_value(lo + width * least(floor((x - lo) / width * ?), ? - 1) / ?) AS bin_low, "
            f"any_value(lo + width * (least(floor((x - lo) / width * ?), ? - 1) + 1) / ?) AS bin_high, "
            f"count(*) FILTER (WHERE inside) AS inside, count(*) FILTER (WHERE NOT inside) AS outside "
            f"FROM r, b GROUP BY bin ORDER BY bin",
            [*params, *([bins] * 8)],
            predicates,
        ).df()

    def has_table(self, name: str) -> bool:
        return bool(
            self.con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]
            ).fetchall()[0][0]
        )

    def save_table(self, name: str, frame: pd.DataFrame) -> None:
        """Store a frame as a table (a cache of derived values)."""
        self._create_table(name, frame)

    def read_table(self, name: str, *, order_by: str | None = None) -> pd.DataFrame:
        """A stored table (e.g. a cache of derived values) as a frame."""
        order = f" ORDER BY {quote_identifier(order_by)}" if order_by else ""
        return self.con.execute(f"SELECT * FROM {quote_identifier(name)}{order}").df()

    # -- scans -------------------------------------------------------------------------------
    def new_scan_id(self) -> str:
        row = self.con.execute("SELECT count(*) FROM scans").fetchall()
        row = _first(row)
        assert row is not None
        number = int(row[0]) + 1
        while self.con.execute(
            "SELECT 1 FROM scans WHERE scan_id = ?", [f"scan{number}"]
        ).fetchall():
            number += 1
        return f"scan{number}"

    def save_scan(
        self,
        *,
        scan_id: str,
        eval_id: int,
        findings: Findings,
        started_at: str,
        seconds: float,
        timings: Mapping[str, float],
        discovery_mask: np.ndarray | None,
    ) -> None:
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(
                "INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    scan_id,
                    eval_id,
                    json.dumps(dict(findings.parameters), default=str),
                    started_at,
                    seconds,
                    findings.workbench_version,
                    findings.n_rows,
                    findings.n_evaluated,
                    _finite(findings.overall_error),
                    json.dumps(list(findings.notes)),
                    json.dumps(dict(timings)),
                ],
            )
            rows = [
                [
                    scan_id,
                    rank,
                    s.slice_id,
                    s.description,
                    s.sql_where,
                    s.slice_size,
                    _finite(s.slice_error),
                    _finite(s.score),
                    _finite(s.p_value_adjusted),
                    bool(s.significant),
                    json.dumps(s.to_dict(), default=str),
                ]
                for rank, s in enumerate(findings.slices, start=1)
            ]
            if rows:
                self.con.executemany(
                    "INSERT INTO scan_slices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
                )
            if discovery_mask is not None:
                mask = np.asarray(discovery_mask, dtype=bool)
                self.con.execute(
                    "INSERT INTO scan_splits VALUES (?, ?, ?)",
                    [scan_id, len(mask), np.packbits(mask).tobytes()],
                )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def append_slice(self, scan_id: str, slice_: Slice) -> Slice:
        """Add a person-defined slice to a stored scan, under the next free rank."""
        rows = self.con.execute(
            "SELECT coalesce(max(rank), 0) + 1 FROM scan_slices WHERE scan_id = ?", [scan_id]
        ).fetchall()
        rank = int(rows[0][0])
        saved = slice_.replace(slice_id=f"{scan_id}.s{rank}")
        self.con.execute(
            "INSERT INTO scan_slices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                scan_id,
                rank,
                saved.slice_id,
                saved.description,
                saved.sql_where,
                saved.slice_size,
                _finite(saved.slice_error),
                _finite(saved.score),
                _finite(saved.p_value_adjusted),
                bool(saved.significant),
                json.dumps(saved.to_dict(), default=str),
            ],
        )
        return saved

    def scans(self) -> pd.DataFrame:
        return self.con.execute(
            "SELECT s.scan_id, s.eval_id, m.name AS model, d.name AS dataset, e.metric, "
            "s.started_at, s.seconds, s.n_rows, s.n_evaluated, s.overall_error, "
            "(SELECT count(*) FROM scan_slices x WHERE x.scan_id = s.scan_id) AS n_slices, "
            "(SELECT count(*) FROM scan_slices x WHERE x.scan_id = s.scan_id AND x.significant) "
            "AS n_significant, s.parameters "
            "FROM scans s JOIN evaluations e USING (eval_id) JOIN models m USING (model_id) "
            "JOIN datasets d USING (dataset_id) ORDER BY s.started_at, s.scan_id"
        ).df()

    def scan_ids(self, eval_id: int | None = None) -> list[str]:
        if eval_id is None:
            rows = self.con.execute(
                "SELECT scan_id FROM scans ORDER BY started_at, scan_id"
            ).fetchall()
        else:
            rows = self.con.execute(
                "SELECT scan_id FROM scans WHERE eval_id = ? ORDER BY started_at, scan_id",
                [eval_id],
            ).fetchall()
        return [r[0] for r in rows]

    def load_scan(self, scan_id: str) -> tuple[Findings, int]:
        cur = self.con.execute("SELECT * FROM scans WHERE scan_id = ?", [scan_id])
        row = cur.fetchall()
        row = _first(row)
        if row is None:
            known = ", ".join(self.scan_ids()[-10:]) or "none yet (run bench.scan())"
            raise SliceNotFoundError(f"No scan {scan_id!r} in {self.path!r}. Scans: {known}.")
        scan = dict(zip([d[0] for d in cur.description], row, strict=True))
        evaluation = self.evaluation(int(scan["eval_id"]))
        flags = {
            r[0]: r[1]
            for r in self.con.execute(
                "SELECT slice_id, note FROM flags WHERE scan_id = ?", [scan_id]
            ).fetchall()
        }
        slices = []
        for (payload,) in self.con.execute(
            "SELECT slice FROM scan_slices WHERE scan_id = ? ORDER BY rank", [scan_id]
        ).fetchall():
            s = Slice.from_dict(json.loads(payload))
            if s.slice_id in flags:
                s = s.replace(flagged=True, flag_note=flags[s.slice_id] or "")
            else:
                s = s.replace(flagged=False, flag_note="")
            slices.append(s)
        findings = Findings(
            slices=tuple(slices),
            overall_error=math.nan
            if scan["overall_error"] is None
            else float(scan["overall_error"]),
            n_rows=int(scan["n_rows"]),
            n_evaluated=int(scan["n_evaluated"]),
            scan_id=scan_id,
            dataset_fingerprint=evaluation["dataset_fingerprint"],
            model_fingerprint=evaluation["model_fingerprint"],
            created_at=scan["started_at"],
            workbench_version=scan["workbench_version"],
            parameters=json.loads(scan["parameters"]),
            notes=tuple(json.loads(scan["notes"] or "[]")),
        )
        return findings, int(scan["eval_id"])

    def find_slice(self, slice_id: str) -> tuple[Slice, str]:
        row = self.con.execute(
            "SELECT scan_id FROM scan_slices WHERE slice_id = ?", [slice_id]
        ).fetchall()
        row = _first(row)
        if row is None:
            sample = [
                r[0]
                for r in self.con.execute(
                    "SELECT slice_id FROM scan_slices ORDER BY scan_id DESC, rank LIMIT 5"
                ).fetchall()
            ]
            raise SliceNotFoundError(
                f"No slice {slice_id!r} in {self.path!r}. Slice ids look like "
                f"{', '.join(sample) or 'scan1.s1 (none stored yet: run a scan first)'}."
            )
        findings, _ = self.load_scan(row[0])
        return findings.get(slice_id), row[0]

    def load_split(self, scan_id: str) -> np.ndarray | None:
        row = self.con.execute(
            "SELECT n_rows, discovery FROM scan_splits WHERE scan_id = ?", [scan_id]
        ).fetchall()
        if not row:
            return None
        n_rows, packed = row[0]
        return np.unpackbits(np.frombuffer(packed, dtype=np.uint8), count=int(n_rows)).astype(bool)

    # -- flags -------------------------------------------------------------------------------
    def set_flag(self, slice_id: str, scan_id: str, note: str) -> None:
        self.con.execute(
            "INSERT INTO flags VALUES (?, ?, ?, ?) ON CONFLICT (slice_id) DO UPDATE SET "
            "note = excluded.note, flagged_at = excluded.flagged_at",
            [slice_id, scan_id, note, now()],
        )

    def clear_flag(self, slice_id: str) -> None:
        self.con.execute("DELETE FROM flags WHERE slice_id = ?", [slice_id])


def _stored_predicate(
    feature: str, label: str, payload: str | None, interval: bool, labels: Sequence[str]
) -> Predicate:
    """A stored category's typed predicate (read from its label in older stores)."""
    if payload:
        return Predicate.from_dict(json.loads(payload))
    if not interval and label == OTHER:
        kept = [v for v in labels if v not in (OTHER, MISSING)]
        return Predicate.not_in(feature, kept)
    return Predicate.from_dict({"feature": feature, "value": label, "interval": interval})


def _first(rows: list[Any]) -> Any:
    """The first row of a fetched result, or None (results are always fetched whole)."""
    return rows[0] if rows else None


def _finite(value: float) -> float | None:
    return (
        None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value
    )
