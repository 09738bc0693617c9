"""The change view: which slices got worse from a baseline to new data or a new model.

``ChangeView`` shows the result of a differential scan (``new.scan(baseline=old)``):
the overall error before and after with intervals first, then each slice's error on
both sides with 95 % intervals (a before/after chart and a table, sorted by the
search's rank), and a drill-down into one slice's member rows on *both* sides (worst
rows first, audio and images rendered as in the explorer). ``Workbench.explore(
baseline=...)`` opens it. The figures come from the result value; member rows come
through the two Workbench objects handed in. Imports ipywidgets, plotly,
:mod:`workbench.findings` and the widgets' HTML helpers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import plotly.graph_objects as go

from workbench.search import ChangeFindings
from workbench.widgets._charts import (
    NOT_SIGNIFICANT_COLOR,
    OVERALL_COLOR,
    SIGNIFICANT_COLOR,
    TEXT_COLOR,
    _layout,
)
from workbench.widgets._format import esc, fmt_count, fmt_error, fmt_p
from workbench.widgets._views import STYLE, members_html

__all__ = ["ChangeView", "change_figure", "change_table_html", "overall_html"]


def _ci(low: float, high: float) -> str:
    return f"[{fmt_error(low)}, {fmt_error(high)}]"


def _signed(value: float) -> str:
    text = fmt_error(abs(value))
    return ("+" if value >= 0 else "\u2212") + text


def overall_html(result: ChangeFindings, metric: str = "error") -> str:
    """The overall change as one line: before and after with intervals, the difference."""
    o = result.overall
    return (
        f'<div class="wb-x"><div class="wb-head"><span class="wb-title">What changed</span>'
        f'<span class="wb-facts">overall {esc(metric)} <b>{fmt_error(o.error_baseline)}</b> '
        f"{_ci(o.error_ci_low_baseline, o.error_ci_high_baseline)} \u2192 "
        f"<b>{fmt_error(o.error_new)}</b> {_ci(o.error_ci_low_new, o.error_ci_high_new)}; "
        f"change <b>{_signed(o.change)}</b> [{_signed(o.change_ci_low)}, "
        f"{_signed(o.change_ci_high)}], p {fmt_p(o.p_worse)} ({esc(o.test)}); "
        f"{fmt_count(o.n_baseline)} \u2192 {fmt_count(o.n_new)} rows</span></div>"
        f'<div class="wb-muted">Slices are ranked by how much more their {esc(metric)} rose '
        f"than the whole's ({len(result)} shown, {len(result.significant)} significant, "
        f"{fmt_count(result.n_evaluated)} evaluated).</div></div>"
    )


def change_table_html(result: ChangeFindings) -> str:
    """One row per slice: before and after with intervals, the change, p (adjusted)."""
    if not len(result):
        return (
            '<div class="wb-x wb-note">No slice changed more than the whole: the change is '
            "shared by all rows (or there is none).</div>"
        )
    head = (
        "<tr><th>#</th><th>slice</th><th class='wb-num'>rows before / after</th>"
        "<th class='wb-num'>before [95% CI]</th><th class='wb-num'>after [95% CI]</th>"
        "<th class='wb-num'>change [95% CI]</th><th class='wb-num'>p (adj.)</th><th></th></tr>"
    )
    rows = []
    for rank, s in enumerate(result, start=1):
        badge = (
            '<span class="wb-badge wb-sig">significant</span>'
            if s.significant
            else '<span class="wb-badge wb-ns">not significant</span>'
        )
        rows.append(
            f"<tr><td>{rank}</td><td>{esc(s.description)}</td>"
            f"<td class='wb-num'>{fmt_count(s.size_baseline)} / {fmt_count(s.size_new)}</td>"
            f"<td class='wb-num'>{fmt_error(s.error_baseline)} "
            f"{_ci(s.error_ci_low_baseline, s.error_ci_high_baseline)}</td>"
            f"<td class='wb-num'>{fmt_error(s.error_new)} "
            f"{_ci(s.error_ci_low_new, s.error_ci_high_new)}</td>"
            f"<td class='wb-num'>{_signed(s.change)} [{_signed(s.change_ci_low)}, "
            f"{_signed(s.change_ci_high)}]</td>"
            f"<td class='wb-num'>{fmt_p(s.p_value_adjusted)}</td><td>{badge}</td></tr>"
        )
    return (
        '<div class="wb-x"><table class="wb-t" data-testid="change-table">'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def change_figure(result: ChangeFindings, metric: str = "error", *, height: int = 0) -> go.Figure:
    """Before (grey) and after (red when significant) per slice, with 95 % intervals."""
    labels = [f"#{i}" for i in range(1, len(result) + 1)]
    figure = go.Figure(layout=_layout(height or max(220, 60 + 34 * len(result))))
    slices = list(result)
    for name, attr, color in (
        ("before", "baseline", NOT_SIGNIFICANT_COLOR),
        ("after", "new", SIGNIFICANT_COLOR),
    ):
        values = [getattr(s, f"error_{attr}") for s in slices]
        figure.add_scatter(
            x=values,
            y=labels,
            mode="markers",
            name=name,
            marker={
                "color": color
                if attr == "baseline"
                else [SIGNIFICANT_COLOR if s.significant else TEXT_COLOR for s in slices],
                "size": 10,
                "symbol": "circle-open" if attr == "baseline" else "circle",
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [
                    getattr(s, f"error_ci_high_{attr}") - v
                    for s, v in zip(slices, values, strict=True)
                ],
                "arrayminus": [
                    v - getattr(s, f"error_ci_low_{attr}")
                    for s, v in zip(slices, values, strict=True)
                ],
                "color": color,
                "thickness": 1.2,
                "width": 3,
            },
            hovertext=[
                f"<b>{lab}</b> {esc(s.description)}<br>{name}: {fmt_error(v)} "
                f"({fmt_count(getattr(s, 'size_' + attr))} rows)"
                for lab, s, v in zip(labels, slices, values, strict=True)
            ],
            hoverinfo="text",
        )
    o = result.overall
    for value, dash, label in (
        (o.error_baseline, "dot", f"overall before {fmt_error(o.error_baseline)}"),
        (o.error_new, "dash", f"overall after {fmt_error(o.error_new)}"),
    ):
        figure.add_vline(x=value, line={"color": OVERALL_COLOR, "dash": dash, "width": 1.3})
        figure.add_scatter(
            x=[None],
            y=[None],
            mode="lines",
            line={"color": OVERALL_COLOR, "dash": dash, "width": 1.3},
            name=label,
            hoverinfo="skip",
        )
    figure.update_yaxes(categoryorder="array", categoryarray=labels[::-1], fixedrange=True)
    figure.update_xaxes(
        title={"text": metric.replace("_", " ")}, rangemode="tozero", fixedrange=True
    )
    figure.update_layout(
        title={
            "text": "Before and after, by slice (95% CI)",
            "x": 0,
            "xanchor": "left",
            "font": {"size": 13},
        }
    )
    return figure


class ChangeView(W.VBox):
    """Before/after view of a differential scan, with each slice's rows on both sides.

    Parameters
    ----------
    new, baseline : Workbench
        The new side and the baseline (the differential scan's two sides).
    result : ChangeFindings, optional
        The differential scan; run with ``scan_options`` when not given.
    media_root : str or path, optional
        Where relative image/audio paths of member rows resolve.
    column_kinds : mapping, optional
        Column -> kind ("audio", "image", ...) for member rows.
    page_size : int
        Member rows shown per side (worst first).
    """

    def __init__(
        self,
        new: Any,
        baseline: Any,
        result: ChangeFindings | None = None,
        *,
        media_root: str | os.PathLike[str] | None = None,
        column_kinds: Mapping[str, str] | None = None,
        page_size: int = 8,
        **scan_options: Any,
    ) -> None:
        self.new = new
        self.baseline = baseline
        self.result = result if result is not None else new.scan(baseline=baseline, **scan_options)
        self.media_root = media_root
        self.column_kinds = dict(column_kinds or {})
        self.page_size = page_size
        metric = str(getattr(new, "metric", "error"))
        self.overall = W.HTML(STYLE + overall_html(self.result, metric))
        self.figure = go.FigureWidget(change_figure(self.result, metric))
        self.figure._config = {"responsive": True, "displayModeBar": False}
        self.table = W.HTML(change_table_html(self.result))
        options = [(f"#{i} {s.description}", i - 1) for i, s in enumerate(self.result, start=1)]
        self.picker = W.Dropdown(
            options=options, description="Slice", layout=W.Layout(width="100%")
        )
        self.before_rows = W.HTML()
        self.after_rows = W.HTML()
        self.picker.observe(lambda change: self.select(change["new"]), names="value")
        children: list[W.Widget] = [self.overall, self.figure, self.table]
        if options:
            children += [
                self.picker,
                W.HTML(
                    '<div class="wb-x"><h3 class="wb-h">Before: baseline rows (worst first)</h3></div>'
                ),
                self.before_rows,
                W.HTML(
                    '<div class="wb-x"><h3 class="wb-h">After: new rows (worst first)</h3></div>'
                ),
                self.after_rows,
            ]
        super().__init__(children=children)
        if options:
            self.select(0)

    def select(self, index: int | None) -> None:
        """Show the member rows of the slice at ``index`` (0 = the top slice) on both sides."""
        if index is None or not len(self.result):
            return
        s = self.result[int(index)]
        predicates = list(s.predicates)
        alignment = str(getattr(self.new, "metric", "")) in ("wer", "cer")
        for bench, target in ((self.baseline, self.before_rows), (self.new, self.after_rows)):
            try:
                rows = bench.members(predicates, limit=self.page_size, worst_first=True)
                target.value = members_html(
                    rows, kinds=self.column_kinds, media_root=self.media_root, alignment=alignment
                )
            except Exception as exc:  # one side failing must not break the other
                target.value = f'<div class="wb-x wb-note">{esc(exc)}</div>'
