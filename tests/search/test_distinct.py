"""Distinct groups: the walk down the exact ranking, refilled to k, with alternatives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.search import SliceSearch

from ._brute import brute_force_top_k


def _mask(codes: np.ndarray, key: tuple[tuple[int, int], ...]) -> np.ndarray:
    rows = np.ones(len(codes), dtype=bool)
    for feature, code in key:
        rows &= codes[:, feature] == code
    return rows


def _expected(codes, errors, *, k, max_predicates, min_support, ranking, max_overlap):
    ranked = brute_force_top_k(
        codes,
        errors,
        None,
        alpha=0.95,
        k=10**9,
        max_predicates=max_predicates,
        min_support=min_support,
        ranking=ranking,
    )
    kept: list[tuple] = []
    alternatives: dict[tuple, list[tuple]] = {}
    for key, _ in ranked:
        mask = _mask(codes, key)
        overlaps = []
        for other in kept:
            o = _mask(codes, other)
            overlaps.append((mask & o).sum() / (mask | o).sum())
        if overlaps and max(overlaps) > max_overlap:
            alternatives[kept[int(np.argmax(overlaps))]].append(key)
            continue
        kept.append(key)
        alternatives[key] = []
        if len(kept) == k:  # the walk stops at the k-th group
            break
    return kept, alternatives


@st.composite
def small_data(draw):
    n = draw(st.integers(10, 80))
    m = draw(st.integers(1, 4))
    cards = draw(st.lists(st.integers(1, 4), min_size=m, max_size=m))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    codes = np.column_stack([rng.integers(0, c, n) for c in cards])
    errors = (rng.random(n) < draw(st.floats(0.1, 0.6))).astype(float)
    return (
        codes,
        cards,
        errors,
        draw(st.integers(1, 5)),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 6)),
        draw(st.sampled_from(["sliceline", "excess"])),
        draw(st.sampled_from([0.0, 0.3, 0.5, 0.8])),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_data())
def test_distinct_groups_equal_the_walk_down_the_brute_force_ranking(data):
    codes, cards, errors, k, max_predicates, min_support, ranking, max_overlap = data
    m = codes.shape[1]
    search = SliceSearch(
        k=k,
        max_predicates=max_predicates,
        min_support=min_support,
        ranking=ranking,
        max_overlap=max_overlap,
        confirm=False,
    ).fit_codes(
        codes,
        errors,
        feature_names=[f"f{j}" for j in range(m)],
        value_labels=[list(range(c)) for c in cards],
    )
    kept, alternatives = _expected(
        codes,
        errors,
        k=k,
        max_predicates=max_predicates,
        min_support=min_support,
        ranking=ranking,
        max_overlap=max_overlap,
    )
    got = [
        tuple((int(p.feature[1:]), int(p.value)) for p in s.predicates) for s in search.findings_
    ]
    if ranking == "sliceline":  # sums of 0/1 errors are exact: the order is too
        assert got == kept
    else:  # t quantiles and Wilson bounds: same groups, order up to rounding ties
        assert sorted(got) == sorted(kept)
    described = dict(zip(got, search.alternatives_, strict=True))
    for key in got:
        names = [" AND ".join(f"f{f} = {c}" for f, c in alt) for alt in alternatives[key]]
        assert sorted(described[key]) == sorted(names)


def test_refills_to_k_when_near_duplicates_fill_the_exact_top_k(rng):
    n = 6000
    df = pd.DataFrame(
        {
            "group": rng.choice(["a", "b", "c", "d"], n, p=[0.1, 0.3, 0.3, 0.3]),
            "same": None,
            "x": rng.choice(["u", "v", "w"], n),
            "y": rng.choice(["p", "q"], n),
            "z": rng.choice(["r", "s", "t", "o"], n),
        }
    )
    df["same"] = np.where(df.group == "a", "A", "other")  # a second name for group a
    errors = (rng.random(n) < np.where(df.group == "a", 0.6, 0.15)).astype(float)
    exact = SliceSearch(k=5, distinct=False, confirm=False).fit(df, errors).findings_
    distinct = SliceSearch(k=5, confirm=False)
    found = distinct.fit(df, errors).findings_
    assert sum("group = a" in s.description or "same = A" in s.description for s in exact) >= 4
    assert len(found) == 5
    first = found[0].description
    assert first in ("group = a", "same = A")
    assert {"group = a", "same = A"} - {first} <= set(distinct.alternatives_[0])
