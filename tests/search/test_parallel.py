"""n_jobs > 1 counts in worker processes (without the compiled kernels) and finds exactly
what one core finds (threads around the kernels: test_kernels.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from workbench.search import SliceSearch, _kernels, _parallel
from workbench.search._parallel import effective_jobs

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from planted import make_planted

from ._two_jobs import assert_two_jobs_find_what_one_finds


@pytest.fixture(autouse=True)
def _parallel_from_few_rows(monkeypatch):
    # The tests' data are small: let a few hundred thousand rows go to workers; no
    # compiled kernels, so the counting goes to processes.
    monkeypatch.setattr(_parallel, "MIN_ROWS_PER_JOB", 50_000)
    monkeypatch.setattr(_kernels, "ENABLED", False)


@pytest.mark.parametrize("confirm", [False, True])
def test_two_processes_find_what_one_finds(confirm):
    two = assert_two_jobs_find_what_one_finds(250_000, confirm)
    assert two.findings_.parameters["n_jobs"] == 2
    assert _parallel._WORKERS  # the counting did run in a worker process


def test_all_cores():
    assert effective_jobs(-1) >= 1
    assert effective_jobs(2) == 2


def test_no_room_for_the_shared_rows_counts_in_this_process(monkeypatch):
    data = make_planted(250_000, 4, seed=1)
    kwargs = {"feature_names": data.feature_names, "value_labels": data.value_labels}

    def no_room(*args, **kwargs):
        raise OSError(28, "No space left on device")

    one = SliceSearch(confirm=False).fit_codes(data.columns(), data.errors, **kwargs)
    monkeypatch.setattr(_parallel.np, "save", no_room)
    two = SliceSearch(confirm=False, n_jobs=2).fit_codes(data.columns(), data.errors, **kwargs)
    assert [s.description for s in two.findings_] == [s.description for s in one.findings_]
