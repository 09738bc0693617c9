"""The compiled counting kernels give the numpy path's counts bit for bit, and threads
count what one core counts."""

from __future__ import annotations

import itertools
import sys
from functools import partial

import numpy as np
import pytest

from workbench.search import _counts, _kernels, _parallel
from workbench.search._aggregators import _single_counts
from workbench.search._counts import _FIELDS, RowBlock, SliceCounts, binary_joint, make_plan

from ._two_jobs import assert_two_jobs_find_what_one_finds

pytest.importorskip("numba")


@pytest.fixture
def compiled(monkeypatch):
    """Kernels on for this test (loaded once per process)."""
    monkeypatch.setattr(_kernels, "ENABLED", True)
    assert _kernels.kernels() is not None
    return _kernels.loaded()


def _numpy_path(monkeypatch, count):
    with monkeypatch.context() as patch:
        patch.setattr(_kernels, "ENABLED", False)
        assert _kernels.loaded() is None
        return count()


def _assert_same(a: SliceCounts, b: SliceCounts) -> None:
    for name in _FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype, name
            np.testing.assert_array_equal(x, y, err_msg=name)  # bit for bit, floats too


def _data(rng, kind: str, n: int = 20_000):
    # a wide column (sparse joint histograms), codes that never occur (a "missing" code
    # kept in the cardinality), uint8 and uint16 codes
    cards = [3, 5, 2, 7, 400, 6]
    columns = [rng.integers(0, c, n).astype(np.uint8 if c <= 256 else np.uint16) for c in cards]
    columns[5] = np.where(columns[5] == 4, 5, columns[5]).astype(np.uint8)  # code 4 unused
    errors: np.ndarray
    weights = None
    if kind == "binary":
        errors = (rng.random(n) < 0.3).astype(float)
    elif kind == "continuous":
        errors = rng.exponential(size=n) * (rng.random(n) < 0.6)
    else:  # weighted, e.g. word errors over reference words
        weights = rng.integers(1, 20, n).astype(float)
        errors = np.minimum(rng.poisson(2.0, n), weights).astype(float)
    return cards, columns, errors, weights


def _candidates(cards, level):
    features, codes = [], []
    for feats in itertools.combinations(range(len(cards)), level):
        for values in itertools.product(*[range(min(cards[f], 5)) for f in feats]):
            features.append(feats)
            codes.append(values)
    return np.array(features), np.array(codes)


@pytest.mark.parametrize("kind", ["binary", "continuous", "weighted"])
@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("max_bins", [64, 1 << 12, 1 << 18])
def test_compiled_counts_equal_numpy_counts(rng, monkeypatch, compiled, kind, level, max_bins):
    cards, columns, errors, weights = _data(rng, kind)
    features, codes = _candidates(cards, level)
    plan = make_plan(features, codes, cards, max_bins)
    if max_bins == 64:
        assert plan.sparse_groups  # the lookup path is covered too
    for moments in (False, True):
        got = plan.count(RowBlock(columns, errors, weights, kind == "binary"), moments=moments)
        block = RowBlock(columns, errors, weights, kind == "binary")
        expected = _numpy_path(monkeypatch, partial(plan.count, block, moments=moments))
        _assert_same(got, expected)
    if level == 1:  # the code that never occurs counts nothing
        assert got.size[(features[:, 0] == 5) & (codes[:, 0] == 4)].tolist() == [0]


@pytest.mark.parametrize("chunk_rows", [7, 1000, 1 << 16])
def test_compiled_binary_joint_equals_numpy(rng, monkeypatch, compiled, chunk_rows):
    monkeypatch.setattr(_counts, "_CHUNK_ROWS", chunk_rows)
    cards, columns, errors, _ = _data(rng, "binary", 5000)
    rows = RowBlock(columns, errors, None, binary=True)
    for features in ([0], [4], [1, 3], [0, 1, 2, 3], [0, 4, 5]):
        got = binary_joint(rows, features, cards)
        expected = _numpy_path(monkeypatch, partial(binary_joint, rows, features, cards))
        assert got.dtype == expected.dtype == np.int64
        np.testing.assert_array_equal(got, expected)
    empty = RowBlock([c[:0] for c in columns], errors[:0], None, binary=True)
    assert not binary_joint(empty, [0, 1], cards).any()


@pytest.mark.parametrize("kind", ["binary", "continuous", "weighted"])
def test_compiled_single_counts_equal_numpy(rng, monkeypatch, compiled, kind):
    cards, columns, errors, weights = _data(rng, kind)
    got = _single_counts(RowBlock(columns, errors, weights, kind == "binary"), cards)
    expected = _numpy_path(
        monkeypatch,
        lambda: _single_counts(RowBlock(columns, errors, weights, kind == "binary"), cards),
    )
    _assert_same(got, expected)


@pytest.mark.parametrize("kind", ["binary", "continuous", "weighted"])
def test_threads_count_what_one_thread_counts(rng, monkeypatch, compiled, kind):
    monkeypatch.setattr(_parallel, "MIN_ROWS_PER_THREAD", 1000)
    cards, columns, errors, weights = _data(rng, kind)
    rows = RowBlock(columns, errors, weights, kind == "binary")
    shared = _parallel.SharedRows(rows, 2)
    assert shared.parallel and shared.threads
    for level, max_bins in ((1, 1 << 18), (2, 1 << 10), (3, 1 << 18)):
        features, codes = _candidates(cards, level)
        plan = make_plan(features, codes, cards, max_bins)
        one = plan.count(rows, moments=True)
        two = shared.count(plan, True)
        for name in ("size", "error_sum", "weight_sum"):
            if kind == "binary" or len(_parallel._split_plan(plan, 2, rows.n_rows)) >= 2:
                # integers, or each candidate counted by one thread: bit for bit
                np.testing.assert_array_equal(getattr(two, name), getattr(one, name))
            else:  # one histogram over two row ranges: float sums in another order
                np.testing.assert_allclose(getattr(two, name), getattr(one, name), rtol=1e-12)
        assert shared.count(plan, True).error_sum.tobytes() == two.error_sum.tobytes()


@pytest.mark.parametrize("confirm", [False, True])
def test_two_threads_find_what_one_finds(monkeypatch, compiled, confirm):
    monkeypatch.setattr(_parallel, "MIN_ROWS_PER_THREAD", 20_000)
    started = len(_parallel._WORKERS)
    assert_two_jobs_find_what_one_finds(120_000, confirm)
    assert len(_parallel._WORKERS) == started  # threads: no worker process was started


def test_kernels_off_or_missing_means_numpy(monkeypatch):
    monkeypatch.setattr(_kernels, "ENABLED", False)
    assert _kernels.kernels() is None and _kernels.loaded() is None
    assert _kernels.warm_up() is None
    monkeypatch.setattr(_kernels, "ENABLED", True)
    monkeypatch.setattr(_kernels, "_KERNELS", [])
    monkeypatch.setitem(sys.modules, "workbench.search._compiled", None)  # numba missing
    assert _kernels.kernels() is None and _kernels.loaded() is None


def test_numba_without_a_cache_folder_means_numpy(monkeypatch):
    import importlib

    def no_cache_folder(name, *args):
        raise RuntimeError("cannot cache function 'count': no locator available")

    monkeypatch.setattr(_kernels, "ENABLED", True)
    monkeypatch.setattr(_kernels, "_KERNELS", [])
    monkeypatch.setattr(importlib, "import_module", no_cache_folder)
    assert _kernels.kernels() is None
