"""Comparison: how the slices found on one evaluation fare on another.

Each slice is re-measured on the other side from its typed predicates over the raw
columns (so bins found on one dataset apply unchanged to the other). Imports
``_slices`` and search statistics.
"""

from __future__ import annotations

import math

import pandas as pd

from workbench._slices import SliceQueries
from workbench.exceptions import ColumnNotFoundError
from workbench.findings import Findings

__all__ = ["COMPARE_COLUMNS", "compare"]

COMPARE_COLUMNS = [
    "slice_id",
    "description",
    "slice_size_a",
    "slice_error_a",
    "error_ci_low_a",
    "error_ci_high_a",
    "slice_size_b",
    "slice_error_b",
    "error_ci_low_b",
    "error_ci_high_b",
    "rest_error_b",
    "error_change",
    "p_value_b",
    "p_value_adjusted_b",
    "significant_b",
]


def compare(other: SliceQueries, findings: Findings, *, fdr: float = 0.05) -> pd.DataFrame:
    """One row per slice of ``findings``: its figures there (``_a``) and on ``other`` (``_b``).

    The slices were chosen before looking at ``other``, so Benjamini–Hochberg runs over
    just these hypotheses.
    """
    from workbench.search import benjamini_hochberg

    available = set(other.store.dataset_columns(other.dataset_id))
    rows = []
    for s in findings:
        missing = [p.feature for p in s.predicates if p.feature not in available]
        if missing:
            raise ColumnNotFoundError.for_column("slice feature", missing[0], sorted(available))
        c, stats = other.statistics(s.predicates)
        size_b = int(c["slice_size"])
        rows.append(
            {
                "slice_id": s.slice_id,
                "description": s.description,
                "slice_size_a": s.slice_size,
                "slice_error_a": s.slice_error,
                "error_ci_low_a": s.error_ci_low,
                "error_ci_high_a": s.error_ci_high,
                "slice_size_b": size_b,
                "slice_error_b": float(stats.slice_error[0]) if size_b else math.nan,
                "error_ci_low_b": float(stats.error_ci_low[0]) if size_b else math.nan,
                "error_ci_high_b": float(stats.error_ci_high[0]) if size_b else math.nan,
                "rest_error_b": float(stats.rest_error[0]),
                "p_value_b": float(stats.p_value[0]) if size_b else 1.0,
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    frame["error_change"] = frame["slice_error_b"] - frame["slice_error_a"]
    frame["p_value_adjusted_b"] = benjamini_hochberg(frame["p_value_b"].to_numpy())
    frame["significant_b"] = frame["p_value_adjusted_b"] <= fdr
    return frame[COMPARE_COLUMNS]
