"""Loading at disk speed: ``workbench scan FILE.parquet`` against DuckDB's own load.

For each size ``--rows`` x ``--features`` this script

1. writes the planted-slice parquet file of ``bench_scale.py`` (string categories
   ``v00``, ``v01``, ... stored as dictionaries; label and prediction columns);
2. times DuckDB's plain ``CREATE TABLE t AS SELECT * FROM read_parquet(file)`` into a new
   database file (the disk-speed reference), in a fresh process;
3. times ``Workbench.from_predictions(file)`` alone (**load**), in a fresh process;
4. times ``workbench scan FILE --label label --prediction pred --db STORE`` end to end
   (start of the command, load, search, statistics, saving, exit), in a fresh process;

and prints each child's wall time and peak RSS (``wait4``'s ``ru_maxrss``), and the ratio
of the end-to-end scan to DuckDB's plain load measured in the same run. Usage::

    python benchmarks/bench_load.py --rows 1000000 10000000 --features 20

The target: ``workbench scan`` within 3x DuckDB's plain load at 10M x 20, peak memory at
most 1.5 GB. The machine is shared, so the ratio within one run is the figure to read.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _child(code: str, *args: str) -> tuple[float, float, dict]:
    """Run a Python snippet in a fresh process: wall time from outside (start-up
    included), the process's peak RSS (MB) and what it printed last (JSON)."""
    wrapper = (
        "import json, resource, sys, time\n"
        f"{code}\n"
        "print(json.dumps({'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " **RESULT}))\n"
    )
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *args], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"failed: {code.strip().splitlines()[0]} ...")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds, float(got.pop("peak_mb")), got


PLAIN = """
import duckdb
con = duckdb.connect(sys.argv[2])
t0 = time.perf_counter()
con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)", [sys.argv[1]])
con.close()
RESULT = {"seconds": time.perf_counter() - t0}
"""

LOAD = """
import workbench as wb
t0 = time.perf_counter()
bench = wb.Workbench.from_predictions(sys.argv[1], label="label", prediction="pred", path=sys.argv[2])
bench.close()
RESULT = {"seconds": time.perf_counter() - t0}
"""

SCAN = """
from workbench.cli import main
t0 = time.perf_counter()
try:
    main(["scan", sys.argv[1], "--label", "label", "--prediction", "pred", "--db", sys.argv[2]])
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
RESULT = {"seconds": time.perf_counter() - t0}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", default=None, help="where the parquet and stores go")
    parser.add_argument("--no-load", action="store_true", help="skip the load-only run")
    args = parser.parse_args()

    from bench_scale import write_parquet

    print(
        "| rows × features | DuckDB plain load (s) | its peak RSS (MB) | load (s) | "
        "load peak RSS (MB) | `workbench scan` (s) | scan peak RSS (MB) | scan / plain load "
        "| load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        for n_rows in args.rows:
            data = Path(folder) / f"planted_{n_rows}.parquet"
            write_parquet(data, n_rows, args.features, args.seed)
            stores = [Path(folder) / f"{name}.duckdb" for name in ("plain", "load", "scan")]
            _, plain_mb, got = _child(PLAIN, str(data), str(stores[0]))
            plain = got["seconds"]
            load = load_mb = float("nan")
            if not args.no_load:
                _, load_mb, got = _child(LOAD, str(data), str(stores[1]))
                load = got["seconds"]
            # The scan is timed from outside: the command's start-up counts too.
            scan, scan_mb, _ = _child(SCAN, str(data), str(stores[2]))
            for store in stores:
                store.unlink(missing_ok=True)
                Path(f"{store}.wal").unlink(missing_ok=True)
            avg = "/".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"| {n_rows:,} × {args.features} | {plain:.2f} | {plain_mb:,.0f} | {load:.2f} | "
                f"{load_mb:,.0f} | {scan:.2f} | {scan_mb:,.0f} | {scan / plain:.2f}× | {avg} |",
                flush=True,
            )
            data.unlink()


if __name__ == "__main__":
    main()
