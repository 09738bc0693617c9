"""Certification arithmetic: the acceptance rule, its report, and the holdout bound.

For a group g and a candidate h against the current model f on the owner's
holdout of n rows: mu = |g| / n, Delta = err(f | g) - err(h | g), accept iff
mu * Delta >= alpha. Reported with both errors' 95 % Wilson intervals and a
one-sided exact McNemar test of err(h | g) < err(f | g) on the discordant pairs.
Imports numpy and scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Certificate", "certify", "default_budget", "holdout_rows_needed"]


def default_budget(alpha: float) -> int:
    """How many updates one holdout certifies: floor(2 / alpha).

    Each accepted update lowers the holdout error by at least alpha, and its true
    improvement is at least alpha / 2 while the holdout is fresh, so at most
    2 / alpha updates can be certified before the holdout is spent.

    Examples
    --------
    >>> default_budget(0.005)
    400
    """
    return max(1, math.floor(2.0 / alpha + 1e-9))


def holdout_rows_needed(alpha: float, budget: int, delta: float = 0.05) -> int:
    """Holdout rows needed so that every certified update truly helps.

    A certification estimates mu * Delta as the mean, over the n holdout rows,
    of a per-row difference in [-1, 1] (1 when the row is in g, f errs and h does
    not; -1 the other way). By Hoeffding's inequality the estimate exceeds the
    truth by alpha / 2 or more with probability at most exp(-n alpha^2 / 8);
    with a union bound over the ``budget`` accepted updates, n >= 8 ln(budget /
    delta) / alpha^2 rows make every accepted update improve the true error by
    at least alpha / 2 with probability 1 - delta (the bound behind the budget
    of 2 / alpha updates).

    Examples
    --------
    >>> holdout_rows_needed(0.05, 40)
    21391
    """
    return math.ceil(8.0 * math.log(budget / delta) / alpha**2)


def _wilson(count: int, size: int) -> tuple[float, float]:
    if size == 0:
        return math.nan, math.nan
    interval = stats.binomtest(count, size).proportion_ci(confidence_level=0.95, method="wilson")
    return float(interval.low), float(interval.high)


@dataclass(frozen=True)
class Certificate:
    """The numbers of one certification on the holdout (all on the group's holdout rows)."""

    n_holdout: int
    n_group: int
    mu: float
    current_errors: int
    candidate_errors: int
    current_error: float
    current_error_ci: tuple[float, float]
    candidate_error: float
    candidate_error_ci: tuple[float, float]
    delta: float
    improvement: float
    alpha: float
    current_wrong_candidate_right: int
    current_right_candidate_wrong: int
    p_value: float
    accepted: bool

    @property
    def reason(self) -> str:
        lhs = f"mu*Delta = {self.mu:.4f} x {self.delta:+.4f} = {self.improvement:.5f}"
        if self.accepted:
            return f"accepted: {lhs} >= alpha = {self.alpha:g}"
        if self.delta <= 0:
            return (
                f"rejected: h is not better on the group (error {self.candidate_error:.4f} vs "
                f"{self.current_error:.4f} for the current model), so {lhs} < alpha = "
                f"{self.alpha:g}"
            )
        return (
            f"rejected: {lhs} < alpha = {self.alpha:g} (the group is too small or the gain "
            "too little)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "mu": self.mu,
            "n_holdout": self.n_holdout,
            "n_group": self.n_group,
            "current_error": self.current_error,
            "current_error_ci_low": self.current_error_ci[0],
            "current_error_ci_high": self.current_error_ci[1],
            "candidate_error": self.candidate_error,
            "candidate_error_ci_low": self.candidate_error_ci[0],
            "candidate_error_ci_high": self.candidate_error_ci[1],
            "delta": self.delta,
            "improvement": self.improvement,
            "alpha": self.alpha,
            "current_wrong_candidate_right": self.current_wrong_candidate_right,
            "current_right_candidate_wrong": self.current_right_candidate_wrong,
            "p_value": self.p_value,
            "test": "one-sided exact McNemar (binomial on discordant pairs): err(h|g) < err(f|g)",
            "accepted": self.accepted,
            "reason": self.reason,
        }


def certify(
    current_wrong: np.ndarray, candidate_wrong: np.ndarray, n_holdout: int, alpha: float
) -> Certificate:
    """Certify a candidate from the 0/1 errors of both models on the group's holdout rows."""
    current_wrong = np.asarray(current_wrong, dtype=bool)
    candidate_wrong = np.asarray(candidate_wrong, dtype=bool)
    n_group = int(current_wrong.size)
    k_f, k_h = int(current_wrong.sum()), int(candidate_wrong.sum())
    better = int((current_wrong & ~candidate_wrong).sum())
    worse = int((~current_wrong & candidate_wrong).sum())
    discordant = better + worse
    p_value = (
        float(stats.binomtest(better, discordant, 0.5, alternative="greater").pvalue)
        if discordant
        else 1.0
    )
    mu = n_group / n_holdout
    delta = (k_f - k_h) / n_group
    improvement = (k_f - k_h) / n_holdout
    return Certificate(
        n_holdout=n_holdout,
        n_group=n_group,
        mu=mu,
        current_errors=k_f,
        candidate_errors=k_h,
        current_error=k_f / n_group,
        current_error_ci=_wilson(k_f, n_group),
        candidate_error=k_h / n_group,
        candidate_error_ci=_wilson(k_h, n_group),
        delta=delta,
        improvement=improvement,
        alpha=alpha,
        current_wrong_candidate_right=better,
        current_right_candidate_wrong=worse,
        p_value=p_value,
        # the rule in counts, exact: (k_f - k_h) / n >= alpha
        accepted=(k_f - k_h) >= alpha * n_holdout - 1e-9,
    )
