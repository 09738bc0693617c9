"""Exact top-k lattice search under SliceLine's score, with sound pruning only.

The one job of this module is to enumerate conjunctions of 1..``max_predicates``
predicates on distinct features level by level, asking an aggregator for each
level's counts, and to return exactly the slices exhaustive enumeration would
return. It imports numpy and the sibling ``_aggregators``/``_counts`` modules.

Score (n = rows searched, ``slice_error = error_sum / weight_sum``)::

    score = alpha * (slice_error / overall_error - 1) - (1 - alpha) * (n / slice_size - 1)

Only slices with ``score > 0`` and ``slice_size >= min_support`` qualify, where
"> 0" means above ``1e-12`` times the magnitude of the score's terms (a slice whose
error equals the overall error must not qualify through rounding). The result
is the best ``k`` by score plus every slice whose score ties the k-th one, where
"ties" means ``score >= kth * (1 - 1e-12)`` (a relative tolerance absorbing float
rounding). Order: score descending, then fewer predicates, then the predicates'
(feature index, code) pairs lexicographically.

Pruning (a slice is *expanded* into children only if it survives):

* size: a child has no more rows than its parent, so parents below ``min_support``
  have no qualifying descendant;
* score bound: let ``P`` be a slice with ``S`` rows and error sum ``E``, ``r_max`` the
  largest per-row ratio ``e_i / w_i`` and ``w_min`` the smallest weight among its
  rows (bounded from the level-1 extremes: ``r_max <= min`` over its predicates,
  ``w_min >= max``). A descendant ``C`` with ``s`` rows has ``E_C <= E`` and
  ``W_C >= s * w_min``, and ``E_C / W_C <= max_i e_i / w_i <= r_max`` (a ratio of
  sums never exceeds the largest ratio). So its error is at most
  ``u(s) = min(r_max, E / (s * w_min))`` (with unit weights: ``min(max e, E / s)``,
  SliceLine's bound), and its score at most ``f(s) = alpha * (u(s) / overall - 1)
  - (1 - alpha) * (n / s - 1)`` for ``s`` in ``[min_support, S]``. ``f`` increases
  while ``u`` is flat (``s <= s* = E / (w_min r_max)``) and is ``a / s + b`` beyond,
  so its maximum over the interval is at ``min_support``, ``clip(s*)`` or ``S``;
* the threshold is 0 until ``k`` slices qualify, then the k-th score; a slice is
  pruned only when its bound is below the threshold by more than a rounding slack
  of ``1e-9 * max(1, |threshold|)`` (ties and near-ties are kept);
* a candidate at level L is generated only if all of its (L-1)-subsets survived.

Ranking ``"excess"`` (the default of ``SliceSearch``) ranks by how far the slice's
error is above the rest's at the least: ``rank = error_ci_low - rest_error``, the
lower end of the slice error's 95 % interval (Wilson for 0/1 errors, the t-interval
of the ratio estimator otherwise) minus the error of the other rows. It has no size
penalty beyond the interval's width, so a small group with a large, well-supported
excess ranks above a large group with a slight one. Same qualification (``rank > 0``
beyond rounding, ``slice_size >= min_support``), ties and order as above. Its
pruning bound, for a slice with ``S`` rows, error sum ``E`` and a descendant with
``s`` rows in ``[m, S]`` (``m = min_support``), with totals ``E_tot``, ``W_tot``:

* the rest's error ``(E_tot - E_C) / (W_tot - W_C)`` is at least
  ``(E_tot - E) / (W_tot - m * w_min)`` (``E_C <= E`` and ``W_C >= m * w_min``);
* 0/1 errors: the Wilson lower end grows with the error count and, for a fixed
  count, falls as rows are added, so with ``E_C <= min(E, s)`` it is at most the
  lower end of ``min(E, s*)`` errors in ``s* = max(E, m)`` rows;
* other errors: the lower end is at most the point estimate, at most
  ``u(m) = min(r_max, E / (m * w_min))`` as above.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from workbench.search._aggregators import Aggregator, DataProfile
from workbench.search._counts import SliceCounts
from workbench.search._stats import ratio_interval, wilson_interval

__all__ = ["RANKINGS", "TIE_TOLERANCE", "LatticeResult", "lattice_search", "slice_scores"]

#: The rankings the search knows (see the module docstring).
RANKINGS = ("excess", "sliceline")

#: Relative tolerance under which two scores count as tied.
TIE_TOLERANCE = 1e-12
#: Candidate slices one level may count. Above it the level is narrowed to the children
#: of the most promising slices of the level before (by their score bound), with a note:
#: wide data (thousands of columns) would otherwise count millions of slices for minutes.
MAX_CANDIDATES = 500_000
#: Distinct feature tuples one level may count (the joint histograms to plan).
MAX_FEATURE_TUPLES = 10_000
#: Candidates counted per call of the aggregator, so that progress is reported within a level.
COUNT_CHUNK = 25_000
_PRUNE_SLACK = 1e-9

Progress = Callable[[int, int, str], None]


@dataclass
class LatticeResult:
    """The exact top-k slices (as item ids) and what the search evaluated."""

    items: np.ndarray  # (t, max_predicates) item ids, padded with -1
    n_predicates: np.ndarray
    counts: SliceCounts  # on the searched rows
    scores: np.ndarray
    n_evaluated: int
    overall_error: float
    n_rows: int
    min_support: int
    evaluated: SliceCounts | None = None  # every evaluated slice (kept for in-sample stats)
    evaluated_eligible: np.ndarray | None = None
    timings: dict[str, float] = field(default_factory=dict)
    level_sizes: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a level narrowed to the budget


def slice_scores(
    size: np.ndarray,
    error_sum: np.ndarray,
    weight_sum: np.ndarray,
    *,
    alpha: float,
    overall_error: float,
    n_rows: int,
) -> np.ndarray:
    """SliceLine's score of each slice (``-inf`` for empty slices).

    Examples
    --------
    >>> slice_scores(np.array([10]), np.array([5.0]), np.array([10.0]),
    ...              alpha=0.95, overall_error=0.1, n_rows=100)
    array([3.35])
    """
    size = np.asarray(size, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.asarray(error_sum) / np.asarray(weight_sum)
        score = alpha * (error / overall_error - 1) - (1 - alpha) * (n_rows / size - 1)
    return np.where(size > 0, score, -np.inf)


def _positive(
    scores: np.ndarray, counts: SliceCounts, *, alpha: float, overall_error: float, n_rows: int
) -> np.ndarray:
    """``score > 0`` beyond rounding: a slice whose error equals the overall error
    mathematically (e.g. all rows) must not qualify because its sums were added in
    another order."""
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = alpha * (counts.error_sum / counts.weight_sum) / overall_error + (1 - alpha) * (
            n_rows / counts.size
        )
    return scores > TIE_TOLERANCE * np.nan_to_num(magnitude, nan=0.0, posinf=0.0)


def _score_bound(
    size: np.ndarray,
    error_sum: np.ndarray,
    max_ratio: np.ndarray,
    min_weight: np.ndarray,
    *,
    alpha: float,
    overall_error: float,
    n_rows: int,
    min_support: int,
) -> np.ndarray:
    """Upper bound of the score of any sub-slice with at least ``min_support`` rows."""
    size = size.astype(np.float64)
    lo = np.full_like(size, float(min_support))
    with np.errstate(divide="ignore", invalid="ignore"):
        s_star = np.where(max_ratio > 0, error_sum / (min_weight * max_ratio), lo)
    mid = np.clip(s_star, lo, np.maximum(size, lo))
    best = np.full_like(size, -np.inf)
    for s in (lo, mid, size):
        with np.errstate(divide="ignore", invalid="ignore"):
            error = np.minimum(max_ratio, error_sum / (s * min_weight))
            value = alpha * (error / overall_error - 1) - (1 - alpha) * (n_rows / s - 1)
        best = np.fmax(best, np.where(s > 0, value, -np.inf))
    return np.where(size >= min_support, best, -np.inf)


def excess_ranks(counts: SliceCounts, totals: SliceCounts, *, binary: bool) -> np.ndarray:
    """``error_ci_low - rest_error`` of each slice (``-inf`` where undefined).

    Examples
    --------
    >>> counts = SliceCounts(np.array([10]), np.array([5.0]), np.array([10.0]))
    >>> totals = SliceCounts(np.array([100]), np.array([10.0]), np.array([100.0]))
    >>> excess_ranks(counts, totals, binary=True).round(4)
    array([0.181])
    """
    size = counts.size.astype(np.float64)
    if binary:
        low, _ = wilson_interval(counts.error_sum, size)
    else:
        assert counts.error_sq_sum is not None and counts.error_weight_sum is not None
        assert counts.weight_sq_sum is not None
        low, _ = ratio_interval(
            size,
            counts.error_sum,
            counts.weight_sum,
            counts.error_sq_sum,
            counts.error_weight_sum,
            counts.weight_sq_sum,
        )
    rest_weight = float(totals.weight_sum[0]) - counts.weight_sum
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = np.maximum(float(totals.error_sum[0]) - counts.error_sum, 0.0) / rest_weight
        rank = low - rest
    # a slice of every row has no rest to exceed
    ok = (size > 0) & (size < float(totals.size[0])) & (rest_weight > 0) & np.isfinite(rank)
    return np.where(ok, rank, -np.inf)


def _excess_positive(ranks: np.ndarray, counts: SliceCounts, totals: SliceCounts) -> np.ndarray:
    """``rank > 0`` beyond rounding (relative to the errors compared)."""
    magnitude = float(totals.error_sum[0] / totals.weight_sum[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = magnitude + np.nan_to_num(counts.error_sum / counts.weight_sum, posinf=0.0)
    return ranks > TIE_TOLERANCE * magnitude


def _excess_bound(
    size: np.ndarray,
    error_sum: np.ndarray,
    max_ratio: np.ndarray,
    min_weight: np.ndarray,
    totals: SliceCounts,
    *,
    binary: bool,
    min_support: int,
) -> np.ndarray:
    """Upper bound of the excess rank of any sub-slice with at least ``min_support`` rows."""
    m = float(min_support)
    size = size.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if binary:
            rows = np.maximum(error_sum, m)
            errors = np.minimum(error_sum, rows)
            best_low, _ = wilson_interval(errors, rows)
        else:
            best_low = np.minimum(max_ratio, error_sum / (m * min_weight))
        rest_weight = float(totals.weight_sum[0]) - m * min_weight
        rest_low = np.where(
            rest_weight > 0,
            np.maximum(float(totals.error_sum[0]) - error_sum, 0.0) / rest_weight,
            0.0,
        )
        bound = best_low - rest_low
    bound = np.where(np.isnan(bound), np.inf, bound)  # unsure: never prune on it
    return np.where(size >= min_support, bound, -np.inf)


def _ranks(
    ranking: str,
    counts: SliceCounts,
    totals: SliceCounts,
    *,
    alpha: float,
    overall_error: float,
    n_rows: int,
    binary: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Each slice's rank under ``ranking`` and whether it is above 0 beyond rounding."""
    if ranking == "excess":
        ranks = excess_ranks(counts, totals, binary=binary)
        return ranks, _excess_positive(ranks, counts, totals)
    scores = slice_scores(
        counts.size,
        counts.error_sum,
        counts.weight_sum,
        alpha=alpha,
        overall_error=overall_error,
        n_rows=n_rows,
    )
    positive = _positive(scores, counts, alpha=alpha, overall_error=overall_error, n_rows=n_rows)
    return scores, positive


def _keys(rows: np.ndarray, n_items: int) -> np.ndarray:
    """A sortable scalar key per row of item ids (for set membership)."""
    width = rows.shape[1]
    if float(n_items) ** width < 2.0**62:
        key = np.zeros(rows.shape[0], dtype=np.int64)
        for j in range(width):
            key = key * n_items + rows[:, j]
        return key
    contiguous = np.ascontiguousarray(rows, dtype=np.int64)
    return contiguous.view(np.dtype((np.void, 8 * width))).ravel()


def _children(parents: np.ndarray, item_feature: np.ndarray, n_items: int) -> np.ndarray:
    """Apriori join: level L+1 candidates all of whose L-subsets are in ``parents``.

    ``parents`` is ``(p, L)`` item ids, each row increasing (features increasing).
    """
    p, width = parents.shape
    if p < 2:
        return np.zeros((0, width + 1), dtype=np.int64)
    order = np.lexsort(parents.T[::-1])
    parents = parents[order]
    pieces = []
    if width == 1:
        groups = [(0, p)]
    else:
        prefix = parents[:, :-1]
        change = np.flatnonzero((prefix[1:] != prefix[:-1]).any(axis=1)) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [p]])
        groups = [(s, e) for s, e in zip(starts, ends, strict=True) if e - s >= 2]
    for start, end in groups:
        last = parents[start:end, -1]
        a, b = np.triu_indices(end - start, k=1)
        distinct = item_feature[last[a]] != item_feature[last[b]]
        a, b = a[distinct], b[distinct]
        if len(a) == 0:
            continue
        head = np.repeat(parents[start : start + 1, :-1], len(a), axis=0)
        pieces.append(np.column_stack([head, last[a], last[b]]))
    if not pieces:
        return np.zeros((0, width + 1), dtype=np.int64)
    candidates = np.concatenate(pieces).astype(np.int64)
    if width >= 2:
        known = np.sort(_keys(parents, n_items))
        keep = np.ones(len(candidates), dtype=bool)
        for drop in range(width - 1):  # dropping either of the last two gives a joined parent
            subset = np.delete(candidates, drop, axis=1)
            keys = _keys(subset, n_items)
            pos = np.minimum(np.searchsorted(known, keys), len(known) - 1)
            keep &= known[pos] == keys
        candidates = candidates[keep]
    return candidates


def _children_bound(parents: np.ndarray, item_feature: np.ndarray) -> tuple[int, int]:
    """How many candidates :func:`_children` joins from ``parents`` at most (before the
    subset check), and over how many distinct feature tuples; computed without building
    them. Counting cost grows with both."""
    p, width = parents.shape
    if p < 2:
        return 0, 0
    n_features = int(item_feature.max()) + 1
    last = item_feature[parents[:, -1]].astype(np.int64)
    if width == 1:
        groups = np.zeros(p, dtype=np.int64)
        feature_groups = groups
    else:
        groups = np.unique(parents[:, :-1], axis=0, return_inverse=True)[1].reshape(-1)
        prefix_features = item_feature[parents[:, :-1]]
        feature_groups = np.unique(prefix_features, axis=0, return_inverse=True)[1].reshape(-1)
    group_sizes = np.bincount(groups).astype(np.int64)
    same = np.unique(groups * n_features + last, return_counts=True)[1].astype(np.int64)
    candidates = int((np.sum(group_sizes**2) - np.sum(same**2)) // 2)
    distinct = np.unique(feature_groups * n_features + last) // n_features
    per_group = np.bincount(distinct).astype(np.int64)
    tuples = int(np.sum(per_group * (per_group - 1) // 2))
    return candidates, tuples


def _fits(bound: tuple[int, int], budget: int, tuple_budget: int) -> bool:
    return bound[0] <= budget and bound[1] <= tuple_budget


def _narrow(
    survivors: np.ndarray,
    bound: np.ndarray,
    item_feature: np.ndarray,
    budget: int,
    tuple_budget: int,
) -> np.ndarray:
    """The most promising survivors (highest score bound) whose children fit the budgets."""
    order = np.argsort(-bound, kind="stable")
    low, high = 0, len(order)
    while low < high:  # the largest prefix within the budgets
        middle = (low + high + 1) // 2
        if _fits(_children_bound(survivors[order[:middle]], item_feature), budget, tuple_budget):
            low = middle
        else:
            high = middle - 1
    return survivors[np.sort(order[:low])]


def lattice_search(
    aggregator: Aggregator,
    profile: DataProfile,
    *,
    alpha: float,
    k: int,
    max_predicates: int,
    min_support: int,
    ranking: str = "sliceline",
    keep_evaluated: bool = False,
    progress: Progress | None = None,
    max_candidates: int | None = None,
) -> LatticeResult:
    """Exact top-k search under ``ranking`` (see the module docstring for the guarantees).

    Exact while every level has at most ``max_candidates`` (default
    :data:`MAX_CANDIDATES`) candidates; a larger level is narrowed and the result says so
    in ``notes``.
    """
    if ranking not in RANKINGS:
        raise ValueError(f"ranking must be one of {RANKINGS}, got {ranking!r}")
    budget = MAX_CANDIDATES if max_candidates is None else int(max_candidates)
    notes: list[str] = []
    timings: dict[str, float] = {}
    cards = np.asarray(aggregator.cardinalities, dtype=np.int64)
    n_items = int(cards.sum())
    offsets = np.concatenate([[0], np.cumsum(cards)[:-1]])
    item_feature = np.repeat(np.arange(len(cards)), cards)
    totals = profile.totals["discovery"]
    n_rows = int(totals.size[0])
    overall_error = float(totals.error_sum[0] / totals.weight_sum[0]) if n_rows else float("nan")
    max_level = min(max_predicates, len(cards))
    # The excess ranking of continuous errors needs each slice's variance.
    moments = not profile.binary and (keep_evaluated or ranking == "excess")

    top_items: list[np.ndarray] = []
    top_level: list[np.ndarray] = []
    top_counts: list[SliceCounts] = []
    top_scores: list[np.ndarray] = []
    evaluated: list[SliceCounts] = []
    eligible: list[np.ndarray] = []
    level_sizes: list[int] = []

    def cutoff() -> float | None:
        if not top_scores:
            return None
        scores = np.concatenate(top_scores)
        if len(scores) < k:
            return None
        return float(np.partition(-scores, k - 1)[k - 1] * -1)

    def trim() -> None:
        kth = cutoff()
        if kth is None:
            return
        scores = np.concatenate(top_scores)
        keep = scores >= kth - TIE_TOLERANCE * abs(kth)
        for store in (top_items, top_level, top_scores):
            merged = np.concatenate(store)[keep]
            store.clear()
            store.append(merged)
        merged_counts = SliceCounts.concat(top_counts, False).take(keep)
        top_counts.clear()
        top_counts.append(merged_counts)

    n_evaluated = 0
    candidates = np.arange(n_items, dtype=np.int64)[:, None]
    can_search = n_rows > 0 and overall_error > 0
    level = 1
    while level <= max_level and len(candidates):
        started = time.perf_counter()
        if progress is not None:
            progress(level - 1, max_level, f"level {level}: counting {len(candidates):,} slices")
        if level == 1:
            counts = profile.items["discovery"]
            if not moments:
                counts = SliceCounts(counts.size, counts.error_sum, counts.weight_sum)
        else:
            parts = []
            for start in range(0, len(candidates), COUNT_CHUNK):
                chunk = candidates[start : start + COUNT_CHUNK]
                features = item_feature[chunk]
                codes = chunk - offsets[features]
                parts.append(aggregator.count(features, codes, "discovery", moments=moments))
                if progress is not None and len(candidates) > COUNT_CHUNK:
                    done = min(start + COUNT_CHUNK, len(candidates))
                    progress(
                        level - 1,
                        max_level,
                        f"level {level}: counted {done:,} of {len(candidates):,} slices",
                    )
            counts = parts[0] if len(parts) == 1 else SliceCounts.concat(parts, moments)
        n_evaluated += len(candidates)
        level_sizes.append(len(candidates))
        if keep_evaluated:
            evaluated.append(counts)
            eligible.append(counts.size >= min_support)
        if not can_search:
            break
        scores, positive = _ranks(
            ranking,
            counts,
            totals,
            alpha=alpha,
            overall_error=overall_error,
            n_rows=n_rows,
            binary=profile.binary,
        )
        qualifies = (counts.size >= min_support) & positive
        kth = cutoff()
        if kth is not None:
            qualifies &= scores >= kth - TIE_TOLERANCE * abs(kth)
        if qualifies.any():
            padded = np.full((int(qualifies.sum()), max_predicates), -1, dtype=np.int64)
            padded[:, :level] = candidates[qualifies]
            top_items.append(padded)
            top_level.append(np.full(len(padded), level))
            top_counts.append(counts.take(np.flatnonzero(qualifies)))
            top_scores.append(scores[qualifies])
            trim()
        if level < max_level:
            kth = cutoff()
            threshold = 0.0 if kth is None else max(kth, 0.0)
            slack = _PRUNE_SLACK * max(1.0, abs(threshold))
            max_ratio = profile.item_max_ratio[candidates].min(axis=1)
            min_weight = profile.item_min_weight[candidates].max(axis=1)
            if ranking == "excess":
                bound = _excess_bound(
                    counts.size,
                    counts.error_sum,
                    max_ratio,
                    min_weight,
                    totals,
                    binary=profile.binary,
                    min_support=min_support,
                )
            else:
                bound = _score_bound(
                    counts.size,
                    counts.error_sum,
                    max_ratio,
                    min_weight,
                    alpha=alpha,
                    overall_error=overall_error,
                    n_rows=n_rows,
                    min_support=min_support,
                )
            promising = bound >= threshold - slack
            survivors = candidates[promising]
            estimate = _children_bound(survivors, item_feature)
            if not _fits(estimate, budget, MAX_FEATURE_TUPLES):
                kept = _narrow(
                    survivors, bound[promising], item_feature, budget, MAX_FEATURE_TUPLES
                )
                message = (
                    f"level {level + 1} would count about {estimate[0]:,} candidate slices over "
                    f"{estimate[1]:,} feature combinations, more than the budget of "
                    f"{budget:,} slices and {MAX_FEATURE_TUPLES:,} combinations: it counts only "
                    f"the children of the {len(kept):,} most promising of {len(survivors):,} "
                    f"level-{level} slices (by their score bound), so slices with "
                    f"{level + 1}+ conditions may be missed. For an exact search pass fewer "
                    f"features (features=[...]) or max_predicates={level}."
                )
                notes.append(message[0].upper() + message[1:])
                if progress is not None:
                    progress(level, max_level, message)
                survivors = kept
            candidates = _children(survivors, item_feature, n_items)
        timings[f"level_{level}"] = time.perf_counter() - started
        level += 1
    if progress is not None:
        progress(max_level, max_level, "search done")

    if top_scores:
        items = np.concatenate(top_items)
        levels = np.concatenate(top_level)
        scores = np.concatenate(top_scores)
        counts = SliceCounts.concat(top_counts, False)
        kth = cutoff()
        keep = (
            np.ones(len(scores), bool) if kth is None else scores >= kth - TIE_TOLERANCE * abs(kth)
        )
        order = np.lexsort((*items[:, ::-1].T, levels, -scores))
        order = order[keep[order]]
        items, levels, scores, counts = (
            items[order],
            levels[order],
            scores[order],
            counts.take(order),
        )
    else:
        items = np.zeros((0, max_predicates), dtype=np.int64)
        levels = np.zeros(0, dtype=np.int64)
        scores = np.zeros(0)
        counts = SliceCounts.zeros(0, False)
    return LatticeResult(
        items=items,
        n_predicates=levels,
        counts=counts,
        scores=scores,
        n_evaluated=n_evaluated,
        overall_error=overall_error,
        n_rows=n_rows,
        min_support=min_support,
        evaluated=SliceCounts.concat(evaluated, moments) if keep_evaluated else None,
        evaluated_eligible=np.concatenate(eligible) if keep_evaluated else None,
        timings=timings,
        level_sizes=level_sizes,
        notes=notes,
    )
