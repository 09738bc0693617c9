"""The app's look: one stylesheet and the small HTML fragments the app shows.

Pure functions returning HTML strings; imports pandas and the HTML helpers it shares
with the explorer (:mod:`workbench.widgets._html`: escaping, sizes, download links,
focus outlines). Every value that comes from user data is escaped here.
"""

from __future__ import annotations

import pandas as pd

from workbench.widgets._html import BASE_STYLE, download_link_html, esc, size_text

__all__ = [
    "STYLE",
    "chosen_file_html",
    "download_link_html",
    "guess_html",
    "header_html",
    "message_html",
    "preview_html",
    "saved_html",
    "size_text",
    "step_html",
]

LEVELS = ("info", "success", "warning", "error")

STYLE = (
    "<style>"
    + BASE_STYLE
    + """
.wb-app { --a-fg: var(--jp-ui-font-color1, #1f2328); --a-muted: var(--jp-ui-font-color2, #59636e);
  --a-bg: var(--jp-layout-color1, #fff); --a-bg2: var(--jp-layout-color2, #f6f8fa);
  --a-line: var(--jp-border-color2, #d8dee4); --a-accent: var(--jp-brand-color1, #1f6feb);
  font-family: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  font-size: 13px; line-height: 1.45; color: var(--a-fg); }
.wb-app-root { max-width: 1180px; margin: 0 auto; padding: 8px 4px 40px; }
.wb-app-card { border: 1px solid var(--a-line); border-radius: 8px; padding: 10px 16px 14px;
  margin: 0 0 14px 0; background: var(--a-bg); }
.wb-app .wb-app-title { font-size: 22px; font-weight: 650; margin: 6px 0 2px; }
.wb-app .wb-app-sub { color: var(--a-muted); margin: 0 0 12px; max-width: 820px; }
.wb-app .wb-app-step { display: flex; align-items: baseline; gap: 10px; margin: 2px 0 8px; }
.wb-app .wb-app-num { display: inline-flex; width: 22px; height: 22px; border-radius: 11px;
  align-items: center; justify-content: center; background: var(--a-accent); color: #fff;
  font-weight: 600; font-size: 12px; flex: none; position: relative; top: -1px; }
.wb-app .wb-app-step-title { font-size: 15px; font-weight: 600; }
.wb-app .wb-app-hint { color: var(--a-muted); }
.wb-app-msg { border-radius: 6px; padding: 8px 12px; margin: 8px 0 2px; border: 1px solid;
  max-width: 900px; }
.wb-app-msg p { margin: 2px 0; }
.wb-app-msg ul { margin: 4px 0 2px 18px; padding: 0; }
.wb-app-info { background: #ddf4ff; border-color: #b6e3ff; color: #0a3069; }
.wb-app-success { background: #dafbe1; border-color: #aceebb; color: #0f5323; }
.wb-app-warning { background: #fff8c5; border-color: #f2d86b; color: #4d2d00; }
.wb-app-error { background: #ffebe9; border-color: #ffc1ba; color: #82071e; }
.wb-app-msg b.wb-app-lead { font-weight: 600; }
.wb-app-preview { overflow-x: auto; max-width: 100%; margin-top: 6px; }
.wb-app table.wb-app-t { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
.wb-app table.wb-app-t th { text-align: left; padding: 3px 8px; background: var(--a-bg2);
  border-bottom: 1px solid var(--a-line); white-space: nowrap; font-weight: 600; }
.wb-app table.wb-app-t td { padding: 3px 8px; border-bottom: 1px solid var(--a-line);
  white-space: nowrap; max-width: 240px; overflow: hidden; text-overflow: ellipsis; }
.wb-app .wb-app-facts { color: var(--a-muted); margin: 4px 0; }
.wb-app .wb-app-facts b { color: var(--a-fg); }
.wb-app a.wb-app-download { display: inline-block; padding: 5px 12px; margin: 3px 8px 3px 0;
  border: 1px solid var(--a-accent); border-radius: 6px; color: var(--a-accent);
  text-decoration: none; font-weight: 600; }
.wb-app a.wb-app-download:hover { background: color-mix(in srgb, var(--a-accent) 10%, transparent); }
.wb-app code, .wb-app pre { font-family: var(--jp-code-font-family, ui-monospace, monospace);
  font-size: 12px; }
.wb-app pre { background: var(--a-bg2); border: 1px solid var(--a-line); border-radius: 6px;
  padding: 6px 10px; white-space: pre-wrap; word-break: break-all; margin: 6px 0; }
.wb-app-card .widget-hbox { gap: 6px 12px; }
.wb-app-label { font-weight: 600; margin: 6px 0 2px; }
.wb-app-upload.widget-upload { font-size: 0 !important; }
.wb-app-upload.widget-upload i { font-size: 13px; margin-right: 6px; }
.wb-app-upload.widget-upload::after { content: attr(title); font-size: 13px; }
.wb-app .wb-app-chosen { color: var(--a-muted); }
.wb-app .wb-app-chosen b { color: var(--a-fg); }
.wb-app-features .widget-checkbox { width: auto; }
.wb-app-features .widget-checkbox label { overflow: hidden; text-overflow: ellipsis; }
</style>
"""
)


def header_html() -> str:
    """The app's title and one-paragraph introduction."""
    return (
        STYLE
        + '<div class="wb-app"><div class="wb-app-title">Slice Workbench · audit a model</div>'
        '<p class="wb-app-sub">Load a table with one row per example, the true outcome and the '
        "model's prediction. The workbench searches every combination of up to three features "
        "for groups (<i>slices</i>) where the model fails more often than overall, with "
        "confidence intervals and p-values corrected for the search. Flag what matters and "
        "take away a CSV and a claim file anyone can re-check.</p></div>"
    )


def step_html(number: int, title: str, hint: str = "") -> str:
    """A numbered step heading."""
    hint_html = f'<span class="wb-app-hint">{hint}</span>' if hint else ""
    return (
        f'<div class="wb-app"><div class="wb-app-step"><span class="wb-app-num">{number}</span>'
        f'<span class="wb-app-step-title">{esc(title)}</span>{hint_html}</div></div>'
    )


def message_html(level: str, lead: str, details: list[str] | tuple[str, ...] = ()) -> str:
    """A styled message box; ``lead`` and ``details`` are plain text (escaped here)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}; got {level!r}")
    items = "".join(f"<li>{esc(d)}</li>" for d in details)
    body = f'<b class="wb-app-lead">{esc(lead)}</b>' + (f"<ul>{items}</ul>" if items else "")
    return (
        f'<div class="wb-app"><div class="wb-app-msg wb-app-{level}" role="status" '
        f'data-testid="message-{level}">{body}</div></div>'
    )


def saved_html(folder: str, since: str = "") -> str:
    """The line that says where the app keeps this session's work."""
    return (
        '<div class="wb-app"><div class="wb-app-hint" data-testid="saved-line">Your work '
        f"(flags, notes, scans) is saved in <code>{esc(folder)}</code>{esc(since)}; reloading "
        "this page in this browser brings it back.</div></div>"
    )


def guess_html(reasons: dict[str, str]) -> str:
    """Why the app picked the label, prediction and score columns (plain text, escaped)."""
    names = {
        "label": "Label",
        "prediction": "Prediction",
        "score": "Score",
        "identifiers": "Left out",
    }
    items = "".join(
        f"<li><b>{names[role]}</b>: {esc(text)}</li>"
        for role, text in reasons.items()
        if role in names
    )
    if not items:
        return ""
    return (
        '<div class="wb-app"><div class="wb-app-hint" data-testid="guess-reasons">Why these '
        f"columns:<ul>{items}</ul></div></div>"
    )


def chosen_file_html(name: str, size: int) -> str:
    """The file the user picked, beside the upload button."""
    return (
        f'<span class="wb-app wb-app-chosen" data-testid="chosen-file">Chosen: '
        f"<b>{esc(name)}</b> ({size_text(size)})</span>"
    )


def preview_html(frame: pd.DataFrame, facts: str, n_rows: int = 5, max_columns: int = 30) -> str:
    """The first rows of a table, with a line of facts above (already-escaped HTML)."""
    shown = frame.iloc[:n_rows, :max_columns]
    head = "".join(f"<th>{esc(c)}</th>" for c in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for value in record:
            text = "" if pd.isna(value) else str(value)
            text = text if len(text) <= 40 else text[:39] + "…"
            cells.append(f"<td>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<div class="wb-app-hint">… and {frame.shape[1] - max_columns} more columns</div>'
        if frame.shape[1] > max_columns
        else ""
    )
    return (
        f'<div class="wb-app"><div class="wb-app-facts">{facts}</div>'
        f'<div class="wb-app-preview"><table class="wb-app-t" data-testid="preview">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{more}</div>"
    )
