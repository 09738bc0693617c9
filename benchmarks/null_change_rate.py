"""How often does an unchanged new side report a slice that got worse? (target: <= 5 % of runs)

The baseline and the new side are drawn from the same distribution (features and
errors independent), so every "significant" changed slice is a false discovery.
Runs ``--seeds`` pairs (default 1,000) per setting -- two datasets with 0/1 errors,
two datasets with weighted errors (word errors / reference words), and one dataset
with two models whose 0/1 errors are independent draws (paired) -- and prints the
share of runs with at least one significant slice::

    python benchmarks/null_change_rate.py --seeds 1000

Imports numpy and workbench.search.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from workbench.findings import Predicate
from workbench.search._change import ChangeSide, change_search


def one_run(seed: int, kind: str, n_rows: int) -> bool:
    rng = np.random.default_rng(seed)
    n_features = 5
    cards = [int(c) for c in rng.integers(2, 6, n_features)]

    def codes() -> tuple[np.ndarray, ...]:
        return tuple(rng.integers(0, c, n_rows) for c in cards)

    if kind == "paired 0/1 errors":
        shared = codes()
        base = ChangeSide(shared, (rng.random(n_rows) < 0.2).astype(float))
        new = ChangeSide(shared, (rng.random(n_rows) < 0.2).astype(float))
    elif kind == "0/1 errors":
        base = ChangeSide(codes(), (rng.random(n_rows) < 0.2).astype(float))
        new = ChangeSide(codes(), (rng.random(n_rows) < 0.2).astype(float))
    else:
        sides = []
        for _ in range(2):
            weights = rng.integers(1, 20, n_rows).astype(float)
            errors = rng.binomial(weights.astype(int), 0.15).astype(float)
            sides.append(ChangeSide(codes(), errors, weights))
        base, new = sides
    result = change_search(
        base,
        new,
        cardinalities=cards,
        predicates=[
            [Predicate.eq(f"f{j}", c) for c in range(card)] for j, card in enumerate(cards)
        ],
        paired=kind.startswith("paired"),
        min_support=max(1, int(0.01 * n_rows)),
    )
    return bool(result.significant)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=500, help="rows per side")
    args = parser.parse_args()
    print(f"{'setting':>20} | runs with a significant changed slice")
    for kind in ("0/1 errors", "weighted errors", "paired 0/1 errors"):
        started = time.perf_counter()
        hits = sum(one_run(seed, kind, args.rows) for seed in range(args.seeds))
        print(
            f"{kind:>20} | {hits}/{args.seeds} = {hits / args.seeds:.1%} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
