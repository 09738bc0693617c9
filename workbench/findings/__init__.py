"""Frozen scan results and the typed predicates that define a slice's rows.

``Predicate`` (typed condition), ``Slice`` and ``Findings`` (frozen, hashable values),
``where_clause`` (the one SQL builder: predicates -> WHERE with bound values),
``predicates_mask`` (the same rows from an in-memory frame).
"""

from workbench.findings._findings import (
    FINDINGS_COLUMNS,
    P_VALUE_FLOOR,
    Findings,
    FrozenDict,
    Slice,
    format_p_value,
)
from workbench.findings._predicates import (
    MISSING,
    OPERATORS,
    OTHER,
    Predicate,
    conditions_to_predicates,
    predicates_mask,
)
from workbench.findings._sql import quote_identifier, render_where, sql_literal, where_clause

__all__ = [
    "FINDINGS_COLUMNS",
    "MISSING",
    "OPERATORS",
    "OTHER",
    "P_VALUE_FLOOR",
    "Findings",
    "FrozenDict",
    "Predicate",
    "Slice",
    "conditions_to_predicates",
    "format_p_value",
    "predicates_mask",
    "quote_identifier",
    "render_where",
    "sql_literal",
    "where_clause",
]
