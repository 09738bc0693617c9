"""End to end from the DuckDB store versus the bare search, on planted data.

Builds a store of ``--rows`` x ``--features`` (string categories, so the store's
binning and dictionary codes are exercised), then times, in one run:

* ``search``: ``SliceSearch.fit_codes`` on the same integer codes, in memory;
* ``store scan``: ``Workbench.open(path).scan()`` — reading codes and errors out of
  DuckDB, the search, the statistics and saving the scan.

The target is ``store scan <= 2 x search + 3 s``. Usage::

    python benchmarks/bench_end_to_end.py --rows 1000000 --features 20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from planted import make_planted

import workbench as wb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    data = make_planted(args.rows, args.features, seed=args.seed)
    frame = pd.DataFrame(
        {
            f"f{j}": pd.Categorical.from_codes(data.codes[:, j], [f"v{c}" for c in range(card)])
            for j, card in enumerate(data.cardinalities)
        }
    )
    rng = np.random.default_rng(args.seed)
    frame["label"] = rng.integers(0, 2, args.rows)
    frame["pred"] = np.where(data.errors > 0, 1 - frame["label"], frame["label"])

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        t0 = time.perf_counter()
        wb.Workbench.from_predictions(frame, label="label", prediction="pred", path=path).close()
        ingest = time.perf_counter() - t0

        t0 = time.perf_counter()
        search = wb.SliceSearch().fit_codes(
            data.codes,
            data.errors,
            feature_names=data.feature_names,
            value_labels=[[f"v{c}" for c in range(card)] for card in data.cardinalities],
        )
        bare = time.perf_counter() - t0

        t0 = time.perf_counter()
        with wb.Workbench.open(path) as bench:
            findings = bench.scan()
        store = time.perf_counter() - t0

    same = [s.conditions for s in findings] == [s.conditions for s in search.findings_]
    print(f"{args.rows:,} rows x {args.features} features")
    print(f"  load into the store (once): {ingest:6.2f} s")
    print(f"  search in memory:           {bare:6.2f} s")
    print(
        f"  scan from the store:        {store:6.2f} s  "
        f"(target <= 2 x search + 3 s = {2 * bare + 3:.2f} s: "
        f"{'met' if store <= 2 * bare + 3 else 'MISSED'}; ratio {store / bare:.1f}x)"
    )
    print(f"  same slices as in memory:   {'yes' if same else 'no'}")


if __name__ == "__main__":
    main()
