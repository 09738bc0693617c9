"""Frozen values that carry a scan's result: Predicate, Slice, Findings.

Everything downstream of the search (widgets, CSV, claims, the store) consumes
these values and never recomputes the search. This module imports only the
standard library, numpy and pandas.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import pandas as pd

__all__ = ["FINDINGS_COLUMNS", "Findings", "Predicate", "Slice", "quote_identifier", "sql_literal"]

#: The columns of :meth:`Findings.to_frame` and of the CSV, always in this order.
FINDINGS_COLUMNS: tuple[str, ...] = (
    "slice_id",
    "description",
    "sql_where",
    "n_predicates",
    "slice_size",
    "slice_error",
    "overall_error",
    "error_ratio",
    "score",
    "scan_id",
    "dataset_fingerprint",
    "model_fingerprint",
    "created_at",
    "workbench_version",
    # statistics
    "error_ci_low",
    "error_ci_high",
    "rest_error",
    "p_value",
    "p_value_adjusted",
    "significant",
    "statistics_on",
    "stats_size",
    "error_sum",
    "weight_sum",
    "flagged",
    "flag_note",
)


def quote_identifier(name: str) -> str:
    """Quote a column name for DuckDB SQL (doubling embedded quotes).

    Examples
    --------
    >>> quote_identifier('x"; DROP TABLE rows; --')
    '"x""; DROP TABLE rows; --"'
    """
    return '"' + str(name).replace('"', '""') + '"'


def sql_literal(value: Any) -> str:
    """Render a Python scalar as a DuckDB SQL literal.

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


@dataclass(frozen=True)
class Predicate:
    """One condition of a slice: ``feature`` takes the category ``value``.

    Parameters
    ----------
    feature : str
        The column the condition is on.
    value : object
        The category as shown to people: a string such as ``"Female"``, an
        interval label such as ``"[38, 47)"``, ``"missing"`` or ``"other"``.
    sql : str, optional
        The same condition as DuckDB SQL over the original data, for example
        ``"age" >= 38 AND "age" < 47``. When omitted, an equality (or ``IS NULL``)
        on the value is used.
    interval : bool
        Whether ``value`` is an interval label (described as ``feature in [a, b)``).

    Examples
    --------
    >>> Predicate("sex", "Female").describe()
    'sex = Female'
    >>> Predicate("age", "[38, 47)", interval=True).describe()
    'age in [38, 47)'
    >>> Predicate("age", ">= 61", interval=True).describe()
    'age >= 61'
    """

    feature: str
    value: Any
    sql: str | None = None
    interval: bool = False

    def describe(self) -> str:
        if self.interval and str(self.value).startswith(("<", ">")):
            return f"{self.feature} {self.value}"
        op = "in" if self.interval else "="
        return f"{self.feature} {op} {self.value}"

    def to_sql(self) -> str:
        if self.sql is not None:
            return self.sql
        column = quote_identifier(self.feature)
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return f"{column} IS NULL"
        return f"{column} = {sql_literal(self.value)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "value": _jsonable(self.value),
            "sql": self.to_sql(),
            "interval": self.interval,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Predicate:
        return cls(
            feature=data["feature"],
            value=data["value"],
            sql=data.get("sql"),
            interval=bool(data.get("interval", False)),
        )


@dataclass(frozen=True)
class Slice:
    """A subgroup defined by a conjunction of predicates, with its statistics.

    ``slice_size`` counts the slice's rows in all the data given to the scan.
    ``slice_error`` (``error_sum / weight_sum``), its confidence interval and the
    p-values are measured on the rows named by ``statistics_on``: the held-out
    confirmation split when the scan used one (so the search's own selection
    does not inflate them), otherwise all rows. ``score`` is the search's score
    on the rows it searched.
    """

    predicates: tuple[Predicate, ...]
    slice_size: int
    error_sum: float
    weight_sum: float
    slice_error: float
    overall_error: float
    score: float
    error_ci_low: float = math.nan
    error_ci_high: float = math.nan
    rest_error: float = math.nan
    p_value: float = math.nan
    p_value_adjusted: float = math.nan
    significant: bool = False
    statistics_on: str = "all rows"
    stats_size: int = -1
    slice_id: str = ""
    flagged: bool = False
    flag_note: str = ""

    @property
    def n_predicates(self) -> int:
        return len(self.predicates)

    @property
    def error_ratio(self) -> float:
        if self.overall_error == 0:
            return math.inf if self.slice_error > 0 else math.nan
        return self.slice_error / self.overall_error

    @property
    def description(self) -> str:
        if not self.predicates:
            return "all rows"
        return " AND ".join(p.describe() for p in self.predicates)

    @property
    def sql_where(self) -> str:
        if not self.predicates:
            return "TRUE"
        parts = [p.to_sql() for p in self.predicates]
        return " AND ".join(f"({s})" if " AND " in s or " OR " in s else s for s in parts)

    @property
    def conditions(self) -> dict[str, Any]:
        """The predicates as a ``{column: value}`` mapping."""
        return {p.feature: p.value for p in self.predicates}

    def replace(self, **changes: Any) -> Slice:
        """A copy with some fields changed (slices are immutable)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "slice_id": self.slice_id,
            "description": self.description,
            "sql_where": self.sql_where,
            "predicates": {p.feature: _jsonable(p.value) for p in self.predicates},
            "predicate_details": [p.to_dict() for p in self.predicates],
        }
        for f in dataclasses.fields(self):
            if f.name not in ("predicates", "slice_id"):
                out[f.name] = _jsonable(getattr(self, f.name))
        out["error_ratio"] = _jsonable(self.error_ratio)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Slice:
        names = {f.name for f in dataclasses.fields(cls)} - {"predicates"}
        kwargs: dict[str, Any] = {
            k: (math.nan if v is None else v) for k, v in data.items() if k in names
        }
        for key in ("slice_id", "statistics_on", "flag_note"):
            if key in kwargs and not isinstance(kwargs[key], str):
                kwargs[key] = ""
        preds = tuple(Predicate.from_dict(p) for p in data.get("predicate_details", []))
        return cls(predicates=preds, **kwargs)


@dataclass(frozen=True)
class Findings(Sequence[Slice]):
    """The slices a scan reported, best first, and where they came from.

    Indexing and iteration give :class:`Slice` values; ``to_frame`` and
    ``to_csv`` give one row per slice with the columns of ``FINDINGS_COLUMNS``,
    always in that order.
    """

    slices: tuple[Slice, ...] = ()
    overall_error: float = math.nan
    n_rows: int = 0
    n_evaluated: int = 0
    scan_id: str = ""
    dataset_fingerprint: str = ""
    model_fingerprint: str = ""
    created_at: str = ""
    workbench_version: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @overload
    def __getitem__(self, index: int) -> Slice: ...
    @overload
    def __getitem__(self, index: slice) -> Findings: ...
    def __getitem__(self, index: int | slice) -> Slice | Findings:
        if isinstance(index, slice):
            return self.replace(slices=self.slices[index])
        return self.slices[index]

    def __len__(self) -> int:
        return len(self.slices)

    def __iter__(self) -> Iterator[Slice]:
        return iter(self.slices)

    def replace(self, **changes: Any) -> Findings:
        """A copy with some fields changed (findings are immutable)."""
        return dataclasses.replace(self, **changes)

    def get(self, slice_id: str) -> Slice:
        """The slice with the given id."""
        for s in self.slices:
            if s.slice_id == slice_id:
                return s
        from workbench.exceptions import SliceNotFoundError

        known = ", ".join(s.slice_id for s in self.slices[:10]) or "none"
        raise SliceNotFoundError(
            f"No slice with id {slice_id!r} in scan {self.scan_id or '(unsaved)'}. "
            f"Known ids: {known}."
        )

    @property
    def significant(self) -> Findings:
        """Only the slices whose adjusted p-value passed the scan's FDR level."""
        return self.replace(slices=tuple(s for s in self.slices if s.significant))

    def to_frame(self) -> pd.DataFrame:
        """One row per slice, with the columns of ``FINDINGS_COLUMNS`` in order."""
        rows = []
        for s in self.slices:
            rows.append(
                {
                    "slice_id": s.slice_id,
                    "description": s.description,
                    "sql_where": s.sql_where,
                    "n_predicates": s.n_predicates,
                    "slice_size": s.slice_size,
                    "slice_error": s.slice_error,
                    "overall_error": s.overall_error,
                    "error_ratio": s.error_ratio,
                    "score": s.score,
                    "scan_id": self.scan_id,
                    "dataset_fingerprint": self.dataset_fingerprint,
                    "model_fingerprint": self.model_fingerprint,
                    "created_at": self.created_at,
                    "workbench_version": self.workbench_version,
                    "error_ci_low": s.error_ci_low,
                    "error_ci_high": s.error_ci_high,
                    "rest_error": s.rest_error,
                    "p_value": s.p_value,
                    "p_value_adjusted": s.p_value_adjusted,
                    "significant": bool(s.significant),
                    "statistics_on": s.statistics_on,
                    "stats_size": s.stats_size,
                    "error_sum": s.error_sum,
                    "weight_sum": s.weight_sum,
                    "flagged": bool(s.flagged),
                    "flag_note": s.flag_note,
                }
            )
        frame = pd.DataFrame(rows, columns=list(FINDINGS_COLUMNS))
        return frame.astype(
            {
                "n_predicates": "int64",
                "slice_size": "int64",
                "stats_size": "int64",
                "significant": "bool",
                "flagged": "bool",
            }
        )

    def to_csv(self, path: Any) -> None:
        """Write ``to_frame()`` to a CSV file (UTF-8, header, no index)."""
        self.to_frame().to_csv(path, index=False)

    def to_records(self) -> list[dict[str, Any]]:
        """The slices as JSON-ready dicts (``predicates`` as a column → value mapping)."""
        return [s.to_dict() for s in self.slices]

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_records(), indent=indent, allow_nan=False, default=str)

    def _repr_html_(self) -> str:
        frame = self.to_frame()[
            [
                "slice_id",
                "description",
                "slice_size",
                "slice_error",
                "error_ci_low",
                "error_ci_high",
                "error_ratio",
                "p_value_adjusted",
                "significant",
            ]
        ]
        return frame.to_html(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        head = (
            f"Findings(scan_id={self.scan_id!r}, {len(self)} slices, "
            f"overall_error={self.overall_error:.4g}, n_rows={self.n_rows})"
        )
        lines = [head]
        for s in self.slices[:10]:
            lines.append(
                f"  {s.slice_id or '-':>12}  n={s.slice_size:<7} error={s.slice_error:.3f} "
                f"[{s.error_ci_low:.3f}, {s.error_ci_high:.3f}] p_adj={s.p_value_adjusted:.2g}  "
                f"{s.description}"
            )
        if len(self) > 10:
            lines.append(f"  ... {len(self) - 10} more")
        return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    try:
        return value.item()  # numpy scalar
    except AttributeError:
        return value
