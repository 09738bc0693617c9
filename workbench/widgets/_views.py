"""HTML fragments of the drill-down: metric tiles, confusion matrix, feature
distributions, member rows, download links, and the explorer's stylesheet.

Pure functions from findings values and small pandas frames (already fetched by
the explorer through its Workbench) to HTML strings, so they are cheap to test.
Imports pandas, :mod:`workbench.findings` and the widgets' formatting/renderers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import pandas as pd

from workbench.findings import Findings, Slice
from workbench.widgets._format import (
    esc,
    fmt_count,
    fmt_error,
    fmt_p,
    fmt_ratio,
    fmt_share,
    p_value_shown,
)
from workbench.widgets._html import BASE_STYLE
from workbench.widgets._plain import ABOVE_100, plain_bin, plain_description
from workbench.widgets._renderers import column_kinds, get_renderer, render_cell

__all__ = [
    "STYLE",
    "chart_table_html",
    "confusion_html",
    "distributions_html",
    "error_values_html",
    "member_kinds",
    "members_html",
    "metrics_html",
    "notes_html",
    "title_html",
]

STYLE = (
    "<style>"
    + BASE_STYLE
    + """
.wb-x { --wb-fg: var(--jp-ui-font-color1, #1f2328); --wb-muted: var(--jp-ui-font-color2, #59636e);
  --wb-bg: var(--jp-layout-color1, #fff); --wb-bg2: var(--jp-layout-color2, #f6f8fa);
  --wb-line: var(--jp-border-color2, #d8dee4); --wb-accent: var(--jp-brand-color1, #1f6feb);
  --wb-bad: #d1242f; --wb-rest: #8c959f;
  font-family: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  font-size: 13px; line-height: 1.4; color: var(--wb-fg); }
.wb-x .wb-num, .wb-x table { font-variant-numeric: tabular-nums; }
.wb-x .wb-muted { color: var(--wb-muted); }
.wb-x h3.wb-h { font-size: 14px; font-weight: 600; margin: 14px 0 6px; color: var(--wb-fg); }
.wb-x .wb-head { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.wb-x .wb-head .wb-title { font-size: 17px; font-weight: 600; }
.wb-x .wb-facts { color: var(--wb-muted); }
.wb-x .wb-facts b { color: var(--wb-fg); font-weight: 600; }
.wb-x .wb-slice-title { font-size: 15px; font-weight: 600; margin: 2px 0; scroll-margin-top: 8px; }
.wb-x .wb-sql { font-family: var(--jp-code-font-family, ui-monospace, monospace); font-size: 12px;
  color: var(--wb-muted); word-break: break-word; }
.wb-x .wb-tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 8px;
  margin: 8px 0; }
.wb-x .wb-tile { border: 1px solid var(--wb-line); border-radius: 6px; padding: 7px 10px; background: var(--wb-bg); }
.wb-x .wb-tile .wb-k { color: var(--wb-muted); font-size: 12px; }
.wb-x .wb-tile .wb-v { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.wb-x .wb-tile .wb-s { color: var(--wb-muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.wb-x .wb-badge { border-radius: 10px; padding: 1px 7px; font-size: 11px; font-weight: 600; }
.wb-x .wb-sig { background: #ffebe9; color: #a40e26; }
.wb-x .wb-ns { color: var(--wb-muted); border: 1px solid var(--wb-line); }
.wb-x table.wb-t { border-collapse: collapse; font-size: 12.5px; }
.wb-x table.wb-t th { color: var(--wb-fg); font-weight: 600; text-align: left; padding: 4px 8px;
  border-bottom: 1px solid var(--wb-line); background: var(--wb-bg2); white-space: nowrap; }
.wb-x table.wb-t td { padding: 4px 8px; border-bottom: 1px solid var(--wb-line); vertical-align: middle; }
.wb-x table.wb-t td.r, .wb-x table.wb-t th.r { text-align: right; white-space: nowrap; }
.wb-x table.wb-t td.wb-err { background: color-mix(in srgb, #d1242f 10%, transparent); }
.wb-x table.wb-t td.wb-err .wb-muted { color: var(--wb-fg); }
.wb-x .wb-cm { display: flex; gap: 18px; flex-wrap: wrap; }
.wb-x .wb-dists { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 10px; }
.wb-x .wb-dist { border: 1px solid var(--wb-line); border-radius: 6px; padding: 6px 8px; min-width: 0; }
.wb-x .wb-dist-h { display: flex; justify-content: space-between; gap: 6px; font-weight: 600; margin-bottom: 3px; }
.wb-x .wb-dist-h .wb-muted { font-weight: 400; font-size: 11.5px; }
.wb-x .wb-cat { display: grid; grid-template-columns: minmax(60px, 38%) 1fr 88px; gap: 6px; align-items: center;
  font-size: 12px; padding: 1px 0; }
.wb-x .wb-cat-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.wb-x .wb-bars { display: flex; flex-direction: column; gap: 1px; }
.wb-x .wb-bar { height: 5px; border-radius: 2px; min-width: 1px; }
.wb-x .wb-bar.in { background: var(--wb-bad); }
.wb-x .wb-bar.out { background: var(--wb-rest); }
.wb-x .wb-pct { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; color: var(--wb-muted); }
.wb-x .wb-pct b { color: var(--wb-fg); font-weight: 600; }
.wb-x .wb-legend { display: inline-flex; gap: 12px; align-items: center; font-size: 12px; color: var(--wb-muted); }
.wb-x .wb-key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.wb-x .wb-rows-wrap { overflow-x: auto; border: 1px solid var(--wb-line); border-radius: 6px; max-height: 560px; }
.wb-x .wb-rows-wrap table.wb-t { width: 100%; }
.wb-x .wb-rows-wrap th { position: sticky; top: 0; z-index: 1; }
.wb-x .wb-rows-wrap td { white-space: nowrap; max-width: 360px; overflow: hidden; text-overflow: ellipsis; }
.wb-x .wb-rows-wrap td.wb-align { max-width: none; overflow: visible; }
.wb-x img.wb-thumb { max-height: 64px; max-width: 96px; border-radius: 3px; display: block; }
.wb-x audio.wb-audio { height: 30px; width: 220px; }
.wb-x a.wb-download { color: var(--wb-accent); font-weight: 600; }
.wb-x .wb-note { color: var(--wb-muted); font-size: 12px; }
.wb-x .wb-error { color: var(--wb-bad); }
.wb-x .wb-notes { border: 1px solid var(--wb-line); border-radius: 6px; padding: 6px 10px; }
.wb-x .wb-notes summary { cursor: pointer; color: var(--wb-fg); }
.wb-x .wb-notes ul { margin: 4px 0 2px 18px; padding: 0; }
.wb-x .wb-notes.wb-warn { background: #fff8c5; border-color: #bf8700; color: #1f2328; }
.wb-x .wb-notes.wb-warn .wb-lead { font-weight: 600; font-size: 13.5px; }
.wb-x .wb-notes.wb-warn .wb-note { color: #3d444d; }
.wb-x .wb-carriers { display: grid; grid-template-columns: repeat(auto-fill, minmax(290px, 1fr)); gap: 10px; }
.wb-x .wb-carry { display: grid; grid-template-columns: minmax(0, 1fr) auto auto auto; gap: 2px 10px;
  align-items: center; font-size: 12px; font-variant-numeric: tabular-nums; }
.wb-x .wb-carry > span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.wb-x .wb-carry .wb-ch { color: var(--wb-muted); font-size: 11px; }
.wb-x .wb-carry .r { text-align: right; }
.wb-x .wb-carry .wb-hot { background: #ffebe9; color: #82071e; font-weight: 600; border-radius: 3px; }
.wb-x details.wb-also { margin: 3px 0 0; font-size: 12.5px; }
.wb-x details.wb-also summary { cursor: pointer; color: var(--wb-muted); }
.wb-x details.wb-also summary b { color: var(--wb-fg); font-weight: 600; }
.wb-x ul.wb-also-list { margin: 3px 0 2px 18px; padding: 0; max-height: 180px; overflow-y: auto; }
.wb-x p.wb-plain { font-size: 14px; margin: 6px 0 4px; max-width: 900px; }
.wb-x details.wb-chart-text summary { cursor: pointer; color: var(--wb-muted); font-size: 12px; }
.wb-gap { gap: 4px 8px; }
.wb-panel { border: 1px solid var(--jp-border-color2, #d8dee4); border-radius: 6px; padding: 4px 10px 8px; }
.wb-x .widget-label, .wb-x .widget-inline-hbox .widget-label { color: var(--jp-ui-font-color1, #1f2328); }
</style>
"""
)


def title_html(
    s: Slice, rank: int | None, refined_from: str | None = None, *, plain_language: bool = False
) -> str:
    """The drill-down's heading: the slice's conditions (in words in plain language)
    and its SQL."""
    label = f"#{rank} " if rank else ""
    origin = (
        f'<span class="wb-muted"> · refined from {esc(refined_from)}</span>'
        if refined_from
        else (f'<span class="wb-muted"> · {esc(s.slice_id)}</span>' if s.slice_id else "")
    )
    return (
        f'<div class="wb-x"><h2 class="wb-slice-title" data-testid="slice-title" tabindex="-1">'
        f"{esc(label)}{esc(plain_description(s.description) if plain_language else s.description)}"
        f"{origin}</h2>"
        f'<div class="wb-sql">WHERE {esc(s.sql_where)}</div>'
        f"{also_html(s, plain_language=plain_language)}</div>"
    )


def also_html(s: Slice, open_up_to: int = 3, *, plain_language: bool = False) -> str:
    """The slice's other descriptions of (nearly) the same rows ("also described as …").

    A few are listed open; a long list is folded under its first entry.
    """
    also = [plain_description(a) if plain_language else a for a in s.also_described_as]
    if not also:
        return ""
    items = "".join(f"<li>{esc(a)}</li>" for a in also)
    more = f" (+{len(also) - 1} more)" if len(also) > 1 else ""
    opened = " open" if len(also) <= open_up_to else ""
    return (
        f'<details class="wb-also" data-testid="also-described-as"{opened}><summary>'
        f"Also described as <b>{esc(also[0])}</b>{more}</summary>"
        f'<ul class="wb-also-list" tabindex="0" aria-label="Other descriptions">{items}</ul>'
        '<div class="wb-note">Other conditions that pick (nearly) the same rows: the scan '
        "folded them into this slice.</div></details>"
    )


def metrics_html(
    s: Slice,
    *,
    n_rows: int,
    overall_error: float,
    metric: str,
    error_share: float | None,
    fdr: float | None,
    plain_language: bool = False,
) -> str:
    """Metric tiles: the slice vs the rest of the data (the interval written "0.30 to 0.40"
    and a tiny p-value "< 0.001" in plain language)."""
    sig = (
        '<span class="wb-badge wb-sig">significant</span>'
        if s.significant
        else '<span class="wb-badge wb-ns">not significant</span>'
    )
    level = f" at FDR {fmt_share(fdr)}" if fdr is not None and not math.isnan(fdr) else ""
    share_rows = s.size_in_data / n_rows if n_rows else math.nan
    stats_on = s.statistics_on or "all rows"
    stats_n = f"{fmt_count(s.stats_size)} rows" if s.stats_size and s.stats_size > 0 else ""
    tiles = [
        (
            "Slice " + esc(metric.replace("_", " ")),
            f'<span data-testid="slice-error">{fmt_error(s.slice_error)}</span>',
            f"95% CI {fmt_error(s.error_ci_low)} to {fmt_error(s.error_ci_high)}"
            if plain_language
            else f"95% CI [{fmt_error(s.error_ci_low)}, {fmt_error(s.error_ci_high)}]",
        ),
        (
            "Rest of the data",
            fmt_error(s.rest_error),
            f"overall {fmt_error(overall_error)} · ratio {fmt_ratio(s.error_ratio)}",
        ),
        (
            "Rows in the data",
            f'<span data-testid="slice-size">{fmt_count(s.size_in_data)}</span>',
            f"{fmt_share(share_rows)} of {fmt_count(n_rows)}",
        ),
        (
            "Share of all errors",
            fmt_share(error_share) if error_share is not None else "–",
            "errors that fall in this slice",
        ),
        p_tile(s, sig, level, plain_language=plain_language),
        ("Statistics on", f'<span style="font-size:13px">{esc(stats_on)}</span>', esc(stats_n)),
    ]
    cells = "".join(
        f'<div class="wb-tile"><div class="wb-k">{k}</div><div class="wb-v">{v}</div>'
        f'<div class="wb-s">{sub}</div></div>'
        for k, v, sub in tiles
    )
    shown = (s.slice_error, s.error_ci_high, s.rest_error, overall_error)
    note = ""
    if metric in ABOVE_100 and any(float(v) > 1 for v in shown if v is not None):
        note = f'<div class="wb-note" data-testid="above-100">{esc(ABOVE_100[metric])}</div>'
    return f'<div class="wb-x"><div class="wb-tiles">{cells}</div>{note}</div>'


def p_tile(
    s: Slice, badge: str, level: str, *, plain_language: bool = False
) -> tuple[str, str, str]:
    """The p-value tile: adjusted (and how) for a scan's slice, uncorrected for one you chose."""
    p_value, adjusted, how = p_value_shown(s.p_value, s.p_value_adjusted, s.p_value_correction)
    shown = "< 0.001" if plain_language and p_value < 0.001 else fmt_p(p_value)
    value = f'<span data-testid="p-value">{esc(shown)}</span>'
    if adjusted:
        return (
            "p-value (adjusted)",
            value,
            f'{badge}{esc(level)}<div data-testid="p-correction">{esc(how)}</div>',
        )
    return (
        "p-value (uncorrected)",
        value,
        f'{badge}<div data-testid="p-correction">not corrected for a search: a slice you '
        "chose</div>",
    )


def error_share_from_confusion(confusion: pd.DataFrame) -> float | None:
    """Share of all misclassified rows that fall inside the slice."""
    if confusion.empty:
        return None
    wrong = confusion["label"].astype(str) != confusion["prediction"].astype(str)
    inside = float(confusion.loc[wrong, "inside"].sum())
    total = inside + float(confusion.loc[wrong, "outside"].sum())
    return inside / total if total else None


def confusion_html(confusion: pd.DataFrame, max_classes: int = 12) -> str:
    """Two small confusion matrices (inside the slice, rest), errors tinted."""
    if confusion.empty:
        return '<div class="wb-x wb-note">No rows.</div>'
    labels = [
        str(v)
        for v in pd.unique(pd.concat([confusion["label"], confusion["prediction"]]).astype(str))
    ]
    labels = sorted(labels)[:max_classes]
    frame = confusion.assign(
        label=confusion["label"].astype(str), prediction=confusion["prediction"].astype(str)
    )
    parts = []
    for side, title in (("inside", "In the slice"), ("outside", "Rest of the data")):
        pivot = frame.pivot_table(
            index="label", columns="prediction", values=side, aggfunc="sum", fill_value=0
        )
        pivot = pivot.reindex(index=labels, columns=labels, fill_value=0)
        total = float(pivot.to_numpy().sum()) or 1.0
        head = "".join(f'<th class="r">{esc(c)}</th>' for c in labels)
        body = []
        for lab in labels:
            cells = []
            for pred in labels:
                n = int(pivot.to_numpy()[labels.index(lab), labels.index(pred)])
                cls = "r wb-err" if lab != pred and n else "r"
                cells.append(
                    f'<td class="{cls}"><span class="wb-num">{fmt_count(n)}</span> '
                    f'<span class="wb-muted">{fmt_share(n / total)}</span></td>'
                )
            body.append(f"<tr><th>{esc(lab)}</th>{''.join(cells)}</tr>")
        parts.append(
            f'<div><div class="wb-muted" style="margin-bottom:3px">{title} · true ↓ predicted →</div>'
            f'<table class="wb-t" data-testid="confusion-{side}"><thead><tr><th></th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )
    return f'<div class="wb-x"><div class="wb-cm">{"".join(parts)}</div></div>'


def distributions_html(
    dist: pd.DataFrame,
    slice_features: Sequence[str] = (),
    max_categories: int = 10,
    *,
    plain_language: bool = False,
) -> str:
    """Share of each category inside vs outside the slice, one card per feature.

    Cards are ordered by how different the slice is from the rest on that feature
    (total variation distance); the slice's own features come last.
    """
    if dist.empty:
        return '<div class="wb-x wb-note">No feature distributions.</div>'
    cards = []
    own = set(slice_features)
    for feature, group in dist.groupby("feature", sort=False):
        tvd = 0.5 * float(
            (group["inside_share"].fillna(0) - group["outside_share"].fillna(0)).abs().sum()
        )
        cards.append((str(feature) in own, -tvd, str(feature), group, tvd))
    cards.sort(key=lambda c: (c[0], c[1]))
    html_cards = []
    for is_own, _, feature, group, tvd in cards:
        group = group.sort_values("inside_share", ascending=False, kind="stable")
        shown = group.head(max_categories)
        top = max(float(shown["inside_share"].max()), float(shown["outside_share"].max()), 1e-12)
        rows = []
        for _, r in shown.iterrows():
            category = plain_bin(r["category"]) if plain_language else r["category"]
            inside = float(r["inside_share"]) if pd.notna(r["inside_share"]) else 0.0
            outside = float(r["outside_share"]) if pd.notna(r["outside_share"]) else 0.0
            rows.append(
                f'<div class="wb-cat" title="{esc(category)}: {fmt_count(r["inside"])} rows in the slice '
                f'({fmt_share(inside)}), {fmt_count(r["outside"])} outside ({fmt_share(outside)})">'
                f'<span class="wb-cat-name">{esc(category)}</span>'
                f'<span class="wb-bars"><span class="wb-bar in" style="width:{100 * inside / top:.1f}%"></span>'
                f'<span class="wb-bar out" style="width:{100 * outside / top:.1f}%"></span></span>'
                f'<span class="wb-pct"><b>{fmt_share(inside)}</b> · {fmt_share(outside)}</span></div>'
            )
        more = len(group) - len(shown)
        if more > 0:
            rows.append(f'<div class="wb-note">+ {more} more categories</div>')
        tag = "in the slice's definition" if is_own else f"difference {fmt_share(tvd)}"
        html_cards.append(
            f'<div class="wb-dist" data-feature="{esc(feature)}"><div class="wb-dist-h"><span>{esc(feature)}</span>'
            f'<span class="wb-muted">{tag}</span></div>{"".join(rows)}</div>'
        )
    legend = (
        '<div class="wb-legend" style="margin-bottom:6px"><span><span class="wb-key" style="background:#d1242f">'
        '</span>in the slice</span><span><span class="wb-key" style="background:#8c959f"></span>rest of the data'
        "</span><span>features most different from the rest first</span></div>"
    )
    return f'<div class="wb-x">{legend}<div class="wb-dists">{"".join(html_cards)}</div></div>'


_SPECIAL = {
    "_label": "label",
    "_prediction": "prediction",
    "_score": "score",
    "_error": "error",
    "_weight": "weight",
}


def member_kinds(
    frame: pd.DataFrame, kinds: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """The kind of each column of a page of member rows (``kinds`` first, then detected
    from the column's name and the page's values)."""
    sample = {
        c: frame[c].head(20).tolist()
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c])
    }
    return column_kinds(list(frame.columns), sample, dict(kinds or {}))


def members_html(
    frame: pd.DataFrame,
    *,
    kinds: Mapping[str, str] | None = None,
    media_root: str | os.PathLike[str] | None = None,
    alignment: bool = False,
) -> str:
    """A page of member rows as an HTML table, media rendered inline.

    Columns: row id, media columns, label, prediction, score, error, then the
    remaining columns. ``kinds`` overrides the detected kind of a column; with
    ``alignment`` the reference/hypothesis word alignment is shown (speech data).
    """
    if frame.empty:
        return '<div class="wb-x wb-note">No rows on this page.</div>'
    frame = frame.reset_index()
    detected = member_kinds(frame, kinds)
    media = [
        c for c in frame.columns if detected.get(c) in ("image", "audio") or (kinds or {}).get(c)
    ]
    special = [c for c in _SPECIAL if c in frame.columns and c != "_weight"]
    if "_weight" in frame.columns and frame["_weight"].nunique() > 1:
        special.append("_weight")
    rest = [c for c in frame.columns if c not in {"row_id", *media, *_SPECIAL}]
    order = ["row_id", *media, *special, *rest]
    head = [f'<th class="{_align(frame[c])}">{esc(_SPECIAL.get(c, c))}</th>' for c in order]
    if alignment:
        head.insert(1 + len(media), "<th>alignment (reference / output)</th>")
    align_renderer = get_renderer("alignment")
    body = []
    for _, row in frame.iterrows():
        cells = []
        for c in order:
            kind = detected.get(c)
            cls = _align(frame[c])
            cells.append(f'<td class="{cls}">{render_cell(kind, row[c], root=media_root)}</td>')
        if alignment:
            try:
                aligned = align_renderer(row.get("_label"), row.get("_prediction"))
            except Exception as exc:  # never break the table over one row
                aligned = f'<span class="wb-muted">{esc(exc)}</span>'
            cells.insert(1 + len(media), f'<td class="wb-align">{aligned}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        '<div class="wb-x"><div class="wb-rows-wrap"><table class="wb-t" data-testid="member-rows">'
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table></div></div>"
    )


def _align(column: pd.Series) -> str:
    return (
        "r"
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        else ""
    )


def chart_table_html(findings: Findings, metric: str) -> str:
    """The overview chart's numbers as a table, folded under the chart (its text alternative)."""
    if not len(findings):
        return ""
    rows = "".join(
        f"<tr><td>#{i}</td><td>{esc(s.description)}</td>"
        f'<td class="r">{fmt_error(s.slice_error)}</td>'
        f'<td class="r">{fmt_error(s.error_ci_low)} to {fmt_error(s.error_ci_high)}</td>'
        f"<td>{'significant' if s.significant else 'not significant'}</td></tr>"
        for i, s in enumerate(findings, start=1)
    )
    return (
        '<div class="wb-x"><details class="wb-chart-text" data-testid="chart-text"><summary>'
        "The chart as a table</summary>"
        f'<table class="wb-t"><caption class="wb-note">Error by slice ({esc(metric.replace("_", " "))}) '
        "with its 95% confidence interval</caption><thead><tr><th scope=col>Bar</th>"
        '<th scope=col>Slice</th><th scope=col class="r">Error</th>'
        '<th scope=col class="r">95% CI</th><th scope=col>Significance</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></details></div>"
    )


def header_html(
    *,
    model: str,
    metric: str,
    overall_error: float,
    n_rows: int,
    scan_id: str,
    n_slices: int,
    n_significant: int,
) -> str:
    """The explorer's one-line heading: model, metric, data size and the scan shown."""
    scan = (
        f" · scan <b>{esc(scan_id)}</b>: <b>{n_slices}</b> slices, <b>{n_significant}</b> significant"
        if scan_id
        else " · no scan yet"
    )
    return (
        f'<div class="wb-x"><div class="wb-head"><span class="wb-title">Slice Workbench</span>'
        f'<span class="wb-facts">model <b>{esc(model)}</b> · {esc(metric.replace("_", " "))} '
        f"<b>{fmt_error(overall_error)}</b> overall · <b>{fmt_count(n_rows)}</b> rows{scan}</span></div></div>"
    )


def error_share_from_counts(s: Slice, overall_error: float) -> float | None:
    """Share of the total error inside the slice, from its error, weight and rest error.

    With ``E``/``W`` the totals: ``overall = E / W`` and ``rest = (E - e) / (W - w)``,
    so ``W = (rest * w - e) / (rest - overall)``. Undefined when rest == overall.
    """
    rest, e, w = s.rest_error, s.error_sum, s.weight_sum
    if any(math.isnan(v) for v in (rest, e, w, overall_error)) or abs(rest - overall_error) < 1e-12:
        return None
    total_weight = (rest * w - e) / (rest - overall_error)
    total_error = overall_error * total_weight
    if total_error <= 0:
        return None
    share = e / total_error
    return share if 0 <= share <= 1 + 1e-9 else None


def _advice(parameters: Mapping[str, object], *, few: bool) -> list[str]:
    """What to change in the scan controls when too few slices qualify or none is significant."""
    tips = []
    ranking = str(parameters.get("ranking", ""))
    if ranking == "sliceline":
        tips.append(
            'ranking "excess", which does not bury small groups (SliceLine\'s score needs a '
            "slice to be large as well as bad)"
        )
        if few:
            tips.append("a higher alpha (weighs the error more against the size)")
    support = parameters.get("min_support")
    rows = parameters.get("min_support_rows")
    if support is not None:
        at = f" (now {support}" + (f", {rows:,} rows)" if isinstance(rows, int) else ")")
        tips.append(f"a lower min support{at}")
    depth = parameters.get("max_predicates")
    if few and isinstance(depth, int) and depth < 3:
        tips.append("more conditions per slice")
    if not few:
        tips.append(
            "more rows: with fewer rows only large differences can be told apart from chance"
        )
    return tips


def notes_html(findings: Findings) -> str:
    """The scan's notes: prominent when fewer slices qualify than were asked for, or when
    none is significant (with what to change); otherwise folded under one line."""
    notes = list(findings.notes)
    if not findings.scan_id and not notes:
        return ""
    parameters = dict(findings.parameters)
    asked = parameters.get("k")
    n, n_sig = len(findings), sum(bool(s.significant) for s in findings)
    items = "".join(f"<li>{esc(note)}</li>" for note in notes)
    listed = f'<ul data-testid="scan-notes-list">{items}</ul>' if notes else ""
    lead = ""
    few = isinstance(asked, int) and n < asked
    if few:
        lead = (
            f"Only {n} of the {asked} slices asked for {'qualifies' if n == 1 else 'qualify'}."
            if n
            else f"No slice qualifies (asked for {asked})."
        )
    elif n and n_sig == 0:
        lead = "No slice is significant: none has an error reliably above the rest's."
    if lead:
        tips = _advice(parameters, few=few)
        tip = (
            f'<div class="wb-note" data-testid="scan-notes-advice">Try {esc("; or ".join(tips))}, '
            "in the scan controls above.</div>"
            if tips
            else ""
        )
        return (
            '<div class="wb-x"><div class="wb-notes wb-warn" role="status" data-testid="scan-notes">'
            f'<div class="wb-lead" data-testid="scan-notes-lead">{esc(lead)}</div>{tip}{listed}</div></div>'
        )
    return (
        '<div class="wb-x"><details class="wb-notes" data-testid="scan-notes"><summary>'
        f"Scan notes ({len(notes)}): how the statistics were computed</summary>{listed}</details></div>"
    )


def error_values_html(
    values: pd.DataFrame,
    slice_features: Sequence[str] = (),
    *,
    n_rows: int | None = None,
    max_values: int = 6,
    plain_language: bool = False,
) -> str:
    """Which values of each feature carry the slice's errors, one card per feature.

    Per value (most of the slice's errors first): its rows, its error rate and its share
    of the slice's errors; values whose error is well above the slice's are marked.
    Features whose errors are spread least like their rows come first; the slice's own
    features (one value each) are left out.
    """
    own = set(slice_features)
    part = values[~values["feature"].isin(own)] if not values.empty else values
    if part.empty:
        return '<div class="wb-x wb-note">No other features to break the errors down by.</div>'
    cards = []
    for feature, group in part.groupby("feature", sort=False):
        if len(group) < 2:  # one value holds every row of the slice: nothing to tell apart
            continue
        rows_total = float(group["rows"].sum()) or 1.0
        share = group["error_share"].fillna(0.0)
        spread = 0.5 * float((share - group["rows"] / rows_total).abs().sum())
        cards.append((not bool(group["well_above"].any()), -spread, str(feature), group))
    if not cards:
        return '<div class="wb-x wb-note">Every other feature has one value in this slice.</div>'
    cards.sort(key=lambda c: (c[0], c[1]))
    slice_error = float(part["slice_error"].iloc[0])
    html_cards = []
    for _, _, feature, group in cards:
        group = group.sort_values(["error_share", "rows"], ascending=False, kind="stable")
        shown = group.head(max_values)
        lines = [
            '<span class="wb-ch">value</span><span class="wb-ch r">rows</span>'
            '<span class="wb-ch r">error</span><span class="wb-ch r">share of errors</span>'
        ]
        for _, r in shown.iterrows():
            hot = bool(r["well_above"])
            mark = "▲ " if hot else ""  # before the name: a long name is cut, the mark never
            cls = ' class="wb-hot"' if hot else ""
            tip = (
                f"{r['category']}: {fmt_count(r['rows'])} rows of the slice, error "
                f"{fmt_error(r['error'])} (slice {fmt_error(slice_error)}), "
                f"{fmt_share(r['error_share'])} of the slice's errors"
                + ("; well above the slice's error" if hot else "")
            )
            name = plain_bin(r["category"]) if plain_language else r["category"]
            lines.append(
                f'<span{cls} title="{esc(tip)}" data-value="{esc(r["category"])}"'
                f"{' data-well-above' if hot else ''}>{mark}{esc(name)}</span>"
                f'<span class="r">{fmt_count(r["rows"])}</span>'
                f'<span class="r{" wb-hot" if hot else ""}">{fmt_error(r["error"])}</span>'
                f'<span class="r">{fmt_share(r["error_share"])}</span>'
            )
        more = len(group) - len(shown)
        extra = f'<div class="wb-note">+ {more} more values</div>' if more > 0 else ""
        html_cards.append(
            f'<div class="wb-dist" data-feature="{esc(feature)}"><div class="wb-dist-h">'
            f"<span>{esc(feature)}</span></div>"
            f'<div class="wb-carry">{"".join(lines)}</div>{extra}</div>'
        )
    rows = f" {fmt_count(n_rows)}" if n_rows is not None else ""
    if plain_language:
        lead = (
            f"Inside the slice ({rows.strip() or 'its'} rows in the data, error "
            f"{fmt_error(slice_error)}), these values hold its errors; those marked ▲ have "
            "clearly more errors than the slice as a whole."
        )
    else:
        # 0/1 errors have an interval per value; other errors are judged on 20 rows or more
        clearly = (
            "and clearly above it (95% interval)"
            if part["error_ci_low"].notna().any()
            else "on at least 20 rows"
        )
        lead = (
            f"Over the slice's{rows} rows in the data (error {fmt_error(slice_error)}): rows, "
            "error and share of the slice's errors per value. ▲ marks a value whose error is at "
            f"least 1.25 times the slice's {clearly}."
        )
    return (
        f'<div class="wb-x" data-testid="error-values"><div class="wb-note" style="margin-bottom:6px">'
        f'{esc(lead)}</div><div class="wb-carriers">{"".join(html_cards)}</div></div>'
    )
