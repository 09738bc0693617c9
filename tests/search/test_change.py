"""Differential search: exact against brute force, planted pairs, the tests it reports."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tests.search._brute_change import brute_force_change, fisher_one_sided
from workbench.exceptions import ParameterError
from workbench.findings import Predicate
from workbench.search._change import ChangeSide, change_search


def _preds(cards: list[int]) -> list[list[Predicate]]:
    return [[Predicate.eq(f"f{j}", f"v{c}") for c in range(card)] for j, card in enumerate(cards)]


def _codes(rng: np.random.Generator, n: int, cards: list[int]) -> np.ndarray:
    return np.column_stack([rng.integers(0, c, n) for c in cards])


def _side(codes: np.ndarray, errors: np.ndarray, weights: np.ndarray | None = None) -> ChangeSide:
    return ChangeSide(tuple(codes[:, j] for j in range(codes.shape[1])), errors, weights)


def _search(codes_b, e_b, codes_n, e_n, cards, w_b=None, w_n=None, **kw):
    return change_search(
        _side(codes_b, e_b, w_b),
        _side(codes_n, e_n, w_n),
        cardinalities=cards,
        predicates=_preds(cards),
        **kw,
    )


def _as_items(found, cards):
    offsets = {}
    out = []
    for s in found:
        items = []
        for p in s.predicates:
            j = int(p.feature[1:])
            items.append((j, int(str(p.value)[1:])))
        out.append((tuple(items), s.score))
    del offsets
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("weighted", [False, True])
def test_change_search_equals_brute_force(seed: int, weighted: bool) -> None:
    rng = np.random.default_rng(seed)
    cards = [int(c) for c in rng.integers(2, 5, 4)]
    n_b, n_n = int(rng.integers(150, 300)), int(rng.integers(150, 300))
    codes_b, codes_n = _codes(rng, n_b, cards), _codes(rng, n_n, cards)
    if weighted:
        w_b = rng.integers(1, 10, n_b).astype(float)
        w_n = rng.integers(1, 10, n_n).astype(float)
        e_b = rng.binomial(w_b.astype(int), 0.2).astype(float)
        e_n = rng.binomial(w_n.astype(int), 0.2 + 0.3 * (codes_n[:, 0] == 1)).astype(float)
    else:
        w_b = w_n = None
        e_b = (rng.random(n_b) < 0.2).astype(float)
        e_n = (rng.random(n_n) < 0.2 + 0.3 * (codes_n[:, 0] == 1)).astype(float)
    k = int(rng.integers(3, 12))
    min_support = int(rng.integers(1, 15))
    alpha = float(rng.choice([0.5, 0.9, 0.95, 1.0]))
    got = _search(
        codes_b,
        e_b,
        codes_n,
        e_n,
        cards,
        w_b,
        w_n,
        k=k,
        max_predicates=3,
        min_support=min_support,
        alpha=alpha,
    )
    want = brute_force_change(
        codes_b,
        e_b,
        codes_n,
        e_n,
        weights_b=w_b,
        weights_n=w_n,
        cards=cards,
        alpha=alpha,
        k=k,
        max_predicates=3,
        min_support=min_support,
    )
    got_items = _as_items(got, cards)
    assert [g[0] for g in got_items] == [w[0] for w in want]
    np.testing.assert_allclose([g[1] for g in got_items], [w[1] for w in want], rtol=1e-9)


def test_excess_ranking_ranks_every_supported_slice_by_its_lower_bound() -> None:
    rng = np.random.default_rng(3)
    cards = [3, 2, 2]
    codes_b, codes_n = _codes(rng, 400, cards), _codes(rng, 400, cards)
    e_b = (rng.random(400) < 0.1).astype(float)
    e_n = (rng.random(400) < 0.1 + 0.5 * (codes_n[:, 0] == 2) * (codes_n[:, 1] == 1)).astype(float)
    out = _search(codes_b, e_b, codes_n, e_n, cards, ranking="excess", k=3, min_support=10)
    assert out[0].description == "f0 = v2 AND f1 = v1"
    ranks = [s.score for s in out]
    assert ranks == sorted(ranks, reverse=True)
    for s in out:
        assert s.score == pytest.approx(s.change_ci_low - out.overall.change)
    with pytest.raises(ParameterError, match="ranking"):
        _search(codes_b, e_b, codes_n, e_n, cards, ranking="best")


def _planted(rng: np.random.Generator, n: int, cards: list[int], rise: float, uniform: float = 0.0):
    codes_b, codes_n = _codes(rng, n, cards), _codes(rng, n, cards)
    base_rate = 0.15
    e_b = (rng.random(n) < base_rate).astype(float)
    group = (codes_n[:, 0] == 1) & (codes_n[:, 1] == 0)
    e_n = (rng.random(n) < base_rate + uniform + rise * group).astype(float)
    return codes_b, e_b, codes_n, e_n


def test_a_group_that_got_worse_only_on_the_new_side_is_the_top_finding() -> None:
    cards = [3, 3, 4, 2]
    codes_b, e_b, codes_n, e_n = _planted(np.random.default_rng(1), 3000, cards, rise=0.3)
    out = _search(codes_b, e_b, codes_n, e_n, cards, k=5, min_support=30)
    top = out[0]
    assert top.description == "f0 = v1 AND f1 = v0"
    assert top.significant
    assert top.change_ci_low < top.change < top.change_ci_high
    assert top.error_ci_low_new < top.error_new < top.error_ci_high_new
    assert top.change == pytest.approx(top.error_new - top.error_baseline)


def test_an_identical_new_side_gives_no_slice() -> None:
    cards = [3, 3, 4]
    rng = np.random.default_rng(2)
    codes = _codes(rng, 1000, cards)
    errors = (rng.random(1000) < 0.2).astype(float)
    for paired in (False, True):
        out = _search(codes, errors, codes, errors, cards, min_support=10, paired=paired)
        assert out.overall.change == 0.0
        assert len(out) == 0


def test_no_change_flags_a_slice_in_at_most_five_percent_of_runs() -> None:
    # The full 1,000-seed run is benchmarks/null_change_rate.py; this is its quick version.
    cards = [3, 3, 4, 2]
    flagged = 0
    runs = 100
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        codes_b, e_b, codes_n, e_n = _planted(rng, 600, cards, rise=0.0)
        out = _search(codes_b, e_b, codes_n, e_n, cards, k=10, min_support=10)
        flagged += bool(out.significant)
    assert flagged / runs <= 0.05


def test_a_uniform_shift_gives_the_overall_change_and_no_slice() -> None:
    cards = [3, 3, 4, 2]
    flagged = 0
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        codes_b, e_b, codes_n, e_n = _planted(rng, 2000, cards, rise=0.0, uniform=0.1)
        out = _search(codes_b, e_b, codes_n, e_n, cards, k=10, min_support=20)
        assert out.overall.change == pytest.approx(0.1, abs=0.04)
        assert out.overall.p_worse < 1e-6
        assert out.overall.change_ci_low > 0
        flagged += bool(out.significant)
    assert flagged <= 1


def test_two_datasets_use_fisher_for_0_1_errors() -> None:
    cards = [3, 3, 4, 2]
    codes_b, e_b, codes_n, e_n = _planted(np.random.default_rng(4), 1500, cards, rise=0.25)
    out = _search(codes_b, e_b, codes_n, e_n, cards, k=3, min_support=20)
    s = out[0]
    assert s.test == "exact Fisher"
    mb = (codes_b[:, 0] == 1) & (codes_b[:, 1] == 0)
    mn = (codes_n[:, 0] == 1) & (codes_n[:, 1] == 0)
    want = fisher_one_sided(int(e_n[mn].sum()), int(mn.sum()), int(e_b[mb].sum()), int(mb.sum()))
    assert s.p_worse == pytest.approx(want, rel=1e-9)


def test_two_datasets_use_welch_for_continuous_errors() -> None:
    rng = np.random.default_rng(5)
    cards = [2, 3]
    codes_b, codes_n = _codes(rng, 500, cards), _codes(rng, 400, cards)
    e_b = rng.exponential(1.0, 500)
    e_n = rng.exponential(1.0, 400) * (1 + 1.5 * (codes_n[:, 0] == 1))
    out = _search(codes_b, e_b, codes_n, e_n, cards, k=3, min_support=20, max_predicates=1)
    s = out[0]
    assert s.description == "f0 = v1" and s.test == "Welch t"
    mb, mn = codes_b[:, 0] == 1, codes_n[:, 0] == 1
    want = stats.ttest_ind(e_n[mn], e_b[mb], equal_var=False, alternative="greater").pvalue
    assert s.p_worse == pytest.approx(float(want), rel=1e-6)


def test_paired_0_1_errors_use_exact_mcnemar_on_discordant_pairs() -> None:
    rng = np.random.default_rng(6)
    cards = [3, 2, 2]
    codes = _codes(rng, 2000, cards)
    e_v1 = (rng.random(2000) < 0.2).astype(float)
    group = codes[:, 0] == 2
    flip = rng.random(2000) < 0.25 * group
    e_v2 = np.where(flip, 1.0, e_v1)
    e_v2 = np.where(~group & (rng.random(2000) < 0.02), 1 - e_v2, e_v2)
    out = _search(codes, e_v1, codes, e_v2, cards, k=3, min_support=20, paired=True)
    s = out[0]
    assert s.description == "f0 = v2" and s.test == "exact McNemar (paired)"
    assert s.significant
    worse = int(((e_v1 == 0) & (e_v2 == 1) & group).sum())
    better = int(((e_v1 == 1) & (e_v2 == 0) & group).sum())
    want = stats.binomtest(worse, worse + better, 0.5, alternative="greater").pvalue
    assert s.p_worse == pytest.approx(float(want), rel=1e-9)
    d = (e_v2 - e_v1)[group]
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    assert (s.change_ci_low, s.change_ci_high) == pytest.approx((d.mean() - half, d.mean() + half))
    # the unpaired analysis of the same rows is a different (weaker) test
    unpaired = _search(codes, e_v1, codes, e_v2, cards, k=3, min_support=20)
    assert unpaired[0].test == "exact Fisher"
    assert unpaired[0].p_worse > s.p_worse


def test_paired_continuous_errors_use_the_paired_t_test() -> None:
    rng = np.random.default_rng(7)
    cards = [2, 2]
    codes = _codes(rng, 600, cards)
    e_v1 = rng.exponential(1.0, 600)
    e_v2 = e_v1 + rng.normal(0, 0.5, 600) + 0.4 * (codes[:, 0] == 1)
    e_v2 = np.abs(e_v2)
    out = _search(codes, e_v1, codes, e_v2, cards, k=2, min_support=20, paired=True)
    s = next(s for s in out if s.description == "f0 = v1")
    assert s.test == "paired t (per-row differences)"
    g = codes[:, 0] == 1
    want = stats.ttest_rel(e_v2[g], e_v1[g], alternative="greater").pvalue
    assert s.p_worse == pytest.approx(float(want), rel=1e-6)


def test_a_confirmation_split_measures_the_reported_slices_on_held_out_rows() -> None:
    cards = [3, 3, 4, 2]
    codes_b, e_b, codes_n, e_n = _planted(np.random.default_rng(9), 6000, cards, rise=0.3)
    out = _search(codes_b, e_b, codes_n, e_n, cards, k=5, min_support=30, confirm=True)
    assert out.statistics_on == "confirmation split"
    top = out[0]
    assert top.description == "f0 = v1 AND f1 = v0" and top.significant
    # the statistics are those of the held-out rows, recomputed directly
    from workbench.search._split import SplitAssigner

    held_b = ~SplitAssigner(0.5, 0).assign(e_b > 0)
    held_n = ~SplitAssigner(0.5, 0).assign(e_n > 0)
    in_b = held_b & (codes_b[:, 0] == 1) & (codes_b[:, 1] == 0)
    in_n = held_n & (codes_n[:, 0] == 1) & (codes_n[:, 1] == 0)
    assert top.size_baseline == int(in_b.sum()) and top.size_new == int(in_n.sum())
    assert top.change == pytest.approx(e_n[in_n].mean() - e_b[in_b].mean())
    want = fisher_one_sided(
        int(e_n[in_n].sum()), int(in_n.sum()), int(e_b[in_b].sum()), int(in_b.sum())
    )
    assert top.p_worse == pytest.approx(want, rel=1e-9)
    assert out.overall.n_baseline == 6000  # the overall change is on all rows
    assert out.to_frame()["statistics_on"].eq("confirmation split").all()
