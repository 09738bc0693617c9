"""Interactive explorer widgets for JupyterLab, Voilà and Binder.

:class:`Explorer` is what ``Workbench.explore()`` returns: a slice table, an
error-by-slice chart and a drill-down into one slice, over a Workbench handed
in (inside marimo, :class:`MarimoExplorer`: the same loop from anywidgets only); :class:`ChangeView` (``Workbench.explore(baseline=...)``) shows what got worse
between two sides. :func:`register_renderer` plugs in how member columns of a kind (images,
audio, speech alignments, ...) are shown. This package needs the ``app`` extra
(ipywidgets, anywidget, plotly); the core ``import workbench`` never imports it.
Imports :mod:`workbench.findings`, the search's parameter table and result values;
never the store or the search itself.
"""

from __future__ import annotations

from workbench.exceptions import MissingExtraError

try:
    import anywidget  # noqa: F401
    import ipywidgets  # noqa: F401
    import plotly  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised with the extra uninstalled
    raise MissingExtraError.for_extra(
        "app", "The explorer widgets", exc.name or "ipywidgets"
    ) from exc

from workbench.widgets._change_view import ChangeView
from workbench.widgets._controls import ScanInputs
from workbench.widgets._explorer import Explorer
from workbench.widgets._groups import GroupsView
from workbench.widgets._marimo import DrillPanel, MarimoExplorer, running_in_marimo
from workbench.widgets._renderers import (
    alignment_html,
    detect_column_kind,
    get_renderer,
    register_renderer,
)
from workbench.widgets._static import drill_down_html
from workbench.widgets._table import SliceTable

__all__ = [
    "ChangeView",
    "DrillPanel",
    "Explorer",
    "GroupsView",
    "MarimoExplorer",
    "ScanInputs",
    "SliceTable",
    "alignment_html",
    "detect_column_kind",
    "drill_down_html",
    "get_renderer",
    "register_renderer",
    "running_in_marimo",
]
