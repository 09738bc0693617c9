"""Frozen values that carry a scan's result: Slice and Findings (predicates in ``_predicates``).

Everything downstream of the search (widgets, CSV, claims, the store) consumes
these values and never recomputes the search. The values are deeply immutable and
hashable. This module imports only the standard library, pandas and its siblings.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import pandas as pd

from workbench.findings._predicates import Predicate
from workbench.findings._sql import render_where

__all__ = [
    "FINDINGS_COLUMNS",
    "P_VALUE_FLOOR",
    "Findings",
    "FrozenDict",
    "Slice",
    "format_p_value",
]

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
    "search_score",
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
    "p_value_correction",
    "significant",
    "statistics_on",
    "stats_size",
    "error_sum",
    "weight_sum",
    # the slice beyond the statistics rows
    "size_in_data",
    "discovery_size",
    "also_described_as",
    "flagged",
    "flag_note",
)

#: Smallest p-value kept: anything below prints as ``< 1e-300`` (never 0).
P_VALUE_FLOOR = 1e-300


def format_p_value(p: float) -> str:
    """A p-value as people read it: ``< 1e-300`` below the floor, never 0.

    Examples
    --------
    >>> format_p_value(0.0), format_p_value(2.3e-42), format_p_value(0.5), format_p_value(float("nan"))
    ('< 1e-300', '2.3e-42', '0.5', '-')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "-"
    if p <= P_VALUE_FLOOR:
        return "< 1e-300"
    return f"{p:.2g}"


@dataclass(frozen=True)
class Slice:
    """A subgroup defined by a conjunction of predicates, with its statistics.

    Every statistic is measured on one set of rows, named by ``statistics_on``: the
    held-out confirmation split when the scan used one (so the search's own
    selection does not inflate them), otherwise all rows. On those rows the slice
    has ``slice_size`` rows (``stats_size`` is the same number), ``error_sum`` and
    ``weight_sum`` with ``slice_error = error_sum / weight_sum``, its 95 % interval,
    ``rest_error`` and the p-values; ``error_sum / weight_sum == slice_error`` always.
    ``p_value_adjusted`` is Benjamini--Hochberg adjusted as ``p_value_correction``
    says, or NaN (correction ``"uncorrected"``) for a slice named by a person.

    Beyond those rows: ``size_in_data`` counts the slice's rows in all the data;
    ``score`` (column ``search_score``) and ``discovery_size`` are the search's own
    figures on the rows it searched; ``also_described_as`` lists other descriptions
    of (nearly) the same rows that the scan folded into this one.
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
    size_in_data: int = -1
    discovery_size: int = -1
    p_value_correction: str = ""
    also_described_as: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "also_described_as", tuple(self.also_described_as))
        if self.size_in_data < 0:  # statistics on all rows: the same count
            object.__setattr__(self, "size_in_data", self.slice_size)
        preds = tuple(self.predicates)
        if not all(isinstance(p, Predicate) for p in preds):
            from workbench.exceptions import ParameterError

            raise ParameterError(
                "A slice's predicates must be Predicate values. Got "
                f"{[type(p).__name__ for p in preds]}."
            )
        object.__setattr__(self, "predicates", preds)

    @property
    def n_predicates(self) -> int:
        return len(self.predicates)

    @property
    def search_score(self) -> float:
        """The search's ranking value on the rows it searched (same as ``score``)."""
        return self.score

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
        """The condition as readable SQL, for people (never executed: queries are built
        from the typed predicates by :func:`~workbench.findings.where_clause`)."""
        return render_where(self.predicates)

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
        out["also_described_as"] = list(self.also_described_as)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Slice:
        """Rebuild a slice from :meth:`to_dict` output, checking every field's type.

        The rows are defined by ``predicate_details`` (typed predicates); the
        ``sql_where`` and ``description`` texts in ``data`` are ignored.
        """
        from workbench.exceptions import ParameterError

        if not isinstance(data, Mapping):
            raise ParameterError(f"A slice must be a JSON object. Got {type(data).__name__}.")
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name == "predicates" or f.name not in data:
                continue
            value = data[f.name]
            kind = _KINDS[str(f.type)]
            if kind is tuple:
                if not isinstance(value, (list, tuple)):
                    raise ParameterError(
                        f"The slice field {f.name!r} must be a list of texts. Got {value!r}."
                    )
                kwargs[f.name] = tuple(str(v) for v in value)
            elif kind is str:
                kwargs[f.name] = value if isinstance(value, str) else ""
            elif kind is bool:
                kwargs[f.name] = bool(value)
            elif value is None:
                kwargs[f.name] = math.nan if kind is float else -1
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParameterError(
                    f"The slice field {f.name!r} must be a number. Got {value!r} instead."
                )
            else:
                kwargs[f.name] = kind(value)
        details = data.get("predicate_details", [])
        if not isinstance(details, (list, tuple)):
            raise ParameterError(
                f"A slice's 'predicate_details' must be a list. Got {type(details).__name__}."
            )
        preds = tuple(Predicate.from_dict(p) for p in details)
        defaults = {"slice_size": 0, "error_sum": 0.0, "weight_sum": 0.0}
        defaults.update({"slice_error": math.nan, "overall_error": math.nan, "score": math.nan})
        for key, default in defaults.items():
            kwargs.setdefault(key, default)
        if "size_in_data" not in data and kwargs.get("stats_size", -1) >= 0:
            # written before each number named its rows: slice_size counted all rows
            kwargs["size_in_data"] = kwargs["slice_size"]
            kwargs["slice_size"] = kwargs["stats_size"]
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
    parameters: Mapping[str, Any] = field(default_factory=lambda: FrozenDict())
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.parameters, FrozenDict):
            object.__setattr__(self, "parameters", FrozenDict(self.parameters))
        object.__setattr__(self, "slices", tuple(self.slices))
        object.__setattr__(self, "notes", tuple(self.notes))

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
                    "search_score": s.score,
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
                    "p_value_correction": s.p_value_correction,
                    "significant": bool(s.significant),
                    "statistics_on": s.statistics_on,
                    "stats_size": s.stats_size,
                    "error_sum": s.error_sum,
                    "weight_sum": s.weight_sum,
                    "size_in_data": s.size_in_data,
                    "discovery_size": s.discovery_size,
                    "also_described_as": " | ".join(s.also_described_as),
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
                "size_in_data": "int64",
                "discovery_size": "int64",
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


class FrozenDict(Mapping[str, Any]):
    """A read-only, hashable mapping (nested dicts and lists are frozen too).

    Examples
    --------
    >>> params = FrozenDict({"k": 10, "features": ["age", "sex"]})
    >>> params["features"]
    ('age', 'sex')
    >>> hash(params) == hash(FrozenDict({"features": ("age", "sex"), "k": 10}))
    True
    """

    __slots__ = ("_items",)
    _items: dict[str, Any]

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        items = {str(k): _freeze(v) for k, v in dict(data or {}).items()}
        object.__setattr__(self, "_items", items)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._items.items(), key=lambda kv: kv[0])))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._items) == {k: _freeze(v) for k, v in other.items()}
        return NotImplemented

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FrozenDict is read-only")

    def __repr__(self) -> str:
        return f"FrozenDict({self._items!r})"

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready copy (tuples become lists)."""
        return {k: _thaw(v) for k, v in self._items.items()}


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return FrozenDict(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, FrozenDict):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


_KINDS: dict[str, type] = {
    "int": int,
    "float": float,
    "bool": bool,
    "str": str,
    "tuple[str, ...]": tuple,
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    try:
        return value.item()  # numpy scalar
    except AttributeError:
        return value
