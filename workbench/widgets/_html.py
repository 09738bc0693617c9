"""HTML helpers shared by the explorer and the audit app.

Escaping, sizes for people, download links and the rules both stylesheets start
from (focus outlines, status lines). Pure functions returning HTML strings;
imports only the standard library and the widgets' formatting.
"""

from __future__ import annotations

import base64

from workbench.widgets._format import esc

__all__ = ["BASE_STYLE", "download_link_html", "esc", "size_text", "status_html"]

#: Rules the explorer's and the app's stylesheets both start with: a visible keyboard
#: focus on every control (a 2 px outline, also where ipywidgets draws 1 px on buttons or
#: none on text boxes and menus), and the muted status text of a running scan.
BASE_STYLE = """
.wb-x :focus-visible, .wb-app :focus-visible, .wb-explorer :focus-visible,
.wb-app-root :focus-visible,
.wb-explorer .jupyter-button:focus-visible:enabled,
.wb-app-root .jupyter-button:focus-visible:enabled {
  outline: 2px solid #0b5cd5; outline-offset: 1px;
}
.wb-explorer.wb-explorer :is(input, select, textarea):focus-visible,
.wb-app-root.wb-app-root :is(input, select, textarea):focus-visible {
  outline: 2px solid #0b5cd5 !important; outline-offset: 1px;
}
.wb-explorer .widget-button, .wb-app-root .widget-button { flex-shrink: 0; }
.wb-status { color: var(--jp-ui-font-color2, #57606a); font-size: 12px; }
.wb-status.wb-status-error { color: #b3261e; }
"""


def size_text(n: float) -> str:
    """A byte count for people (``12.3 MB``).

    Examples
    --------
    >>> size_text(2_500_000)
    '2.5 MB'
    >>> size_text(512)
    '512 B'
    """
    if n < 1000:
        return f"{int(n)} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB".replace(".0 kB", " kB")
    return f"{n / 1e6:.1f} MB".replace(".0 MB", " MB")


def status_html(text: str, *, error: bool = False) -> str:
    """A short status line (escaped), e.g. a scan's progress or its outcome."""
    kind = "wb-status wb-status-error" if error else "wb-status"
    return f'<span class="{kind}">{esc(text)}</span>'


def download_link_html(
    data: bytes,
    filename: str,
    *,
    mime: str = "text/csv",
    label: str | None = None,
    saved_to: str | None = None,
    css_class: str = "wb-download",
) -> str:
    """A link that saves ``data`` as ``filename`` in the browser (a ``data:`` URI).

    Works in JupyterLab, Voilà, marimo and on Binder: nothing is served by the
    server. Large files go through :class:`~workbench.widgets._download.FileDownload`
    instead, which streams them in chunks.
    """
    charset = ";charset=utf-8" if mime.startswith("text/") else ""
    uri = f"data:{mime}{charset};base64," + base64.b64encode(data).decode("ascii")
    text = label or f"Download {filename}"
    saved = f"; also saved to {esc(saved_to)}" if saved_to else ""
    return (
        f'<a class="{esc(css_class)}" data-testid="download" download="{esc(filename)}" '
        f'href="{uri}">⤓ {esc(text)}</a> <span class="wb-note wb-app-hint">'
        f"({size_text(len(data))}{saved})</span>"
    )
