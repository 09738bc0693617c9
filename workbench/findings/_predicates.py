"""Typed predicates: the one definition of which rows a slice holds.

A slice is a conjunction of :class:`Predicate` values. Each predicate names a column,
an operator and typed values (never SQL text), so a predicate read from a claim, a
stored scan or a JSON dict from someone else is data: it is validated field by field
and rendered into SQL only by :func:`workbench.findings.where_clause`, with the values
bound as parameters. :func:`predicates_mask` gives the same rows from an in-memory
frame. This module imports only the standard library, numpy, pandas and
``workbench.exceptions``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import ParameterError

__all__ = [
    "MISSING",
    "OPERATORS",
    "OTHER",
    "Predicate",
    "conditions_to_predicates",
    "predicates_mask",
]

#: The operators a predicate may use.
OPERATORS: tuple[str, ...] = ("eq", "in", "not_in", "range", "missing", "present")
_CLOSED = ("left", "right", "both", "neither")
MISSING = "missing"
OTHER = "other"


def _scalar(value: Any, where: str) -> Any:
    """A plain JSON scalar (str, int, float, bool or None) from a Python or numpy value."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    raise ParameterError(
        f"{where} must be a string, number or boolean. Got {value!r} "
        f"({type(value).__name__}) instead."
    )


def _number(value: Any, where: str) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{where} must be a number or None. Got {value!r} instead.")
    if isinstance(value, float) and math.isnan(value):
        raise ParameterError(f"{where} must be a number or None, not NaN.")
    if isinstance(value, float) and math.isinf(value):
        return None  # an infinite edge is an open end
    return value


def _fmt(value: float | int) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.4g}"


def _interval_label(low: Any, high: Any, closed: str) -> str:
    if low is None and high is None:
        return "all values"
    if low is None:
        return f"{'<=' if closed in ('right', 'both') else '<'} {_fmt(high)}"
    if high is None:
        return f"{'>=' if closed in ('left', 'both') else '>'} {_fmt(low)}"
    left = "[" if closed in ("left", "both") else "("
    right = "]" if closed in ("right", "both") else ")"
    return f"{left}{_fmt(low)}, {_fmt(high)}{right}"


@dataclass(frozen=True)
class Predicate:
    """One typed condition of a slice.

    Parameters
    ----------
    feature : str
        The column the condition is on.
    value : object, optional
        The category as shown to people (``"Female"``, ``"[38, 47)"``, ``"missing"``,
        ``"other"``). With ``op="eq"`` and no ``values`` it is also the value compared.
    op : {"eq", "in", "not_in", "range", "missing", "present"}
        ``eq``: equal to ``values[0]``; ``in`` / ``not_in``: one of / none of ``values``
        (``not_in`` never holds missing values: it is the pooled ``other`` category);
        ``range``: between ``low`` and ``high`` (``None`` = open end, ``closed`` says
        which ends belong); ``missing``: no value (NULL, and NaN when ``numeric``);
        ``present``: any value.
    values : tuple
        The raw values for ``eq``, ``in`` and ``not_in`` (strings, numbers, booleans).
    low, high : number or None
        The ends of a ``range``.
    closed : {"left", "right", "both", "neither"}
        Which ends of a ``range`` are included; default ``[low, high)``.
    numeric : bool
        Whether the column is numeric (then NaN counts as missing).

    Examples
    --------
    >>> Predicate("sex", "Female").describe()
    'sex = Female'
    >>> Predicate.range("age", 38, 47).describe()
    'age in [38, 47)'
    >>> Predicate.range("age", 61, None).describe()
    'age >= 61'
    >>> Predicate.missing("income").describe()
    'income = missing'
    """

    feature: str
    value: Any = None
    op: str = "eq"
    values: tuple[Any, ...] = ()
    low: float | int | None = None
    high: float | int | None = None
    closed: str = "left"
    numeric: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.feature, str) or not self.feature:
            raise ParameterError(
                f"A predicate's feature must be a non-empty column name. Got {self.feature!r}."
            )
        if self.op not in OPERATORS:
            raise ParameterError(
                f"A predicate's op must be one of {', '.join(OPERATORS)}. Got {self.op!r} "
                f"(feature {self.feature!r})."
            )
        if self.closed not in _CLOSED:
            raise ParameterError(
                f"A range's closed must be one of {', '.join(_CLOSED)}. Got {self.closed!r}."
            )
        if not isinstance(self.numeric, bool):
            set_(self, "numeric", bool(self.numeric))
        where = f"The value of predicate {self.feature!r}"
        if isinstance(self.values, (str, bytes)) or not isinstance(self.values, Iterable):
            raise ParameterError(
                f"A predicate's values must be a list of values. Got {self.values!r} "
                f"(feature {self.feature!r})."
            )
        values = tuple(_scalar(v, where) for v in self.values)
        op = self.op
        if op == "eq" and not values:
            raw = self.value
            if isinstance(raw, np.generic):
                raw = raw.item()
            if raw is None or (isinstance(raw, float) and math.isnan(raw)):
                op = "missing"
            else:
                values = (_scalar(raw, where),)
        if op == "eq" and len(values) != 1:
            raise ParameterError(
                f"An 'eq' predicate compares with one value. Got {len(values)} for "
                f"{self.feature!r}; use op='in' for several."
            )
        if op == "eq" and values[0] is None:
            op, values = "missing", ()
        if op in ("in", "not_in") and any(v is None for v in values):
            raise ParameterError(
                f"Missing values cannot be listed in an {op!r} predicate ({self.feature!r}); "
                "use a 'missing' predicate."
            )
        low = _number(self.low, f"The low end of range {self.feature!r}")
        high = _number(self.high, f"The high end of range {self.feature!r}")
        if op != "range" and (low is not None or high is not None):
            raise ParameterError(
                f"low/high belong to 'range' predicates only (feature {self.feature!r}, op {op!r})."
            )
        if op == "range" and low is not None and high is not None and low > high:
            raise ParameterError(
                f"The range of {self.feature!r} is empty: low {low} > high {high}."
            )
        set_(self, "op", op)
        set_(self, "values", values if op in ("eq", "in", "not_in") else ())
        set_(self, "low", low)
        set_(self, "high", high)
        label = self.value
        if isinstance(label, np.generic):
            label = label.item()
        if label is None or (isinstance(label, float) and math.isnan(label)):
            label = self._default_label()
        set_(self, "value", label)

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def eq(cls, feature: str, value: Any, *, label: Any = None) -> Predicate:
        """``feature`` equals ``value`` (``None`` or NaN: the value is missing)."""
        return cls(feature, label, "eq", (value,))

    @classmethod
    def isin(cls, feature: str, values: Iterable[Any], *, label: Any = None) -> Predicate:
        """``feature`` is one of ``values``."""
        return cls(feature, label, "in", tuple(values))

    @classmethod
    def not_in(cls, feature: str, values: Iterable[Any], *, label: Any = OTHER) -> Predicate:
        """``feature`` has a value and it is none of ``values`` (a pooled 'other')."""
        return cls(feature, label, "not_in", tuple(values))

    @classmethod
    def range(
        cls,
        feature: str,
        low: float | None,
        high: float | None,
        *,
        closed: str = "left",
        label: Any = None,
    ) -> Predicate:
        """``low <= feature < high`` by default (``None`` leaves an end open)."""
        return cls(feature, label, "range", (), low, high, closed, numeric=True)

    @classmethod
    def missing(cls, feature: str, *, numeric: bool = False, label: Any = MISSING) -> Predicate:
        """``feature`` has no value (NULL; NaN too when ``numeric``)."""
        return cls(feature, label, "missing", numeric=numeric)

    @classmethod
    def present(cls, feature: str, *, numeric: bool = False, label: Any = None) -> Predicate:
        """``feature`` has a value."""
        return cls(feature, label, "present", numeric=numeric)

    # -- views -------------------------------------------------------------------------------
    def _default_label(self) -> Any:
        if self.op == "eq":
            return self.values[0]
        if self.op == "in":
            return "{" + ", ".join(str(v) for v in self.values) + "}"
        if self.op == "not_in":
            return OTHER
        if self.op == "missing":
            return MISSING
        if self.op == "present":
            return "all values"
        return _interval_label(self.low, self.high, self.closed)

    @property
    def interval(self) -> bool:
        """Whether the predicate is a numeric range (described as ``feature in [a, b)``)."""
        return self.op == "range"

    def describe(self) -> str:
        """The condition in words, as the explorer and the CSV show it."""
        label = str(self.value)
        if self.op == "range":
            if label.startswith(("<", ">")):
                return f"{self.feature} {label}"
            if label == "all values":
                return f"{self.feature} = {label}"
            return f"{self.feature} in {label}"
        if self.op == "in":
            return f"{self.feature} in {label}"
        return f"{self.feature} = {label}"

    def to_sql(self) -> str:
        """The condition as readable SQL with the values written in (for people only:
        queries use :func:`~workbench.findings.where_clause`, which binds the values)."""
        from workbench.findings._sql import render_where

        return render_where([self])

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows of ``frame`` (raw columns) that satisfy the condition."""
        return predicates_mask([self], frame)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``sql`` is a readable rendering that is never executed."""
        out: dict[str, Any] = {
            "feature": self.feature,
            "op": self.op,
            "value": _jsonable(self.value),
            "values": [_jsonable(v) for v in self.values],
            "low": self.low,
            "high": self.high,
            "closed": self.closed,
            "numeric": self.numeric,
            "sql": self.to_sql(),
        }
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Predicate:
        """Rebuild a predicate from :meth:`to_dict` output, checking every field.

        Any ``sql`` text in ``data`` is ignored: the rows are defined by the typed fields.
        Dicts written before predicates were typed (``feature``, ``value``, ``interval``)
        are read from their category label.
        """
        if not isinstance(data, Mapping):
            raise ParameterError(f"A predicate must be a JSON object. Got {data!r}.")
        feature = data.get("feature")
        if not isinstance(feature, str):
            raise ParameterError(f"A predicate needs a 'feature' name. Got {data!r}.")
        if "op" not in data:
            return _legacy_predicate(feature, data.get("value"), bool(data.get("interval")))
        values = data.get("values", [])
        if not isinstance(values, (list, tuple)):
            raise ParameterError(
                f"A predicate's 'values' must be a list. Got {values!r} ({feature!r})."
            )
        value = data.get("value")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise ParameterError(
                f"A predicate's 'value' (its label) must be a string or number. Got {value!r}."
            )
        return cls(
            feature=feature,
            value=value,
            op=str(data["op"]),
            values=tuple(values),
            low=data.get("low"),
            high=data.get("high"),
            closed=str(data.get("closed", "left")),
            numeric=bool(data.get("numeric", False)),
        )


_INTERVAL = re.compile(r"^\s*([\[(])\s*([-+0-9.eE]+|-inf)\s*,\s*([-+0-9.eE]+|inf)\s*([\])])\s*$")
_BOUND = re.compile(r"^\s*(<=|<|>=|>)\s*([-+0-9.eE]+)\s*$")


def _parse_number(text: str) -> float | int:
    number = float(text)
    return (
        int(number)
        if number.is_integer() and "." not in text and "e" not in text.lower()
        else number
    )


def _legacy_predicate(feature: str, value: Any, interval: bool) -> Predicate:
    """A predicate from its label alone (stores and claims written before typed predicates)."""
    if value is None or value == MISSING:
        return Predicate.missing(feature, numeric=interval)
    if not interval:
        if value == OTHER:
            raise ParameterError(
                f"The condition '{feature} = other' cannot be read without its list of "
                "values (written by an older release). Re-run the scan to store it typed."
            )
        return Predicate.eq(feature, value)
    text = str(value)
    if text == "all values":
        return Predicate.present(feature, numeric=True)
    match = _INTERVAL.match(text)
    if match:
        left, low, high, right = match.groups()
        closed = {("[", ")"): "left", ("(", "]"): "right", ("[", "]"): "both"}.get(
            (left, right), "neither"
        )
        lo = None if low == "-inf" else _parse_number(low)
        hi = None if high == "inf" else _parse_number(high)
        return Predicate.range(feature, lo, hi, closed=closed, label=text)
    match = _BOUND.match(text)
    if match:
        op, number = match.groups()
        bound = _parse_number(number)
        if op in ("<", "<="):
            closed = "both" if op == "<=" else "left"
            return Predicate.range(feature, None, bound, closed=closed, label=text)
        closed = "left" if op == ">=" else "neither"
        return Predicate.range(feature, bound, None, closed=closed, label=text)
    raise ParameterError(
        f"The interval {text!r} of feature {feature!r} cannot be read. Expected a label "
        "such as '[38, 47)', '< 25' or '>= 61'."
    )


def conditions_to_predicates(
    conditions: Mapping[str, Any] | Sequence[Predicate],
) -> tuple[Predicate, ...]:
    """Typed predicates from a person's conditions over raw columns.

    ``{"sex": "Female"}`` is equality; ``{"age": (25, 35)}`` is ``25 <= age < 35``
    (``None`` leaves an end open); ``{"income": None}`` means missing; a list or set
    means "one of". Predicates pass through unchanged.

    Examples
    --------
    >>> [p.describe() for p in conditions_to_predicates({"sex": "Female", "age": (25, 35)})]
    ['sex = Female', 'age in [25, 35)']
    """
    if isinstance(conditions, Predicate):
        return (conditions,)
    if not isinstance(conditions, Mapping):
        out = []
        for item in conditions:
            if not isinstance(item, Predicate):
                raise ParameterError(
                    "Expected a mapping {column: value} or a list of Predicate values. "
                    f"Got an item {item!r}."
                )
            out.append(item)
        return tuple(out)
    preds = []
    for feature, value in conditions.items():
        if isinstance(value, Predicate):
            preds.append(value)
        elif isinstance(value, tuple):
            if len(value) != 2:
                raise ParameterError(
                    f"An interval for {feature!r} is a pair (low, high). Got {value!r}."
                )
            preds.append(Predicate.range(str(feature), value[0], value[1]))
        elif isinstance(value, pd.Interval):
            preds.append(
                Predicate.range(str(feature), value.left, value.right, closed=value.closed)
            )
        elif isinstance(value, (list, set, frozenset)):
            items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
            preds.append(Predicate.isin(str(feature), items))
        else:
            preds.append(Predicate.eq(str(feature), value))
    return tuple(preds)


def predicates_mask(predicates: Iterable[Predicate], frame: pd.DataFrame) -> np.ndarray:
    """Which rows of ``frame`` satisfy every predicate (the same rows as the SQL).

    Examples
    --------
    >>> df = pd.DataFrame({"age": [20, 30, None], "sex": ["F", "M", "F"]})
    >>> predicates_mask([Predicate.range("age", 25, None)], df).tolist()
    [False, True, False]
    """
    mask = np.ones(len(frame), dtype=bool)
    for p in predicates:
        if p.feature not in frame.columns:
            from workbench.exceptions import ColumnNotFoundError

            raise ColumnNotFoundError.for_column("slice feature", p.feature, frame.columns)
        mask &= _one_mask(p, frame[p.feature])
    return mask


def _one_mask(p: Predicate, series: pd.Series) -> np.ndarray:
    missing = series.isna().to_numpy()
    if p.op == "missing":
        return missing
    if p.op == "present":
        return ~missing
    if p.op in ("eq", "in", "not_in"):
        hit = series.isin(list(p.values)).to_numpy()
        return ~hit & ~missing if p.op == "not_in" else hit & ~missing
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    keep = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        if p.low is not None:
            keep &= values >= p.low if p.closed in ("left", "both") else values > p.low
        if p.high is not None:
            keep &= values <= p.high if p.closed in ("right", "both") else values < p.high
    return keep


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    try:
        return value.item()  # numpy scalar
    except AttributeError:
        return value
