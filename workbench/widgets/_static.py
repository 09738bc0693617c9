"""A slice's drill-down as one HTML string, for front ends without ipywidgets.

marimo (``mo.ui.anywidget``), static HTML exports and plain notebooks show the
anywidget slice table and, beside it, this HTML: the slice's heading, its statistics
(in plain words when asked), the confusion matrix or nothing for other metrics, and
the feature distributions inside vs outside. Imports the widgets' HTML views; the
numbers come from the Workbench handed in.
"""

from __future__ import annotations

from typing import Any

from workbench.findings import Slice
from workbench.widgets import _views as views
from workbench.widgets._plain import plain_summary

__all__ = ["drill_down_html"]


def drill_down_html(bench: Any, slice_: Slice | str, *, plain_language: bool = True) -> str:
    """The drill-down of one slice of a scan, as self-contained HTML.

    Parameters
    ----------
    bench : Workbench
        The workbench the slice was found in.
    slice_ : Slice or str
        The slice, or its id in the latest scan (e.g. ``"scan1.s1"``).
    plain_language : bool
        Say what the statistics mean in words above the numbers.

    Examples
    --------
    >>> html = drill_down_html(bench, "scan1.s1")  # doctest: +SKIP
    """
    s = slice_ if isinstance(slice_, Slice) else bench.findings(slice_.split(".")[0]).get(slice_)
    findings = bench.findings(s.slice_id.split(".")[0]) if s.slice_id else None
    rank = None
    if findings is not None:
        rank = next((i for i, x in enumerate(findings, 1) if x.slice_id == s.slice_id), None)
    if bench.metric_kind == "classification":
        confusion = bench.confusion_matrix(s)
        errors = views.confusion_html(confusion)
        share = views.error_share_from_confusion(confusion)
    else:
        errors = ""
        share = views.error_share_from_counts(s, bench.overall_error)
    fdr = findings.parameters.get("fdr") if findings is not None else None
    parts = [
        views.STYLE,
        views.title_html(s, rank),
        '<div class="wb-x">' + plain_summary(s, bench.metric) + "</div>" if plain_language else "",
        views.metrics_html(
            s,
            n_rows=bench.n_rows,
            overall_error=bench.overall_error,
            metric=bench.metric,
            error_share=share,
            fdr=float(fdr) if isinstance(fdr, (int, float)) else None,
            plain_language=plain_language,
        ),
        errors,
        '<div class="wb-x"><h3 class="wb-h">Which values carry the slice\'s errors</h3></div>',
        views.error_values_html(
            bench.error_values(s),
            [p.feature for p in s.predicates],
            n_rows=s.size_in_data,
            plain_language=plain_language,
        ),
        views.distributions_html(bench.distributions(s), [p.feature for p in s.predicates]),
    ]
    return '<div class="wb-x wb-static">' + "".join(parts) + "</div>"
