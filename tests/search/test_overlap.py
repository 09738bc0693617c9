"""The one near-duplicate rule: fold a ranked list by Jaccard overlap of rows."""

from __future__ import annotations

import numpy as np

from workbench.search import fold_near_duplicates, jaccard_of_masks


def test_folds_into_the_kept_slice_overlapping_most(rng):
    base = rng.random(200) < 0.3
    masks = [
        base,
        base | (rng.random(200) < 0.02),  # nearly the same rows
        ~base,  # the other rows
        ~base & (rng.random(200) < 0.9),  # nearly the other rows
        rng.random(200) < 0.1,  # a small group of its own
    ]
    kept, attached = fold_near_duplicates(5, jaccard_of_masks(masks), max_overlap=0.5)
    assert kept == [0, 2, 4]
    assert attached == {0: [1], 2: [3], 4: []}
    # the walk stops at the k-th kept slice
    assert fold_near_duplicates(5, jaccard_of_masks(masks), max_overlap=0.5, k=2)[0] == [0, 2]


def test_matches_pairwise_brute_force(rng):
    for _ in range(20):
        masks = [rng.random(60) < rng.uniform(0.1, 0.9) for _ in range(12)]
        kept, _ = fold_near_duplicates(12, jaccard_of_masks(masks), max_overlap=0.3, block=5)
        expected: list[int] = []
        for i, m in enumerate(masks):
            if all((m & masks[j]).sum() / (m | masks[j]).sum() <= 0.3 for j in expected):
                expected.append(i)
        assert kept == expected


def test_empty_masks_do_not_overlap():
    empty = np.zeros(10, dtype=bool)
    assert jaccard_of_masks([empty, empty])([(0, 1)]) == {(0, 1): 0.0}
