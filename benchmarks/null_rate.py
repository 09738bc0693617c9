"""How often does pure-noise data report a significant slice? (target: <= 5 % of runs)

Errors are drawn independently of the features, so every reported "significant"
slice is a false discovery. Runs ``--seeds`` data sets (default 1,000) per setting
and prints the share of runs with at least one significant slice::

    python benchmarks/null_rate.py --seeds 1000

Imports numpy and workbench.search.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from workbench.search import SliceSearch


def one_run(seed: int, kind: str, n_rows: int, confirm: bool) -> bool:
    rng = np.random.default_rng(seed)
    n_features = 5
    cards = rng.integers(2, 6, n_features)
    codes = np.column_stack([rng.integers(0, c, n_rows) for c in cards])
    weights = None
    if kind == "0/1 errors":
        errors = (rng.random(n_rows) < 0.2).astype(float)
    elif kind == "continuous errors":
        errors = rng.exponential(1.0, n_rows) * (rng.random(n_rows) < 0.5)
    else:  # word errors / reference words
        weights = rng.integers(1, 20, n_rows).astype(float)
        errors = rng.binomial(weights.astype(int), 0.15).astype(float)
    search = SliceSearch(confirm=confirm, min_confirm_rows=0).fit_codes(
        codes,
        errors,
        weights,
        feature_names=[f"f{j}" for j in range(n_features)],
        value_labels=[list(range(c)) for c in cards],
    )
    return any(s.significant for s in search.findings_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=300)
    args = parser.parse_args()
    print(f"{'errors':>20} | {'statistics':>18} | runs with a significant slice")
    for kind in ("0/1 errors", "continuous errors", "weighted errors"):
        for confirm in (False, True):
            started = time.perf_counter()
            hits = sum(one_run(seed, kind, args.rows, confirm) for seed in range(args.seeds))
            where = "confirmation split" if confirm else "in-sample"
            print(
                f"{kind:>20} | {where:>18} | {hits}/{args.seeds} = {hits / args.seeds:.1%} "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
