"""The explorer's core loop in marimo, built from anywidgets only.

marimo shows anywidgets (``mo.ui.anywidget``) but refuses ipywidgets, which the
full :class:`~workbench.widgets.Explorer` is made of. :class:`MarimoExplorer` is
what ``Workbench.explore()`` returns inside marimo: the slice table (an anywidget),
the overview chart (a plotly figure) and :class:`DrillPanel`, an anywidget that
shows the chosen slice's drill-down and its actions: narrow it down by one more
condition, flag it with a note, export its rows or the flagged slices (sent to the
browser in chunks, any size). The widgets talk to Python through their own comms,
so the loop works in one cell; ``explorer.table`` is also a marimo UI element for
cells of your own that react to the selection. Imports anywidget, traitlets, the
widgets' HTML views and the findings values; marimo only to lay the parts out.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from workbench.findings import Findings, Slice
from workbench.widgets import _views as views
from workbench.widgets._download import CHUNK_BYTES, export_folder
from workbench.widgets._format import fmt_count
from workbench.widgets._html import esc
from workbench.widgets._static import drill_down_html
from workbench.widgets._table import SliceTable

__all__ = ["DrillPanel", "MarimoExplorer", "running_in_marimo"]

_STATIC = Path(__file__).with_name("static")

#: Values offered per feature in the "narrow it down" menu.
MAX_REFINE_VALUES = 12


def running_in_marimo() -> bool:
    """True inside a marimo notebook or app (edit, run, export), False elsewhere."""
    marimo = sys.modules.get("marimo")
    if marimo is None:
        return False
    try:
        return bool(marimo.running_in_notebook())
    except Exception:  # an older or partial marimo: not a notebook we know
        return False


class DrillPanel(anywidget.AnyWidget):
    """One slice's drill-down (HTML drawn in Python) and its actions, as an anywidget.

    Button presses arrive as custom messages (``{"action": "refine" | "back" | "flag"
    | "export", ...}``) and go to the handler set with :meth:`on_action`.
    """

    _esm = (_STATIC / "drill.js").read_text(encoding="utf-8")
    _css = """
.wbm { font-family: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", sans-serif);
  font-size: 13px; color: var(--jp-ui-font-color1, #1f2328); }
.wbm-actions { border-top: 1px solid #d8dee4; margin-top: 10px; padding-top: 8px; }
.wbm-row { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; margin: 4px 0; }
.wbm-label { font-weight: 600; }
.wbm-select, .wbm-note { font: inherit; padding: 3px 6px; border: 1px solid #8c959f;
  border-radius: 4px; max-width: 420px; }
.wbm-note { width: 320px; }
.wbm-button { font: inherit; font-weight: 600; color: #0b5cd5; background: #fff;
  border: 1px solid #0b5cd5; border-radius: 6px; padding: 3px 12px; cursor: pointer; }
.wbm-button:disabled { opacity: 0.55; cursor: default; }
.wbm :focus-visible { outline: 2px solid #0b5cd5; outline-offset: 2px; }
.wbm-status { color: #59636e; }
"""

    html = traitlets.Unicode("").tag(sync=True)
    has_slice = traitlets.Bool(False).tag(sync=True)
    refine_options = traitlets.List(traitlets.Dict()).tag(sync=True)
    refined = traitlets.Bool(False).tag(sync=True)
    flag_label = traitlets.Unicode("Flag slice").tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    focus_request = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handler: Any = None
        self.n_chunks_sent = 0
        self.on_msg(self._on_message)

    def on_action(self, handler: Any) -> None:
        """Call ``handler(message_dict)`` for each action pressed in the browser."""
        self._handler = handler

    def _on_message(self, _widget: Any, content: Any, _buffers: Sequence[Any]) -> None:
        if isinstance(content, dict) and self._handler is not None:
            self._handler(content)

    def send_file(self, path: Path, mime: str = "text/csv") -> int:
        """Send a saved file to the browser in chunks, which it saves; return the count."""
        count = 0
        with path.open("rb") as handle:
            chunk = handle.read(CHUNK_BYTES)
            while True:
                following = handle.read(CHUNK_BYTES)
                self.send(
                    {
                        "type": "chunk",
                        "index": count,
                        "last": not following,
                        "filename": path.name,
                        "mime": mime,
                    },
                    buffers=[chunk],
                )
                count += 1
                if not following:
                    break
                chunk = following
        self.n_chunks_sent += count
        return count


class MarimoExplorer:
    """The explorer for marimo: slice table, chart, drill-down, refine, flag, export.

    What ``Workbench.explore()`` returns when it runs inside marimo; show it as a
    cell's last expression. Selecting a row of the table opens that slice below it.

    Parameters
    ----------
    bench : Workbench
        The workbench holding the scan.
    scan_id : str, optional
        The scan to show (default: the latest).
    plain_language : bool
        Say what the statistics mean in words above the numbers.
    page_size : int
        Rows per page of the slice table.
    export_dir : path, optional
        Where exported CSV files are saved (default: beside the store).
    **_ignored
        Options of the full explorer that this view does not use yet (``media_root``,
        ``column_kinds``).

    Examples
    --------
    >>> explorer = bench.explore()  # doctest: +SKIP
    >>> explorer  # doctest: +SKIP
    >>> explorer.select("scan1.s3"); explorer.flag(note="why")  # doctest: +SKIP
    """

    def __init__(
        self,
        bench: Any,
        scan_id: str | None = None,
        *,
        plain_language: bool = True,
        page_size: int = 10,
        export_dir: str | Path | None = None,
        **_ignored: Any,
    ) -> None:
        self.bench = bench
        self.plain_language = plain_language
        self._findings: Findings = bench.findings(scan_id)
        self._export_dir = Path(export_dir) if export_dir is not None else None
        self._origin: Slice | None = None
        self._current: Slice | None = None
        self.table_widget = SliceTable(
            self._findings, page_size=page_size, plain_language=plain_language
        )
        self.table_widget.set_metric(str(bench.metric))
        self.panel = DrillPanel()
        self.panel.on_action(self.handle)
        self.table_widget.observe(self._on_select, "selected")
        self._ui: Any = None
        if len(self._findings):
            self.select(self._findings[0].slice_id)
        else:
            self.panel.html = (
                '<div class="wb-x wb-note">No slice of this scan reached the minimum '
                "support; run a scan with a lower min support.</div>"
            )

    # -- showing -----------------------------------------------------------------------------
    @property
    def findings(self) -> Findings:
        """The scan's findings, with flags as they are now."""
        return self._findings

    @property
    def current(self) -> Slice | None:
        """The slice shown in the drill-down (a found or a refined one)."""
        return self._current

    @property
    def table(self) -> Any:
        """The slice table as a marimo UI element (``table.value["selected"]``)."""
        if self._ui is None:
            import marimo as mo

            self._ui = mo.ui.anywidget(self.table_widget)
        return self._ui

    def _display_(self) -> Any:
        import marimo as mo
        import plotly.graph_objects as go

        from workbench.widgets._charts import overview_figure

        parts: list[Any] = [self.table]
        notes = views.notes_html(self._findings)  # prominent when fewer slices qualify
        if notes:
            parts.insert(0, mo.Html(views.STYLE + notes))
        if len(self._findings):
            chart = overview_figure(
                self._findings, self.bench.overall_error, self.bench.metric, height=260
            )
            figure = go.Figure(chart)  # a plain figure: its bars do not reach Python here
            figure.update_layout(title_text="Error by slice (95% CI); pick a slice in the table")
            parts.append(figure)
            parts.append(mo.Html(views.chart_table_html(self._findings, self.bench.metric)))
        parts.append(mo.ui.anywidget(self.panel))
        return mo.vstack(parts)

    def select(self, slice_id: str) -> Slice:
        """Open the slice ``slice_id`` of the scan (as a click on its row does)."""
        self._findings.get(slice_id)  # an unknown id raises SliceNotFoundError
        if self.table_widget.selected != slice_id:
            self.table_widget.selected = slice_id  # opens it through the observer
        else:
            self._open_found(slice_id)
        assert self._current is not None
        return self._current

    def _on_select(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._guard(lambda: self._open_found(str(change["new"])))

    def _open_found(self, slice_id: str) -> None:
        found = next((s for s in self._findings if s.slice_id == slice_id), None)
        if found is None:
            return
        self._origin = found
        self._show(found)
        self.panel.focus_request += 1

    def _rank(self, s: Slice) -> int | None:
        ids = [x.slice_id for x in self._findings]
        return ids.index(s.slice_id) + 1 if s.slice_id in ids else None

    def _show(self, s: Slice, status: str = "") -> None:
        self._current = s
        refined = self._origin is not None and s is not self._origin
        head = ""
        if refined and self._origin is not None:
            rank = self._rank(self._origin)
            head = (
                '<div class="wb-x wb-note" data-testid="refined-from">Refined from '
                f"{esc(f'#{rank}' if rank else self._origin.slice_id)} (p-value not corrected: "
                "a slice you chose)</div>"
            )
        rows = self.bench.members(s, limit=10)
        with self.panel.hold_sync():
            self.panel.html = (
                head
                + drill_down_html(self.bench, s, plain_language=self.plain_language)
                + '<div class="wb-x"><h4>First rows of the slice</h4>'
                + views.members_html(rows)
                + "</div>"
            )
            self.panel.has_slice = True
            self.panel.refined = refined
            self.panel.refine_options = self._refine_options(s)
            self.panel.flag_label = "Unflag" if s.flagged else "Flag slice"
            self.panel.note = s.flag_note
            self.panel.status = status or (
                f"⚑ flagged{': ' + s.flag_note if s.flag_note else ''}" if s.flagged else ""
            )

    def _refine_options(self, s: Slice) -> list[dict[str, Any]]:
        """Conditions that narrow ``s`` (each value holds some but not all of its rows)."""
        dist = self.bench.distributions(s)
        taken = set(s.conditions)
        options: list[dict[str, Any]] = []
        for feature, part in dist.groupby("feature", sort=False):
            if feature in taken:
                continue
            total = part["inside"].sum()
            part = part[(part["inside"] > 0) & (part["inside"] < total)]
            part = part.sort_values("inside", ascending=False).head(MAX_REFINE_VALUES)
            for category, inside in zip(part["category"], part["inside"], strict=True):
                options.append(
                    {
                        "label": f"{feature} = {category} ({fmt_count(inside)} rows)",
                        "feature": str(feature),
                        "value": str(category),
                    }
                )
        return options

    # -- actions -----------------------------------------------------------------------------
    def handle(self, message: dict[str, Any]) -> None:
        """Do what a button of the drill-down asked (a custom message from the browser)."""
        action = message.get("action")
        if action == "refine":
            self._guard(lambda: self.add_condition(str(message["feature"]), message["value"]))
        elif action == "back":
            self._guard(self.back)
        elif action == "flag":
            s = self._current
            if s is not None:
                self._guard(lambda: self.flag(not s.flagged, str(message.get("note", ""))))
        elif action == "export":
            what = message.get("what")
            self._guard(self.export_rows if what == "rows" else self.export_flagged)

    def _guard(self, action: Any) -> Any:
        """Run an action; a failure becomes the drill-down's status line, not a traceback."""
        try:
            return action()
        except Exception as exc:  # the explorer must keep working whatever happens
            self.panel.status = f"Could not do that: {exc}"
            return None

    def add_condition(self, feature: str, value: Any) -> Slice:
        """Narrow the slice shown by ``feature = value`` (a stored category) and show it."""
        if self._current is None:
            raise ValueError("Select a slice first.")
        conditions = {**self._current.conditions, feature: value}
        target = self.bench.evaluate(conditions)
        self._show(target)
        return target

    def back(self) -> Slice | None:
        """Show the found slice that the refined one started from."""
        if self._origin is not None:
            self._show(self._origin)
        return self._origin

    def flag(self, flagged: bool = True, note: str = "") -> Slice:
        """Flag (or unflag) the slice shown, with a note; kept in the store.

        A refined slice is saved with the scan first, so it gets an id and a row.
        """
        s = self._current
        if s is None:
            raise ValueError("Select a slice before flagging.")
        if not s.slice_id:
            s = self.bench.save_slice(s, scan_id=self._findings.scan_id or None)
            if all(x.slice_id != s.slice_id for x in self._findings):
                self._findings = self._findings.replace(slices=(*self._findings.slices, s))
                self.table_widget.set_findings(self._findings)
        if flagged:
            self.bench.flag(s, note=note)
        else:
            self.bench.unflag(s)
        updated = s.replace(flagged=flagged, flag_note=note if flagged else "")
        self._findings = self._findings.replace(
            slices=tuple(updated if x.slice_id == s.slice_id else x for x in self._findings)
        )
        self.table_widget.update_slice(updated)
        self._origin = updated
        self._show(updated)
        return updated

    @property
    def export_dir(self) -> Path:
        """Folder that exported CSV files are written to (next to the store by default)."""
        return export_folder(self.bench.path, self._export_dir)

    def _save_and_send(self, data: bytes, filename: str) -> Path:
        folder = self.export_dir
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / filename
        target.write_bytes(data)
        self.panel.send_file(target)
        self.panel.status = (
            f"Downloading {filename} ({fmt_count(len(data))} bytes; also saved to {target})"
        )
        return target

    def export_rows(self) -> Path | None:
        """Save every row of the slice shown as CSV and download it in the browser."""
        s = self._current
        if s is None:
            self.panel.status = "Select a slice first."
            return None
        frame = self.bench.members(s)
        name = (s.slice_id or "refined-slice").replace("/", "_")
        return self._save_and_send(frame.to_csv(index=True).encode("utf-8"), f"{name}-rows.csv")

    def export_flagged(self) -> Path | None:
        """Save the flagged slices of the scan as CSV and download it in the browser."""
        flagged = self.bench.flagged(self._findings.scan_id)
        if not len(flagged):
            self.panel.status = "No flagged slices in this scan yet: flag one first."
            return None
        data = flagged.to_frame().to_csv(index=False).encode("utf-8")
        return self._save_and_send(data, f"{self._findings.scan_id}-flagged-slices.csv")
