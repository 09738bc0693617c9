"""Plotly charts of the explorer: the error-by-slice overview and the error histogram.

The overview is a ``FigureWidget`` because its clicks must reach Python; it is
built anew for each scan rather than updated in place (an in-place update from
Python was seen to get lost in Voilà). The drill-down's histogram is a plain
``go.Figure`` shown in an ``ipywidgets.Output``. Imports plotly, pandas and
:mod:`workbench.findings`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from workbench.findings import Findings, Slice
from workbench.widgets._format import fmt_count, fmt_error, fmt_p, p_value_shown

__all__ = ["SIGNIFICANT_COLOR", "error_histogram_figure", "overview_figure"]

SIGNIFICANT_COLOR = "#d1242f"
NOT_SIGNIFICANT_COLOR = "#8c959f"
OVERALL_COLOR = "#1f6feb"
#: Neutral text and grid colours that read on light and dark backgrounds alike.
TEXT_COLOR = "#6e7781"
GRID_COLOR = "rgba(140,149,159,0.25)"


def _layout(height: int) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 30, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {
            "family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
            "size": 12,
            "color": TEXT_COLOR,
        },
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "right",
            "x": 1.0,
            "bgcolor": "rgba(0,0,0,0)",
        },
        "hoverlabel": {"font": {"size": 12}},
        "bargap": 0.25,
    }


def overview_figure(
    findings: Findings,
    overall_error: float,
    metric: str,
    on_select: Callable[[str], None] | None = None,
    *,
    height: int = 260,
) -> go.FigureWidget:
    """Slice error with 95% CI error bars, one bar per slice, vs the overall error.

    Bars are red when the slice is significant, grey otherwise; clicking a bar
    calls ``on_select(slice_id)``.
    """
    labels = [f"#{i}" for i in range(1, len(findings) + 1)]
    # Built complete as a go.Figure first, so the widget's first state already holds the
    # data (updates sent after the view exists are what gets lost in Voilà).
    figure = go.Figure(layout=_layout(height))
    for significant, name, color in (
        (True, "significant", SIGNIFICANT_COLOR),
        (False, "not significant", NOT_SIGNIFICANT_COLOR),
    ):
        picked = [
            (lab, s)
            for lab, s in zip(labels, findings, strict=True)
            if bool(s.significant) == significant
        ]
        if not picked:
            continue
        errors = [s.slice_error for _, s in picked]
        figure.add_bar(
            x=[lab for lab, _ in picked],
            y=errors,
            name=name,
            marker={"color": color},
            customdata=[s.slice_id for _, s in picked],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [_gap(s.error_ci_high - s.slice_error) for _, s in picked],
                "arrayminus": [_gap(s.slice_error - s.error_ci_low) for _, s in picked],
                "color": TEXT_COLOR,
                "thickness": 1.2,
                "width": 3,
            },
            hovertext=[
                f"<b>{lab}</b> {_wrap(s.description)}<br>{fmt_count(s.size_in_data)} rows · error "
                f"{fmt_error(s.slice_error)} [{fmt_error(s.error_ci_low)}, {fmt_error(s.error_ci_high)}]"
                f"<br>{_p_text(s)}"
                for lab, s in picked
            ],
            hoverinfo="text",
        )
    figure.add_hline(y=overall_error, line={"color": OVERALL_COLOR, "dash": "dash", "width": 1.5})
    # A legend entry for the line (an annotation on the plot would cover a bar).
    figure.add_scatter(
        x=[None],
        y=[None],
        mode="lines",
        line={"color": OVERALL_COLOR, "dash": "dash", "width": 1.5},
        name=f"overall {fmt_error(overall_error)}",
        hoverinfo="skip",
    )
    figure.update_xaxes(
        categoryorder="array", categoryarray=labels, showgrid=False, title=None, fixedrange=True
    )
    figure.update_yaxes(
        title={"text": metric.replace("_", " ")},
        gridcolor=GRID_COLOR,
        zeroline=False,
        rangemode="tozero",
        fixedrange=True,
    )
    figure.update_layout(
        title={
            "text": "Error by slice (95% CI); click a bar to open it",
            "x": 0,
            "xanchor": "left",
            "font": {"size": 13},
        }
    )
    widget = go.FigureWidget(figure)
    # Follow the width of the page; no mode bar (zoom and export tools would only clutter it).
    widget._config = {"responsive": True, "displayModeBar": False}
    if on_select is not None:

        def clicked(trace: Any, points: Any, _state: Any) -> None:
            if points.point_inds:
                on_select(str(trace.customdata[points.point_inds[0]]))

        for trace in widget.data:
            if trace.type == "bar":
                trace.on_click(clicked)
    return widget


def error_histogram_figure(histogram: pd.DataFrame, metric: str, *, height: int = 240) -> go.Figure:
    """Per-row error distribution, share of rows per bin, inside vs outside the slice."""
    figure = go.Figure(layout=_layout(height))
    if histogram.empty:
        return figure
    centers = [
        (lo + hi) / 2 for lo, hi in zip(histogram["bin_low"], histogram["bin_high"], strict=True)
    ]
    widths = [hi - lo for lo, hi in zip(histogram["bin_low"], histogram["bin_high"], strict=True)]
    for column, name, color in (
        ("inside", "in the slice", SIGNIFICANT_COLOR),
        ("outside", "rest", NOT_SIGNIFICANT_COLOR),
    ):
        total = float(histogram[column].sum()) or 1.0
        figure.add_bar(
            x=centers,
            y=histogram[column] / total,
            width=widths,
            name=name,
            marker={"color": color},
            opacity=0.65,
        )
    figure.update_layout(
        legend={"orientation": "v", "x": 0.99, "xanchor": "right", "y": 0.98, "yanchor": "top"},
        barmode="overlay",
        title={
            "text": f"Distribution of per-row {metric.replace('_', ' ')}",
            "x": 0,
            "font": {"size": 13},
        },
    )
    figure.update_xaxes(title={"text": "per-row error"}, gridcolor=GRID_COLOR)
    figure.update_yaxes(title={"text": "share of rows"}, tickformat=".0%", gridcolor=GRID_COLOR)
    return figure


def _gap(value: float) -> float:
    return 0.0 if value is None or math.isnan(value) else max(float(value), 0.0)


def _wrap(text: str, width: int = 60) -> str:
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def _p_text(s: Slice) -> str:
    p_value, adjusted, how = p_value_shown(s.p_value, s.p_value_adjusted, s.p_value_correction)
    return f"p {fmt_p(p_value)} ({'adjusted: ' + how if adjusted else 'uncorrected'})"
