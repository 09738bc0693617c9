"""Number and text formatting shared by the explorer's views.

Pure functions over plain Python values; imports only the standard library.
"""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = [
    "esc",
    "fmt_count",
    "fmt_error",
    "fmt_p",
    "fmt_ratio",
    "fmt_share",
    "fmt_value",
    "p_value_shown",
]


def esc(value: Any) -> str:
    """HTML-escape any value's text."""
    return html.escape(str(value), quote=True)


def _bad(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def fmt_count(value: Any) -> str:
    """``12,345``; an en dash for missing."""
    return "–" if _bad(value) else f"{int(value):,}"


def fmt_error(value: Any, digits: int = 3) -> str:
    """An error value with a fixed number of decimals (``0.147``)."""
    if _bad(value):
        return "–"
    v = float(value)
    if v != 0 and abs(v) < 10 ** (-digits):
        return f"{v:.1e}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def fmt_share(value: Any) -> str:
    """A fraction as a percentage (``12.3 %``)."""
    if _bad(value):
        return "–"
    v = 100 * float(value)
    return f"{v:.1f} %" if v >= 0.1 or v == 0 else "<0.1 %"


def fmt_ratio(value: Any) -> str:
    """A ratio to the overall error (``1.97×``)."""
    if _bad(value):
        return "–"
    v = float(value)
    return "∞" if math.isinf(v) else f"{v:.2f}×"


def fmt_p(value: Any) -> str:
    """A p-value: ``0.012``, ``3.1e-09`` or ``<1e-300``."""
    if _bad(value):
        return "–"
    v = float(value)
    if v == 0:
        return "<1e-300"
    if v >= 0.001:
        return f"{v:.3f}"
    return f"{v:.1e}"


def fmt_value(value: Any) -> str:
    """Any cell of a member row, compactly (floats to 4 significant digits)."""
    if value is None:
        return "–"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value)}"
        return f"{value:.4g}"
    try:
        import numpy as np

        if isinstance(value, np.floating):
            return fmt_value(float(value))
        if isinstance(value, np.integer):
            return str(int(value))
    except ImportError:  # pragma: no cover - numpy is a core dependency
        pass
    return str(value)


def p_value_shown(p_value: Any, p_value_adjusted: Any, correction: Any) -> tuple[float, bool, str]:
    """The p-value to show for a slice, whether it is adjusted, and how (short words).

    A slice's adjusted p-value is shown with its correction ("BH over the 10 reported
    slices"); a slice a person named or refined has none, so its raw p-value is shown
    and called uncorrected, never adjusted.

    Examples
    --------
    >>> p_value_shown(0.001, 0.004, "Benjamini-Hochberg over the 10 reported slices")
    (0.004, True, 'BH over the 10 reported slices')
    >>> p_value_shown(0.02, float("nan"), "uncorrected (slice chosen by a person)")
    (0.02, False, 'uncorrected (slice chosen by a person)')
    """
    text = str(correction or "")
    if _bad(p_value_adjusted) or text.startswith("uncorrected"):
        return (
            math.nan if _bad(p_value) else float(p_value),
            False,
            text or "uncorrected",
        )
    short = text.replace("Benjamini-Hochberg", "BH").replace("Benjamini–Hochberg", "BH")
    return float(p_value_adjusted), True, short or "adjusted"
