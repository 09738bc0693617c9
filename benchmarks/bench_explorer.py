"""How fast the explorer opens and drills into a slice on a store of a million rows.

Builds a synthetic table (15 features, a planted failing slice), stores it in a
DuckDB file, scans it, then times:

* opening the explorer: constructing the widget and its first state (chart,
  table page) — target under 2 s;
* selecting a slice: the drill-down computed (metrics, confusion matrix, feature
  distributions, first page of member rows) — target under 2 s;
* a refine step (one added condition, evaluated by DuckDB) and one CSV export of
  flagged slices, for reference.

Run ``python benchmarks/bench_explorer.py [--rows 1000000] [--repeat 3]``.
Timings are the best of ``--repeat`` runs, in seconds; the browser is not involved
(what it receives is one page of rows and the chart's bars).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import workbench as wb
from workbench.widgets import Explorer

TARGET_SECONDS = 2.0


def synthetic(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """15 features (8 categorical, 7 numeric) and a model that fails on one slice."""
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    for i in range(8):
        k = 3 + i  # 3..10 categories
        data[f"cat_{i}"] = rng.choice([f"v{j}" for j in range(k)], n_rows)
    for i in range(7):
        data[f"num_{i}"] = rng.normal(50, 15, n_rows).round(1)
    frame = pd.DataFrame(data)
    frame["label"] = rng.integers(0, 2, n_rows)
    bad = (frame["cat_0"] == "v1") & (frame["cat_3"] == "v2")
    flip = np.where(bad, rng.random(n_rows) < 0.4, rng.random(n_rows) < 0.1)
    frame["prediction"] = np.where(flip, 1 - frame["label"], frame["label"])
    return frame


def best_of(repeat: int, action: Callable[[], object]) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        started = time.perf_counter()
        frame = synthetic(args.rows)
        bench = wb.Workbench.from_predictions(
            frame, label="label", prediction="prediction", path=path
        )
        build = time.perf_counter() - started
        started = time.perf_counter()
        findings = bench.scan(k=10, max_predicates=3, min_support=0.01)
        scan = time.perf_counter() - started
        print(f"rows: {bench.n_rows:,}  features: {len(bench.features)}  slices: {len(findings)}")
        print(f"build store: {build:6.2f} s   scan: {scan:6.2f} s   (setup, not the explorer)")

        explorers: list[Explorer] = []
        open_best, open_all = best_of(args.repeat, lambda: explorers.append(Explorer(bench)))
        explorer = explorers[-1]
        ids = [s.slice_id for s in findings]

        def select() -> None:
            # A different slice each time, so nothing is served from a previous drill-down.
            explorer.table.selected = ""
            explorer.select(ids[len(select_times) % len(ids)])
            select_times.append(0)

        select_times: list[int] = []
        select_best, select_all = best_of(args.repeat, select)
        assert explorer.current is not None and explorer.drill.layout.display is None

        feature = next(f for f in bench.features["feature"] if f not in explorer.current.conditions)
        explorer.refine_feature.value = feature
        refine_best, _ = best_of(1, lambda: explorer.refine_add.click())
        explorer.refine_reset.click()
        explorer.flag(True, "benchmark")
        export_best, _ = best_of(1, explorer.export_flagged)
        page_bytes = len(str(explorer.table.get_state()["rows"])) + len(explorer.rows_html.value)

        print()
        print(f"{'step':<34}{'best':>8}{'median':>9}   target")
        for name, best, times in (
            ("open the explorer", open_best, open_all),
            ("select a slice (drill-down)", select_best, select_all),
        ):
            verdict = "ok" if best < TARGET_SECONDS else "SLOW"
            print(
                f"{name:<34}{best:8.3f}{statistics.median(times):9.3f}   < {TARGET_SECONDS} s {verdict}"
            )
        print(f"{'refine (add a condition)':<34}{refine_best:8.3f}")
        print(f"{'export flagged slices (CSV)':<34}{export_best:8.3f}")
        print(f"table page + member rows sent to the browser: {page_bytes / 1000:.1f} kB")
        bench.close()


if __name__ == "__main__":
    main()
