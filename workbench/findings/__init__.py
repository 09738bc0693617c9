"""Frozen scan results: Predicate, Slice, Findings (consumed by everything downstream)."""

from workbench.findings._findings import (
    FINDINGS_COLUMNS,
    Findings,
    Predicate,
    Slice,
    quote_identifier,
    sql_literal,
)

__all__ = ["FINDINGS_COLUMNS", "Findings", "Predicate", "Slice", "quote_identifier", "sql_literal"]
