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

From the front door (a workbench store and the ``workbench scan`` command)::

    # 1. a store of N rows: a planted 1M-row parquet file loaded by Workbench.from_predictions,
    #    its rows (data, codes, predictions) repeated in SQL up to N rows
    python benchmarks/bench_out_of_core.py store /tmp/big.duckdb --rows 80000000
    # 2. workbench scan under the cap (auto picks DuckDB), then in memory without a cap
    python benchmarks/bench_out_of_core.py frontdoor /tmp/big.duckdb --cap 1100000000

Imports numpy, duckdb and workbench.
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


def make_store(path: str, rows: int, features: int = 20) -> None:
    """A workbench store of ``rows`` rows: a planted 1M-row file loaded the ordinary way,
    then its rows repeated in SQL (row ids shifted, in row order) up to ``rows``."""
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_scale import write_parquet

    import workbench as wb

    base = min(rows, 1_000_000)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "base.parquet"
        write_parquet(data, base, features, 0)
        wb.Workbench.from_predictions(
            str(data), label="label", prediction="pred", path=path
        ).close()
    loaded = time.perf_counter()
    con = duckdb.connect(path)
    tables = [
        name
        for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        if name.split("_")[0] in ("data", "codes", "eval") and name.split("_")[-1].isdigit()
    ]
    for copy in range(1, -(-rows // base)):
        take = min(base, rows - copy * base)
        for table in tables:
            con.execute(
                f"INSERT INTO {table} SELECT * REPLACE (__wb_row_id + {copy * base} AS "
                f"__wb_row_id) FROM {table} WHERE __wb_row_id < {take} ORDER BY __wb_row_id"
            )
    con.execute("UPDATE datasets SET n_rows = ?", [rows])
    con.execute("UPDATE evaluations SET n_rows = ?", [rows])
    con.execute("CHECKPOINT")
    con.close()
    print(
        json.dumps(
            {
                "rows": rows,
                "file_gb": round(os.path.getsize(path) / 1e9, 2),
                "load_s": round(loaded - started, 1),
                "grow_s": round(time.perf_counter() - loaded, 1),
            }
        )
    )


def frontdoor(path: str, cap: int) -> None:
    """``workbench scan STORE`` under an address-space cap, then with the numpy engine and
    no cap; prints both runs and whether their slices agree."""
    import subprocess
    import sys

    def scan(extra: list[str], capped: bool) -> dict:
        command = [sys.executable, "-m", "workbench", "scan", path, "--json", *extra]
        if capped:
            command = ["prlimit", f"--as={cap}", *command]
        env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
        wrapped = [
            sys.executable,
            "-c",
            "import resource, subprocess, sys, time, json; t = time.perf_counter(); "
            "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; "
            "print(json.dumps({'rc': done.returncode, 'seconds': time.perf_counter() - t, "
            "'peak_mb': peak, 'out': done.stdout, 'err': done.stderr[-2000:]}))",
            *command,
        ]
        done = subprocess.run(wrapped, capture_output=True, text=True, env=env, check=True)
        return json.loads(done.stdout)

    size = os.path.getsize(path)
    capped = scan([], capped=True)
    memory = scan(["--engine", "numpy"], capped=False)
    keys = ("predicates", "slice_size", "stats_size", "p_value")
    rows = []
    for run in (capped, memory):
        if run["rc"] != 0:
            rows.append(None)
            sys.stderr.write(run["err"])
            continue
        rows.append([[r[k] for k in keys] for r in json.loads(run["out"])])
    notes = [line for line in capped["err"].splitlines() if "Counted with" in line]
    print(
        json.dumps(
            {
                "store_gb": round(size / 1e9, 2),
                "cap_gb": round(cap / 1e9, 2),
                "store_over_cap": round(size / cap, 2),
                "capped_s": round(capped["seconds"], 1),
                "capped_peak_mb": round(capped["peak_mb"]),
                "memory_s": round(memory["seconds"], 1),
                "memory_peak_mb": round(memory["peak_mb"]),
                "same_findings": rows[0] is not None and rows[0] == rows[1],
                "engine_note": notes,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["make", "search", "memory", "store", "frontdoor"])
    parser.add_argument("path")
    parser.add_argument("--rows", type=int, default=110_000_000)
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    parser.add_argument("--cap", type=int, default=1_100_000_000, help="address space, bytes")
    args = parser.parse_args()
    if args.step == "make":
        make(args.path, args.rows)
    elif args.step == "search":
        search_streamed(args.path, args.batch_rows)
    elif args.step == "store":
        make_store(args.path, args.rows)
    elif args.step == "frontdoor":
        frontdoor(args.path, args.cap)
    else:
        search_in_memory(args.path)


if __name__ == "__main__":
    main()
