"""Exhaustive enumeration of every conjunction: the reference the search must match."""

from __future__ import annotations

import itertools

import numpy as np


def brute_force_top_k(
    codes: np.ndarray,
    errors: np.ndarray,
    weights: np.ndarray | None,
    *,
    alpha: float,
    k: int,
    max_predicates: int,
    min_support: int,
) -> list[tuple[tuple[tuple[int, int], ...], float]]:
    """Every qualifying slice ranked like SliceSearch: [(((feature, code), ...), score)]."""
    n, m = codes.shape
    w = np.ones(n) if weights is None else weights
    overall = errors.sum() / w.sum()
    found = []
    for level in range(1, min(max_predicates, m) + 1):
        for feats in itertools.combinations(range(m), level):
            sub = codes[:, feats]
            values, inverse = np.unique(sub, axis=0, return_inverse=True)
            inverse = inverse.ravel()
            size = np.bincount(inverse, minlength=len(values))
            err = np.bincount(inverse, weights=errors, minlength=len(values))
            wsum = np.bincount(inverse, weights=w, minlength=len(values))
            for v in range(len(values)):
                if size[v] < min_support or overall == 0:
                    continue
                score = alpha * ((err[v] / wsum[v]) / overall - 1) - (1 - alpha) * (n / size[v] - 1)
                ratio = (err[v] / wsum[v]) / overall
                if score > 1e-12 * (alpha * ratio + (1 - alpha) * n / size[v]):
                    found.append(
                        (tuple(zip(feats, (int(c) for c in values[v]), strict=True)), score)
                    )
    if not found:
        return []
    found.sort(key=lambda item: (-item[1], len(item[0]), item[0]))
    if len(found) > k:
        kth = found[k - 1][1]
        found = [item for item in found if item[1] >= kth - 1e-12 * abs(kth)]
    return found
