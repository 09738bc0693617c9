"""The confirmation split: the lowest seeded hashes of each block, whole or in batches,
and a search on handed-over arrays that splits them in place finds the same slices."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.search import SliceSearch
from workbench.search._split import BLOCK, SplitAssigner, _splitmix64, _splitmix64_scalar


def _by_ranks(positive: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The split's definition: within each stratum's blocks, ranks by hash below the cut."""
    take = round((1.0 - fraction) * BLOCK)
    out = np.empty(len(positive), dtype=bool)
    for stratum in (0, 1):
        rows = np.flatnonzero(positive == bool(stratum))
        n_blocks = -(-len(rows) // BLOCK)
        positions = np.arange(n_blocks * BLOCK, dtype=np.uint64)
        keys = _splitmix64(positions ^ np.uint64(_splitmix64_scalar(seed * 2 + stratum)))
        order = np.argsort(keys.reshape(-1, BLOCK), axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(BLOCK)[None, :], axis=1)
        out[rows] = ranks.ravel()[: len(rows)] < take
    return out


@pytest.mark.parametrize(
    ("n", "share", "fraction", "seed"),
    [
        (10, 0.3, 0.5, 1),
        (5000, 0.2, 0.5, 0),
        (70_000, 0.01, 0.3, 7),
        (3000, 0.0, 0.5, 2),
        (3000, 1.0, 0.5, 2),
        (4000, 0.5, 1e-4, 5),
        (4000, 0.5, 0.9999, 5),
    ],
)
def test_split_takes_the_lowest_hashes_of_each_block(rng, n, share, fraction, seed) -> None:
    positive = rng.random(n) < share
    whole = SplitAssigner(fraction, seed).assign(positive)
    np.testing.assert_array_equal(whole, _by_ranks(positive, fraction, seed))
    splitter = SplitAssigner(fraction, seed)
    batches = [splitter.assign(positive[i : i + 777]) for i in range(0, n, 777)]
    np.testing.assert_array_equal(np.concatenate(batches), whole)


def test_handed_over_rows_are_read_split_with_the_same_findings(rng) -> None:
    n = 6000
    codes = np.asfortranarray(rng.integers(0, 4, (n, 3)).astype(np.uint8))
    errors = (rng.random(n) < np.where(codes[:, 0] == 1, 0.5, 0.1)).astype(float)
    errors[codes[:, 1] == 2] *= 2.5  # not 0/1: the float sums must not change either
    names, labels = ["a", "b", "c"], [list("wxyz")] * 3
    original_errors = errors.copy()
    given = SliceSearch(k=5, min_support=50).fit_codes(
        codes, original_errors, feature_names=names, value_labels=labels
    )
    fronts = []

    def read_codes(front):
        fronts.append(front)
        if front is None:
            return codes
        return np.asfortranarray(np.concatenate([codes[front], codes[~front]]))

    handed = SliceSearch(k=5, min_support=50)._fit_handed_over(
        read_codes, errors, feature_names=names, value_labels=labels
    )
    assert handed.findings_.to_frame().equals(given.findings_.to_frame())
    mask = given.discovery_mask_
    assert mask is not None
    np.testing.assert_array_equal(handed.discovery_mask_, mask)
    # the codes were read once, discovery rows first; the errors moved the same way
    assert len(fronts) == 1
    np.testing.assert_array_equal(fronts[0], mask)
    np.testing.assert_array_equal(
        errors, np.concatenate([original_errors[mask], original_errors[~mask]])
    )
    # without a split the codes are read in row order and the errors stay
    unsplit = SliceSearch(k=5, min_support=50, confirm=False)._fit_handed_over(
        read_codes, original_errors.copy(), feature_names=names, value_labels=labels
    )
    assert fronts[-1] is None
    plain = SliceSearch(k=5, min_support=50, confirm=False).fit_codes(
        codes, original_errors, feature_names=names, value_labels=labels
    )
    assert unsplit.findings_.to_frame().equals(plain.findings_.to_frame())
