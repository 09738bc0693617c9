"""Wide data: the scan estimates each level's candidates, says so above the budget,
reports progress, narrows (with a note naming features / max_predicates) and finishes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.search import SliceSearch, _lattice
from workbench.search._aggregators import _items, _single_counts
from workbench.search._counts import RowBlock, make_plan


def _wide(n: int, m: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        rng.integers(0, 4, size=(n, m)).astype(str), columns=[f"f{i}" for i in range(m)]
    )
    errors = (rng.random(n) < np.where(frame["f3"] == "1", 0.5, 0.1)).astype(float)
    return frame, errors


def test_over_budget_levels_are_narrowed_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lattice, "MAX_FEATURE_TUPLES", 50)
    monkeypatch.setattr(_lattice, "COUNT_CHUNK", 10)
    frame, errors = _wide(400, 80)
    messages: list[str] = []
    search = SliceSearch(max_predicates=3, min_support=20, confirm=False).fit(
        frame, errors, progress=lambda done, total, message: messages.append(message)
    )
    notes = [n for n in search.findings_.notes if "would count" in n]
    assert len(notes) >= 1
    assert "features=[...]" in notes[0] and "max_predicates=1" in notes[0]
    assert "may be missed" in notes[0]
    assert any("would count" in m for m in messages)  # said before counting
    assert any(m.startswith("level 2: counted") for m in messages)  # progress within a level
    assert any(s.conditions.get("f3") == "1" for s in search.findings_)


def test_within_budget_the_search_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    frame, errors = _wide(300, 8)
    exact = SliceSearch(max_predicates=3, min_support=10, confirm=False).fit(frame, errors)
    monkeypatch.setattr(_lattice, "COUNT_CHUNK", 7)  # chunked counting gives the same counts
    chunked = SliceSearch(max_predicates=3, min_support=10, confirm=False).fit(frame, errors)
    assert [s.slice_id for s in exact.findings_] == [s.slice_id for s in chunked.findings_]
    assert [s.slice_size for s in exact.findings_] == [s.slice_size for s in chunked.findings_]
    assert not [n for n in exact.findings_.notes if "would count" in n]


def test_single_counts_match_the_planned_counts() -> None:
    rng = np.random.default_rng(2)
    cards = [int(c) for c in rng.integers(2, 6, 250)]
    columns = [rng.integers(0, c, 500).astype(np.int8) for c in cards]
    errors = rng.random(500) * (rng.random(500) < 0.3)
    weights = rng.random(500) + 0.5
    rows = RowBlock(columns, errors, weights, False)
    features, codes = _items(cards)
    planned = make_plan(features, codes, cards).count(rows, moments=True)
    direct = _single_counts(rows, cards)
    for name in ("size", "error_sum", "weight_sum", "error_sq_sum", "weight_sq_sum"):
        np.testing.assert_allclose(getattr(direct, name), getattr(planned, name))
