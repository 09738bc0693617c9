"""Synthetic data with planted high-error slices, for benchmarks and tests.

``make_planted(n_rows, n_features)`` draws integer-coded categorical features of
cardinality 2-20 (uniform codes), a base 0/1 error rate of about 10 %, and a few
planted conjunctions of 1-3 predicates whose rows err with probability 0.7. The
planted conjunctions are chosen so that each covers about 2-10 % of the rows
(cardinality product in [10, 50]). Imports numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PlantedData", "make_planted"]


@dataclass(frozen=True)
class PlantedData:
    codes: np.ndarray  # (n_rows, n_features) uint8, C order
    cardinalities: tuple[int, ...]
    errors: np.ndarray  # 0/1 float64
    planted: tuple[tuple[tuple[int, int], ...], ...]  # each: ((feature, code), ...)

    @property
    def feature_names(self) -> list[str]:
        return [f"f{j}" for j in range(self.codes.shape[1])]

    @property
    def value_labels(self) -> list[list[int]]:
        return [list(range(c)) for c in self.cardinalities]

    def columns(self) -> list[np.ndarray]:
        return [np.ascontiguousarray(self.codes[:, j]) for j in range(self.codes.shape[1])]


def make_planted(
    n_rows: int,
    n_features: int,
    *,
    seed: int = 0,
    n_planted: int = 3,
    base_error: float = 0.1,
    planted_error: float = 0.7,
) -> PlantedData:
    """Draw a planted-slice data set.

    Examples
    --------
    >>> data = make_planted(1000, 5, seed=1)
    >>> data.codes.shape, len(data.planted)
    ((1000, 5), 3)
    """
    rng = np.random.default_rng(seed)
    cards = rng.integers(2, 21, size=n_features)
    codes = np.empty((n_rows, n_features), dtype=np.uint8)
    for j, card in enumerate(cards):
        codes[:, j] = rng.integers(0, card, size=n_rows, dtype=np.uint8)
    in_planted = np.zeros(n_rows, dtype=bool)
    planted = []
    for p in range(n_planted):
        length = min(1 + p % 3, n_features)
        # each planted conjunction covers 2-10 % of the rows: cardinality product in [10, 50]
        for _ in range(1000):
            feats = sorted(rng.choice(n_features, size=length, replace=False))
            if 10 <= np.prod(cards[feats]) <= 50:
                break
        conj = tuple((int(f), int(rng.integers(0, cards[f]))) for f in feats)
        planted.append(conj)
        mask = np.ones(n_rows, dtype=bool)
        for f, c in conj:
            mask &= codes[:, f] == c
        in_planted |= mask
    p_error = np.where(in_planted, planted_error, base_error)
    errors = (rng.random(n_rows) < p_error).astype(np.float64)
    return PlantedData(codes, tuple(int(c) for c in cards), errors, tuple(planted))
