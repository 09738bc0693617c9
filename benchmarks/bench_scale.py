"""One table, one run: load, search and end to end per engine and cores, with ratios.

For each size ``--rows`` x ``--features`` this script

1. writes a planted-slice parquet file (string categories ``v00``, ``v01``, ... so the
   store's dictionary encoding is exercised; label and prediction columns; generated in
   chunks of 1M rows, so 100M or 1B rows never sit in memory at once);
2. times DuckDB's own ``CREATE TABLE t AS SELECT * FROM read_parquet(file)`` (the
   disk-speed reference for loading);
3. for each engine (``numpy:1``, ``numpy:2``, ``duckdb:1``, ``spark:2`` = engine:cores;
   ``numpy:1:bincount`` counts with numpy's ``bincount`` instead of the compiled kernels,
   and shares ``n_jobs`` out between processes), runs in a fresh process: ``Workbench.from_predictions(file)`` (load), then
   ``bench.scan(engine=..., n_jobs=...)`` (search, with the statistics and saving), and
   records the process's peak RSS (its worker processes included);
4. runs the brute-force oracle (every conjunction of up to 3 predicates enumerated,
   one ``bincount`` per feature tuple, no pruning) and ``SliceSearch.fit_codes(confirm=False)`` on the same codes in one
   process, and checks they return the same top-k ("exact").

Every engine must return the same findings as the first one listed (same slices, sizes and
p-values); the table says so. The oracle ratio is SliceLine's exact top-k
(``ranking="sliceline", distinct=False, confirm=False``, in-sample statistics of every
evaluated slice included) against the oracle, best of three, by wall time and by CPU time
(on a shared machine the CPU-time ratio is the one to read). Usage (this machine: 2 cores)::

    python benchmarks/bench_scale.py --rows 100000 1000000 --features 10 20 \
        --engines numpy:1 numpy:2 duckdb:1 spark:2 --skip-above spark:2=100000

100M and 1B rows on a bigger machine (e.g. 16 cores), unchanged except for the sizes and
cores; ``auto`` lets ``scan()`` choose (DuckDB streamed when the codes do not fit memory)::

    python benchmarks/bench_scale.py --rows 100000000,1000000000 --features 20 \
        --engines auto:16 duckdb:16 numpy:16 spark:16 --skip-above numpy:16=100000000 \
        --folder /big/disk

The parquet file is written in 1M-row chunks (never all in memory; about 25 bytes a row on
disk), DuckDB's plain load and the ``duckdb``/``auto`` scans stream, and the oracle is
skipped above ``--no-oracle-above`` rows (it needs all codes in memory). The loading step
is ``Workbench.from_predictions(file)``, so at 1B rows it takes what the loader takes
(memory included). Load averages are printed with each row: figures taken while other jobs
share the cores are upper bounds, and the ratios (measured in the same run) are the
figures to compare.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CHUNK = 1_000_000


def _structure(n_features: int, seed: int) -> tuple[np.ndarray, list[tuple[tuple[int, int], ...]]]:
    from planted import make_planted

    small = make_planted(5000, n_features, seed=seed)
    return np.asarray(small.cardinalities), list(small.planted)


def write_parquet(path: Path, n_rows: int, n_features: int, seed: int) -> None:
    """Planted data in chunks: uniform codes, 10 % base error, 70 % inside planted slices."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cards, planted = _structure(n_features, seed)
    writer = None
    for start in range(0, n_rows, CHUNK):
        rows = min(CHUNK, n_rows - start)
        rng = np.random.default_rng([seed, start // CHUNK])
        codes = [rng.integers(0, c, rows, dtype=np.uint8) for c in cards]
        inside = np.zeros(rows, dtype=bool)
        for conj in planted:
            mask = np.ones(rows, dtype=bool)
            for f, c in conj:
                mask &= codes[f] == c
            inside |= mask
        wrong = rng.random(rows) < np.where(inside, 0.7, 0.1)
        label = rng.integers(0, 2, rows, dtype=np.int8)
        columns = {}
        for j, (col, card) in enumerate(zip(codes, cards, strict=True)):
            dictionary = pa.array([f"v{c:02d}" for c in range(card)])
            columns[f"f{j}"] = pa.DictionaryArray.from_arrays(pa.array(col, pa.int8()), dictionary)
        columns["label"] = pa.array(label)
        columns["pred"] = pa.array(np.where(wrong, 1 - label, label).astype(np.int8))
        table = pa.table(columns)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024  # KB on Linux; workers counted on top of the parent


def child_engine(args: argparse.Namespace) -> None:
    import workbench as wb
    from workbench.search import _kernels

    _kernels.ENABLED = not args.no_kernels

    session = None
    if args.engine == "spark":
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master(f"local[{args.n_jobs}]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
    t0 = time.perf_counter()
    bench = wb.Workbench.from_predictions(args.file, label="label", prediction="pred", path=args.db)
    t1 = time.perf_counter()
    findings = bench.scan(engine=args.engine, n_jobs=args.n_jobs, spark=session)
    t2 = time.perf_counter()
    bench.close()
    from workbench.search import _parallel

    _parallel._stop_workers()
    peak = _peak_mb()
    if session is not None:
        session.stop()
    print(
        json.dumps(
            {
                "load": t1 - t0,
                "search": t2 - t1,
                "total": t2 - t0,
                "peak_mb": peak,
                "engine_note": [n for n in findings.notes if n.startswith("Counted with")],
                "slices": [
                    [s.description, s.slice_size, s.stats_size, s.p_value] for s in findings
                ],
            }
        )
    )


def oracle_top_k(
    codes: list[np.ndarray], cards: list[int], errors: np.ndarray, *, alpha: float, k: int,
    max_predicates: int, min_support: int,
) -> list[tuple[tuple[tuple[int, int], ...], float]]:  # fmt: skip
    """Every conjunction enumerated (no pruning), one histogram per feature tuple; ranked
    like ``tests/search/_brute.py`` (score, then fewer predicates, then (feature, code))."""
    n = len(errors)
    overall = errors.sum() / n
    nonzero = np.flatnonzero(errors)
    found = []
    for level in range(1, max_predicates + 1):
        for feats in itertools.combinations(range(len(codes)), level):
            key = np.zeros(n, dtype=np.int64)
            for f in feats:
                key = key * cards[f] + codes[f]
            bins = int(np.prod([cards[f] for f in feats]))
            size = np.bincount(key, minlength=bins)
            err = np.bincount(key[nonzero], weights=errors[nonzero], minlength=bins)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = (err / size) / overall
                score = alpha * (ratio - 1) - (1 - alpha) * (n / size - 1)
                keep = (size >= min_support) & (
                    score > 1e-12 * (alpha * ratio + (1 - alpha) * n / size)
                )
            for v in np.flatnonzero(keep):
                values, rest = [], int(v)
                for f in reversed(feats):
                    values.append(rest % cards[f])
                    rest //= cards[f]
                found.append((tuple(zip(feats, reversed(values), strict=True)), float(score[v])))
    found.sort(key=lambda item: (-item[1], len(item[0]), item[0]))
    if len(found) > k:
        kth = found[k - 1][1]
        found = [item for item in found if item[1] >= kth - 1e-12 * abs(kth)]
    return found


def child_oracle(args: argparse.Namespace) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from workbench.search import SliceSearch

    table = pq.read_table(args.file)
    names = [c for c in table.column_names if c.startswith("f")]
    codes = np.column_stack(
        [
            pc.cast(
                pc.utf8_slice_codeunits(pc.cast(table.column(n), pa.string()), 1), pa.uint8()
            ).to_numpy()
            for n in names
        ]
    )
    label = table.column("label").to_numpy()
    errors = (table.column("pred").to_numpy() != label).astype(float)
    cards = [int(codes[:, j].max()) + 1 for j in range(codes.shape[1])]
    min_support = max(1, int(0.01 * len(errors)))
    labels = [list(range(c)) for c in cards]
    # SliceLine's exact top-k (what the oracle enumerates), in-sample statistics included;
    # best of three (wall and CPU time each), as the oracle's.
    search_wall, search_cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        search = SliceSearch(confirm=False, ranking="sliceline", distinct=False).fit_codes(
            codes, errors, feature_names=names, value_labels=labels
        )
        search_wall.append(time.perf_counter() - t0)
        search_cpu.append(time.process_time() - c0)
    columns = [np.ascontiguousarray(codes[:, j]) for j in range(codes.shape[1])]
    oracle_wall, oracle_cpu = [], []
    for _ in range(3 if len(errors) <= 1_000_000 else 1):
        t0, c0 = time.perf_counter(), time.process_time()
        expected = oracle_top_k(
            columns, cards, errors, alpha=0.95, k=10, max_predicates=3, min_support=min_support
        )
        oracle_wall.append(time.perf_counter() - t0)
        oracle_cpu.append(time.process_time() - c0)
    got = [
        tuple((int(p.feature[1:]), int(p.value)) for p in s.predicates) for s in search.findings_
    ]
    print(
        json.dumps(
            {
                "search": min(search_wall),
                "search_cpu": min(search_cpu),
                "oracle": min(oracle_wall),
                "oracle_cpu": min(oracle_cpu),
                "exact": got == [key for key, _ in expected],
            }
        )
    )


def _run_child(argv: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *argv], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _load_avg() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _sizes(values: list[str]) -> list[int]:
    """``100000 1000000`` or ``100000,1000000`` (or both mixed)."""
    return [int(v) for value in values for v in value.split(",") if v]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    sub = parser.add_subparsers(dest="mode")
    one = sub.add_parser("engine")
    one.add_argument("--file", required=True)
    one.add_argument("--db", required=True)
    one.add_argument("--engine", required=True)
    one.add_argument("--n-jobs", type=int, default=1)
    one.add_argument("--no-kernels", action="store_true")
    oracle = sub.add_parser("oracle")
    oracle.add_argument("--file", required=True)
    parser.add_argument("--rows", nargs="+", default=["100000", "1000000"])
    parser.add_argument("--features", nargs="+", default=["20"])
    parser.add_argument("--engines", nargs="+", default=["numpy:1", "numpy:2", "duckdb:1"])
    parser.add_argument(
        "--skip-above",
        nargs="*",
        default=[],
        metavar="ENGINE:CORES=ROWS",
        help="skip an engine above this many rows, e.g. spark:2=100000",
    )
    parser.add_argument("--no-oracle-above", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", default=None, help="where the parquet and stores go")
    args = parser.parse_args()
    if args.mode == "engine":
        return child_engine(args)
    if args.mode == "oracle":
        return child_oracle(args)

    import duckdb

    max_rows = {k: int(v) for k, v in (item.split("=") for item in args.skip_above)}
    print(
        "| rows × features | engine | cores | load (s) | search (s) | end to end (s) | "
        "peak RSS (MB) | load / DuckDB load | oracle / search: wall (CPU) | exact | "
        "same as first engine | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        for n_rows in _sizes(args.rows):
            for n_features in _sizes(args.features):
                _one_size(args, folder, n_rows, n_features, max_rows, duckdb)


def _one_size(
    args: argparse.Namespace,
    folder: str,
    n_rows: int,
    n_features: int,
    max_rows: dict[str, int],
    duckdb: Any,
) -> None:
    data = Path(folder) / f"planted_{n_rows}_{n_features}.parquet"
    write_parquet(data, n_rows, n_features, args.seed)
    db = Path(folder) / "plain.duckdb"
    con = duckdb.connect(str(db))
    t0 = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)", [str(data)])
    plain = time.perf_counter() - t0
    con.close()
    db.unlink()
    oracle: dict = {}
    if n_rows <= args.no_oracle_above:
        oracle = _run_child(["oracle", "--file", str(data)])
    ratio = "–"
    if "oracle" in oracle:
        ratio = (
            f"{oracle['oracle'] / oracle['search']:.1f}× "
            f"({oracle['oracle_cpu'] / oracle['search_cpu']:.1f}×: "
            f"{oracle['oracle_cpu']:.3f} / {oracle['search_cpu']:.3f} s)"
        )
    exact = {True: "yes", False: "NO"}.get(oracle.get("exact"), "–")  # type: ignore[call-overload]
    reference = None
    shown = False
    for spec in args.engines:
        if n_rows > max_rows.get(spec, n_rows):
            continue
        engine, cores, *variant = spec.split(":")
        label = engine + (f" ({variant[0]})" if variant else "")
        store = Path(folder) / f"{engine}_{cores}.duckdb"
        got = _run_child(
            ["engine", "--file", str(data), "--db", str(store), "--engine", engine,
             "--n-jobs", cores, *(["--no-kernels"] if variant == ["bincount"] else [])]
        )  # fmt: skip
        store.unlink(missing_ok=True)
        shutil.rmtree(str(store) + ".spark", ignore_errors=True)
        if "error" in got:
            print(f"| {n_rows:,} × {n_features} | {label} | {cores} | failed: {got['error']} |")
            continue
        if reference is None:
            reference = got["slices"]
        same = _same(got["slices"], reference)
        print(
            f"| {n_rows:,} × {n_features} | {label} | {cores} | {got['load']:.2f} | "
            f"{got['search']:.2f} | {got['total']:.2f} | {got['peak_mb']:,.0f} | "
            f"{got['load'] / plain:.1f}× ({plain:.2f} s) | {ratio if not shown else '〃'} | "
            f"{exact if not shown else '〃'} | {'yes' if same else 'NO'} | {_load_avg()} |",
            flush=True,
        )
        shown = True
    data.unlink()


def _same(a: list, b: list) -> bool:
    if [x[:3] for x in a] != [x[:3] for x in b]:
        return False
    return bool(np.allclose([x[3] for x in a], [x[3] for x in b], rtol=1e-9, atol=0))


if __name__ == "__main__":
    main()
