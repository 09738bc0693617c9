"""Honest statistics of slices from their counts: error, CI, rest error, p-values, BH.

Everything is computed, vectorised, from additive counts (size, error and weight
sums and, for continuous or weighted errors, second moments), so the same code
serves a few reported slices on a confirmation split and every slice the search
evaluated in-sample.

* 0/1 errors with unit weights: Wilson score interval; one-sided p-value of
  "slice error > rest error" from the exact hypergeometric tail
  ``P(X >= errors in slice)`` with ``X ~ Hypergeom(N, K, slice size)`` (Fisher's
  exact test). The normal approximation understates p for small slices.
* Continuous or weighted errors: the slice error is the ratio estimator
  ``R = sum(e) / sum(w)``; its standard error is the linearised one,
  ``sqrt(n / (n - 1) * sum((e_i - R w_i)^2)) / sum(w)``, and the 95 % interval is
  ``R +- t(0.975, n - 1) * se`` (clipped at 0). The p-value is a one-sided Welch-type
  t-test of slice versus rest in which the slice's per-row variance is floored at
  the rest's (a tiny slice whose values happen to agree must not look certain)
  and the degrees of freedom are the slice's ``n - 1`` (never more than Welch's).
* The rows a slice's error rests on (``min_errors`` is a floor on them):
  ``error_rows = sum(e)^2 / sum(e^2)``, Kish's effective number of erring rows.
  With 0/1 errors (also the fairness rates, whose errors are 0/1 on the rows they
  are defined on) it is the number of errors; with continuous or weighted errors it
  is the number of rows with a nonzero error when those errors are equal, and fewer
  when a few rows carry most of the error mass (one outlier counts as one row,
  whatever its size). It is scale-free, so one floor means the same for a 0/1 error,
  an absolute error in dollars and word errors.
* Benjamini--Hochberg adjusted p-values over ``m`` hypotheses, where ``m`` may
  exceed the p-values given: the missing ones are taken as p = 1 (conservative).

This module imports numpy and scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from workbench.findings import P_VALUE_FLOOR
from workbench.search._counts import SliceCounts

__all__ = [
    "SliceStatistics",
    "benjamini_hochberg",
    "error_rows",
    "hypergeom_upper_tail",
    "ratio_interval",
    "slice_statistics",
    "wilson_interval",
]

Z_95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class SliceStatistics:
    slice_error: np.ndarray
    error_ci_low: np.ndarray
    error_ci_high: np.ndarray
    rest_error: np.ndarray
    p_value: np.ndarray


def error_rows(
    error_sum: np.ndarray, error_sq_sum: np.ndarray | None, *, binary: bool
) -> np.ndarray:
    """The effective number of rows carrying a slice's error, ``sum(e)^2 / sum(e^2)``.

    Equal to the error count for 0/1 errors (``binary`` or not, since then
    ``e^2 = e``); between 1 and the number of nonzero-error rows otherwise; 0 for a
    slice without error. Rounded to 6 decimals, so equal errors count exactly.

    Examples
    --------
    >>> error_rows(np.array([3.0]), np.array([3.0]), binary=False)  # three 0/1 errors
    array([3.])
    >>> error_rows(np.array([10.0]), np.array([100.0]), binary=False)  # one row, error 10
    array([1.])
    >>> error_rows(np.array([4.0]), np.array([4.0 / 3]), binary=False)  # 12 rows of 1/3
    array([12.])
    """
    error_sum = np.asarray(error_sum, dtype=np.float64)
    if binary or error_sq_sum is None:
        return error_sum.copy()
    error_sq_sum = np.asarray(error_sq_sum, dtype=np.float64)
    out = np.zeros_like(error_sum)
    positive = error_sq_sum > 0
    out[positive] = error_sum[positive] ** 2 / error_sq_sum[positive]
    # rounded so that five equal errors count as 5 rows, not 4.999999999999999
    return np.round(out, 6)


def _ratio_variance(
    size: np.ndarray,
    ratio: np.ndarray,
    error_sq: np.ndarray,
    error_weight: np.ndarray,
    weight_sq: np.ndarray,
) -> np.ndarray:
    """Per-row variance of the residuals e_i - R w_i (n - 1 denominator)."""
    residual_sq = error_sq - 2 * ratio * error_weight + ratio * ratio * weight_sq
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(size > 1, np.maximum(residual_sq, 0.0) / (size - 1), np.nan)


def wilson_interval(errors: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of ``errors / size`` (NaN where ``size`` is 0).

    Examples
    --------
    >>> low, high = wilson_interval(np.array([5.0]), np.array([10.0]))
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.2366, 0.7634)
    """
    size = np.asarray(size, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.asarray(errors, dtype=np.float64) / size
        denom = 1 + Z_95**2 / size
        centre = (share + Z_95**2 / (2 * size)) / denom
        half = Z_95 * np.sqrt(share * (1 - share) / size + Z_95**2 / (4 * size * size)) / denom
    return centre - half, centre + half


def ratio_interval(
    size: np.ndarray,
    error_sum: np.ndarray,
    weight_sum: np.ndarray,
    error_sq_sum: np.ndarray,
    error_weight_sum: np.ndarray,
    weight_sq_sum: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """95 % t-interval of the ratio estimator ``sum(e) / sum(w)`` (low clipped at 0,
    NaN for fewer than two rows)."""
    size = np.asarray(size, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = error_sum / weight_sum
        var = _ratio_variance(size, ratio, error_sq_sum, error_weight_sum, weight_sq_sum)
        se = np.sqrt(var * size) / weight_sum
        t_crit = stats.t.ppf(0.975, np.maximum(size - 1, 1))
        low = np.where(size > 1, np.maximum(ratio - t_crit * se, 0.0), np.nan)
        high = np.where(size > 1, ratio + t_crit * se, np.nan)
    return low, high


def slice_statistics(
    slices: SliceCounts,
    totals: SliceCounts,
    *,
    binary: bool,
    eligible: np.ndarray | None = None,
    exact_below: float = 1.0,
) -> SliceStatistics:
    """Statistics of each slice measured against the rows counted in ``totals``.

    ``eligible`` marks the slices whose p-value must be computed; the others get
    p = 1 (used for slices that can never be reported). With 0/1 errors, slices
    whose Chernoff bound on the hypergeometric tail exceeds ``exact_below`` get
    that bound as their p-value instead of the exact tail (it is never smaller:
    conservative, and much cheaper when thousands of slices were evaluated).
    """
    size = slices.size.astype(np.float64)
    total_size = float(totals.size[0])
    rest_size = total_size - size
    rest_err_sum = np.maximum(float(totals.error_sum[0]) - slices.error_sum, 0.0)
    rest_w_sum = float(totals.weight_sum[0]) - slices.weight_sum
    with np.errstate(divide="ignore", invalid="ignore"):
        slice_error = np.where(slices.weight_sum > 0, slices.error_sum / slices.weight_sum, np.nan)
        rest_error = np.where(
            rest_w_sum > 0, rest_err_sum / np.where(rest_w_sum > 0, rest_w_sum, 1), np.nan
        )
    p_value = np.ones(len(size))
    want = (size > 0) & (rest_size > 0) & (slice_error > rest_error)
    if eligible is not None:
        want &= eligible
    if binary:
        ci_low, ci_high = wilson_interval(slices.error_sum, size)
        if want.any():
            n_errors = round(float(totals.error_sum[0]))
            k = np.rint(slices.error_sum)
            bound = _hypergeom_tail_bound(k, size, n_errors / total_size)
            exact = want & (bound <= exact_below) if exact_below < 1 else want
            p_value[want] = bound[want]
            p_value[exact] = hypergeom_upper_tail(k[exact], int(total_size), n_errors, size[exact])
    else:
        if not slices.has_moments or not totals.has_moments:
            raise ValueError("continuous statistics need second moments")
        assert slices.error_sq_sum is not None and slices.error_weight_sum is not None
        assert slices.weight_sq_sum is not None and totals.error_sq_sum is not None
        assert totals.error_weight_sum is not None and totals.weight_sq_sum is not None
        var_slice = _ratio_variance(
            size,
            slice_error,
            slices.error_sq_sum,
            slices.error_weight_sum,
            slices.weight_sq_sum,
        )
        var_rest = _ratio_variance(
            rest_size,
            rest_error,
            float(totals.error_sq_sum[0]) - slices.error_sq_sum,
            float(totals.error_weight_sum[0]) - slices.error_weight_sum,
            float(totals.weight_sq_sum[0]) - slices.weight_sq_sum,
        )
        ci_low, ci_high = ratio_interval(
            size,
            slices.error_sum,
            slices.weight_sum,
            slices.error_sq_sum,
            slices.error_weight_sum,
            slices.weight_sq_sum,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            floored = np.fmax(var_slice, var_rest)
            se_slice = np.sqrt(floored * size) / slices.weight_sum
            se_rest = np.sqrt(var_rest * rest_size) / rest_w_sum
            se_diff = np.sqrt(se_slice**2 + np.nan_to_num(se_rest) ** 2)
            t_stat = (slice_error - rest_error) / se_diff
        df = np.maximum(size - 1, 1)
        ok = want & np.isfinite(t_stat)
        p_value[ok] = np.exp(stats.t.logsf(t_stat[ok], df[ok]))
        zero_se = want & ~np.isfinite(t_stat) & (se_diff == 0)
        p_value[zero_se] = 0.0  # no variation at all and a real difference
    empty = size == 0
    slice_error = np.where(empty, np.nan, slice_error)
    ci_low = np.where(empty, np.nan, ci_low)
    ci_high = np.where(empty, np.nan, ci_high)
    # Tiny p-values come from log-space survival functions; below the floor they are
    # kept at the floor (shown as "< 1e-300"), never rounded to 0.
    return SliceStatistics(
        slice_error, ci_low, ci_high, rest_error, np.clip(p_value, P_VALUE_FLOOR, 1.0)
    )


#: Terms summed per slice before the tail is left to scipy (a tail that long is rare).
_MAX_TERMS = 20_000


def hypergeom_upper_tail(
    errors: np.ndarray, total: int, total_errors: int, size: np.ndarray
) -> np.ndarray:
    """Exact ``P(X >= errors)`` for ``X ~ Hypergeom(total, total_errors, size)``, vectorised.

    The first term is scipy's log-pmf (the same ``betaln`` formula as
    ``scipy.stats.hypergeom``); the rest of the tail follows from the ratio of successive
    terms, ``pmf(x + 1) / pmf(x) = (K - x)(n - x) / ((x + 1)(N - K - n + x + 1))``, summed
    until a term adds less than 1e-17 of the sum. Above the mode the terms only shrink, so
    the sum stops after a few standard deviations; scipy's ``logsf`` (a Python loop over
    the slices, hundreds of times slower on thousands of them) remains for tails below the
    mode and for tails longer than ``_MAX_TERMS`` terms.

    Examples
    --------
    >>> from scipy import stats
    >>> p = hypergeom_upper_tail(np.array([21.0]), 1000, 121, np.array([56.0]))
    >>> bool(np.isclose(p[0], stats.hypergeom.sf(20, 1000, 121, 56), rtol=1e-12))
    True
    """
    from scipy.special import betaln

    k = np.asarray(errors, dtype=np.float64)
    n = np.asarray(size, dtype=np.float64)
    big_n, good = float(total), float(total_errors)
    bad = big_n - good
    out = np.ones(len(k))
    top = np.minimum(n, good)
    out[k > top] = 0.0
    mode = np.floor((n + 1) * (good + 1) / (big_n + 2))
    fast = (k > mode) & (k <= top)
    slow = (k <= mode) & (k <= top) & (k > np.maximum(0.0, n - bad))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        kf, nf = k[fast], n[fast]
        log_first = (
            betaln(good + 1, 1)
            + betaln(bad + 1, 1)
            + betaln(big_n - nf + 1, nf + 1)
            - betaln(kf + 1, good - kf + 1)
            - betaln(nf - kf + 1, bad - nf + kf + 1)
            - betaln(big_n + 1, 1)
        )
        # sum of term(x) / term(k) over x = k .. top, element by element until small
        total_sum = np.ones(len(kf))
        term = np.ones(len(kf))
        x = kf.copy()
        top_fast = top[fast]
        active = np.flatnonzero(x < top_fast)
        steps = 0
        block = 16
        while len(active) and steps < _MAX_TERMS:
            # ``block`` steps at once: the running product and sum are accumulated left
            # to right (cumprod, cumsum), the same operations in the same order as one
            # step at a time, so every element stops at the same step with the same sum.
            width = min(block, _MAX_TERMS - steps)
            xa = x[active][:, None] + np.arange(width)
            na = nf[active][:, None]
            ratios = (good - xa) * (na - xa) / ((xa + 1) * (bad - na + xa + 1))
            terms = np.cumprod(np.column_stack([term[active], ratios]), axis=1)[:, 1:]
            sums = np.cumsum(np.column_stack([total_sum[active], terms]), axis=1)[:, 1:]
            done = (terms < 1e-17 * sums) | (xa + 1 >= top_fast[active][:, None])
            stop = np.where(done.any(axis=1), done.argmax(axis=1), width - 1)
            rows = np.arange(len(active))
            term[active] = terms[rows, stop]
            total_sum[active] = sums[rows, stop]
            x[active] += stop + 1
            steps += width
            active = active[~done[rows, stop]]
            block = min(2 * block, 256)
        result = np.exp(log_first + np.log(total_sum))
        if len(active):  # tails too long to sum here
            slow_fast = np.flatnonzero(fast)[active]
            result[active] = np.exp(
                stats.hypergeom.logsf(k[slow_fast] - 1, total, total_errors, n[slow_fast])
            )
    out[fast] = result
    if slow.any():
        out[slow] = np.exp(stats.hypergeom.logsf(k[slow] - 1, total, total_errors, n[slow]))
    return out


def _hypergeom_tail_bound(errors: np.ndarray, size: np.ndarray, rate: float) -> np.ndarray:
    """Chernoff bound ``exp(-n KL(k/n || K/N))`` on ``P(X >= k)``, X hypergeometric.

    Sampling without replacement obeys the same Chernoff bound as sampling with
    replacement (Hoeffding, 1963, section 6), so this is a valid upper bound.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        share = errors / size
        kl = np.where(share > 0, share * np.log(share / rate), 0.0) + np.where(
            share < 1, (1 - share) * np.log((1 - share) / (1 - rate)), 0.0
        )
        bound = np.exp(-size * kl)
    return np.where((share > rate) & np.isfinite(bound), np.minimum(bound, 1.0), 1.0)


def benjamini_hochberg(p_values: np.ndarray, n_tests: int | None = None) -> np.ndarray:
    """Benjamini--Hochberg adjusted p-values over ``n_tests`` hypotheses.

    Hypotheses beyond ``len(p_values)`` count as p = 1, which only raises the
    adjusted values (conservative). The adjustment is
    :func:`scipy.stats.false_discovery_control`.

    Examples
    --------
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03]))
    array([0.03, 0.04, 0.04])
    >>> benjamini_hochberg(np.array([0.01]), n_tests=5)
    array([0.05])
    """
    p = np.asarray(p_values, dtype=np.float64)
    if len(p) == 0:
        return p.copy()
    m = len(p) if n_tests is None else max(int(n_tests), len(p))
    # The p = 1 hypotheses beyond the given ones rank last: padding with ones is exact.
    padded = np.concatenate([p, np.ones(m - len(p))]) if m > len(p) else p
    return np.asarray(stats.false_discovery_control(padded, method="bh"))[: len(p)]
