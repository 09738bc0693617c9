"""The explorer: one widget to scan, browse, drill into, refine, flag and export slices.

It gets a :class:`~workbench.Workbench` handed in and asks it for everything
(findings, member rows, distributions, confusion matrices, evaluations of
refined slices), so every number is computed by DuckDB over the stored rows and
the browser only receives what is on screen. Imports ipywidgets, plotly (through
``_charts``), :mod:`workbench.findings` and the other widget modules; never the
store or the search.
"""

from __future__ import annotations

import json
import math
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from workbench.findings import Findings, Slice
from workbench.widgets import _views as views
from workbench.widgets._charts import error_histogram_figure, overview_figure
from workbench.widgets._controls import ScanInputs
from workbench.widgets._download import FileDownload, export_folder
from workbench.widgets._focus import FitCharts, FocusRequest
from workbench.widgets._format import esc, fmt_count, fmt_error
from workbench.widgets._groups import GroupsView
from workbench.widgets._html import download_link_html
from workbench.widgets._plain import plain_bin, plain_condition, plain_summary
from workbench.widgets._table import SliceTable

__all__ = ["Explorer"]

#: Files larger than this are streamed to the browser in chunks instead of a ``data:`` link.
MAX_DOWNLOAD_BYTES = 10_000_000


def _html(value: str = "", **layout: Any) -> w.HTML:
    return w.HTML(value, layout=w.Layout(**layout))


class Explorer(w.VBox):
    """Interactive explorer of a workbench's findings (JupyterLab, Voilà, Binder).

    A scan control with a progress bar, an error-by-slice chart, a sortable and
    filterable slice table, and a drill-down into the selected slice: its metrics
    vs the rest, confusion matrix or error distribution, feature distributions
    inside vs outside, a page of member rows (images and audio shown inline), a
    refine panel to add or remove conditions, flagging with a note, and CSV
    export of flagged slices and member rows.

    Parameters
    ----------
    bench : Workbench
        The workbench to explore (its store holds rows, scans and flags).
    scan_id : str, optional
        The scan to show; default the latest scan of these predictions.
    page_size : int
        Slices per page of the table.
    rows_page_size : int
        Member rows per page of the drill-down.
    column_kinds : mapping, optional
        Column name -> renderer kind (``"image"``, ``"audio"``, ...) for member
        columns the detection misses (see :func:`register_renderer`).
    media_root : path, optional
        Folder that relative media paths in the data are relative to.
    export_dir : path, optional
        Where exported CSV files are written; default a folder next to the store.
    plain_language : bool
        Say above the statistics what they mean, in words ("about 2.4 times as many
        errors as the rest (35 % vs 15 %), very unlikely to be chance"), and write the
        table's conditions, intervals and p-values in words and plain numbers ("age from
        26 to under 33", "0.30 to 0.40", "< 0.001").

    Examples
    --------
    >>> explorer = bench.explore()  # doctest: +SKIP
    >>> explorer.table.selected = explorer.table.rows[0]["slice_id"]  # doctest: +SKIP
    >>> explorer.current.slice_size  # doctest: +SKIP
    5352
    """

    def __init__(
        self,
        bench: Any,
        scan_id: str | None = None,
        *,
        page_size: int = 10,
        rows_page_size: int = 20,
        column_kinds: Mapping[str, str] | None = None,
        media_root: str | Path | None = None,
        export_dir: str | Path | None = None,
        plain_language: bool = False,
    ) -> None:
        super().__init__(layout=w.Layout(width="100%", overflow="visible"))
        self._plain = bool(plain_language)
        self.add_class("wb-x")
        self.add_class("wb-explorer")
        self.bench = bench
        self.column_kinds = dict(column_kinds or {})
        self._media_kinds: dict[str, str] = {}
        self.media_root = media_root
        self.rows_page_size = rows_page_size
        self._export_dir = Path(export_dir) if export_dir is not None else None
        self._lock = threading.RLock()
        self._findings = Findings()
        self._origin: Slice | None = None  # the scan slice the drill-down started from
        self._current: Slice | None = None  # what the drill-down shows (maybe refined)
        self._dist = pd.DataFrame()
        self._carriers = pd.DataFrame()  # per value inside the slice: its error and share
        self._rows_page = 0
        self._feature_names = [
            str(f)
            for f, kind in zip(bench.features["feature"], bench.features["kind"], strict=True)
            if kind != "skipped"
        ]
        self._build(page_size)
        findings = self._load_findings(scan_id)
        if findings is not None:
            self.set_findings(findings)

    # -- layout ------------------------------------------------------------------------------
    def _build(self, page_size: int) -> None:
        bench = self.bench
        self.header = _html()
        # Scan controls
        self.scan_inputs = ScanInputs.create("Run scan", "play")
        self.scan_k = self.scan_inputs.k
        self.scan_depth = self.scan_inputs.depth
        self.scan_support = self.scan_inputs.support
        self.scan_button = self.scan_inputs.button
        self.scan_button.on_click(self._on_scan_click)
        self.progress = self.scan_inputs.progress
        self.scan_status = self.scan_inputs.status
        self.scan_choice = w.Dropdown(
            options=[],
            description="Scan",
            layout=w.Layout(width="300px"),
            style={"description_width": "38px"},
        )
        self.scan_choice.observe(self._on_scan_choice, "value")
        self.distinct_toggle = w.Checkbox(
            False,
            description="Hide near-duplicates",
            indent=False,
            tooltip="Keep the best of slices whose rows overlap by more than half",
            layout=w.Layout(width="170px"),
        )
        self.distinct_toggle.observe(self._on_distinct, "value")
        controls = w.HBox(
            [
                self.scan_choice,
                self.distinct_toggle,
                *self.scan_inputs.widgets,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center", margin="6px 0"),
        )
        # Overview chart (rebuilt per scan) and table
        # A column box: its child stretches to the full width (plotly sizes to its container).
        self.notice = _html()
        self.scan_notes = _html(width="100%")  # the scan's notes; prominent when few qualify
        self.overview_box = w.VBox(layout=w.Layout(width="100%", min_height="40px"))
        self.overview: Any = None
        self.fit_charts = FitCharts(scope=".wb-explorer")
        # The chart's numbers as text, for screen readers and for reading exact values.
        self.chart_text = _html(width="100%")
        self.table = SliceTable(page_size=page_size, plain_language=self._plain)
        self.table.set_metric(str(bench.metric))
        self.table.observe(self._on_table_select, "selected")
        self.table.observe(lambda _: self._show_drill(), "reopen")
        # Drill-down
        self.focus = FocusRequest(scope=".wb-explorer")
        self.title = _html()
        self.back_button = w.Button(
            description="Back to the table",
            icon="arrow-up",
            tooltip="Return to this slice's row in the table",
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self.back_button.on_click(lambda _: self.back_to_table())
        self.metrics = _html()
        self.errors = _html()
        self.errors_plot = w.Output(layout=w.Layout(width="100%"))
        self.dists = _html()
        self.carriers = _html(width="100%")  # which values carry the slice's errors
        # Refine
        self.conditions_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.refine_feature = w.Dropdown(
            options=self._feature_names,
            description="Add",
            layout=w.Layout(width="220px"),
            style={"description_width": "32px"},
        )
        self.refine_value = w.Dropdown(
            options=[],
            description="is",
            layout=w.Layout(width="240px"),
            style={"description_width": "20px"},
        )
        self.refine_add = w.Button(
            description="Add condition",
            icon="plus",
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.refine_reset = w.Button(
            description="Back to scan slice",
            icon="undo",
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.refine_feature.observe(lambda _: self._fill_values(), "value")
        self.refine_add.on_click(self._on_add_condition)
        self.refine_reset.on_click(self._on_reset)
        self.refine_status = _html()
        refine = w.VBox(
            [
                _html('<div class="wb-x"><h3 class="wb-h">Refine</h3></div>'),
                self.conditions_box,
                w.HBox(
                    [self.refine_feature, self.refine_value, self.refine_add],
                    layout=w.Layout(flex_flow="row wrap", align_items="center"),
                ),
                w.HBox(
                    [self.refine_reset, self.refine_status],
                    layout=w.Layout(align_items="center"),
                ),
            ],
            layout=w.Layout(flex="1 1 380px", min_width="320px", margin="0 24px 0 0"),
        )
        # Flag and export
        # Sent whole when the box loses focus: a keystroke-by-keystroke sync is throttled by
        # ipywidgets, so a quick click on "Flag slice" could overtake the last keystrokes.
        self.flag_note = w.Text(
            placeholder="Note (why this slice matters)",
            continuous_update=False,
            layout=w.Layout(width="280px"),
        )
        self.flag_button = w.Button(
            description="Flag slice",
            icon="flag",
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.flag_button.on_click(self._on_flag)
        self.flag_status = _html()
        self.export_flagged_button = w.Button(
            description="Export flagged (CSV)",
            icon="download",
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.export_rows_button = w.Button(
            description="Export rows (CSV)",
            icon="download",
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.export_flagged_button.on_click(lambda _: self.export_flagged())
        self.export_rows_button.on_click(lambda _: self.export_rows())
        self.download = _html()
        self.download_stream = w.Box()
        actions = w.VBox(
            [
                _html('<div class="wb-x"><h3 class="wb-h">Flag and export</h3></div>'),
                w.HBox(
                    [self.flag_note, self.flag_button],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                self.flag_status,
                w.HBox(
                    [self.export_rows_button, self.export_flagged_button],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                self.download,
                self.download_stream,
            ],
            layout=w.Layout(flex="1 1 380px", min_width="320px"),
        )
        # Member rows
        self.rows_html = _html(width="100%")
        self.rows_prev = w.Button(
            description="‹ Prev", layout=w.Layout(width="auto", min_width="fit-content")
        )
        self.rows_next = w.Button(
            description="Next ›", layout=w.Layout(width="auto", min_width="fit-content")
        )
        self.rows_where = _html()
        self.rows_worst = w.Checkbox(
            False, description="Worst errors first", indent=False, layout=w.Layout(width="170px")
        )
        self.rows_prev.on_click(lambda _: self._rows_go(-1))
        self.rows_next.on_click(lambda _: self._rows_go(1))
        self.rows_worst.observe(lambda _: self._rows_go(None), "value")
        rows_bar = w.HBox(
            [self.rows_worst, self.rows_prev, self.rows_where, self.rows_next],
            layout=w.Layout(align_items="center"),
        )
        kind = "Confusion matrix" if bench.metric_kind == "classification" else "Error distribution"
        self.drill = w.VBox(
            [
                self.focus,
                w.HBox(
                    [self.title, self.back_button],
                    layout=w.Layout(
                        justify_content="space-between", align_items="flex-start", width="100%"
                    ),
                ),
                self.metrics,
                w.HBox([refine, actions], layout=w.Layout(flex_flow="row wrap")),
                _html(f'<div class="wb-x"><h3 class="wb-h">{kind}</h3></div>'),
                self.errors,
                self.errors_plot,
                _html(
                    '<div class="wb-x"><h3 class="wb-h">Which values carry the slice\'s errors</h3></div>'
                ),
                self.carriers,
                _html(
                    '<div class="wb-x"><h3 class="wb-h">Features inside vs outside the slice</h3></div>'
                ),
                self.dists,
                _html('<div class="wb-x"><h3 class="wb-h">Rows in the slice</h3></div>'),
                rows_bar,
                self.rows_html,
            ],
            layout=w.Layout(display="none", width="100%"),
        )
        self.drill.add_class("wb-panel")
        self.placeholder = _html(
            '<div class="wb-x wb-note" style="padding:8px 2px">Click a slice in the table or a bar in the '
            "chart to see its details.</div>"
        )
        # Groups: any feature's metric table (Workbench.by_group), exportable as CSV
        self.groups = GroupsView(
            bench, self._feature_names, offer=self._offer, plain_language=self._plain
        )
        self.groups.add_class("wb-panel")
        self.children = [
            self.header,
            controls,
            self.notice,
            self.scan_notes,
            self.fit_charts,
            self.overview_box,
            self.chart_text,
            self.table,
            self.placeholder,
            self.drill,
            self.groups,
        ]
        _add_gaps(self)
        self._refresh_header()

    # -- findings ----------------------------------------------------------------------------
    def _load_findings(self, scan_id: str | None) -> Findings | None:
        try:
            return self.bench.findings(scan_id)
        except KeyError:
            if scan_id is not None:
                raise
            return None  # no scan yet: the user runs one from the explorer

    @property
    def findings(self) -> Findings:
        """The findings shown (with current flags)."""
        return self._findings

    @property
    def current(self) -> Slice | None:
        """The slice the drill-down shows (a scan slice, or a refined one)."""
        return self._current

    def _on_distinct(self, change: dict[str, Any]) -> None:
        if self._findings.scan_id:
            self.set_findings(self.bench.findings(self._findings.scan_id))

    def set_findings(self, findings: Findings) -> None:
        """Show another scan's findings (chart, table; the drill-down closes).

        With "Hide near-duplicates" ticked, only the best of overlapping slices is shown
        (see ``Workbench.distinct``).
        """
        if self.distinct_toggle.value and len(findings):
            findings = self.bench.distinct(findings)
        self._findings = findings
        params = dict(findings.parameters)
        with self.hold_sync():
            self.scan_inputs.show(params)
            self.table.set_findings(findings)
            self.table.selected = ""
            self._close_drill()
            self.overview = (
                overview_figure(
                    findings, self.bench.overall_error, self.bench.metric, on_select=self.select
                )
                if len(findings)
                else None
            )
            self.overview_box.children = [self.overview] if self.overview is not None else []
            self.chart_text.value = views.chart_table_html(findings, self.bench.metric)
            self.scan_notes.value = views.notes_html(findings)
            self._refresh_scan_choice()
            self._refresh_header()

    def _refresh_header(self) -> None:
        b, f = self.bench, self._findings
        self.header.value = views.STYLE + views.header_html(
            model=b.model_name,
            metric=b.metric,
            overall_error=b.overall_error,
            n_rows=b.n_rows,
            scan_id=f.scan_id,
            n_slices=len(f),
            n_significant=sum(bool(s.significant) for s in f),
        )

    def _refresh_scan_choice(self) -> None:
        try:
            scans = self.bench.scans()
            scans = scans[scans["eval_id"] == self.bench.eval_id]
        except Exception:
            scans = pd.DataFrame(columns=["scan_id", "n_slices"])
        options = [
            (f"{r.scan_id} · {int(r.n_slices)} slices", str(r.scan_id)) for r in scans.itertuples()
        ]
        self._choosing = True
        try:
            self.scan_choice.options = options[::-1]
            if self._findings.scan_id in {v for _, v in options}:
                self.scan_choice.value = self._findings.scan_id
        finally:
            self._choosing = False

    def _on_scan_choice(self, change: dict[str, Any]) -> None:
        if (
            getattr(self, "_choosing", False)
            or not change["new"]
            or change["new"] == self._findings.scan_id
        ):
            return
        self._guard(lambda: self.set_findings(self.bench.findings(change["new"])), self.scan_status)

    @property
    def plain_language(self) -> bool:
        """Whether the drill-down explains its statistics in words and the table writes
        conditions, intervals and p-values in plain words and numbers."""
        return self._plain

    @plain_language.setter
    def plain_language(self, value: bool) -> None:
        self._plain = bool(value)
        self.table.plain_language = self._plain
        self.groups.plain_language = self._plain
        if not self.groups.table.empty:
            self.groups.redraw()
        if self._current is not None:
            current = self._current
            self._guard(lambda: self._open(current), self.flag_status)

    # -- selection and drill-down ------------------------------------------------------------
    def select(self, slice_id: str) -> None:
        """Open the drill-down of a slice of the shown scan (as a click on its row does)."""
        self.table.show(slice_id)
        self.table.selected = slice_id

    def _on_table_select(self, change: dict[str, Any]) -> None:
        slice_id = change["new"]
        if not slice_id:
            self._close_drill()
            return
        chosen = self.table.get(slice_id)
        if chosen is None:
            return
        self._origin = chosen
        if not self._guard(lambda: self._open(chosen), self.flag_status):
            self.table.selected = ""  # busy: clear it, so clicking the row again works later
            return
        self._show_drill()

    def _show_drill(self) -> None:
        # The drill-down opens below the table: bring its heading into view and focus it.
        if self._current is not None:
            self.focus.show("[data-testid=slice-title]")

    def back_to_table(self) -> None:
        """Return the view and keyboard focus to the selected slice's row."""
        self.table.focus_selected()

    def _close_drill(self) -> None:
        self._origin = self._current = None
        self.drill.layout.display = "none"
        self.placeholder.layout.display = None

    def _rank(self, s: Slice) -> int | None:
        for i, other in enumerate(self._findings, start=1):
            if other.slice_id == s.slice_id and s.slice_id:
                return i
        return None

    def _open(self, s: Slice) -> None:
        """Compute and show the drill-down of ``s``."""
        bench = self.bench
        with self._lock:
            self._current = s
            refined = self._origin is not None and s is not self._origin
            origin_label = None
            if refined and self._origin is not None:
                rank = self._rank(self._origin)
                origin_label = f"#{rank}" if rank else self._origin.slice_id
            error_share: float | None
            if bench.metric_kind == "classification":
                confusion = bench.confusion_matrix(s)
                errors_html = views.confusion_html(confusion)
                error_share = views.error_share_from_confusion(confusion)
                histogram = None
            else:
                histogram = bench.error_histogram(s)
                errors_html = ""
                error_share = views.error_share_from_counts(s, bench.overall_error)
            self._dist = bench.distributions(s)
            carriers = self._carriers = bench.error_values(s)
            fdr = self._findings.parameters.get("fdr") if not refined else None
            with self.hold_sync():
                self.title.value = views.title_html(
                    s,
                    None if refined else self._rank(s),
                    origin_label,
                    plain_language=self._plain,
                )
                plain = plain_summary(s, bench.metric) if self._plain else ""
                self.metrics.value = plain + views.metrics_html(
                    s,
                    n_rows=bench.n_rows,
                    overall_error=bench.overall_error,
                    metric=bench.metric,
                    error_share=error_share,
                    fdr=float(fdr) if isinstance(fdr, (int, float)) else None,
                    plain_language=self._plain,
                )
                self.errors.value = errors_html
                self.dists.value = views.distributions_html(
                    self._dist, [p.feature for p in s.predicates], plain_language=self._plain
                )
                self.carriers.value = views.error_values_html(
                    carriers,
                    [p.feature for p in s.predicates],
                    n_rows=s.size_in_data,
                    plain_language=self._plain,
                )
                self._show_conditions()
                self._show_flag()
                self.download.value = ""
                self.download_stream.children = []
                self._rows_page = 0
                self._show_rows()
                self.placeholder.layout.display = "none"
                self.drill.layout.display = None
            self.errors_plot.outputs = ()
            if histogram is not None:
                figure = error_histogram_figure(histogram, bench.metric)
                # A plain plotly mime bundle (re-rendered whole each time; no kernel-side
                # renderer settings involved).
                self.errors_plot.outputs = (
                    {
                        "output_type": "display_data",
                        "data": {
                            "application/vnd.plotly.v1+json": json.loads(figure.to_json()),
                            "text/plain": f"Distribution of per-row {bench.metric}",
                        },
                        "metadata": {},
                    },
                )

    # -- member rows -------------------------------------------------------------------------
    def _rows_go(self, delta: int | None) -> None:
        if self._current is None:
            return
        n_pages = max(1, math.ceil(self._current.size_in_data / self.rows_page_size))
        self._rows_page = 0 if delta is None else min(max(self._rows_page + delta, 0), n_pages - 1)
        self._guard(self._show_rows, self.rows_where)

    def _show_rows(self) -> None:
        s = self._current
        if s is None:
            return
        size = self.rows_page_size
        frame = self.bench.members(
            s, limit=size, offset=self._rows_page * size, worst_first=bool(self.rows_worst.value)
        )
        # A column once shown as media stays media on pages where it has no file, so the
        # players and thumbnails keep their place from page to page.
        for column, kind in views.member_kinds(frame, self.column_kinds).items():
            if kind in ("image", "audio"):
                self._media_kinds.setdefault(column, kind)
        self.rows_html.value = views.members_html(
            frame,
            kinds={**self._media_kinds, **self.column_kinds},
            media_root=self.media_root,
            alignment=self.bench.metric_kind == "text",
        )
        n_pages = max(1, math.ceil(s.size_in_data / size))
        first = self._rows_page * size + 1 if len(frame) else 0
        self.rows_where.value = (
            f'<span class="wb-x wb-num">rows {fmt_count(first)}–{fmt_count(first + len(frame) - 1)} of '
            f"{fmt_count(s.size_in_data)}</span>"
        )
        self.rows_prev.disabled = self._rows_page <= 0
        self.rows_next.disabled = self._rows_page >= n_pages - 1

    # -- refine ------------------------------------------------------------------------------
    def _show_conditions(self) -> None:
        s = self._current
        if s is None:
            return
        buttons = []
        for p in s.predicates:
            text = plain_condition(p) if self._plain else p.describe()
            button = w.Button(
                description=f"✕  {text}",
                tooltip=f"Remove {text}",
                layout=w.Layout(width="auto", max_width="360px"),
            )
            button.add_class("wb-chip-button")
            button.disabled = len(s.predicates) <= 1
            button.on_click(lambda _, feature=p.feature: self.remove_condition(feature))
            buttons.append(button)
        self.conditions_box.children = buttons
        self.refine_reset.disabled = self._origin is None or s is self._origin
        self._fill_values()

    def _fill_values(self) -> None:
        feature = self.refine_feature.value
        if self._dist.empty or feature is None:
            self.refine_value.options = []
            return
        part = self._dist[self._dist["feature"] == feature]
        current = self._current.conditions if self._current is not None else {}
        if feature in current:
            options = [
                (plain_bin(c) if self._plain else f"{c}", str(c))
                for c in part["category"]
                if str(c) != str(current[feature])
            ]
        else:
            # Only values that narrow the slice: one holding every row of it changes nothing.
            part = part[(part["inside"] > 0) & (part["inside"] < part["inside"].sum())]
            # each value's error inside the slice; ▲ where it carries clearly more errors
            errors: dict[str, tuple[float, bool]] = {}
            if not self._carriers.empty:
                mine = self._carriers[self._carriers["feature"] == feature]
                errors = {
                    str(c): (float(e), bool(hot))
                    for c, e, hot in zip(
                        mine["category"], mine["error"], mine["well_above"], strict=True
                    )
                }
            options = []
            for c, n in zip(part["category"], part["inside"], strict=True):
                error, hot = errors.get(str(c), (math.nan, False))
                shown = "" if math.isnan(error) else f", error {fmt_error(error)}"
                name = plain_bin(c) if self._plain else c
                options.append(
                    (f"{name} ({fmt_count(n)} rows{shown}){' ▲' if hot else ''}", str(c))
                )
        self.refine_value.options = options
        self.refine_value.value = options[0][1] if options else None
        self.refine_add.description = "Replace condition" if feature in current else "Add condition"

    def add_condition(self, feature: str, value: Any) -> Slice:
        """Add (or replace) the condition ``feature = value`` and show the refined slice."""
        conditions = dict(self._current.conditions) if self._current is not None else {}
        conditions[feature] = value
        return self._refine(conditions)

    def remove_condition(self, feature: str) -> Slice | None:
        """Drop the condition on ``feature`` and show the wider slice."""
        if self._current is None:
            return None
        conditions = {f: v for f, v in self._current.conditions.items() if f != feature}
        if not conditions:
            self.refine_status.value = (
                '<span class="wb-x wb-note">A slice needs at least one condition.</span>'
            )
            return self._current
        return self._refine(conditions)

    def _refine(self, conditions: dict[str, Any]) -> Slice:
        origin = self._origin
        if origin is not None and _same(conditions, origin.conditions):
            target = origin
        else:
            started = time.perf_counter()
            target = self.bench.evaluate(conditions)
            self.refine_status.value = (
                f'<span class="wb-x wb-note">computed by DuckDB over {fmt_count(self.bench.n_rows)} rows '
                f"in {time.perf_counter() - started:.2f} s (p-value not corrected: a slice you chose)</span>"
            )
        self._open(target)
        return target

    def _on_add_condition(self, _button: Any) -> None:
        feature, value = self.refine_feature.value, self.refine_value.value
        if feature is None or value is None:
            return
        self._guard(lambda: self.add_condition(feature, value), self.refine_status)

    def _on_reset(self, _button: Any) -> None:
        if self._origin is not None:
            self.refine_status.value = ""
            origin = self._origin
            self._guard(lambda: self._open(origin), self.refine_status)

    # -- flags -------------------------------------------------------------------------------
    def _show_flag(self) -> None:
        s = self._current
        self.flag_button.disabled = s is None
        self.flag_note.disabled = s is None
        if s is None:
            return
        if not s.slice_id:
            self.flag_note.value = ""
            self.flag_button.description = "Save and flag"
            self.flag_button.button_style = ""
            self.flag_status.value = (
                '<span class="wb-x wb-note">A refined slice: flagging saves it with the scan '
                "(its p-value is not corrected for the search).</span>"
            )
            return
        self.flag_note.value = s.flag_note
        self.flag_button.description = "Unflag" if s.flagged else "Flag slice"
        self.flag_button.button_style = "warning" if s.flagged else ""
        self.flag_status.value = (
            f'<span class="wb-x wb-note">⚑ flagged{": " + esc(s.flag_note) if s.flag_note else ""}</span>'
            if s.flagged
            else ""
        )

    def _on_flag(self, _button: Any) -> None:
        s = self._current
        if s is None:
            return
        self._guard(lambda: self.flag(not s.flagged, self.flag_note.value), self.flag_status)

    def flag(self, flagged: bool = True, note: str = "") -> Slice:
        """Flag (or unflag) the slice shown, with a note; kept in the store.

        A refined slice is first saved with the scan (see ``Workbench.save_slice``),
        so it gets an id, a row in the table, and can be exported and claimed.
        """
        s = self._current
        if s is None:
            raise ValueError("Select a slice before flagging.")
        if not s.slice_id:
            s = self.bench.save_slice(s, scan_id=self._findings.scan_id or None)
            if all(x.slice_id != s.slice_id for x in self._findings):
                self._findings = self._findings.replace(slices=(*self._findings.slices, s))
                self.table.set_findings(self._findings)
            self._origin = self._current = s
        if flagged:
            self.bench.flag(s, note=note)
        else:
            self.bench.unflag(s)
        updated = s.replace(flagged=flagged, flag_note=note if flagged else "")
        self._findings = self._findings.replace(
            slices=tuple(updated if x.slice_id == s.slice_id else x for x in self._findings)
        )
        self.table.update_slice(updated)
        if self._origin is s:
            self._origin = updated
        self._current = updated
        self._show_flag()
        return updated

    # -- export ------------------------------------------------------------------------------
    @property
    def export_dir(self) -> Path:
        """Folder that exported CSV files are written to (next to the store by default)."""
        return export_folder(self.bench.path, self._export_dir)

    def _offer(
        self,
        data: bytes,
        filename: str,
        link: w.HTML | None = None,
        stream: w.Box | None = None,
    ) -> Path:
        """Save an export next to the store and offer it as a browser download.

        Small files become a ``data:`` link; larger ones a button that streams the
        saved file to the browser in chunks, so any size can be downloaded. ``link``
        and ``stream`` are where to offer it (default the drill-down's export area).
        """
        link = self.download if link is None else link
        stream = self.download_stream if stream is None else stream
        folder = self.export_dir
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / filename
        target.write_bytes(data)
        if len(data) > MAX_DOWNLOAD_BYTES:
            link.value = (
                '<div class="wb-x wb-note" data-testid="download-large">A large file: the button '
                "sends it to your browser in pieces.</div>"
            )
            stream.children = [
                FileDownload(target, note=f"also saved to {target}", mime="text/csv")
            ]
        else:
            stream.children = []
            link.value = (
                '<div class="wb-x">'
                + download_link_html(data, filename, saved_to=str(target))
                + "</div>"
            )
        return target

    def export_flagged(self) -> Path | None:
        """Write the flagged slices of the shown scan to CSV and offer it for download."""
        if not self._findings.scan_id:
            self.download.value = '<div class="wb-x wb-note">Run a scan first.</div>'
            return None
        flagged = self.bench.flagged(self._findings.scan_id)
        if not len(flagged):
            self.download.value = (
                '<div class="wb-x wb-note" data-testid="download-empty">No flagged slices in this scan '
                "yet: flag one first.</div>"
            )
            return None
        data = flagged.to_frame().to_csv(index=False).encode("utf-8")
        return self._offer(data, f"{self._findings.scan_id}-flagged-slices.csv")

    def export_rows(self) -> Path | None:
        """Write every member row of the slice shown to CSV and offer it for download."""
        s = self._current
        if s is None:
            self.download.value = '<div class="wb-x wb-note">Select a slice first.</div>'
            return None
        frame = self.bench.members(s)
        data = frame.to_csv(index=True).encode("utf-8")
        name = (s.slice_id or "refined-slice").replace("/", "_")
        return self._offer(data, f"{name}-rows.csv")

    # -- scanning ----------------------------------------------------------------------------
    def _on_scan_click(self, _button: Any) -> None:
        self.run_scan()

    def run_scan(self, *, wait: bool = False) -> threading.Thread | None:
        """Run a scan with the controls' parameters in a background thread.

        The progress bar follows the search level by level; when it finishes the new
        findings are shown. ``wait=True`` blocks until it is done (for scripts and tests).
        """
        params = self.scan_inputs.parameters()

        def done(findings: Findings, seconds: float) -> str:
            self.set_findings(findings)
            return f"{len(findings)} slices in {seconds:.1f} s"

        # The lock: clicks during the scan get a "scan running" notice instead of waiting.
        return self.scan_inputs.run(
            lambda progress: self.bench.scan(progress=progress, **params),
            done=done,
            lock=self._lock,
            wait=wait,
        )

    # -- helpers -----------------------------------------------------------------------------
    def _guard(self, action: Any, status: w.HTML) -> bool:
        """Run a reaction to the user; show its error in the widget instead of losing it."""
        if not self._lock.acquire(blocking=False):
            self.notice.value = (
                '<div class="wb-x wb-note">A scan is running; the drill-down will respond when it '
                "finishes.</div>"
            )
            return False
        try:
            self.notice.value = ""
            action()
        except Exception as exc:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            status.value = f'<span class="wb-x wb-error" title="{esc(detail)}">{esc(exc)}</span>'
        finally:
            self._lock.release()
        return True


def _add_gaps(widget: w.Widget) -> None:
    """Space the items of every row box (ipywidgets' Layout has no ``gap``; a class does it)."""
    if isinstance(widget, w.HBox):
        widget.add_class("wb-gap")
    for child in getattr(widget, "children", ()):
        _add_gaps(child)


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return {k: str(v) for k, v in a.items()} == {k: str(v) for k, v in b.items()}
