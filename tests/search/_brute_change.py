"""Exhaustive enumeration for the differential search: the reference it must match."""

from __future__ import annotations

import itertools

import numpy as np
from scipy import stats


def _per_slice(codes: np.ndarray, feats: tuple[int, ...], values: tuple[int, ...]) -> np.ndarray:
    mask = np.ones(len(codes), dtype=bool)
    for f, v in zip(feats, values, strict=True):
        mask &= codes[:, f] == v
    return mask


def brute_force_change(
    codes_b: np.ndarray,
    errors_b: np.ndarray,
    codes_n: np.ndarray,
    errors_n: np.ndarray,
    *,
    weights_b: np.ndarray | None = None,
    weights_n: np.ndarray | None = None,
    cards: list[int],
    alpha: float,
    k: int,
    max_predicates: int,
    min_support: int,
) -> list[tuple[tuple[tuple[int, int], ...], float]]:
    """Every qualifying slice under the "change" score, ranked like change_search."""
    wb = np.ones(len(errors_b)) if weights_b is None else weights_b
    wn = np.ones(len(errors_n)) if weights_n is None else weights_n
    overall = errors_n.sum() / wn.sum() - errors_b.sum() / wb.sum()
    pooled = (errors_b.sum() + errors_n.sum()) / (wb.sum() + wn.sum())
    n = len(errors_b) + len(errors_n)
    found = []
    m = codes_b.shape[1]
    for level in range(1, min(max_predicates, m) + 1):
        for feats in itertools.combinations(range(m), level):
            for values in itertools.product(*(range(cards[f]) for f in feats)):
                mb = _per_slice(codes_b, feats, values)
                mn = _per_slice(codes_n, feats, values)
                sb, sn = int(mb.sum()), int(mn.sum())
                if sb < min_support or sn < min_support or pooled == 0:
                    continue
                eb = errors_b[mb].sum() / wb[mb].sum()
                en = errors_n[mn].sum() / wn[mn].sum()
                score = alpha * ((en - eb) - overall) / pooled - (1 - alpha) * (n / (sb + sn) - 1)
                magnitude = alpha * (en + eb + abs(overall)) / pooled + (1 - alpha) * n / (sb + sn)
                if score > 1e-12 * magnitude:
                    found.append((tuple(zip(feats, values, strict=True)), float(score)))
    found.sort(key=lambda item: (-item[1], len(item[0]), item[0]))
    if len(found) > k:
        kth = found[k - 1][1]
        found = [item for item in found if item[1] >= kth - 1e-12 * abs(kth)]
    return found


def fisher_one_sided(k_new: int, n_new: int, k_base: int, n_base: int) -> float:
    """P(new error > baseline error) by scipy's Fisher exact test (one-sided)."""
    table = [[k_new, n_new - k_new], [k_base, n_base - k_base]]
    return float(stats.fisher_exact(table, alternative="greater").pvalue)
