"""One search on one core and on two, on the same planted rows, with the same findings."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from workbench.search import SliceSearch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from planted import make_planted


def assert_two_jobs_find_what_one_finds(n_rows: int, confirm: bool) -> SliceSearch:
    """Search ``n_rows`` planted rows with ``n_jobs=1`` and ``n_jobs=2`` (weighted when
    ``confirm``); assert the same slices, sizes, p-values and scores; return the second."""
    data = make_planted(n_rows, 8, seed=2)
    rng = np.random.default_rng(3)
    weights = rng.uniform(0.5, 2.0, len(data.errors)) if confirm else None
    kwargs = {"feature_names": data.feature_names, "value_labels": data.value_labels}
    one = SliceSearch(confirm=confirm).fit_codes(data.columns(), data.errors, weights, **kwargs)
    two = SliceSearch(confirm=confirm, n_jobs=2).fit_codes(
        data.columns(), data.errors, weights, **kwargs
    )
    assert [s.description for s in two.findings_] == [s.description for s in one.findings_]
    for a, b in zip(two.findings_, one.findings_, strict=True):
        assert (a.slice_size, a.stats_size) == (b.slice_size, b.stats_size)
        np.testing.assert_allclose(a.p_value, b.p_value, rtol=1e-9)
        np.testing.assert_allclose(a.score, b.score, rtol=1e-12)
    return two
