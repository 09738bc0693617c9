"""The one SQL builder: typed predicates -> a WHERE clause with bound parameters.

Every query that selects a slice's rows (counts, members, distributions, comparisons,
claims, exports) gets its condition from :func:`where_clause`: column names are
quoted identifiers, values are ``?`` parameters. :func:`render_where` writes the same
condition with the values spelled out, for people to read; that text is never
executed. This module imports only the standard library and its sibling
``_predicates``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from workbench.findings._predicates import Predicate

__all__ = ["quote_identifier", "render_where", "sql_literal", "where_clause"]


def quote_identifier(name: str) -> str:
    """Quote a column name for DuckDB SQL (doubling embedded quotes).

    Examples
    --------
    >>> quote_identifier('x"; DROP TABLE rows; --')
    '"x""; DROP TABLE rows; --"'
    """
    return '"' + str(name).replace('"', '""') + '"'


def sql_literal(value: Any) -> str:
    """Render a Python scalar as a DuckDB SQL literal (for display only).

    Examples
    --------
    >>> sql_literal("O'Brien")
    "'O''Brien'"
    >>> sql_literal(3)
    '3'
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "'NaN'::DOUBLE"
        if math.isinf(value):
            return "'Infinity'::DOUBLE" if value > 0 else "'-Infinity'::DOUBLE"
        return repr(value)
    try:  # numpy scalars
        item = value.item()
    except AttributeError:
        return "'" + str(value).replace("'", "''") + "'"
    return sql_literal(item)


def _condition(p: Predicate, put: Callable[[Any], str]) -> str:
    """One predicate as SQL; ``put`` turns a value into a placeholder (or a literal)."""
    col = quote_identifier(p.feature)
    nan = f"isnan({col})"
    if p.op == "missing":
        return f"({col} IS NULL OR {nan})" if p.numeric else f"{col} IS NULL"
    if p.op == "present":
        return f"({col} IS NOT NULL AND NOT {nan})" if p.numeric else f"{col} IS NOT NULL"
    if p.op == "eq":
        return f"{col} = {put(p.values[0])}"
    if p.op == "in":
        if not p.values:
            return "FALSE"
        return f"{col} IN ({', '.join(put(v) for v in p.values)})"
    if p.op == "not_in":
        if not p.values:
            return f"{col} IS NOT NULL"
        return f"{col} NOT IN ({', '.join(put(v) for v in p.values)})"
    # range; DuckDB orders NaN above every number, so NaN is excluded explicitly
    parts = []
    if p.low is not None:
        parts.append(f"{col} {'>=' if p.closed in ('left', 'both') else '>'} {put(p.low)}")
    if p.high is not None:
        parts.append(f"{col} {'<=' if p.closed in ('right', 'both') else '<'} {put(p.high)}")
    parts.append(f"NOT {nan}")
    return "(" + " AND ".join(parts) + ")"


def where_clause(predicates: Iterable[Predicate]) -> tuple[str, list[Any]]:
    """The WHERE condition of a conjunction of predicates, and its bound values.

    An empty conjunction is ``TRUE`` (all rows). The condition can be NULL on missing
    values; wrap it in ``coalesce(..., FALSE)`` where a boolean is needed.

    Examples
    --------
    >>> where_clause([Predicate("sex", "Female"), Predicate.range("age", 26, 33)])
    ('"sex" = ? AND ("age" >= ? AND "age" < ? AND NOT isnan("age"))', ['Female', 26, 33])
    """
    params: list[Any] = []

    def bind(value: Any) -> str:
        params.append(value)
        return "?"

    parts = [_condition(p, bind) for p in predicates]
    return (" AND ".join(parts) or "TRUE"), params


def render_where(predicates: Iterable[Predicate]) -> str:
    """The same condition as :func:`where_clause` with the values written in, for people.

    Examples
    --------
    >>> render_where([Predicate("sex", "Female"), Predicate.missing("income")])
    '"sex" = \\'Female\\' AND "income" IS NULL'
    """
    return " AND ".join(_condition(p, sql_literal) for p in predicates) or "TRUE"
