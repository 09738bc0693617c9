"""The pruned search returns exactly what exhaustive enumeration returns."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.search import SliceSearch

from ._brute import brute_force_top_k


def _as_keys(search: SliceSearch) -> list[tuple[tuple[int, int], ...]]:
    return [
        tuple((int(p.feature[1:]), int(p.value)) for p in s.predicates) for s in search.findings_
    ]


@st.composite
def datasets(draw):
    n = draw(st.integers(1, 60))
    m = draw(st.integers(1, 4))
    cards = draw(st.lists(st.integers(1, 4), min_size=m, max_size=m))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    codes = np.column_stack([rng.integers(0, c, n) for c in cards])
    kind = draw(st.sampled_from(["binary", "integer", "continuous"]))
    if kind == "binary":
        errors = (rng.random(n) < draw(st.floats(0.05, 0.6))).astype(float)
    elif kind == "integer":
        errors = rng.integers(0, 4, n).astype(float)
    else:
        errors = rng.exponential(1.0, n) * (rng.random(n) < 0.7)
    weight_kind = draw(st.sampled_from(["none", "integer", "continuous"]))
    weights = None
    if weight_kind == "integer":
        weights = rng.integers(1, 4, n).astype(float)
    elif weight_kind == "continuous":
        weights = rng.uniform(0.2, 3.0, n)
    alpha = draw(st.sampled_from([1.0, 0.95, 0.8, 0.5, 0.2]))
    k = draw(st.integers(1, 6))
    max_predicates = draw(st.integers(1, 4))
    if draw(st.booleans()):
        min_support: int | float = draw(st.integers(1, 8))
    else:
        min_support = draw(st.sampled_from([0.01, 0.05, 0.1, 0.3]))
    exact_sums = kind != "continuous" and weight_kind != "continuous"
    ranking = draw(st.sampled_from(["sliceline", "excess"]))
    return codes, cards, errors, weights, alpha, k, max_predicates, min_support, exact_sums, ranking


def _check_against_brute_force(
    codes,
    cards,
    errors,
    weights,
    alpha,
    k,
    max_predicates,
    min_support,
    exact_sums,
    ranking="sliceline",
    aggregator="numpy",
):
    n, m = codes.shape
    search = SliceSearch(
        ranking=ranking,
        distinct=False,
        min_rows=1,
        alpha=alpha,
        k=k,
        max_predicates=max_predicates,
        min_support=min_support,
        confirm=False,
        aggregator=aggregator,
    ).fit_codes(
        codes,
        errors,
        weights,
        feature_names=[f"f{j}" for j in range(m)],
        value_labels=[list(range(c)) for c in cards],
    )
    rows = min_support if isinstance(min_support, int) else max(1, int(min_support * n))
    expected = brute_force_top_k(
        codes,
        errors,
        weights,
        alpha=alpha,
        k=k,
        max_predicates=max_predicates,
        min_support=rows,
        ranking=ranking,
    )
    got = _as_keys(search)
    scores = np.array([s.score for s in search.findings_])
    if exact_sums and ranking == "sliceline":
        assert got == [key for key, _ in expected]
    else:  # float sums in another order (or t quantiles): same set, order up to rounding
        assert sorted(got) == sorted(key for key, _ in expected)
        assert np.all(np.diff(scores) <= 1e-9)
    np.testing.assert_allclose(scores, [s for _, s in expected], rtol=1e-9)
    for s in search.findings_:
        assert s.slice_size >= rows
        assert len({p.feature for p in s.predicates}) == len(s.predicates)
    return search


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_search_equals_brute_force(data):
    _check_against_brute_force(*data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_duckdb_aggregator_equals_brute_force(data):
    _check_against_brute_force(*data, aggregator="duckdb")


def test_ties_with_kth_are_all_returned():
    # four single-value slices with identical counts: k=2 must return all four
    codes = np.array([[0], [1], [2], [3], [4]] * 4)
    errors = np.array([1.0, 1.0, 1.0, 1.0, 0.0] * 4)
    search = SliceSearch(
        k=2, min_support=1, confirm=False, distinct=False, ranking="sliceline"
    ).fit_codes(codes, errors, feature_names=["f0"], value_labels=[list(range(5))])
    assert _as_keys(search) == [((0, 0),), ((0, 1),), ((0, 2),), ((0, 3),)]


def test_larger_random_data_equals_brute_force(rng):
    n, cards = 3000, [3, 5, 2, 7, 4, 6]
    codes = np.column_stack([rng.integers(0, c, n) for c in cards])
    errors = (rng.random(n) < 0.1 + 0.5 * ((codes[:, 0] == 1) & (codes[:, 3] < 2))).astype(float)
    for k in (1, 5, 20):
        _check_against_brute_force(codes, cards, errors, None, 0.95, k, 3, 0.01, True)


@pytest.mark.parametrize("ranking", ["sliceline", "excess"])
def test_search_on_discovery_rows_equals_brute_force_on_them(rng, ranking):
    n, cards = 4000, [3, 4, 2, 5]
    codes = np.column_stack([rng.integers(0, c, n) for c in cards])
    errors = (rng.random(n) < 0.1 + 0.4 * (codes[:, 1] == 2)).astype(float)
    search = SliceSearch(k=5, min_support=0.02, ranking=ranking, distinct=False).fit_codes(
        codes,
        errors,
        feature_names=[f"f{j}" for j in range(4)],
        value_labels=[list(range(c)) for c in cards],
    )
    mask = search.discovery_mask_
    assert mask is not None and 0.45 < mask.mean() < 0.55
    # stratified on error > 0
    assert abs(errors[mask].mean() - errors[~mask].mean()) < 0.01
    expected = brute_force_top_k(
        codes[mask],
        errors[mask],
        None,
        alpha=0.95,
        k=5,
        max_predicates=3,
        min_support=int(0.02 * mask.sum()),
        ranking=ranking,
    )
    assert _as_keys(search) == [key for key, _ in expected]
    assert all(s.statistics_on == "confirmation split" for s in search.findings_)
    for s in search.findings_:
        rows = np.ones(n, dtype=bool)
        for p in s.predicates:
            rows &= codes[:, int(p.feature[1:])] == p.value
        assert s.size_in_data == rows.sum()
        assert s.slice_size == s.stats_size == (rows & ~mask).sum()
        assert s.discovery_size == (rows & mask).sum()
        assert s.error_sum == errors[rows & ~mask].sum()


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("confirm", [False, True])
@pytest.mark.parametrize(("ranking", "distinct"), [("sliceline", False), ("excess", True)])
def test_fit_duckdb_streamed_equals_in_memory(tmp_path, rng, weighted, confirm, ranking, distinct):
    n, cards = 5000, [3, 4, 2, 6, 5]
    codes = np.column_stack([rng.integers(0, c, n) for c in cards]).astype(np.int64)
    errors = (rng.random(n) < 0.1 + 0.5 * (codes[:, 3] == 1)).astype(float)
    weights = rng.integers(1, 4, n).astype(float) if weighted else None
    names = [f"f{j}" for j in range(len(cards))]
    labels = [list(range(c)) for c in cards]
    params = dict(k=8, min_support=0.01, confirm=confirm, ranking=ranking, distinct=distinct)
    in_memory = SliceSearch(**params).fit_codes(
        codes, errors, weights, feature_names=names, value_labels=labels
    )
    con = duckdb.connect(str(tmp_path / "rows.duckdb"))
    table = {name: codes[:, j] for j, name in enumerate(names)}
    table["err"] = errors
    table["w"] = weights if weighted else np.ones(n)
    import pyarrow as pa

    con.register("staging", pa.table(table))
    con.execute("CREATE TABLE rows AS SELECT * FROM staging")
    streamed = SliceSearch(**params).fit_duckdb(
        con,
        "rows",
        feature_columns=names,
        error_column="err",
        weight_column="w" if weighted else None,
        value_labels=labels,
        batch_rows=700,
    )
    a, b = in_memory.findings_.to_frame(), streamed.findings_.to_frame()
    assert a.drop(columns=["p_value", "p_value_adjusted", "error_ci_low", "error_ci_high"]).equals(
        b.drop(columns=["p_value", "p_value_adjusted", "error_ci_low", "error_ci_high"])
    )
    np.testing.assert_allclose(a.p_value, b.p_value, rtol=1e-9)
    assert in_memory.n_evaluated_ == streamed.n_evaluated_
