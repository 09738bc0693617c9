"""The scan controls shared by the explorer and the audit app, and their one runner.

One place defines how a person sets a scan's size, depth, minimum support,
ranking and alpha (defaults, labels, help and reading all come from the search's
one parameter table, as the command line's flags do), and how a scan runs in a background
thread behind a progress bar and a status line, so both front ends behave the
same. Imports ipywidgets, the widgets' HTML helpers and the search's parameter
table (never the search itself).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w

from workbench.search import SCAN_PARAMETERS
from workbench.search._parameters import parse_parameter
from workbench.widgets._html import status_html

__all__ = ["ScanInputs"]

#: ``progress(done, total, message)``, as ``Workbench.scan`` calls it.
Progress = Callable[[int, int, str], None]


def _read(name: str, value: Any) -> Any:
    """A control's value read as the command line reads the same text (the table's rule:
    a whole number of rows is an int, 2.7 stays 2.7 and is refused by the search)."""
    return parse_parameter(name, repr(value))


def _help(name: str) -> str:
    text = SCAN_PARAMETERS[name].help
    return text[:1].upper() + text[1:]


@dataclass
class ScanInputs:
    """Widgets for ``k``, ``max_predicates``, ``min_support``, ``n_jobs``, ``ranking``
    and ``alpha`` of a scan, the button that starts it, a progress bar and a status line.

    ``alpha`` only weighs SliceLine's score, so its box is disabled under the other ranking.
    """

    k: w.BoundedIntText
    depth: w.Dropdown
    support: w.BoundedFloatText
    cores: w.Dropdown
    ranking: w.Dropdown
    alpha: w.BoundedFloatText
    button: w.Button
    progress: w.IntProgress
    status: w.HTML
    thread: threading.Thread | None = field(default=None, repr=False)

    @classmethod
    def create(cls, button: str = "Run scan", icon: str = "play") -> ScanInputs:
        table = SCAN_PARAMETERS
        depth = int(table["max_predicates"].default)
        n_jobs = int(table["n_jobs"].default)
        rankings = [
            str(v) for c in table["ranking"].constraints for v in getattr(c, "values", ())
        ] or [str(table["ranking"].default)]
        ranking = w.Dropdown(
            options=rankings,
            value=str(table["ranking"].default),
            description=table["ranking"].label,
            tooltip=_help("ranking"),
            layout=w.Layout(width="170px"),
            style={"description_width": "60px"},
        )
        alpha = w.BoundedFloatText(
            table["alpha"].default,
            min=0.0001,
            max=1.0,
            step=0.01,
            description=table["alpha"].label,
            tooltip=_help("alpha"),
            disabled=ranking.value != "sliceline",
            layout=w.Layout(width="130px"),
            style={"description_width": "44px"},
        )
        # alpha weighs SliceLine's score only
        ranking.observe(lambda ch: setattr(alpha, "disabled", ch["new"] != "sliceline"), "value")
        return cls(
            k=w.BoundedIntText(
                table["k"].default,
                min=1,
                max=500,
                description=table["k"].label,
                tooltip=_help("k"),
                layout=w.Layout(width="150px"),
                style={"description_width": "50px"},
            ),
            depth=w.Dropdown(
                options=sorted({1, 2, 3, 4, depth}),
                value=depth,
                description=table["max_predicates"].label,
                tooltip=_help("max_predicates"),
                layout=w.Layout(width="170px"),
                style={"description_width": "100px"},
            ),
            support=w.BoundedFloatText(
                table["min_support"].default,
                min=0.0001,
                max=1e9,
                step=0.005,
                description=table["min_support"].label,
                tooltip=_help("min_support"),
                layout=w.Layout(width="190px"),
                style={"description_width": "80px"},
            ),
            cores=w.Dropdown(
                options=sorted({n_jobs, *range(1, (os.cpu_count() or 1) + 1)}),
                value=n_jobs,
                description=table["n_jobs"].label,
                tooltip=_help("n_jobs"),
                layout=w.Layout(width="130px"),
                style={"description_width": "45px"},
            ),
            ranking=ranking,
            alpha=alpha,
            button=w.Button(
                description=button,
                icon=icon,
                button_style="primary",
                layout=w.Layout(width="auto", min_width="fit-content"),
            ),
            progress=w.IntProgress(
                0, min=0, max=1, layout=w.Layout(width="200px", visibility="hidden")
            ),
            status=w.HTML(layout=w.Layout(min_width="120px")),
        )

    @property
    def widgets(self) -> list[w.Widget]:
        """Inputs, button, progress bar and status, in reading order."""
        return [
            self.k,
            self.depth,
            self.support,
            self.cores,
            self.ranking,
            self.alpha,
            self.button,
            self.progress,
            self.status,
        ]

    def parameters(self) -> dict[str, Any]:
        """The values as ``Workbench.scan`` keyword arguments."""
        return {
            "k": _read("k", self.k.value),
            "max_predicates": _read("max_predicates", self.depth.value),
            "min_support": _read("min_support", self.support.value),
            "n_jobs": _read("n_jobs", self.cores.value),
            "ranking": str(self.ranking.value),  # one of the options, as the table lists them
            "alpha": _read("alpha", self.alpha.value),
        }

    def show(self, parameters: dict[str, Any]) -> None:
        """Set the inputs to a stored scan's parameters."""
        if "k" in parameters:
            self.k.value = int(parameters["k"])
        if parameters.get("max_predicates") in self.depth.options:
            self.depth.value = parameters["max_predicates"]
        support = parameters.get("min_support")
        if isinstance(support, (int, float)) and support > 0:
            self.support.value = float(support)
        if parameters.get("n_jobs") in self.cores.options:
            self.cores.value = parameters["n_jobs"]
        if parameters.get("ranking") in self.ranking.options:
            self.ranking.value = parameters["ranking"]
        alpha = parameters.get("alpha")
        if isinstance(alpha, (int, float)) and 0 < alpha <= 1:
            self.alpha.value = float(alpha)

    # -- the one scan runner -----------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether a scan started here is still running."""
        return self.thread is not None and self.thread.is_alive()

    def run(
        self,
        scan: Callable[[Progress], Any],
        *,
        done: Callable[[Any, float], str],
        failed: Callable[[Exception], str | None] | None = None,
        busy: Callable[[bool], None] | None = None,
        lock: Any = None,
        wait: bool = False,
        name: str = "workbench-scan",
    ) -> threading.Thread:
        """Run ``scan(progress)`` in a background thread behind these controls.

        The button is disabled and the progress bar follows the search while it runs.
        ``done(result, seconds)`` (called in the thread, under ``lock`` when given)
        returns the status line to show; ``failed(exc)`` returns the error line (None to
        keep the status empty, e.g. when the caller shows the error elsewhere).
        ``busy(True/False)`` lets the caller disable its own buttons meanwhile. A
        second call while a scan runs returns the running thread. ``wait=True``
        blocks until the scan is done (for scripts and tests).
        """
        if self.thread is not None and self.thread.is_alive():
            return self.thread
        self.button.disabled = True
        if busy is not None:
            busy(True)
        self.progress.value, self.progress.max = 0, 1
        self.progress.layout.visibility = "visible"
        self.status.value = status_html("starting…")

        def progress(done_steps: int, total: int, message: str) -> None:
            # Runs in the scan thread: plain trait assignments, each sent as one message.
            self.progress.max = max(int(total), 1)
            self.progress.value = min(int(done_steps), self.progress.max)
            self.status.value = status_html(message)

        def work() -> None:
            started = time.perf_counter()
            try:
                if lock is not None:
                    # The store's DuckDB connection serves one thread at a time.
                    with lock:
                        result = scan(progress)
                        line = done(result, time.perf_counter() - started)
                else:
                    result = scan(progress)
                    line = done(result, time.perf_counter() - started)
                self.status.value = status_html(line) if line else ""
            except Exception as exc:
                error = failed(exc) if failed is not None else f"Scan failed: {exc}"
                self.status.value = status_html(error, error=True) if error else ""
            finally:
                self.progress.layout.visibility = "hidden"
                self.button.disabled = False
                if busy is not None:
                    busy(False)

        thread = threading.Thread(target=work, daemon=True, name=name)
        self.thread = thread
        thread.start()
        if wait:
            thread.join()
        return thread
