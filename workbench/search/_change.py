"""Differential search: the slices whose error rose more than the whole between two sides.

The two sides are a *baseline* (the vendor's test set, or model v1) and a *new* side
(a customer's data, or model v2), coded with one binning, so a slice is the same
description on both. Each candidate slice ``S`` has an error on each side
(``sum(error) / sum(weight)`` over its rows there) and a change
``d(S) = new(S) - baseline(S)``; the whole has the change ``D``.

Ranking ``"change"`` (the analogue of SliceLine's score on the per-slice difference)::

    score = alpha * (d(S) - D) / e_pool - (1 - alpha) * (n / size - 1)

with ``e_pool`` the error of both sides pooled, ``n`` the rows of both sides and
``size`` the slice's rows on both sides. It ranks by how much *more* a slice
changed than the whole, so a uniform shift scores 0 everywhere. Ranking
``"excess"`` (minority-friendly: a small group with a clear rise is not buried by
the size term) ranks by the lower end of the slice's 95 % change interval minus
``D``. A slice qualifies when it has at least ``min_support`` rows on *each* side
and its rank is above 0 (beyond rounding); the result is the exact top ``k``
(plus ties), in the order score, fewer predicates, then (feature, code).

Exactness: for ``"change"`` a slice is expanded only if no sub-slice can beat the
current k-th score. A sub-slice ``C`` with ``t`` new-side rows has
``new(C) <= u(t) = min(r_max, E_new / (t * w_min))`` (as in SliceLine's bound),
``baseline(C) >= r_min`` (the largest of its predicates' smallest per-row
baseline ratios) and at most the parent's baseline rows, so its score is at most
``f(t) = alpha * (u(t) - r_min - D) / e_pool - (1 - alpha) * (n / (t + S_base) - 1)``;
``f`` rises while ``u`` is flat and is quasi-convex after, so its maximum over
``[min_support, S_new]`` is at ``min_support``, the kink or ``S_new``. For
``"excess"`` the search prunes by support only (every slice with enough rows on
both sides is ranked), which is exact by construction.

Statistics of a slice (all vectorised from additive counts):

* each side's error with a 95 % interval (Wilson for 0/1 errors, t otherwise);
* the change with a 95 % interval: Newcombe's hybrid score interval (0/1,
  two datasets), Welch's t (continuous or weighted, two datasets), or the t
  interval of the per-row differences (paired: one dataset, two models);
* ``p_worse``: one-sided two-sample test of "new error > baseline error" in the
  slice -- exact Fisher (0/1, two datasets), exact McNemar on the discordant
  pairs (0/1, paired), Welch's t (continuous, two datasets), paired t on the
  per-row differences (continuous, paired);
* ``p_excess``: one-sided test of "the slice changed more than the rest"
  (difference in differences, Welch-type, the slice's variance floored at the
  rest's, ``slice_size - 1`` degrees of freedom);
* ``p_value = max(p_worse, p_excess)`` (an intersection-union test: significant
  only when the slice got worse *and* more than the rest), adjusted by
  Benjamini--Hochberg over every slice the search evaluated (slices that cannot
  qualify count as p = 1). With ``confirm`` the search runs on a seeded discovery
  split of each side and the reported slices are measured on the held-out rows, BH
  over the reported slices (as plain scans do); the overall change uses all rows.

It imports numpy, scipy, the sibling search modules and ``workbench.findings``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.exceptions import DataError, ParameterError
from workbench.findings import FrozenDict, Predicate, render_where
from workbench.search._aggregators import _max_bins
from workbench.search._counts import RowBlock, SliceCounts, make_plan
from workbench.search._lattice import TIE_TOLERANCE, _children
from workbench.search._stats import benjamini_hochberg, slice_statistics

__all__ = [
    "CHANGE_COLUMNS",
    "RANKINGS",
    "ChangeFindings",
    "ChangeSide",
    "ChangedSlice",
    "OverallChange",
    "change_scores",
    "change_search",
]

#: The rankings of the differential search (see the module docstring).
RANKINGS = ("change", "excess")
_PRUNE_SLACK = 1e-9
_Z95 = float(stats.norm.ppf(0.975))
_FIELDS = ("size", "error_sum", "weight_sum", "error_sq_sum", "error_weight_sum", "weight_sq_sum")

#: The columns of :meth:`ChangeFindings.to_frame` and of ``workbench compare``'s CSV.
CHANGE_COLUMNS: tuple[str, ...] = (
    "rank",
    "description",
    "sql_where",
    "n_predicates",
    "score",
    "size_baseline",
    "error_baseline",
    "error_ci_low_baseline",
    "error_ci_high_baseline",
    "size_new",
    "error_new",
    "error_ci_low_new",
    "error_ci_high_new",
    "change",
    "change_ci_low",
    "change_ci_high",
    "excess_change",
    "rest_change",
    "p_worse",
    "p_excess",
    "p_value",
    "p_value_adjusted",
    "significant",
    "test",
    "statistics_on",
)


# --------------------------------------------------------------------------- values
@dataclass(frozen=True)
class ChangeSide:
    """One side of a comparison: integer codes (one array per feature), errors, weights.

    Both sides must use the same codes for the same predicates (the baseline's
    binning applied to the new side). ``weights`` is ``None`` for all ones.
    """

    columns: tuple[np.ndarray, ...]
    errors: np.ndarray
    weights: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return len(self.errors)

    @property
    def binary(self) -> bool:
        return self.weights is None and bool(np.all((self.errors == 0) | (self.errors == 1)))

    def block(self) -> RowBlock:
        return RowBlock(list(self.columns), self.errors, self.weights, self.binary)


@dataclass(frozen=True)
class OverallChange:
    """The whole data's error on each side, with 95 % intervals, and its change."""

    n_baseline: int
    n_new: int
    error_baseline: float
    error_ci_low_baseline: float
    error_ci_high_baseline: float
    error_new: float
    error_ci_low_new: float
    error_ci_high_new: float
    change: float
    change_ci_low: float
    change_ci_high: float
    p_worse: float
    paired: bool
    test: str

    def describe(self) -> str:
        """One line for people, e.g. ``"overall error 10.0 % -> 14.9 % (+4.9 points ...)"``."""
        return (
            f"overall error {self.error_baseline:.1%} [{self.error_ci_low_baseline:.1%}, "
            f"{self.error_ci_high_baseline:.1%}] -> {self.error_new:.1%} "
            f"[{self.error_ci_low_new:.1%}, {self.error_ci_high_new:.1%}]: change "
            f"{100 * self.change:+.1f} points [{100 * self.change_ci_low:+.1f}, "
            f"{100 * self.change_ci_high:+.1f}], one-sided p = {self.p_worse:.3g} ({self.test})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


@dataclass(frozen=True)
class ChangedSlice:
    """A slice whose error rose more than the whole's, with both sides' statistics."""

    predicates: tuple[Predicate, ...]
    score: float
    size_baseline: int
    error_baseline: float
    error_ci_low_baseline: float
    error_ci_high_baseline: float
    size_new: int
    error_new: float
    error_ci_low_new: float
    error_ci_high_new: float
    change: float
    change_ci_low: float
    change_ci_high: float
    excess_change: float
    rest_change: float
    p_worse: float
    p_excess: float
    p_value: float
    p_value_adjusted: float
    significant: bool
    test: str

    @property
    def description(self) -> str:
        return " AND ".join(p.describe() for p in self.predicates)

    @property
    def sql_where(self) -> str:
        return render_where(self.predicates)


@dataclass(frozen=True)
class ChangeFindings:
    """The result of a differential search: the overall change first, then the slices.

    Iterating yields the :class:`ChangedSlice` values, best rank first.
    """

    overall: OverallChange
    slices: tuple[ChangedSlice, ...]
    n_evaluated: int
    ranking: str
    parameters: FrozenDict = field(default_factory=lambda: FrozenDict({}))
    notes: tuple[str, ...] = ()
    statistics_on: str = "all rows"

    def __iter__(self) -> Iterator[ChangedSlice]:
        return iter(self.slices)

    def __len__(self) -> int:
        return len(self.slices)

    def __getitem__(self, index: int) -> ChangedSlice:
        return self.slices[index]

    def replace(self, **changes: Any) -> ChangeFindings:
        return dataclasses.replace(self, **changes)

    @property
    def significant(self) -> tuple[ChangedSlice, ...]:
        return tuple(s for s in self.slices if s.significant)

    def to_frame(self) -> pd.DataFrame:
        """One row per slice, columns :data:`CHANGE_COLUMNS`."""
        rows = []
        for rank, s in enumerate(self.slices, start=1):
            row = {name: getattr(s, name, None) for name in CHANGE_COLUMNS}
            row.update(
                rank=rank,
                description=s.description,
                sql_where=s.sql_where,
                n_predicates=len(s.predicates),
                statistics_on=self.statistics_on,
            )
            rows.append(row)
        return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))

    def overall_frame(self) -> pd.DataFrame:
        """The overall change as a one-row frame with the slice columns' names."""
        o = self.overall
        row = {
            "rank": 0,
            "description": "all rows",
            "sql_where": "TRUE",
            "n_predicates": 0,
            "score": math.nan,
            "size_baseline": o.n_baseline,
            "error_baseline": o.error_baseline,
            "error_ci_low_baseline": o.error_ci_low_baseline,
            "error_ci_high_baseline": o.error_ci_high_baseline,
            "size_new": o.n_new,
            "error_new": o.error_new,
            "error_ci_low_new": o.error_ci_low_new,
            "error_ci_high_new": o.error_ci_high_new,
            "change": o.change,
            "change_ci_low": o.change_ci_low,
            "change_ci_high": o.change_ci_high,
            "excess_change": 0.0,
            "rest_change": math.nan,
            "p_worse": o.p_worse,
            "p_excess": math.nan,
            "p_value": o.p_worse,
            "p_value_adjusted": o.p_worse,
            "significant": bool(o.p_worse <= float(self.parameters.get("fdr", 0.05))),
            "test": o.test,
            "statistics_on": "all rows",
        }
        return pd.DataFrame([row], columns=list(CHANGE_COLUMNS))

    def __repr__(self) -> str:
        return (
            f"ChangeFindings({self.overall.describe()}; {len(self.slices)} slices, "
            f"{len(self.significant)} significant, {self.n_evaluated} evaluated)"
        )


# --------------------------------------------------------------------------- scoring
def change_scores(
    base: SliceCounts,
    new: SliceCounts,
    *,
    alpha: float,
    overall_change: float,
    pooled_error: float,
    n_rows: int,
) -> np.ndarray:
    """The ``"change"`` score of each slice (``-inf`` where a side has no rows).

    Examples
    --------
    >>> one = lambda n, e: SliceCounts(np.array([n]), np.array([e]), np.array([float(n)]))
    >>> change_scores(one(50, 5.0), one(50, 25.0), alpha=0.95, overall_change=0.0,
    ...               pooled_error=0.1, n_rows=1000).round(3)
    array([3.35])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        d = new.error_sum / new.weight_sum - base.error_sum / base.weight_sum
        size = (base.size + new.size).astype(np.float64)
        score = alpha * (d - overall_change) / pooled_error - (1 - alpha) * (n_rows / size - 1)
    return np.where((base.size > 0) & (new.size > 0), score, -np.inf)


def _change_positive(
    scores: np.ndarray,
    base: SliceCounts,
    new: SliceCounts,
    *,
    alpha: float,
    overall_change: float,
    pooled_error: float,
    n_rows: int,
) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = alpha * (
            new.error_sum / new.weight_sum + base.error_sum / base.weight_sum + abs(overall_change)
        ) / pooled_error + (1 - alpha) * n_rows / (base.size + new.size)
    return scores > TIE_TOLERANCE * np.nan_to_num(magnitude, nan=0.0, posinf=0.0)


def _change_bound(
    base: SliceCounts,
    new: SliceCounts,
    max_ratio_new: np.ndarray,
    min_weight_new: np.ndarray,
    min_ratio_base: np.ndarray,
    *,
    alpha: float,
    overall_change: float,
    pooled_error: float,
    n_rows: int,
    min_support_new: int,
) -> np.ndarray:
    """Upper bound of the ``"change"`` score of any sub-slice (module docstring)."""
    s_new = new.size.astype(np.float64)
    s_base = base.size.astype(np.float64)
    lo = np.full_like(s_new, float(min_support_new))
    with np.errstate(divide="ignore", invalid="ignore"):
        kink = np.where(max_ratio_new > 0, new.error_sum / (min_weight_new * max_ratio_new), lo)
    mid = np.clip(kink, lo, np.maximum(s_new, lo))
    best = np.full_like(s_new, -np.inf)
    for t in (lo, mid, s_new):
        with np.errstate(divide="ignore", invalid="ignore"):
            upper = np.minimum(max_ratio_new, new.error_sum / (t * min_weight_new))
            value = alpha * (upper - min_ratio_base - overall_change) / pooled_error - (
                1 - alpha
            ) * (n_rows / (t + s_base) - 1)
        best = np.fmax(best, np.where(t > 0, value, -np.inf))
    return best


# --------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class _ChangeStats:
    error_base: np.ndarray
    ci_base: tuple[np.ndarray, np.ndarray]
    error_new: np.ndarray
    ci_new: tuple[np.ndarray, np.ndarray]
    change: np.ndarray
    ci_change: tuple[np.ndarray, np.ndarray]
    rest_change: np.ndarray
    p_worse: np.ndarray
    p_excess: np.ndarray


def _ratio_var(counts: SliceCounts, ratio: np.ndarray) -> np.ndarray:
    """Per-row variance of ``e_i - R w_i`` (n - 1 denominator); NaN below 2 rows."""
    assert counts.error_sq_sum is not None and counts.error_weight_sum is not None
    assert counts.weight_sq_sum is not None
    resid = (
        counts.error_sq_sum - 2 * ratio * counts.error_weight_sum + ratio**2 * counts.weight_sq_sum
    )
    n = counts.size.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 1, np.maximum(resid, 0.0) / (n - 1), np.nan)


def _rest(totals: SliceCounts, counts: SliceCounts) -> SliceCounts:
    def sub(name: str) -> np.ndarray:
        return np.maximum(getattr(totals, name)[0] - getattr(counts, name), 0.0)

    return SliceCounts(*(sub(n) for n in _FIELDS))


def _ratio(counts: SliceCounts) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts.weight_sum > 0, counts.error_sum / counts.weight_sum, np.nan)


def _se_sq(counts: SliceCounts, ratio: np.ndarray, floor: np.ndarray | None = None) -> np.ndarray:
    """Squared standard error of a ratio estimator (variance optionally floored)."""
    var = _ratio_var(counts, ratio)
    if floor is not None:
        var = np.fmax(var, floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        return var * counts.size / counts.weight_sum**2


def _t_sf(t: np.ndarray, df: np.ndarray, diff: np.ndarray) -> np.ndarray:
    """One-sided p of ``diff > 0`` from a t statistic; a difference with zero spread is p = 0."""
    p = np.ones(len(t))
    ok = np.isfinite(t)
    p[ok] = stats.t.sf(t[ok], np.maximum(df[ok], 1))
    p[~ok & (diff > 0)] = 0.0
    return p


def change_statistics(
    base: SliceCounts,
    new: SliceCounts,
    totals_base: SliceCounts,
    totals_new: SliceCounts,
    *,
    binary: bool,
    diff: SliceCounts | None = None,
    totals_diff: SliceCounts | None = None,
    eligible: np.ndarray | None = None,
) -> _ChangeStats:
    """Both sides' errors, the change and its tests for each slice (module docstring).

    ``diff`` holds the counts of the per-row differences ``e_new - e_base`` (with the
    rows' weights) when the sides are paired (the same rows).
    """
    n = len(base)
    none = np.zeros(n, dtype=bool)
    sb = slice_statistics(base, totals_base, binary=binary, eligible=none)
    sn = slice_statistics(new, totals_new, binary=binary, eligible=none)
    e_b, e_n = _ratio(base), _ratio(new)
    change = e_n - e_b
    rest_b, rest_n = _rest(totals_base, base), _rest(totals_new, new)
    r_b, r_n = _ratio(rest_b), _ratio(rest_n)
    rest_change = r_n - r_b
    want = np.ones(n, dtype=bool) if eligible is None else eligible.copy()
    want &= (base.size > 0) & (new.size > 0) & (change > 0)
    with np.errstate(invalid="ignore"):
        want_excess = want & (change - rest_change > 0)
    p_worse = np.ones(n)
    p_excess = np.ones(n)
    size = np.minimum(base.size, new.size).astype(np.float64)
    df = np.maximum(size - 1, 1)
    t_crit = stats.t.ppf(0.975, df)
    paired = diff is not None
    with np.errstate(divide="ignore", invalid="ignore"):
        if paired:
            assert diff is not None and totals_diff is not None
            assert diff.error_sq_sum is not None
            d_ratio = _ratio(diff)
            rest_d = _rest(totals_diff, diff)
            se_d = np.sqrt(_se_sq(diff, d_ratio))
            ci = (change - t_crit * se_d, change + t_crit * se_d)
            if binary:
                # discordant pairs: c = base right & new wrong, b = base wrong & new right
                c = np.rint((diff.error_sq_sum + diff.error_sum) / 2)
                b = np.rint((diff.error_sq_sum - diff.error_sum) / 2)
                if want.any():
                    p_worse[want] = stats.binom.sf(c[want] - 1, (c + b)[want], 0.5)
            else:
                t = d_ratio / se_d
                p_worse = np.where(want, _t_sf(t, df, d_ratio), 1.0)
            rest_ratio = _ratio(rest_d)
            var_rest = _ratio_var(rest_d, rest_ratio)
            se_slice = _se_sq(diff, d_ratio, floor=var_rest)
            se_rest = np.nan_to_num(_se_sq(rest_d, rest_ratio))
            excess = d_ratio - rest_ratio
            t = excess / np.sqrt(se_slice + se_rest)
            p_excess = np.where(want_excess, _t_sf(t, df, excess), 1.0)
        else:
            if binary:
                lo_b, hi_b = sb.error_ci_low, sb.error_ci_high
                lo_n, hi_n = sn.error_ci_low, sn.error_ci_high
                ci = (
                    change - np.sqrt((e_n - lo_n) ** 2 + (hi_b - e_b) ** 2),
                    change + np.sqrt((hi_n - e_n) ** 2 + (e_b - lo_b) ** 2),
                )
                if want.any():
                    k_n = np.rint(new.error_sum)
                    k_b = np.rint(base.error_sum)
                    p_worse[want] = stats.hypergeom.sf(
                        (k_n - 1)[want],
                        (new.size + base.size)[want],
                        (k_n + k_b)[want],
                        new.size[want],
                    )
                var = {
                    key: np.clip(r, 0, 1) * (1 - np.clip(r, 0, 1))
                    for key, r in (("b", e_b), ("n", e_n), ("rb", r_b), ("rn", r_n))
                }
                v_sb = np.fmax(var["b"], var["rb"]) / base.size
                v_sn = np.fmax(var["n"], var["rn"]) / new.size
                with np.errstate(divide="ignore", invalid="ignore"):
                    v_rb = np.nan_to_num(var["rb"] / rest_b.size)
                    v_rn = np.nan_to_num(var["rn"] / rest_n.size)
            else:
                se_b = _se_sq(base, e_b)
                se_n = _se_sq(new, e_n)
                se = np.sqrt(se_b + se_n)
                welch = (se_b + se_n) ** 2 / (
                    se_b**2 / np.maximum(base.size - 1, 1) + se_n**2 / np.maximum(new.size - 1, 1)
                )
                welch = np.where(np.isfinite(welch), welch, df)
                crit = stats.t.ppf(0.975, np.maximum(welch, 1))
                ci = (change - crit * se, change + crit * se)
                p_worse = np.where(want, _t_sf(change / se, welch, change), 1.0)
                v_rb = np.nan_to_num(_se_sq(rest_b, r_b))
                v_rn = np.nan_to_num(_se_sq(rest_n, r_n))
                v_sb = _se_sq(base, e_b, floor=_ratio_var(rest_b, r_b))
                v_sn = _se_sq(new, e_n, floor=_ratio_var(rest_n, r_n))
            excess = change - rest_change
            t = excess / np.sqrt(v_sb + v_sn + v_rb + v_rn)
            p_excess = np.where(want_excess, _t_sf(t, df, excess), 1.0)
    return _ChangeStats(
        e_b,
        (sb.error_ci_low, sb.error_ci_high),
        e_n,
        (sn.error_ci_low, sn.error_ci_high),
        change,
        ci,
        rest_change,
        np.clip(p_worse, 0, 1),
        np.clip(p_excess, 0, 1),
    )


def _test_name(binary: bool, paired: bool) -> str:
    if paired:
        return "exact McNemar (paired)" if binary else "paired t (per-row differences)"
    return "exact Fisher" if binary else "Welch t"


# --------------------------------------------------------------------------- search
def _item_extremes(block: RowBlock, cards: Sequence[int], kind: str) -> np.ndarray:
    """Per item: the largest error/weight ratio ("max"), smallest ratio ("min") or
    smallest weight ("wmin") among its rows (0 / inf / inf for an empty item)."""
    offsets = np.concatenate([[0], np.cumsum(cards)[:-1]]).astype(np.int64)
    n_items = int(sum(cards))
    ratio = block.errors if block.weights is None else block.errors / block.weights
    weights = np.ones(block.n_rows) if block.weights is None else block.weights
    values = {"max": ratio, "min": ratio, "wmin": weights}[kind]
    out = np.full(n_items, 0.0 if kind == "max" else np.inf)
    for f, col in enumerate(block.columns):
        target = out[offsets[f] : offsets[f] + cards[f]]
        (np.maximum if kind == "max" else np.minimum).at(target, col.astype(np.int64), values)
    if kind == "min":
        out[np.isinf(out)] = 0.0
    return out


def _totals(block: RowBlock) -> SliceCounts:
    e = block.errors
    w = np.ones_like(e) if block.weights is None else block.weights
    return SliceCounts(
        np.array([block.n_rows], dtype=np.int64),
        np.array([e.sum()]),
        np.array([w.sum()]),
        np.array([(e * e).sum()]),
        np.array([(e * w).sum()]),
        np.array([(w * w).sum()]),
    )


def _check_sides(baseline: ChangeSide, new: ChangeSide, cards: Sequence[int], paired: bool) -> None:
    if len(baseline.columns) != len(cards) or len(new.columns) != len(cards):
        raise DataError(
            f"Both sides must have one code column per feature ({len(cards)}). Got "
            f"{len(baseline.columns)} (baseline) and {len(new.columns)} (new). Code both sides "
            "with the baseline's binning."
        )
    for name, side in (("baseline", baseline), ("new", new)):
        if side.n_rows == 0:
            raise DataError(
                f"The {name} side has no rows. Expected at least one row on each side. "
                "Check the data handed in."
            )
        if not np.all(np.isfinite(side.errors)) or side.errors.min() < 0:
            raise DataError(
                f"The {name} side's errors must be finite numbers >= 0. Got "
                f"min {float(np.nanmin(side.errors))!r}. Fix the per-row errors."
            )
    if paired:
        if baseline.n_rows != new.n_rows:
            raise DataError(
                "Paired sides must be the same rows. Got "
                f"{baseline.n_rows} baseline rows and {new.n_rows} new rows. Pass paired=False "
                "for two datasets."
            )
        wb = np.ones(baseline.n_rows) if baseline.weights is None else baseline.weights
        wn = np.ones(new.n_rows) if new.weights is None else new.weights
        if not np.allclose(wb, wn):
            raise DataError(
                "Paired sides must weigh each row the same (the same rows under the same "
                "metric). Got different weights. Pass paired=False, or compare under one metric."
            )


def change_search(
    baseline: ChangeSide,
    new: ChangeSide,
    *,
    cardinalities: Sequence[int],
    predicates: Sequence[Sequence[Predicate]],
    paired: bool = False,
    ranking: str = "change",
    alpha: float = 0.95,
    k: int = 10,
    max_predicates: int = 3,
    min_support: int = 1,
    fdr: float = 0.05,
    confirm: bool = False,
    confirm_fraction: float = 0.5,
    random_state: int = 0,
) -> ChangeFindings:
    """Exact top-``k`` slices whose error rose more than the whole's (module docstring).

    Parameters
    ----------
    baseline, new : ChangeSide
        The two sides, coded with one binning (code ``c`` of feature ``j`` is
        ``predicates[j][c]`` on both).
    cardinalities : sequence of int
        Number of codes of each feature.
    predicates : sequence of sequences of Predicate
        The predicate of each code of each feature.
    paired : bool
        The sides are the same rows (one dataset, two models): paired tests.
    ranking : {"change", "excess"}
        The rank (module docstring).
    alpha, k, max_predicates, fdr : as for :class:`~workbench.search.SliceSearch`.
    min_support : int
        Fewest rows of a reported slice on each side (of the searched rows).
    confirm : bool
        Search on a seeded discovery split of each side (paired sides: one split of the
        shared rows) and measure the reported slices on the held-out confirmation rows,
        with Benjamini--Hochberg over the reported slices only (as plain scans do).
        Otherwise everything is in-sample and BH runs over every evaluated slice.
    confirm_fraction, random_state : float, int
        Share of rows held out, and the split's seed.

    Returns
    -------
    ChangeFindings

    Examples
    --------
    >>> import numpy as np
    >>> g = np.repeat([0, 1], 200)
    >>> base = ChangeSide((g,), np.zeros(400))
    >>> new = ChangeSide((g,), (g == 1) * (np.arange(400) % 2).astype(float))
    >>> out = change_search(base, new, cardinalities=[2], min_support=10,
    ...     predicates=[[Predicate.eq("g", "a"), Predicate.eq("g", "b")]])
    >>> out[0].description, round(out[0].change, 2), out[0].significant
    ('g = b', 0.5, True)
    """
    if ranking not in RANKINGS:
        raise ParameterError(
            f"The 'ranking' parameter of the differential scan must be one of {RANKINGS}. "
            f"Got {ranking!r} instead."
        )
    cards = [int(c) for c in cardinalities]
    _check_sides(baseline, new, cards, paired)
    if confirm:
        return _confirmed(
            baseline,
            new,
            cardinalities=cards,
            predicates=predicates,
            paired=paired,
            ranking=ranking,
            alpha=alpha,
            k=k,
            max_predicates=max_predicates,
            min_support=min_support,
            fdr=fdr,
            confirm_fraction=confirm_fraction,
            random_state=random_state,
        )
    binary = baseline.binary and new.binary
    block_b, block_n = baseline.block(), new.block()
    block_d = None
    if paired:
        block_d = RowBlock(list(baseline.columns), new.errors - baseline.errors, baseline.weights)
    tot_b, tot_n = _totals(block_b), _totals(block_n)
    tot_d = None if block_d is None else _totals(block_d)
    e_base = float(tot_b.error_sum[0] / tot_b.weight_sum[0])
    e_new = float(tot_n.error_sum[0] / tot_n.weight_sum[0])
    overall_change = e_new - e_base
    pooled = float(
        (tot_b.error_sum[0] + tot_n.error_sum[0]) / (tot_b.weight_sum[0] + tot_n.weight_sum[0])
    )
    n_rows = baseline.n_rows + new.n_rows

    n_items = int(sum(cards))
    offsets = np.concatenate([[0], np.cumsum(cards)[:-1]]).astype(np.int64)
    item_feature = np.repeat(np.arange(len(cards)), cards)
    max_ratio_new = _item_extremes(block_n, cards, "max")
    min_weight_new = _item_extremes(block_n, cards, "wmin")
    min_ratio_base = _item_extremes(block_b, cards, "min")
    max_level = min(max_predicates, len(cards))

    all_items: list[np.ndarray] = []
    all_level: list[np.ndarray] = []
    counts_b: list[SliceCounts] = []
    counts_n: list[SliceCounts] = []
    counts_d: list[SliceCounts] = []
    ranks_all: list[np.ndarray] = []
    qualifies_all: list[np.ndarray] = []
    kth: float | None = None

    def current_kth() -> float | None:
        if not ranks_all:
            return None
        r = np.concatenate(ranks_all)[np.concatenate(qualifies_all)]
        if len(r) < k:
            return None
        return float(-np.partition(-r, k - 1)[k - 1])

    candidates = np.arange(n_items, dtype=np.int64)[:, None]
    level = 1
    can_search = pooled > 0
    while level <= max_level and len(candidates):
        features = item_feature[candidates]
        codes = candidates - offsets[features]
        plan = make_plan(features, codes, cards, _max_bins(max(baseline.n_rows, new.n_rows)))
        cb = plan.count(block_b, moments=True)
        cn = plan.count(block_n, moments=True)
        cd = plan.count(block_d, moments=True) if block_d is not None else None
        supported = (cb.size >= min_support) & (cn.size >= min_support)
        if ranking == "change":
            rank = change_scores(
                cb,
                cn,
                alpha=alpha,
                overall_change=overall_change,
                pooled_error=pooled,
                n_rows=n_rows,
            )
            positive = _change_positive(
                rank,
                cb,
                cn,
                alpha=alpha,
                overall_change=overall_change,
                pooled_error=pooled,
                n_rows=n_rows,
            )
        else:
            st = change_statistics(
                cb,
                cn,
                tot_b,
                tot_n,
                binary=binary,
                diff=cd,
                totals_diff=tot_d,
                eligible=np.zeros(len(cb), dtype=bool),
            )
            rank = np.nan_to_num(st.ci_change[0] - overall_change, nan=-np.inf)
            with np.errstate(invalid="ignore"):
                magnitude = np.abs(st.change) + abs(overall_change)
            positive = rank > TIE_TOLERANCE * np.nan_to_num(magnitude, nan=0.0)
        qualifies = supported & positive & can_search
        width = np.full((len(candidates), max_predicates), -1, dtype=np.int64)
        width[:, :level] = candidates
        all_items.append(width)
        all_level.append(np.full(len(candidates), level))
        counts_b.append(cb)
        counts_n.append(cn)
        if cd is not None:
            counts_d.append(cd)
        ranks_all.append(np.where(qualifies, rank, -np.inf))
        qualifies_all.append(qualifies)
        if level < max_level and can_search:
            kth = current_kth()
            threshold = 0.0 if kth is None else max(kth, 0.0)
            slack = _PRUNE_SLACK * max(1.0, abs(threshold))
            if ranking == "change":
                bound = _change_bound(
                    cb,
                    cn,
                    max_ratio_new[candidates].min(axis=1),
                    min_weight_new[candidates].max(axis=1),
                    min_ratio_base[candidates].max(axis=1),
                    alpha=alpha,
                    overall_change=overall_change,
                    pooled_error=pooled,
                    n_rows=n_rows,
                    min_support_new=min_support,
                )
                keep = supported & (bound >= threshold - slack)
            else:
                keep = supported
            candidates = _children(candidates[keep], item_feature, n_items)
        else:
            candidates = candidates[:0]
        level += 1

    items = np.concatenate(all_items)
    levels = np.concatenate(all_level)
    ranks = np.concatenate(ranks_all)
    qualifies = np.concatenate(qualifies_all)
    cb = SliceCounts.concat(counts_b, True)
    cn = SliceCounts.concat(counts_n, True)
    cd = SliceCounts.concat(counts_d, True) if paired else None
    n_evaluated = len(ranks)
    st = change_statistics(
        cb, cn, tot_b, tot_n, binary=binary, diff=cd, totals_diff=tot_d, eligible=qualifies
    )
    p_value = np.where(qualifies, np.maximum(st.p_worse, st.p_excess), 1.0)
    p_adjusted = benjamini_hochberg(p_value, n_tests=n_evaluated)

    chosen = np.flatnonzero(qualifies)
    kth = current_kth()
    if kth is not None:
        chosen = chosen[ranks[chosen] >= kth - TIE_TOLERANCE * abs(kth)]
    order = np.lexsort((*items[chosen, ::-1].T, levels[chosen], -ranks[chosen]))
    chosen = chosen[order]
    test = _test_name(binary, paired)
    slices = []
    for i in chosen:
        preds = tuple(
            predicates[int(item_feature[it])][int(it - offsets[item_feature[it]])]
            for it in items[i, : levels[i]]
        )
        slices.append(
            ChangedSlice(
                predicates=preds,
                score=float(ranks[i]),
                size_baseline=int(cb.size[i]),
                error_baseline=float(st.error_base[i]),
                error_ci_low_baseline=float(st.ci_base[0][i]),
                error_ci_high_baseline=float(st.ci_base[1][i]),
                size_new=int(cn.size[i]),
                error_new=float(st.error_new[i]),
                error_ci_low_new=float(st.ci_new[0][i]),
                error_ci_high_new=float(st.ci_new[1][i]),
                change=float(st.change[i]),
                change_ci_low=float(st.ci_change[0][i]),
                change_ci_high=float(st.ci_change[1][i]),
                excess_change=float(st.change[i] - overall_change),
                rest_change=float(st.rest_change[i]),
                p_worse=float(st.p_worse[i]),
                p_excess=float(st.p_excess[i]),
                p_value=float(p_value[i]),
                p_value_adjusted=float(p_adjusted[i]),
                significant=bool(p_adjusted[i] <= fdr),
                test=test,
            )
        )

    overall = _overall(tot_b, tot_n, tot_d, binary=binary, test=test)
    notes = [
        overall.describe(),
        f"Bins: the baseline's; {n_evaluated:,} slices evaluated; "
        f"Benjamini-Hochberg over all of them (slices below min_support={min_support} rows "
        "on a side, or not worse by more than the rest, count as p = 1).",
        f"Tests: {test} for 'the slice got worse', and a Welch-type difference in "
        "differences for 'more than the rest'; a slice is significant when both are.",
    ]
    if not can_search:
        notes.append("Every error on both sides is 0: nothing changed.")
    parameters = {
        "ranking": ranking,
        "alpha": alpha,
        "k": k,
        "max_predicates": max_predicates,
        "min_support": min_support,
        "fdr": fdr,
        "paired": paired,
    }
    return ChangeFindings(
        overall=overall,
        slices=tuple(slices),
        n_evaluated=n_evaluated,
        ranking=ranking,
        parameters=FrozenDict(parameters),
        notes=tuple(notes),
    )


def _overall(
    tot_b: SliceCounts,
    tot_n: SliceCounts,
    tot_d: SliceCounts | None,
    *,
    binary: bool,
    test: str,
) -> OverallChange:
    """The whole data's change: both sides' errors with intervals, the difference, a p."""
    st = change_statistics(tot_b, tot_n, tot_b, tot_n, binary=binary, diff=tot_d, totals_diff=tot_d)
    return OverallChange(
        n_baseline=int(tot_b.size[0]),
        n_new=int(tot_n.size[0]),
        error_baseline=float(st.error_base[0]),
        error_ci_low_baseline=float(st.ci_base[0][0]),
        error_ci_high_baseline=float(st.ci_base[1][0]),
        error_new=float(st.error_new[0]),
        error_ci_low_new=float(st.ci_new[0][0]),
        error_ci_high_new=float(st.ci_new[1][0]),
        change=float(st.change[0]),
        change_ci_low=float(st.ci_change[0][0]),
        change_ci_high=float(st.ci_change[1][0]),
        p_worse=float(st.p_worse[0]),
        paired=tot_d is not None,
        test=test,
    )


def _subset(side: ChangeSide, mask: np.ndarray) -> ChangeSide:
    return ChangeSide(
        tuple(c[mask] for c in side.columns),
        side.errors[mask],
        None if side.weights is None else side.weights[mask],
    )


def _confirmed(
    baseline: ChangeSide,
    new: ChangeSide,
    *,
    cardinalities: list[int],
    predicates: Sequence[Sequence[Predicate]],
    paired: bool,
    ranking: str,
    alpha: float,
    k: int,
    max_predicates: int,
    min_support: int,
    fdr: float,
    confirm_fraction: float,
    random_state: int,
) -> ChangeFindings:
    """Search on discovery splits, measure the reported slices on the held-out rows."""
    from workbench.search._split import SplitAssigner

    if paired:
        mask_b = SplitAssigner(confirm_fraction, random_state).assign(
            (baseline.errors > 0) | (new.errors > 0)
        )
        mask_n = mask_b
    else:
        mask_b = SplitAssigner(confirm_fraction, random_state).assign(baseline.errors > 0)
        mask_n = SplitAssigner(confirm_fraction, random_state).assign(new.errors > 0)
    for name, mask in (("baseline", mask_b), ("new", mask_n)):
        if mask.all() or not mask.any():
            raise DataError(
                f"A confirmation split needs rows in both parts of each side. The {name} side's "
                f"{len(mask)} rows split into {int(mask.sum())} and {int((~mask).sum())}. Pass "
                "more rows or confirm=False."
            )
    found = change_search(
        _subset(baseline, mask_b),
        _subset(new, mask_n),
        cardinalities=cardinalities,
        predicates=predicates,
        paired=paired,
        ranking=ranking,
        alpha=alpha,
        k=k,
        max_predicates=max_predicates,
        min_support=min_support,
        fdr=fdr,
    )
    held_b, held_n = _subset(baseline, ~mask_b), _subset(new, ~mask_n)
    block_b, block_n = held_b.block(), held_n.block()
    block_d = None
    if paired:
        block_d = RowBlock(list(held_b.columns), held_n.errors - held_b.errors, held_b.weights)
    binary = baseline.binary and new.binary
    where = {p: (j, c) for j, preds in enumerate(predicates) for c, p in enumerate(preds)}
    n = len(found)
    counts = [SliceCounts.zeros(n, True) for _ in range(3)]
    lengths = np.array([len(s.predicates) for s in found], dtype=np.int64)
    for level in np.unique(lengths):
        idx = np.flatnonzero(lengths == level)
        pairs = np.array([[where[p] for p in found[int(i)].predicates] for i in idx])
        plan = make_plan(
            pairs[:, :, 0],
            pairs[:, :, 1],
            cardinalities,
            _max_bins(max(held_b.n_rows, held_n.n_rows)),
        )
        for target, block in zip(counts, (block_b, block_n, block_d), strict=True):
            if block is None:
                continue
            part = plan.count(block, moments=True)
            for name in _FIELDS:
                getattr(target, name)[idx] = getattr(part, name)
    tot_b, tot_n = _totals(block_b), _totals(block_n)
    tot_d = None if block_d is None else _totals(block_d)
    st = change_statistics(
        counts[0],
        counts[1],
        tot_b,
        tot_n,
        binary=binary,
        diff=counts[2] if paired else None,
        totals_diff=tot_d,
    )
    p_value = np.maximum(st.p_worse, st.p_excess)
    p_adjusted = benjamini_hochberg(p_value)
    full_b, full_n = baseline.block(), new.block()
    full_d = (
        RowBlock(list(baseline.columns), new.errors - baseline.errors, baseline.weights)
        if paired
        else None
    )
    t_b, t_n = _totals(full_b), _totals(full_n)
    overall = _overall(
        t_b,
        t_n,
        None if full_d is None else _totals(full_d),
        binary=binary,
        test=found.overall.test,
    )
    slices = []
    for i, s in enumerate(found):
        slices.append(
            dataclasses.replace(
                s,
                size_baseline=int(counts[0].size[i]),
                error_baseline=float(st.error_base[i]),
                error_ci_low_baseline=float(st.ci_base[0][i]),
                error_ci_high_baseline=float(st.ci_base[1][i]),
                size_new=int(counts[1].size[i]),
                error_new=float(st.error_new[i]),
                error_ci_low_new=float(st.ci_new[0][i]),
                error_ci_high_new=float(st.ci_new[1][i]),
                change=float(st.change[i]),
                change_ci_low=float(st.ci_change[0][i]),
                change_ci_high=float(st.ci_change[1][i]),
                excess_change=float(
                    st.change[i]
                    - (t_n.error_sum[0] / t_n.weight_sum[0] - t_b.error_sum[0] / t_b.weight_sum[0])
                ),
                rest_change=float(st.rest_change[i]),
                p_worse=float(st.p_worse[i]),
                p_excess=float(st.p_excess[i]),
                p_value=float(p_value[i]),
                p_value_adjusted=float(p_adjusted[i]),
                significant=bool(p_adjusted[i] <= fdr),
            )
        )
    notes = [
        overall.describe(),
        f"Bins: the baseline's. The search ran on a discovery split of each side "
        f"({found.overall.n_baseline:,} baseline and {found.overall.n_new:,} new rows, "
        f"{found.n_evaluated:,} slices evaluated); the slices' statistics are on the held-out "
        f"confirmation split ({held_b.n_rows:,} and {held_n.n_rows:,} rows), "
        f"Benjamini-Hochberg over the {n} reported slices; the overall change is on all rows.",
        *found.notes[2:],
    ]
    parameters = {
        **dict(found.parameters),
        "confirm": True,
        "confirm_fraction": confirm_fraction,
        "random_state": random_state,
    }
    return ChangeFindings(
        overall=overall,
        slices=tuple(slices),
        n_evaluated=found.n_evaluated,
        ranking=ranking,
        parameters=FrozenDict(parameters),
        notes=tuple(notes),
        statistics_on="confirmation split",
    )
