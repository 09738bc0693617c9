"""The slice table: a sortable, filterable, paged table of findings (an anywidget).

Sorting, filtering and paging happen in Python; the browser only receives the
rows of the current page (the ``rows`` trait) and sends back what the user did
by setting traits (``sort_by``, ``filter_text``, ``page``, ``selected``, ...).
Imports anywidget/traitlets and :mod:`workbench.findings`; never the store.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import anywidget
import pandas as pd
import traitlets

from workbench.findings import Findings, Predicate, Slice
from workbench.widgets._format import fmt_count, fmt_error, fmt_p, fmt_ratio, p_value_shown
from workbench.widgets._plain import ABOVE_100, plain_condition

__all__ = ["SliceTable"]

_STATIC = Path(__file__).with_name("static")

#: The columns shown, in order: key, header, alignment, tooltip.
COLUMNS: tuple[dict[str, str], ...] = (
    {"key": "rank", "label": "#", "align": "right", "title": "Rank by the search's score"},
    {"key": "description", "label": "Slice", "align": "left", "title": "The slice's conditions"},
    {
        "key": "size_in_data",
        "label": "Rows",
        "align": "right",
        "title": "Rows of the slice in the data (the statistics tile says which rows the error is from)",
    },
    {
        "key": "slice_error",
        "label": "Error (95% CI)",
        "align": "right",
        "title": "Slice error with its 95% confidence interval",
    },
    {
        "key": "error_ratio",
        "label": "vs overall",
        "align": "right",
        "title": "Slice error divided by the overall error",
    },
    {
        "key": "rest_error",
        "label": "Rest",
        "align": "right",
        "title": "Error of all rows outside the slice",
    },
    {
        "key": "p_value_adjusted",
        "label": "p-value",
        "align": "right",
        "title": "p-value: adjusted (adj.) as the scan corrected it, or uncorrected for a slice "
        "you chose; hover a value to see how",
    },
    {
        "key": "significant",
        "label": "Significant",
        "align": "center",
        "title": "Whether the adjusted p-value passed the scan's FDR level",
    },
    {"key": "flagged", "label": "Flag", "align": "center", "title": "Flagged as a finding"},
)
SORT_KEYS = (*(c["key"] for c in COLUMNS), "score", "n_predicates")
#: Alternative descriptions sent per row (the drill-down lists them all).
ALSO_SHOWN = 3


class SliceTable(anywidget.AnyWidget):
    """A paged table of a scan's slices; click a row to select it.

    Parameters
    ----------
    findings : Findings, optional
        The slices to show (best first).
    page_size : int
        Rows per page.
    plain_language : bool
        Write conditions, intervals and p-values in words and plain numbers ("age from 26
        to under 33", "0.30 to 0.40", "< 0.001") instead of ``[26, 33)``, ``[0.30, 0.40]``
        and ``2.0e-09``.

    Examples
    --------
    >>> table = SliceTable(page_size=5)
    >>> table.n_total
    0
    """

    _esm = (_STATIC / "table.js").read_text(encoding="utf-8")
    _css = (_STATIC / "table.css").read_text(encoding="utf-8")

    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    columns = traitlets.List(traitlets.Dict()).tag(sync=True)
    features = traitlets.List(traitlets.Unicode()).tag(sync=True)
    sort_by = traitlets.Unicode("rank").tag(sync=True)
    sort_descending = traitlets.Bool(False).tag(sync=True)
    filter_text = traitlets.Unicode("").tag(sync=True)
    filter_feature = traitlets.Unicode("").tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    page_size = traitlets.Int(10).tag(sync=True)
    n_pages = traitlets.Int(1).tag(sync=True)
    n_filtered = traitlets.Int(0).tag(sync=True)
    n_total = traitlets.Int(0).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    #: Bumped by the browser when the selected row is chosen again.
    reopen = traitlets.Int(0).tag(sync=True)
    #: Bumped to ask the browser to scroll to the selected row and focus it.
    focus_request = traitlets.Int(0).tag(sync=True)

    def __init__(
        self,
        findings: Findings | None = None,
        *,
        page_size: int = 10,
        plain_language: bool = False,
        **kwargs: Any,
    ):
        self._frame = _empty_frame()
        self._slices: dict[str, Slice] = {}
        self._plain = bool(plain_language)
        super().__init__(page_size=page_size, columns=[dict(c) for c in COLUMNS], **kwargs)
        self.set_findings(findings or Findings())

    # -- data --------------------------------------------------------------------------------
    def set_findings(self, findings: Findings) -> None:
        """Show another scan's slices (keeps sorting and filters, resets the page)."""
        self._slices = {s.slice_id: s for s in findings}
        self._frame = _frame(findings)
        self.features = sorted({p.feature for s in findings for p in s.predicates})
        with self.hold_sync():
            if self.filter_feature and self.filter_feature not in self.features:
                self.filter_feature = ""
            self.n_total = len(findings)
            self.page = 0
            self._refresh()

    def update_slice(self, updated: Slice) -> None:
        """Replace one slice (e.g. after flagging it) and redraw the page."""
        if updated.slice_id not in self._slices:
            return
        self._slices[updated.slice_id] = updated
        index = self._frame.index[self._frame["slice_id"] == updated.slice_id]
        self._frame.loc[index, "flagged"] = bool(updated.flagged)
        self._frame.loc[index, "flag_note"] = updated.flag_note
        self._refresh()

    def set_metric(self, metric: str) -> None:
        """Name the error column's metric in its tooltip; for a word or character error
        rate, say why it can exceed 1 (100 %)."""
        columns = [dict(c) for c in COLUMNS]
        for column in columns:
            if column["key"] == "slice_error":
                name = metric.replace("_", " ")
                column["title"] = f"Slice {name} with its 95% confidence interval"
                if metric in ABOVE_100:
                    column["title"] += ". " + ABOVE_100[metric]
        self.columns = columns

    @property
    def plain_language(self) -> bool:
        """Whether conditions, intervals and p-values are written in plain words."""
        return self._plain

    @plain_language.setter
    def plain_language(self, value: bool) -> None:
        if bool(value) != self._plain:
            self._plain = bool(value)
            self._refresh()

    @property
    def slices(self) -> list[Slice]:
        """Every slice in the table, in scan order."""
        return list(self._slices.values())

    def focus_selected(self) -> None:
        """Bring the selected row into view and give it the keyboard focus."""
        self.focus_request += 1

    def get(self, slice_id: str) -> Slice | None:
        """The slice with this id, or None."""
        return self._slices.get(slice_id)

    def visible_ids(self) -> list[str]:
        """Ids of the slices that pass the filters, in the current sort order."""
        return list(self._ordered()["slice_id"])

    def show(self, slice_id: str) -> None:
        """Go to the page holding ``slice_id`` (when it passes the filters)."""
        ids = self.visible_ids()
        if slice_id in ids:
            self.page = ids.index(slice_id) // max(self.page_size, 1)

    # -- reactions to the browser ------------------------------------------------------------
    @traitlets.observe("sort_by", "sort_descending", "filter_text", "filter_feature", "page_size")
    def _on_query(self, change: dict[str, Any]) -> None:
        if change["name"] == "sort_by" and change["new"] not in SORT_KEYS:
            self.sort_by = "rank"
            return
        if change["name"] != "sort_by" and self.page != 0:
            self.page = 0  # triggers _refresh through _on_page
            return
        self._refresh()

    @traitlets.observe("page")
    def _on_page(self, change: dict[str, Any]) -> None:
        self._refresh()

    def _ordered(self) -> pd.DataFrame:
        frame = self._frame
        text = self.filter_text.strip().lower()
        if text:
            frame = frame[frame["search"].str.contains(text, regex=False)]
        if self.filter_feature:
            frame = frame[frame["features"].map(lambda fs: self.filter_feature in fs)]
        key = self.sort_by if self.sort_by in frame.columns else "rank"
        return frame.sort_values(
            [key, "rank"],
            ascending=[not self.sort_descending, True],
            kind="stable",
            na_position="last",
        )

    def _refresh(self) -> None:
        ordered = self._ordered()
        size = max(int(self.page_size), 1)
        n_pages = max(1, math.ceil(len(ordered) / size))
        page = min(max(int(self.page), 0), n_pages - 1)
        shown = ordered.iloc[page * size : (page + 1) * size]
        with self.hold_sync():
            self.n_filtered = len(ordered)
            self.n_pages = n_pages
            if page != self.page:
                self.page = page
            self.rows = [
                _row(self._slices[i], int(r), plain=self._plain)
                for i, r in zip(shown["slice_id"], shown["rank"], strict=True)
            ]


def _empty_frame() -> pd.DataFrame:
    names = ["slice_id", "search", "features", "flag_note", *SORT_KEYS]
    return pd.DataFrame(columns=list(dict.fromkeys(names)))


def _frame(findings: Findings) -> pd.DataFrame:
    if not len(findings):
        return _empty_frame()
    return pd.DataFrame(
        {
            "slice_id": [s.slice_id for s in findings],
            "rank": range(1, len(findings) + 1),
            "search": [
                " ".join((s.slice_id, s.description, *s.also_described_as)).lower()
                for s in findings
            ],
            "features": [frozenset(p.feature for p in s.predicates) for s in findings],
            "description": [s.description.lower() for s in findings],
            "size_in_data": [s.size_in_data for s in findings],
            "slice_error": [s.slice_error for s in findings],
            "error_ratio": [s.error_ratio for s in findings],
            "rest_error": [s.rest_error for s in findings],
            # the p-value shown: adjusted where the scan corrected it, else the raw one
            "p_value_adjusted": [_p(s)[0] for s in findings],
            "significant": [bool(s.significant) for s in findings],
            "flagged": [bool(s.flagged) for s in findings],
            "flag_note": [s.flag_note for s in findings],
            "score": [s.score for s in findings],
            "n_predicates": [s.n_predicates for s in findings],
        }
    )


def _chip(p: Predicate, plain: bool) -> dict[str, str]:
    """One condition as a chip: feature, operator, value (in words when ``plain``)."""
    if plain:
        words = plain_condition(p)
        rest = words[len(p.feature) :].strip() if words.startswith(p.feature) else words
        op, _, value = rest.partition(" ")
        if op in ("from", "under", "is") and value:
            return {"feature": p.feature, "op": op, "value": value}
        return {"feature": p.feature, "op": "", "value": rest}
    op = "in" if p.interval and not str(p.value).startswith(("<", ">")) else ""
    return {"feature": p.feature, "op": op if p.interval else "=", "value": str(p.value)}


def _row(s: Slice, rank: int, *, plain: bool = False) -> dict[str, Any]:
    """What the browser gets for one slice: display strings, no raw floats."""
    p_value, adjusted, how = _p(s)
    low, high = fmt_error(s.error_ci_low), fmt_error(s.error_ci_high)
    shown_p = fmt_p(p_value)
    if plain and p_value < 0.001:
        shown_p = "< 0.001"
    return {
        "slice_id": s.slice_id,
        "rank": str(rank),
        "predicates": [_chip(p, plain) for p in s.predicates],
        "description": s.description,
        "size_in_data": fmt_count(s.size_in_data),
        "slice_error": fmt_error(s.slice_error),
        "ci": f"({low} to {high})" if plain else f"[{low}, {high}]",
        "error_ratio": fmt_ratio(s.error_ratio),
        "rest_error": fmt_error(s.rest_error),
        "p_value_adjusted": shown_p,
        "p_tag": "adj." if adjusted else "uncorrected",
        "p_how": how,
        # other descriptions of (nearly) the same rows, folded into this slice by the scan
        "also": list(s.also_described_as[:ALSO_SHOWN]),
        "n_also": len(s.also_described_as),
        "significant": bool(s.significant),
        "flagged": bool(s.flagged),
        "flag_note": s.flag_note,
    }


def _p(s: Slice) -> tuple[float, bool, str]:
    return p_value_shown(s.p_value, s.p_value_adjusted, s.p_value_correction)
