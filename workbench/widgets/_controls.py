"""The scan-parameter inputs shared by the explorer and the audit app.

One place defines how a person sets a scan's size, depth and minimum support,
so both front ends read and label them the same. Imports ipywidgets only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ipywidgets as w

__all__ = ["ScanInputs"]


@dataclass
class ScanInputs:
    """Widgets for ``k``, ``max_predicates`` and ``min_support`` of a scan, the button
    that starts it, a progress bar and a status line."""

    k: w.BoundedIntText
    depth: w.Dropdown
    support: w.BoundedFloatText
    button: w.Button
    progress: w.IntProgress
    status: w.HTML

    @classmethod
    def create(cls, button: str = "Run scan", icon: str = "play") -> ScanInputs:
        return cls(
            k=w.BoundedIntText(
                10,
                min=1,
                max=500,
                description="Slices",
                tooltip="How many of the best slices to report",
                layout=w.Layout(width="150px"),
                style={"description_width": "50px"},
            ),
            depth=w.Dropdown(
                options=[1, 2, 3, 4],
                value=3,
                description="Max conditions",
                tooltip="Conditions per slice at most",
                layout=w.Layout(width="170px"),
                style={"description_width": "100px"},
            ),
            support=w.BoundedFloatText(
                0.01,
                min=0.0001,
                max=1e9,
                step=0.005,
                description="Min support",
                tooltip="Fraction of rows (< 1) or number of rows (>= 1)",
                layout=w.Layout(width="190px"),
                style={"description_width": "80px"},
            ),
            button=w.Button(
                description=button,
                icon=icon,
                button_style="primary",
                layout=w.Layout(width=f"{max(120, 12 * len(button))}px"),
            ),
            progress=w.IntProgress(
                0, min=0, max=1, layout=w.Layout(width="200px", visibility="hidden")
            ),
            status=w.HTML(layout=w.Layout(min_width="120px")),
        )

    @property
    def widgets(self) -> list[w.Widget]:
        """Inputs, button, progress bar and status, in reading order."""
        return [self.k, self.depth, self.support, self.button, self.progress, self.status]

    def parameters(self) -> dict[str, Any]:
        """The values as ``Workbench.scan`` keyword arguments."""
        support = float(self.support.value)
        return {
            "k": int(self.k.value),
            "max_predicates": int(self.depth.value),
            "min_support": int(support) if support >= 1 else support,
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
