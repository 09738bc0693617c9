"""Out-of-core demonstration: search a DuckDB file larger than the process's memory.

Two steps, each its own process::

    # 1. write the DuckDB file (planted slices, continuous errors), once
    python benchmarks/bench_out_of_core.py make /tmp/ooc.duckdb --rows 140000000
    # 2. search it streamed, under a hard address-space cap, and print the top-k
    MALLOC_ARENA_MAX=2 prlimit --as=1100000000 \
        python benchmarks/bench_out_of_core.py search /tmp/ooc.duckdb --batch-rows 250000
    # 3. the same search in memory (no cap), to compare
    python benchmarks/bench_out_of_core.py memory /tmp/ooc.duckdb

``search`` streams Arrow record batches (``SliceSearch.fit_duckdb``) with DuckDB's
own ``memory_limit`` set low; ``memory`` loads the columns into numpy and calls
``fit_codes``. Both print JSON lines with the slices, scores, seconds and peak RSS.
Imports numpy, duckdb and workbench.search.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

import duckdb
import numpy as np

from workbench.search import SliceSearch

CARDS = [3, 5, 8, 12, 19, 2, 7, 15, 11, 4]
NAMES = [f"f{j}" for j in range(len(CARDS))]
LABELS = [list(range(c)) for c in CARDS]


def make(path: str, rows: int) -> None:
    con = duckdb.connect(path)
    features = ", ".join(
        f"(hash(i * {j + 7}) % {c})::UTINYINT AS f{j}" for j, c in enumerate(CARDS)
    )
    con.execute(f"CREATE OR REPLACE TABLE staging AS SELECT {features} FROM range({rows}) r(i)")
    # continuous errors (a squared-error-like loss); planted slices err more
    con.execute(
        """
        CREATE OR REPLACE TABLE rows AS
        SELECT *, random() * random() * CASE
            WHEN f4 = 3 THEN 6.0
            WHEN f0 = 1 AND f3 = 2 THEN 5.0
            WHEN f1 = 0 AND f5 = 1 AND f9 = 2 THEN 4.0
            ELSE 1.0 END AS error
        FROM staging
        """
    )
    con.execute("DROP TABLE staging")
    con.execute("CHECKPOINT")
    con.close()
    print(json.dumps({"rows": rows, "file_gb": os.path.getsize(path) / 1e9}))


def _report(search: SliceSearch, seconds: float, mode: str) -> None:
    print(
        json.dumps(
            {
                "mode": mode,
                "seconds": round(seconds, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "address_space_cap_mb": _cap_mb(),
                "n_rows": search.findings_.n_rows,
                "slices": [s.description for s in search.findings_],
                "scores": [s.score for s in search.findings_],
                "timings": {k: round(v, 1) for k, v in search.timings_.items()},
            }
        )
    )


def _cap_mb() -> float | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft / 2**20


def search_streamed(path: str, batch_rows: int) -> None:
    con = duckdb.connect(path, read_only=True)
    con.execute("SET memory_limit = '64MB'")
    con.execute("SET threads = 1")
    started = time.perf_counter()
    search = SliceSearch().fit_duckdb(
        con,
        "rows",
        feature_columns=NAMES,
        error_column="error",
        value_labels=LABELS,
        batch_rows=batch_rows,
    )
    _report(search, time.perf_counter() - started, "streamed from DuckDB")


def search_in_memory(path: str) -> None:
    con = duckdb.connect(path, read_only=True)
    started = time.perf_counter()
    columns = [con.execute(f"SELECT {name} FROM rows").fetchnumpy()[name] for name in NAMES]
    errors = con.execute("SELECT error FROM rows").fetchnumpy()["error"]
    loaded = time.perf_counter()
    search = SliceSearch().fit_codes(
        [np.asarray(c) for c in columns],
        np.asarray(errors),
        feature_names=NAMES,
        value_labels=LABELS,
    )
    _report(search, time.perf_counter() - loaded, f"in memory (load {loaded - started:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["make", "search", "memory"])
    parser.add_argument("path")
    parser.add_argument("--rows", type=int, default=110_000_000)
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.step == "make":
        make(args.path, args.rows)
    elif args.step == "search":
        search_streamed(args.path, args.batch_rows)
    else:
        search_in_memory(args.path)


if __name__ == "__main__":
    main()
