"""The explorer's "Groups" view: a metric table per group of any feature.

The person picks one or more features (several give their intersections) and
metrics (the workbench's own, the error rate and, for classifiers, the fairness
rates with a positive class) and sees ``Workbench.by_group`` as a table: rows per
group, each metric with its 95 % interval, and its difference and ratio to the
value over all rows; the table exports as CSV. Imports ipywidgets, pandas,
:mod:`workbench.metrics` (to name the positive class) and the widgets' formatting;
a ``Workbench`` is handed in.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w
import pandas as pd

from workbench.metrics import get_metric
from workbench.widgets._format import esc, fmt_count, fmt_error, fmt_ratio

__all__ = ["FAIRNESS_RATES", "GroupsView", "groups_html"]

#: Rates measured against a positive class, offered for classifiers.
FAIRNESS_RATES = (
    "false_negative_rate",
    "false_positive_rate",
    "selection_rate",
    "false_discovery_rate",
)
#: Groups drawn in the page at most (the CSV export holds all).
MAX_SHOWN = 200

_HELP = {
    "error_rate": "share of wrong predictions",
    "false_negative_rate": "share of the positives predicted negative (false rejections)",
    "false_positive_rate": "share of the negatives predicted positive",
    "selection_rate": "share of rows predicted positive",
    "false_discovery_rate": "share of predicted positives that are negatives (1 - precision)",
}


def _label(metric: str) -> str:
    return metric.replace("_", " ")


def _signed(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return ("+" if float(value) > 0 else "") + fmt_error(value)


def _data(value: Any) -> str:
    """A cell's exact value for tests and screen readers' neighbours (``data-value``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(v) else repr(v)


def groups_html(
    table: pd.DataFrame,
    columns: Sequence[str],
    metrics: Sequence[str],
    *,
    plain_language: bool = False,
    max_shown: int = MAX_SHOWN,
) -> str:
    """The group table as HTML: one row per group, then the value over all rows.

    Per metric: its value with the 95 % interval, the difference and the ratio to the
    overall value. A group whose whole interval lies above the overall value is tinted.
    With ``plain_language`` intervals read "26 % to 33 %" and ratios "1.3 times".
    """
    overall = dict(table.attrs.get("overall", {}))

    def interval(low: Any, high: Any) -> str:
        if plain_language:
            if any(v is None or math.isnan(float(v)) for v in (low, high)):
                return "–"
            return f"{100 * float(low):.0f} % to {100 * float(high):.0f} %"
        return f"[{fmt_error(low)}, {fmt_error(high)}]"

    def ratio(value: Any) -> str:
        if plain_language and not (value is None or math.isnan(float(value))):
            return f"{float(value):.1f} times"
        return fmt_ratio(value)

    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    head += '<th scope="col" class="r">Rows</th>'
    for m in metrics:
        head += (
            f'<th scope="col" class="r" title="{esc(_HELP.get(m, m))}">{esc(_label(m))}</th>'
            '<th scope="col" class="r">95% interval</th>'
            '<th scope="col" class="r">difference</th><th scope="col" class="r">ratio</th>'
        )
    body = []
    shown = table.head(max_shown)
    for _, r in shown.iterrows():
        cells = "".join(
            f'<th scope="row" data-column="{esc(c)}">{esc("missing" if r[c] is None else r[c])}</th>'
            for c in columns
        )
        cells += f'<td class="r" data-key="count" data-value="{int(r["count"])}">{fmt_count(r["count"])}</td>'
        for m in metrics:
            low, high, total = r[f"{m}_ci_low"], r[f"{m}_ci_high"], overall.get(m, math.nan)
            above = not math.isnan(float(low)) and float(low) > float(total)
            tint = " wb-err" if above else ""
            cells += (
                f'<td class="r{tint}" data-key="{esc(m)}" data-value="{_data(r[m])}">'
                f"{fmt_error(r[m])}</td>"
                f'<td class="r" data-key="{esc(m)}_ci" data-low="{_data(low)}" data-high="{_data(high)}">'
                f'<span class="wb-muted">{interval(low, high)}</span></td>'
                f'<td class="r" data-key="{esc(m)}_difference" data-value="{_data(r[f"{m}_difference"])}">'
                f"{_signed(r[f'{m}_difference'])}</td>"
                f'<td class="r" data-key="{esc(m)}_ratio" data-value="{_data(r[f"{m}_ratio"])}">'
                f"{ratio(r[f'{m}_ratio'])}</td>"
            )
        body.append(f'<tr data-testid="group-row">{cells}</tr>')
    total_cells = "".join(
        f'<th scope="row">{"All rows" if i == 0 else ""}</th>' for i in range(len(columns))
    )
    total_cells += f'<td class="r">{fmt_count(table["count"].sum())}</td>'
    for m in metrics:
        total_cells += (
            f'<td class="r" data-key="{esc(m)}" data-value="{_data(overall.get(m))}">'
            f'<b>{fmt_error(overall.get(m, math.nan))}</b></td><td></td><td></td><td class="r">'
            f"{ratio(1.0)}</td>"
        )
    more = (
        f'<div class="wb-note">Showing {max_shown:,} of {len(table):,} groups; the CSV holds all.</div>'
        if len(table) > max_shown
        else ""
    )
    caption = (
        f"{esc(', '.join(_label(m) for m in metrics))} by {esc(' and '.join(columns))}: each "
        "value with its 95% interval, and its difference and ratio to the value over all rows "
        "(tinted: the whole interval lies above it)"
    )
    return (
        '<div class="wb-x"><div class="wb-rows-wrap wb-groups-wrap" tabindex="0" role="region" '
        'aria-label="Group table">'
        f'<table class="wb-t" data-testid="group-table"><caption class="wb-note">{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
        f'<tfoot><tr data-testid="group-overall">{total_cells}</tr></tfoot></table></div>{more}</div>'
    )


class GroupsView(w.VBox):
    """Pick features and metrics; see (and export) the metric table per group.

    Parameters
    ----------
    bench : Workbench
        Asked for ``by_group`` and, for classifiers, the classes (positive class menu).
    features : list of str
        The features offered.
    offer : callable, optional
        ``offer(data, filename, link, stream)`` saves an export and offers it for
        download in the two given widgets (the explorer's chunked download).
    plain_language : bool
        Intervals and ratios in words.
    """

    def __init__(
        self,
        bench: Any,
        features: Sequence[str],
        *,
        offer: Callable[[bytes, str, w.HTML, w.Box], Any] | None = None,
        plain_language: bool = False,
    ) -> None:
        super().__init__(layout=w.Layout(width="100%"))
        self.bench = bench
        self.plain_language = plain_language
        self._offer = offer
        self.table = pd.DataFrame()
        self._shown: tuple[list[str], list[str]] = ([], [])
        classification = bench.metric_kind == "classification"
        metrics = [bench.metric]
        if classification:
            metrics += [m for m in ("error_rate", *FAIRNESS_RATES) if m not in metrics]
        self.columns = w.SelectMultiple(
            options=list(features),
            value=tuple(features[:1]),
            rows=min(6, max(len(features), 2)),
            description="Features",
            tooltip="One feature, or several for their intersections (Ctrl/⌘-click)",
            layout=w.Layout(width="300px"),
            style={"description_width": "64px"},
        )
        self.metrics = w.SelectMultiple(
            options=[(_label(m), m) for m in metrics],
            value=(bench.metric,),
            rows=min(6, len(metrics)),
            description="Metrics",
            tooltip="Each metric is a ratio of sums over the rows it is defined on",
            layout=w.Layout(width="320px"),
            style={"description_width": "58px"},
        )
        classes = self._classes() if classification else []
        self.pos_label = w.Dropdown(
            options=[(str(c), c) for c in classes],
            value=_default_positive(classes),
            description="Positive class",
            tooltip="The class a positive decision means (for the false negative, false "
            "positive, selection and false discovery rates)",
            layout=w.Layout(width="260px", display=None if len(classes) else "none"),
            style={"description_width": "96px"},
        )
        self.show_button = w.Button(
            description="Show groups",
            icon="table",
            button_style="primary",
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.export_button = w.Button(
            description="Export groups (CSV)",
            icon="download",
            disabled=True,
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.status = w.HTML()
        self.output = w.HTML(layout=w.Layout(width="100%"))
        self.download = w.HTML()
        self.download_stream = w.Box()
        self.show_button.on_click(lambda _: self._safely(self.show))
        self.export_button.on_click(lambda _: self._safely(self.export))
        buttons = w.VBox(
            [self.pos_label, w.HBox([self.show_button, self.export_button]), self.status],
            layout=w.Layout(justify_content="flex-start"),
        )
        self.children = [
            w.HTML(
                '<div class="wb-x"><h3 class="wb-h" id="wb-groups">Groups</h3><div class="wb-note">'
                "Any feature's groups (several features: their intersections) with the chosen "
                "metrics, their 95% intervals and their difference and ratio to all rows.</div></div>"
            ),
            w.HBox(
                [self.columns, self.metrics, buttons],
                layout=w.Layout(flex_flow="row wrap", align_items="flex-start"),
            ),
            self.output,
            self.download,
            self.download_stream,
        ]
        self.add_class("wb-groups")

    def _classes(self) -> list[Any]:
        try:
            pairs = self.bench.confusion_matrix({})
        except Exception:  # a store without labels to read: no positive-class menu
            return []
        values = pd.unique(pd.concat([pairs["label"], pairs["prediction"]]).astype(str))
        return sorted(values, key=str)

    def _metric_arguments(self, metrics: Sequence[str]) -> list[Any]:
        pos = self.pos_label.value
        out: list[Any] = []
        for m in metrics:
            if m in FAIRNESS_RATES and pos is not None:
                # as text: the metric compares numbers as numbers and text as text
                out.append(get_metric(m, pos_label=str(pos)))
            else:
                out.append(m)
        return out

    def compute(
        self, columns: Sequence[str] | None = None, metrics: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """``bench.by_group`` for the chosen (or given) features and metrics."""
        columns = list(columns if columns is not None else self.columns.value)
        metrics = list(metrics if metrics is not None else self.metrics.value)
        if not columns:
            raise ValueError("Pick at least one feature (Ctrl/⌘-click to pick several).")
        if not metrics:
            raise ValueError("Pick at least one metric.")
        return self.bench.by_group(columns, metrics=self._metric_arguments(metrics))

    def show(
        self, columns: Sequence[str] | None = None, metrics: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Compute the table and draw it (the "Show groups" button)."""
        if columns is not None:
            self.columns.value = tuple(columns)
        if metrics is not None:
            self.metrics.value = tuple(metrics)
        started = time.perf_counter()
        table = self.compute()
        cols, mets = list(self.columns.value), list(self.metrics.value)
        self.table, self._shown = table, (cols, mets)
        self.output.value = groups_html(table, cols, mets, plain_language=self.plain_language)
        self.export_button.disabled = False
        self.download.value = ""
        self.download_stream.children = []
        self.status.value = (
            f'<span class="wb-x wb-note">{len(table):,} groups, computed over '
            f"{fmt_count(self.bench.n_rows)} rows in {time.perf_counter() - started:.2f} s</span>"
        )
        return table

    def redraw(self) -> None:
        """Draw the shown table again (e.g. after plain language was switched)."""
        cols, mets = self._shown
        if not self.table.empty:
            self.output.value = groups_html(
                self.table, cols, mets, plain_language=self.plain_language
            )

    def export(self) -> Any:
        """Offer the shown table as CSV (every group, full precision)."""
        if self.table.empty or self._offer is None:
            self.status.value = '<span class="wb-x wb-note">Show a table first.</span>'
            return None
        data = self.table.to_csv(index=False).encode("utf-8")
        name = "groups-" + "-".join(self._shown[0]).replace("/", "_") + ".csv"
        return self._offer(data, name, self.download, self.download_stream)

    def _safely(self, action: Callable[[], Any]) -> None:
        try:
            self.status.value = ""
            action()
        except Exception as exc:
            self.status.value = f'<span class="wb-x wb-error">{esc(exc)}</span>'


def _default_positive(classes: Sequence[Any]) -> Any:
    """1 for 0/1 labels, else the last class in sorted order (e.g. ``>50K``); None without."""
    if not classes:
        return None
    if {str(c) for c in classes} <= {"0", "1", "0.0", "1.0", "True", "False"}:
        return next((c for c in classes if str(c) in ("1", "1.0", "True")), classes[-1])
    return classes[-1]
