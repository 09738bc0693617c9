"""Moving the reader's view and keyboard focus from Python (an anywidget).

ipywidgets cannot scroll or focus; :class:`FocusRequest` asks the browser to bring
an element of the enclosing explorer into view and give it the keyboard focus, so
that choosing a slice visibly opens its drill-down. Imports anywidget only.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

__all__ = ["FocusRequest"]

_ESM = """
function render({ model, el }) {
  el.style.display = "none";
  model.on("change:request", () => {
    const scope = el.closest(model.get("scope")) || document;
    const target = scope.querySelector(model.get("selector"));
    if (!target) return;
    // After the widgets' own redraw of this message batch.
    requestAnimationFrame(() => {
      target.scrollIntoView({ block: "start", behavior: "auto" });
      target.focus({ preventScroll: true });
    });
  });
}
export default { render };
"""


class FocusRequest(anywidget.AnyWidget):
    """Scroll to and focus the element matching ``selector`` inside ``scope``.

    Examples
    --------
    >>> focus = FocusRequest(scope=".wb-explorer")
    >>> focus.show("[data-testid=slice-title]")
    >>> focus.selector, focus.request
    ('[data-testid=slice-title]', 1)
    """

    _esm = _ESM

    scope = traitlets.Unicode("body").tag(sync=True)
    selector = traitlets.Unicode("").tag(sync=True)
    request = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def show(self, selector: str) -> None:
        """Ask the browser to scroll ``selector`` into view and focus it."""
        with self.hold_sync():
            self.selector = selector
            self.request += 1
