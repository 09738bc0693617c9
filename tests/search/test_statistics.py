"""Honest statistics: calibrated p-values on null data, power on planted slices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.search import SliceSearch, benjamini_hochberg


def _null_run(seed: int, kind: str, n: int, confirm: bool, ranking: str = "excess") -> bool:
    rng = np.random.default_rng(seed)
    m = 5
    cards = rng.integers(2, 6, m)
    codes = np.column_stack([rng.integers(0, c, n) for c in cards])
    weights = None
    if kind == "binary":
        errors = (rng.random(n) < 0.2).astype(float)
    elif kind == "continuous":
        errors = rng.exponential(1.0, n) * (rng.random(n) < 0.5)
    else:  # word errors over reference words: weighted
        weights = rng.integers(1, 20, n).astype(float)
        errors = rng.binomial(weights.astype(int), 0.15).astype(float)
    search = SliceSearch(confirm=confirm, min_confirm_rows=0, ranking=ranking).fit_codes(
        codes,
        errors,
        weights,
        feature_names=[f"f{j}" for j in range(m)],
        value_labels=[list(range(c)) for c in cards],
    )
    return any(s.significant for s in search.findings_)


@pytest.mark.parametrize(
    ("kind", "confirm", "n_seeds", "ranking"),
    [
        ("binary", False, 1000, "excess"),
        ("binary", True, 200, "excess"),
        ("continuous", False, 400, "excess"),
        ("weighted", False, 150, "excess"),
        ("weighted", True, 150, "excess"),
        ("binary", False, 200, "sliceline"),
        ("continuous", False, 100, "sliceline"),
        ("weighted", True, 100, "sliceline"),
    ],
)
def test_null_data_rarely_reports_a_significant_slice(kind, confirm, n_seeds, ranking):
    # errors independent of the features: at most 5 % of runs may report any
    # significant slice, under each ranking (benchmarks/null_rate.py and
    # benchmarks/audit_rates.py run 1,000 seeds)
    hits = sum(_null_run(seed, kind, 300, confirm, ranking) for seed in range(n_seeds))
    assert hits / n_seeds <= 0.05


@pytest.mark.parametrize("confirm", [False, True])
@pytest.mark.parametrize("kind", ["binary", "continuous", "weighted"])
def test_planted_slice_is_significant(rng, confirm, kind):
    n, cards = 3000, [3, 4, 2, 5]
    codes = np.column_stack([rng.integers(0, c, n) for c in cards])
    planted = (codes[:, 0] == 1) & (codes[:, 1] == 2)
    weights = None
    if kind == "binary":
        errors = (rng.random(n) < np.where(planted, 0.6, 0.1)).astype(float)
    elif kind == "continuous":
        errors = rng.exponential(np.where(planted, 3.0, 1.0))
    else:
        weights = rng.integers(1, 20, n).astype(float)
        errors = rng.binomial(weights.astype(int), np.where(planted, 0.5, 0.1)).astype(float)
    search = SliceSearch(k=5, confirm=confirm).fit_codes(
        codes,
        errors,
        weights,
        feature_names=["a", "b", "c", "d"],
        value_labels=[list(range(c)) for c in cards],
    )
    best = search.findings_[0]
    # the excess ranking may prefer a lucky part of the planted group
    assert {"a": 1, "b": 2}.items() <= best.conditions.items()
    assert best.significant
    assert best.error_ci_low <= best.slice_error <= best.error_ci_high
    assert best.rest_error < best.error_ci_low
    expected_on = "confirmation split" if confirm else "all rows"
    assert best.statistics_on == expected_on
    assert any(
        expected_on.split()[0] in note or "in-sample" in note for note in search.findings_.notes
    )


def test_binary_statistics_are_wilson_and_exact_hypergeometric():
    codes = np.array([[0]] * 56 + [[1]] * 944)
    errors = np.zeros(1000)
    errors[:21] = 1.0  # 21 errors among the 56 rows of the slice
    errors[56:156] = 1.0  # 100 errors among the other 944
    search = SliceSearch(k=1, min_support=10, confirm=False).fit_codes(
        codes, errors, feature_names=["g"], value_labels=[["a", "b"]]
    )
    s = search.findings_[0]
    assert s.conditions == {"g": "a"}
    assert s.p_value == pytest.approx(stats.hypergeom.sf(20, 1000, 121, 56), rel=1e-9)
    table = [[21, 35], [100, 844]]
    assert s.p_value == pytest.approx(stats.fisher_exact(table, alternative="greater")[1])
    z = stats.norm.ppf(0.975)
    p, n = 21 / 56, 56
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (s.error_ci_low, s.error_ci_high) == pytest.approx((centre - half, centre + half))
    assert s.rest_error == pytest.approx(100 / 944)
    # in-sample: BH over every evaluated slice (here the two values of g)
    assert search.n_evaluated_ == 2
    assert s.p_value_adjusted == pytest.approx(min(1.0, 2 * s.p_value))
    assert "statistics are in-sample" in search.findings_.notes[0]


def test_benjamini_hochberg_matches_definition(rng):
    p = rng.random(50) ** 3
    adjusted = benjamini_hochberg(p, n_tests=80)
    for i in range(50):
        expected = min(1.0, min(80 * p[j] / (np.sum(p <= p[j])) for j in range(50) if p[j] >= p[i]))
        assert adjusted[i] == pytest.approx(expected)


def test_tiny_data_with_one_error_calls_nothing_significant(rng):
    n = 172
    df = pd.DataFrame({"a": rng.choice(list("xyz"), n), "b": rng.choice(list("pq"), n)})
    errors = np.zeros(n)
    errors[5] = 1.0
    search = SliceSearch().fit(df, errors)
    assert not any(s.significant for s in search.findings_)
    assert all(s.slice_size >= 20 for s in search.findings_)  # the row floor
    # the first note says so plainly, and what to change
    first = search.findings_.notes[0]
    assert first.startswith("The data cannot support findings: the 172 rows hold 1 error,")
    assert "min_errors=5" in first and "use more rows" in first
    # and no advice to list more slices
    assert not any(note.startswith(("Only ", "No slice")) for note in search.findings_.notes)


def test_too_few_rows_for_the_size_floor_cannot_support_findings(rng):
    df = pd.DataFrame({"a": rng.choice(list("xy"), 18)})
    errors = (rng.random(18) < 0.5).astype(float)
    errors[:6] = 1.0
    search = SliceSearch().fit(df, errors)
    assert len(search.findings_) == 0
    first = search.findings_.notes[0]
    assert first.startswith("The data cannot support findings: 18 rows were searched")
    assert "min_rows=20" in first and "lower min_rows / min_support" in first


def test_enough_data_has_no_cannot_support_note(rng):
    df = pd.DataFrame({"a": rng.choice(list("xyz"), 500)})
    errors = (rng.random(500) < 0.2).astype(float)
    notes = SliceSearch().fit(df, errors).findings_.notes
    assert not any(note.startswith("The data cannot support findings") for note in notes)


@pytest.mark.parametrize("kind", ["continuous", "weighted"])
def test_min_errors_counts_the_rows_the_error_rests_on_for_every_metric(kind):
    # 400 rows; a = 0 (100 rows) has 15 rows with an error, the rest 3 in 300
    n = 400
    a = np.repeat([0, 1, 2, 3], 100)
    erring = np.zeros(n, dtype=bool)
    erring[:15] = True
    erring[[150, 250, 350]] = True
    weights = None
    if kind == "continuous":  # equal non-0/1 errors: 15 erring rows count as 15
        errors = np.where(erring, 1.5, 0.0)
    else:  # word errors over reference words
        weights = np.full(n, 10.0)
        errors = np.where(erring, 4.0, 0.0)

    def top(min_errors: int):
        search = SliceSearch(min_errors=min_errors, k=1).fit_codes(
            a[:, None], errors, weights, feature_names=["a"], value_labels=[[0, 1, 2, 3]]
        )
        return search.findings_

    found = top(15)
    assert found[0].description == "a = 0" and found[0].significant
    held = top(16)
    assert held[0].description == "a = 0" and not held[0].significant
    assert any("fewer than min_errors=16 erring rows" in note for note in held.notes)
    # 18 erring rows in all: a floor above that cannot be met by any slice
    assert top(19).notes[0].startswith("The data cannot support findings")


def test_error_rows_equals_the_error_count_for_0_1_errors():
    from workbench.search import error_rows

    errors = np.array([7.0, 0.0, 3.0])
    assert list(error_rows(errors, errors, binary=False)) == [7.0, 0.0, 3.0]
    assert list(error_rows(errors, None, binary=True)) == [7.0, 0.0, 3.0]
    # five rows of 0.1: five rows, not 4.999999999999999
    assert error_rows(np.array([0.5]), np.array([5 * 0.1 * 0.1]), binary=False)[0] == 5.0
    # one outlier carrying nearly all of the error counts as about one row
    e = np.array([1000.0, *[0.1] * 9])
    assert error_rows(np.array([e.sum()]), np.array([(e * e).sum()]), binary=False)[0] < 1.01


@pytest.mark.parametrize(
    ("ranking", "fragment"),
    [
        ("sliceline", "raise alpha toward 1"),
        ("excess", "lower min_support"),
    ],
)
def test_fewer_than_k_slices_say_why_and_what_to_change(rng, ranking, fragment):
    n = 2000
    df = pd.DataFrame({"a": rng.choice(list("xyz"), n), "b": rng.choice(list("pq"), n)})
    errors = (rng.random(n) < np.where(df.a == "x", 0.4, 0.1)).astype(float)
    found = SliceSearch(ranking=ranking, k=50, confirm=False).fit(df, errors).findings_
    assert len(found) < 50
    shortfall = [note for note in found.notes if note.startswith(("Only ", "No slice"))]
    assert len(shortfall) == 1 and fragment in shortfall[0] and "(k=50)" in shortfall[0]


def test_default_scan_reports_a_small_minority_with_twice_the_error():
    rng = np.random.default_rng(7)
    n = 5000
    group = rng.random(n) < 0.025
    df = pd.DataFrame(
        {
            "gender": np.where(group, "non-binary", rng.choice(["female", "male"], n)),
            "region": rng.choice(list("abcd"), n),
            "age": rng.choice(["young", "middle", "old"], n),
        }
    )
    errors = (rng.random(n) < np.where(group, 0.4, 0.2)).astype(float)
    found = SliceSearch().fit(df, errors)
    named = [
        s.description == "gender = non-binary" or "gender = non-binary" in alt
        for s, alt in zip(found.findings_, found.alternatives_, strict=True)
    ]
    assert any(named)
    sliceline = SliceSearch(ranking="sliceline", distinct=False).fit(df, errors).findings_
    assert "gender = non-binary" not in [s.description for s in sliceline]


def test_vectorised_hypergeometric_tail_equals_scipy(rng):
    from workbench.search._stats import hypergeom_upper_tail

    for total, total_errors in [(300, 30), (1000, 121), (100_000, 13_000), (100_000, 3)]:
        size = rng.integers(1, total, 400).astype(float)
        mean = size * total_errors / total
        errors = np.clip(np.rint(mean + rng.uniform(-3, 12, 400) * np.sqrt(mean + 1)), 0, size)
        expected = np.exp(stats.hypergeom.logsf(errors - 1, total, total_errors, size))
        got = hypergeom_upper_tail(errors, total, total_errors, size)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-300)
