"""Null rate and power of the default scan, per ranking and per kind of metric.

* Null rate: errors drawn independently of 5 features (cardinality 2-5); a run
  fails if it reports any significant slice. Target: <= 5 % of runs.
* Power: the same features plus a planted group (a 2-3 % minority: one value of a
  10-valued feature, or a conjunction) whose error is twice the base rate; a run
  recovers it if a significant reported slice is the group or a near-duplicate of
  it (Jaccard >= 0.5 over the rows, or the group among its alternative descriptions).

Default scan parameters (distinct groups, confirmation split from 2,000 rows on,
min_support 1 % with a 20-row floor, min_errors 5)::

    python benchmarks/audit_rates.py null --seeds 1000 --rows 5000 50000
    python benchmarks/audit_rates.py power --seeds 200 --rows 5000

``--jobs 2`` runs the seeds in two processes (each scan itself counts in one).

Metrics: ``0/1`` (error rate, base 20 %), ``fnr`` (false-negative rate: the search
runs over the positives only, as the workbench does for fairness rates; base 20 %),
``continuous`` (zero-inflated exponential error) and ``weighted`` (word errors over
reference words). Imports numpy and workbench.search.
"""

from __future__ import annotations

import argparse
import functools
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from workbench.search import SliceSearch

RANKINGS = ("excess", "sliceline")
KINDS = ("0/1", "fnr", "continuous", "weighted")


def _data(seed: int, n_rows: int, kind: str, planted: bool):
    rng = np.random.default_rng(seed)
    cards = [10, *rng.integers(2, 6, 4).tolist()]
    codes = np.column_stack([rng.integers(0, c, n_rows) for c in cards])
    # the minority: value 0 of feature 0 holds 2-3 % of the rows (the others share the rest)
    share = rng.uniform(0.02, 0.03)
    codes[:, 0] = np.where(rng.random(n_rows) < share, 0, rng.integers(1, 10, n_rows))
    group = codes[:, 0] == 0
    factor = np.where(group & planted, 2.0, 1.0)
    weights = None
    if kind in ("0/1", "fnr"):
        if kind == "fnr":  # half the rows are positives; FNR is measured on them only
            positive = rng.random(n_rows) < 0.5
            codes, group, factor = codes[positive], group[positive], factor[positive]
        errors = (rng.random(len(codes)) < 0.2 * factor).astype(float)
    elif kind == "continuous":
        errors = rng.exponential(factor) * (rng.random(n_rows) < 0.5)
    else:
        weights = rng.integers(1, 20, n_rows).astype(float)
        errors = rng.binomial(weights.astype(int), 0.15 * factor).astype(float)
    return codes, cards, errors, weights, group


def one_run(seed: int, n_rows: int, kind: str, ranking: str, planted: bool) -> bool:
    codes, cards, errors, weights, group = _data(seed, n_rows, kind, planted)
    search = SliceSearch(ranking=ranking).fit_codes(
        codes,
        errors,
        weights,
        feature_names=[f"f{j}" for j in range(len(cards))],
        value_labels=[list(range(c)) for c in cards],
    )
    significant = [
        (s, alt)
        for s, alt in zip(search.findings_, search.alternatives_, strict=True)
        if s.significant
    ]
    if not planted:
        return bool(significant)
    for s, alternatives in significant:
        if "f0 = 0" in alternatives or s.description == "f0 = 0":
            return True
        rows = np.ones(len(codes), dtype=bool)
        for p in s.predicates:
            rows &= codes[:, int(p.feature[1:])] == int(p.value)
        if (rows & group).sum() / (rows | group).sum() >= 0.5:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("null", "power"))
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--rows", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--rankings", nargs="+", default=list(RANKINGS), choices=RANKINGS)
    parser.add_argument("--jobs", type=int, default=1, help="processes running seeds")
    args = parser.parse_args()
    planted = args.what == "power"
    label = "recovered the planted group" if planted else "runs with a significant slice"
    print(f"{'rows':>7} | {'metric':>10} | {'ranking':>9} | {label}")
    for n_rows in args.rows:
        for kind in args.kinds:
            for ranking in args.rankings:
                started = time.perf_counter()
                run = functools.partial(
                    one_run, n_rows=n_rows, kind=kind, ranking=ranking, planted=planted
                )
                if args.jobs > 1:
                    with ProcessPoolExecutor(args.jobs) as pool:
                        hits = sum(pool.map(run, range(args.seeds), chunksize=10))
                else:
                    hits = sum(map(run, range(args.seeds)))
                print(
                    f"{n_rows:>7} | {kind:>10} | {ranking:>9} | {hits}/{args.seeds} = "
                    f"{hits / args.seeds:.1%} ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
