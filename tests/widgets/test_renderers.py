"""Cell renderers that live outside the explorer: the speech alignment display."""

from __future__ import annotations

import pytest

pytest.importorskip("jiwer")
pytest.importorskip("ipywidgets")

from workbench.widgets import alignment_html


def test_alignment_html_escapes_and_has_legend():
    snippet = alignment_html("stop <the> car", "stop a car", normalize=False)
    assert "<the>" not in snippet
    assert "&lt;the&gt;" in snippet
    for word in ("substitution", "deletion", "insertion"):
        assert word in snippet
    assert "1 word error / 3 reference words" in snippet
