"""The change view: before/after per slice, sorted by change, rows of both sides."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import Workbench
from workbench.widgets import ChangeView
from workbench.widgets._change_view import change_figure, change_table_html


def _frame(seed: int, rise: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 1500
    df = pd.DataFrame({"site": rng.choice(["a", "b", "c"], n), "kit": rng.choice(["x", "y"], n)})
    df["y"] = rng.integers(0, 2, n)
    wrong = rng.random(n) < 0.1 + rise * ((df.site == "c") & (df.kit == "y"))
    df["p"] = np.where(wrong, 1 - df.y, df.y)
    return df


def test_change_view_shows_both_sides_and_drills_into_both() -> None:
    old = Workbench.from_predictions(_frame(0, 0.0), label="y", prediction="p", path=":memory:")
    new = Workbench.from_predictions(_frame(1, 0.4), label="y", prediction="p", path=":memory:")
    view = new.explore(baseline=old, min_support=30, k=4)
    assert isinstance(view, ChangeView)
    result = view.result
    assert "What changed" in view.overall.value and "\u2192" in view.overall.value
    assert "site = c AND kit = y" in view.table.value
    assert view.picker.options[0][0].startswith("#1 site = c AND kit = y")
    for html in (view.before_rows.value, view.after_rows.value):
        assert 'data-testid="member-rows"' in html
    # every member row shown on either side belongs to the slice
    before = old.members(list(result[0].predicates))
    assert set(before["site"]) == {"c"} and set(before["kit"]) == {"y"}
    if len(result) > 1:
        view.picker.value = 1
        assert 'data-testid="member-rows"' in view.after_rows.value
    figure = change_figure(result)
    names = [t.name for t in figure.data]
    assert "before" in names and "after" in names
    assert len(figure.data[0].x) == len(result)


def test_no_changed_slice_says_so() -> None:
    old = Workbench.from_predictions(_frame(0, 0.0), label="y", prediction="p", path=":memory:")
    result = old.scan(baseline=old)
    assert len(result) == 0
    assert "No slice changed more than the whole" in change_table_html(result)
    view = ChangeView(old, old, result)
    assert len(view.children) == 3
