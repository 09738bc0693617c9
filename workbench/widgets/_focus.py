"""Small browser-side helpers of the explorer's view (anywidgets without a look).

ipywidgets cannot scroll, focus or measure. :class:`FocusRequest` asks the browser
to bring an element of the enclosing explorer into view and give it the keyboard
focus, so that choosing a slice visibly opens its drill-down. :class:`FitCharts`
makes plotly charts take their container's width as soon as they are shown (a
chart drawn before it is attached to the page is 700 px wide until the window is
resized) and whenever the container's width changes, and labels them for screen
readers. Imports anywidget only.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

__all__ = ["FitCharts", "FocusRequest"]

_FIT_ESM = """
function render({ model, el }) {
  el.style.display = "none";
  let timer = null;
  let tries = 0;
  let retries = 0;
  // Plotly's responsive charts resize on a window resize event: send one whenever a
  // chart's width differs from its container's (first render, panel resized, new scan).
  const check = () => {
    const scope = el.closest(model.get("scope"));
    if (!scope) return;
    let stale = false;
    for (const plot of scope.querySelectorAll(".js-plotly-plot")) {
      if (!plot.hasAttribute("role")) {
        plot.setAttribute("role", "img");
        plot.setAttribute("aria-label", model.get("label"));
      }
      const box = plot.parentElement;
      const svg = plot.querySelector(".main-svg");
      if (box && svg && box.clientWidth > 0 && Math.abs(svg.getBoundingClientRect().width - box.clientWidth) > 2) stale = true;
    }
    if (!stale) {
      retries = 0;
      return;
    }
    window.dispatchEvent(new Event("resize"));
    // A chart replaced by a new scan may take the event before plotly listens for it
    // (its plot is still being drawn, no further DOM change follows): look again.
    if (retries++ < 20) {
      clearTimeout(timer);
      timer = setTimeout(check, 250);
    }
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(check, 60); };
  const attach = () => {
    const scope = el.closest(model.get("scope"));
    if (!scope) {
      if (tries++ < 600) requestAnimationFrame(attach);  // not on the page yet
      return;
    }
    new ResizeObserver(soon).observe(scope);
    new MutationObserver(soon).observe(scope, { childList: true, subtree: true });
    soon();
  };
  attach();
  return () => clearTimeout(timer);
}
export default { render };
"""

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


class FitCharts(anywidget.AnyWidget):
    """Keep the plotly charts inside ``scope`` as wide as their containers.

    Examples
    --------
    >>> FitCharts(scope=".wb-explorer").scope
    '.wb-explorer'
    """

    _esm = _FIT_ESM

    scope = traitlets.Unicode("body").tag(sync=True)
    label = traitlets.Unicode(
        "Chart of the error by slice; the same numbers are in the table below it."
    ).tag(sync=True)
