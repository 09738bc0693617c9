"""The binary joint histogram (sizes and error counts in one pass) equals two bincounts."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.search import _counts
from workbench.search._counts import RowBlock, binary_joint


@pytest.mark.parametrize("chunk_rows", [7, 1000, 1 << 16])
def test_binary_joint_equals_sizes_and_error_counts(rng, monkeypatch, chunk_rows) -> None:
    monkeypatch.setattr(_counts, "_CHUNK_ROWS", chunk_rows)
    n, cards = 5000, [3, 5, 2, 300]
    columns = [rng.integers(0, c, n).astype(np.uint8 if c <= 256 else np.uint16) for c in cards]
    errors = (rng.random(n) < 0.3).astype(float)
    rows = RowBlock(columns, errors, None, binary=True)
    for features in ([0], [1, 3], [0, 1, 2, 3]):
        key = np.zeros(n, dtype=np.int64)
        for f in features:
            key = key * cards[f] + columns[f]
        n_bins = int(np.prod([cards[f] for f in features]))
        joint = binary_joint(rows, features, cards)
        np.testing.assert_array_equal(joint[0], np.bincount(key, minlength=n_bins))
        np.testing.assert_array_equal(
            joint[1], np.bincount(key, weights=errors, minlength=n_bins).astype(np.int64)
        )
    empty = RowBlock([c[:0] for c in columns], errors[:0], None, binary=True)
    assert binary_joint(empty, [0, 1], cards).shape == (2, 15)
    assert not binary_joint(empty, [0, 1], cards).any()


def test_planned_single_counts_equal_one_histogram_per_column(rng, monkeypatch) -> None:
    from workbench.search import _aggregators

    n, cards = 3000, [3, 5, 2, 7, 4]
    columns = [rng.integers(0, c, n).astype(np.uint8) for c in cards]
    rows = RowBlock(columns, (rng.random(n) < 0.3).astype(float), None, binary=True)
    direct = _aggregators._single_counts(rows, cards)
    monkeypatch.setattr(_aggregators, "_PLANNED_SINGLES_ROWS", 0)
    monkeypatch.setattr(_aggregators, "_PLANNED_SINGLES_BINS", 16)  # several histograms
    planned = _aggregators._block_profile(rows, cards, extremes=False)[1]
    for name in ("size", "error_sum", "weight_sum", "error_sq_sum", "error_weight_sum"):
        np.testing.assert_array_equal(getattr(planned, name), getattr(direct, name))
    np.testing.assert_array_equal(planned.weight_sq_sum, direct.weight_sq_sum)
