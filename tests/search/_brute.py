"""Exhaustive enumeration of every conjunction: the reference the search must match.

Each ranking is recomputed here from the rows of every slice, independently of the
search's count algebra (no shared helpers beyond numpy and scipy's quantiles).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import stats

Z = float(stats.norm.ppf(0.975))


def _wilson_low(errors: float, size: int) -> float:
    p = errors / size
    denom = 1 + Z * Z / size
    centre = p + Z * Z / (2 * size)
    half = Z * math.sqrt(p * (1 - p) / size + Z * Z / (4 * size * size))
    return (centre - half) / denom


def _t_low(e: np.ndarray, w: np.ndarray) -> float:
    """Lower end of the 95 % t-interval of sum(e)/sum(w), from the rows."""
    s = len(e)
    if s < 2:
        return math.nan
    ratio = e.sum() / w.sum()
    residual = e - ratio * w
    var = (residual * residual).sum() / (s - 1)
    se = math.sqrt(var * s) / w.sum()
    return max(ratio - float(stats.t.ppf(0.975, s - 1)) * se, 0.0)


def brute_force_top_k(
    codes: np.ndarray,
    errors: np.ndarray,
    weights: np.ndarray | None,
    *,
    alpha: float,
    k: int,
    max_predicates: int,
    min_support: int,
    ranking: str = "sliceline",
) -> list[tuple[tuple[tuple[int, int], ...], float]]:
    """Every qualifying slice ranked like SliceSearch: [(((feature, code), ...), rank)]."""
    n, m = codes.shape
    w = np.ones(n) if weights is None else weights
    binary = weights is None or bool(np.all(weights == 1))
    binary = binary and bool(np.all((errors == 0) | (errors == 1)))
    total_e, total_w = errors.sum(), w.sum()
    overall = total_e / total_w
    found = []
    for level in range(1, min(max_predicates, m) + 1):
        for feats in itertools.combinations(range(m), level):
            sub = codes[:, feats]
            for value in np.unique(sub, axis=0):
                rows = np.all(sub == value, axis=1)
                size = int(rows.sum())
                if size < min_support or overall == 0:
                    continue
                e, ws = errors[rows], w[rows]
                error = e.sum() / ws.sum()
                if ranking == "sliceline":
                    rank = alpha * (error / overall - 1) - (1 - alpha) * (n / size - 1)
                    tolerance = 1e-12 * (alpha * error / overall + (1 - alpha) * n / size)
                else:
                    if size == n:
                        continue
                    low = _wilson_low(e.sum(), size) if binary else _t_low(e, ws)
                    rest = max(total_e - e.sum(), 0.0) / (total_w - ws.sum())
                    rank = low - rest
                    tolerance = 1e-12 * (overall + error)
                    if math.isnan(rank):
                        continue
                if rank > tolerance:
                    key = tuple(zip(feats, (int(c) for c in value), strict=True))
                    found.append((key, rank))
    if not found:
        return []
    found.sort(key=lambda item: (-item[1], len(item[0]), item[0]))
    if len(found) > k:
        kth = found[k - 1][1]
        found = [item for item in found if item[1] >= kth - 1e-12 * abs(kth)]
    return found
