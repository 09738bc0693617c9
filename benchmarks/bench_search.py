"""Time and peak memory of SliceSearch.fit_codes versus PyPI sliceline on planted data.

Run from the repository root::

    python benchmarks/bench_search.py            # 100k x 10, 100k x 20, 1M x 10, 1M x 20
    python benchmarks/bench_search.py --full     # adds 10M x 20
    python benchmarks/bench_search.py --no-sliceline

Every measurement runs in its own subprocess (fresh peak RSS from
``resource.getrusage``); sliceline runs under ``RLIMIT_AS`` (8 GB by default) and a
timeout, and is reported as OOM / timeout when it does not finish. Settings: alpha
0.95, k 10, at most 3 predicates, min support 1 %, all rows searched (confirm=False,
so both tools see the same rows). Imports numpy, workbench.search and (in its
subprocess only) sliceline.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

SIZES = [(100_000, 10), (100_000, 20), (1_000_000, 10), (1_000_000, 20)]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(tool: str, n_rows: int, n_features: int, seed: int) -> dict:
    from planted import make_planted

    data = make_planted(n_rows, n_features, seed=seed)
    before = _peak_mb()
    if tool == "ours":
        from workbench.search import SliceSearch

        columns = data.columns()
        started = time.perf_counter()
        search = SliceSearch(alpha=0.95, k=10, max_predicates=3, min_support=0.01, confirm=False)
        search.fit_codes(
            columns,
            data.errors,
            feature_names=data.feature_names,
            value_labels=data.value_labels,
        )
        seconds = time.perf_counter() - started
        slices = [
            sorted((int(p.feature[1:]), int(p.value)) for p in s.predicates)
            for s in search.findings_
        ]
        scores = [s.score for s in search.findings_]
        extra = {"n_evaluated": search.n_evaluated_}
    else:
        import warnings

        warnings.simplefilter("ignore")
        from sliceline.slicefinder import Slicefinder

        started = time.perf_counter()
        finder = Slicefinder(alpha=0.95, k=10, max_l=3, min_sup=0.01, verbose=False)
        finder.fit(data.codes, data.errors)
        seconds = time.perf_counter() - started
        slices = [
            sorted((j, int(v)) for j, v in enumerate(row) if v is not None)
            for row in finder.top_slices_
        ]
        scores = [s["slice_score"] for s in finder.top_slices_statistics_]
        extra = {}
    planted = [sorted(p) for p in data.planted]
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "data_mb": before,
        "slices": slices,
        "scores": scores,
        "planted_found": sum(p in slices for p in planted),
        "n_planted": len(planted),
        **extra,
    }


def measure(tool: str, n_rows: int, n_features: int, seed: int, cap_gb: float, timeout: float):
    code = (
        f"import json, sys; sys.path.insert(0, {HERE!r}); import bench_search as b; "
        f"print(json.dumps(b.child({tool!r}, {n_rows}, {n_features}, {seed})))"
    )

    def limit() -> None:
        if tool == "sliceline":
            cap = int(cap_gb * 1024**3)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE))
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {"status": f"timeout > {timeout:.0f} s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["?"]
        status = "OOM" if "MemoryError" in done.stderr or "memory" in tail[0].lower() else tail[0]
        return {"status": f"{status} (cap {cap_gb:g} GB)" if status == "OOM" else status}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["status"] = "ok"
    return result


def _found(result: dict) -> str:
    if result["status"] != "ok":
        return ""
    return f", {result['planted_found']}/{result['n_planted']} (sl)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add 10M rows x 20 features")
    parser.add_argument("--no-sliceline", action="store_true")
    parser.add_argument("--cap-gb", type=float, default=8.0, help="sliceline's RLIMIT_AS")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = SIZES + ([(10_000_000, 20)] if args.full else [])
    header = (
        f"{'rows x features':>16} | {'ours s':>7} | {'ours MB':>8} | {'sliceline':>22} | "
        f"{'speed-up':>8} | planted found | same top-k"
    )
    print(header)
    print("-" * len(header))
    for n_rows, n_features in sizes:
        ours = measure("ours", n_rows, n_features, args.seed, args.cap_gb, args.timeout)
        theirs = (
            {"status": "skipped"}
            if args.no_sliceline
            else measure("sliceline", n_rows, n_features, args.seed, args.cap_gb, args.timeout)
        )
        if theirs["status"] == "ok":
            other = f"{theirs['seconds']:.2f} s {theirs['peak_mb']:.0f} MB"
            ratio = f"{theirs['seconds'] / ours['seconds']:.0f}x"
            same = sorted(map(str, ours["slices"])) == sorted(map(str, theirs["slices"]))
            same_text = "yes" if same else "NO"
        else:
            other, ratio, same_text = theirs["status"], "-", "-"
        print(
            f"{n_rows:>9,} x {n_features:<4} | {ours['seconds']:7.2f} | {ours['peak_mb']:8.0f} | "
            f"{other:>22} | {ratio:>8} | {ours['planted_found']}/{ours['n_planted']} (ours)"
            f"{_found(theirs)}"
            f" | {same_text}",
            flush=True,
        )


if __name__ == "__main__":
    main()
