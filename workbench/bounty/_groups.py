"""Groups of a bounty: a conjunction of typed predicates over the raw columns.

A submitted group is data, never code or SQL: a ``{column: condition}`` mapping,
a scan's :class:`~workbench.findings.Slice`, a claim file, or a sequence of
:class:`~workbench.findings.Predicate`. It is turned into typed predicates and
evaluated on the raw in-memory columns of a frame (the owner's holdout, or the
rows given to ``predict``). Imports numpy, pandas, ``workbench.findings``,
``workbench.export`` (to read claim files) and ``workbench.exceptions``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import ColumnNotFoundError, DataError, InputFileError, ParameterError

__all__ = [
    "Group",
    "GroupPredicate",
    "as_group",
]

_OPS = ("eq", "in", "not_in", "range", "missing", "present")


@dataclass(frozen=True)
class GroupPredicate:
    """One typed condition on a raw column (the fields of ``workbench.findings.Predicate``).

    Parameters
    ----------
    feature : str
        The column.
    value : object
        The condition as shown to people.
    op : str
        ``"eq"``, ``"in"``, ``"not_in"``, ``"range"`` ([low, high), None = open),
        ``"missing"`` or ``"present"``.
    values : tuple
        The raw values of ``eq`` / ``in`` / ``not_in``.
    low, high : float or None
        The ends of a ``range``.
    numeric : bool
        Whether the column is numeric (NaN then counts as missing).

    Examples
    --------
    >>> p = GroupPredicate.range("age", 26, 33)
    >>> p.describe()
    'age in [26, 33)'
    >>> p.mask(pd.DataFrame({"age": [25, 26, 33]})).tolist()
    [False, True, False]
    """

    feature: str
    value: Any = None
    op: str = "eq"
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    numeric: bool = False

    @classmethod
    def eq(cls, feature: str, value: Any) -> GroupPredicate:
        return cls(feature, value, "eq", (value,), numeric=_is_number(value))

    @classmethod
    def isin(cls, feature: str, values: Iterable[Any]) -> GroupPredicate:
        vals = tuple(values)
        label = "{" + ", ".join(str(v) for v in vals) + "}"
        return cls(feature, label, "in", vals, numeric=all(_is_number(v) for v in vals))

    @classmethod
    def range(cls, feature: str, low: float | None, high: float | None) -> GroupPredicate:
        low = None if low is None else float(low)
        high = None if high is None else float(high)
        label = f"[{_num(low)}, {_num(high)})"
        return cls(feature, label, "range", (), low, high, numeric=True)

    @classmethod
    def missing(cls, feature: str) -> GroupPredicate:
        return cls(feature, "missing", "missing")

    def describe(self) -> str:
        if self.op == "eq":
            return f"{self.feature} = {self.values[0] if self.values else self.value}"
        if self.op == "range":
            if self.low is None and self.high is not None:
                return f"{self.feature} < {_num(self.high)}"
            if self.high is None and self.low is not None:
                return f"{self.feature} >= {_num(self.low)}"
            return f"{self.feature} in [{_num(self.low)}, {_num(self.high)})"
        if self.op == "missing":
            return f"{self.feature} is missing"
        if self.op == "present":
            return f"{self.feature} is present"
        shown = ", ".join(str(v) for v in self.values)
        return f"{self.feature} {'not in' if self.op == 'not_in' else 'in'} {{{shown}}}"

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        column = frame[self.feature]
        missing = column.isna().to_numpy()
        if self.op == "missing":
            return missing
        if self.op == "present":
            return ~missing
        if self.op == "range":
            values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
            keep = ~np.isnan(values)
            if self.low is not None:
                keep &= values >= self.low
            if self.high is not None:
                keep &= values < self.high
            return keep
        hit = column.isin(list(self.values)).to_numpy()
        if self.op == "not_in":
            return ~hit & ~missing
        return hit & ~missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "value": _jsonable(self.value),
            "op": self.op,
            "values": [_jsonable(v) for v in self.values],
            "low": self.low,
            "high": self.high,
            "numeric": self.numeric,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupPredicate:
        """Read a typed predicate; any ``sql`` text in the dict is ignored."""
        if not isinstance(data, Mapping) or not isinstance(data.get("feature"), str):
            raise InputFileError(
                "A group predicate must be an object with a string 'feature'. "
                f"Got {data!r}. Fix the group file."
            )
        op = data.get("op")
        if op is None:
            return _from_label(data)
        if op not in _OPS:
            raise InputFileError(
                f"Unknown predicate op {op!r} on {data['feature']!r}. Expected one of "
                f"{', '.join(_OPS)}."
            )
        values = data.get("values") or ()
        if not isinstance(values, list | tuple):
            raise InputFileError(
                f"The 'values' of the predicate on {data['feature']!r} must be a list. "
                f"Got {values!r}."
            )
        low, high = data.get("low"), data.get("high")
        for end in (low, high):
            if end is not None and not _is_number(end):
                raise InputFileError(
                    f"A range on {data['feature']!r} needs numeric ends (or null). Got {end!r}."
                )
        if op in ("eq",) and len(values) != 1:
            raise InputFileError(
                f"An 'eq' predicate on {data['feature']!r} needs exactly one value. Got {values!r}."
            )
        return cls(
            feature=data["feature"],
            value=data.get("value"),
            op=op,
            values=tuple(values),
            low=None if low is None else float(low),
            high=None if high is None else float(high),
            numeric=bool(data.get("numeric", False)),
        )


_INTERVAL = re.compile(r"^\[\s*([-+0-9.eE]+|-inf)\s*,\s*([-+0-9.eE]+|inf)\s*\)$")
_ONE_SIDED = re.compile(r"^(<|>=)\s*([-+0-9.eE]+)$")


def _from_label(data: Mapping[str, Any]) -> GroupPredicate:
    """A predicate stored by an earlier release (a label, no operator)."""
    feature, value = data["feature"], data.get("value")
    if value is None or value == "missing":
        return GroupPredicate.missing(feature)
    if data.get("interval"):
        text = str(value).strip()
        match = _INTERVAL.match(text)
        if match:
            return GroupPredicate.range(feature, _end(match.group(1)), _end(match.group(2)))
        match = _ONE_SIDED.match(text)
        if match:
            number = float(match.group(2))
            if match.group(1) == "<":
                return GroupPredicate.range(feature, None, number)
            return GroupPredicate.range(feature, number, None)
    if value == "other":
        raise InputFileError(
            f"The condition {feature} = other (the pooled rare values) does not say which "
            "values it holds. Expected a typed predicate; re-export the slice with this release, "
            "or write the values out as a list."
        )
    return GroupPredicate.eq(feature, value)


def _end(text: str) -> float | None:
    number = float(text)
    return None if math.isinf(number) else number


def _num(value: float | None) -> str:
    if value is None:
        return "-inf"
    return str(int(value)) if float(value).is_integer() else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _jsonable(value: Any) -> Any:
    with contextlib.suppress(AttributeError):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _core_predicates() -> Any:
    """The typed predicate helpers of ``workbench.findings``, when this release has them."""
    findings = importlib.import_module("workbench.findings")
    if hasattr(findings, "predicates_mask") and hasattr(findings, "conditions_to_predicates"):
        return findings
    return None


def _from_conditions(conditions: Mapping[str, Any]) -> tuple[GroupPredicate, ...]:
    out = []
    for feature, condition in conditions.items():
        if not isinstance(feature, str):
            raise ParameterError(
                f"Group columns must be strings. Got {feature!r}. Write the group as "
                '{"column": value, ...}.'
            )
        if condition is None:
            out.append(GroupPredicate.missing(feature))
        elif isinstance(condition, tuple):
            if len(condition) != 2:
                raise ParameterError(
                    f"A range on {feature!r} must be a (low, high) pair, high excluded. "
                    f"Got {condition!r}."
                )
            low, high = condition
            for end in (low, high):
                if end is not None and not _is_number(end):
                    raise ParameterError(
                        f"A range on {feature!r} needs numeric ends (or None for open). "
                        f"Got {condition!r}."
                    )
            out.append(GroupPredicate.range(feature, low, high))
        elif isinstance(condition, list | set | frozenset):
            out.append(GroupPredicate.isin(feature, sorted(condition, key=str)))
        elif isinstance(condition, Mapping) or callable(condition):
            raise ParameterError(
                f"The condition on {feature!r} must be a value, a list of values, a (low, high) "
                f"range or None (missing). Got {type(condition).__name__}; a group is data, "
                "never code."
            )
        else:
            out.append(GroupPredicate.eq(feature, condition))
    return tuple(out)


@dataclass(frozen=True)
class Group:
    """A conjunction of typed predicates; the empty group holds every row.

    Examples
    --------
    >>> g = as_group({"sex": "Female", "age": (26, 33)})
    >>> g.description
    'sex = Female AND age in [26, 33)'
    >>> g.mask(pd.DataFrame({"sex": ["Female", "Male"], "age": [30, 30]})).tolist()
    [True, False]
    """

    predicates: tuple[Any, ...]

    @property
    def description(self) -> str:
        if not self.predicates:
            return "all rows"
        return " AND ".join(p.describe() for p in self.predicates)

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.feature for p in self.predicates))

    def to_records(self) -> list[dict[str, Any]]:
        return [_predicate_dict(p) for p in self.predicates]

    @property
    def key(self) -> str:
        """A canonical text of the group, the same for the same conditions in any order."""
        records = sorted(self.to_records(), key=lambda r: json.dumps(r, sort_keys=True))
        for record in records:
            record.pop("value", None)
        return json.dumps(records, sort_keys=True, default=str)

    def check_columns(self, columns: Sequence[str]) -> None:
        for feature in self.features:
            if feature not in columns:
                raise ColumnNotFoundError.for_column("group", feature, columns)

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        self.check_columns(list(frame.columns))
        core = _core_predicates()
        if (
            core is not None
            and self.predicates
            and not isinstance(self.predicates[0], GroupPredicate)
        ):
            return np.asarray(core.predicates_mask(self.predicates, frame), dtype=bool)
        keep = np.ones(len(frame), dtype=bool)
        for predicate in self.predicates:
            keep &= predicate.mask(frame)
        return keep

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> Group:
        core = _core_predicates()
        rows = list(records)
        if core is not None and all(isinstance(r, Mapping) and "op" in r for r in rows):
            return cls(tuple(core.Predicate.from_dict(r) for r in rows))
        return cls(tuple(GroupPredicate.from_dict(r) for r in rows))


def _predicate_dict(predicate: Any) -> dict[str, Any]:
    data = dict(predicate.to_dict())
    data.pop("sql", None)
    return data


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise InputFileError(f"The group file {str(path)!r} does not exist. Check the path.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"The group file {str(path)!r} is not valid JSON ({exc}). Expected a JSON object "
            '{"column": value, ...}, a list of predicates, or a claim file.'
        ) from None


def _from_json(data: Any, where: str) -> Group:
    if isinstance(data, Mapping) and "claim_format" in data:
        from workbench.export import read_claim

        claim = read_claim(data)
        return Group.from_records(claim["slice"]["predicates"])
    if isinstance(data, Mapping) and isinstance(data.get("predicates"), list):
        return Group.from_records(data["predicates"])
    if isinstance(data, Mapping) and isinstance(data.get("group"), Mapping | list):
        return _from_json(data["group"], where)
    if isinstance(data, list):
        return Group.from_records(data)
    if isinstance(data, Mapping):
        conditions = {k: tuple(v) if _is_pair(v) else v for k, v in data.items()}
        return _conditions_group(conditions)
    raise InputFileError(
        f"{where} is not a group. Expected a JSON object {{'column': value, ...}} (a [low, high] "
        "pair of numbers is a range, null is missing, a list is 'one of'), a list of typed "
        f"predicates, or a claim file. Got {type(data).__name__}."
    )


def _is_pair(value: Any) -> bool:
    # JSON has no tuples: a two-number list with a null end or numbers is a range.
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(v is None or _is_number(v) for v in value)
        and any(v is not None for v in value)
    )


def _conditions_group(conditions: Mapping[str, Any]) -> Group:
    core = _core_predicates()
    if core is not None:
        return Group(tuple(core.conditions_to_predicates(dict(conditions))))
    return Group(_from_conditions(conditions))


def as_group(group: Any) -> Group:
    """Turn what a submitter gives into a :class:`Group`.

    Parameters
    ----------
    group : mapping, Slice, Group, sequence of predicates, or path
        ``{"sex": "Female", "age": (26, 33)}`` (a tuple is [low, high), None is
        missing, a list is "one of", a scalar is equality), a scan's ``Slice``,
        a JSON file (such a mapping, a list of typed predicates, or a claim file).
        Never SQL text or code.
    """
    if isinstance(group, Group):
        return group
    if isinstance(group, str | os.PathLike):
        path = Path(group)
        if isinstance(group, str) and not path.suffix and not path.exists():
            raise ParameterError(
                f"A group must be data, not text: got the string {group!r}. Pass a mapping "
                '{"column": value, ...}, a Slice, or the path of a JSON group or claim file.'
            )
        return _from_json(_read_json(path), repr(str(path)))
    if hasattr(group, "predicates") and hasattr(group, "slice_size"):  # a scan's Slice
        return Group.from_records(_predicate_dict(p) for p in group.predicates)
    if isinstance(group, Mapping):
        if "claim_format" in group or "predicates" in group:
            return _from_json(group, "the group")
        if not group:
            raise ParameterError(
                "The group is empty. Expected at least one condition {'column': value}; a bounty "
                "improves the model on a subgroup (to replace the whole model, train a new one)."
            )
        return _conditions_group(group)
    if isinstance(group, Sequence) and group and all(hasattr(p, "feature") for p in group):
        return Group(tuple(group))
    raise ParameterError(
        "Expected a group as a mapping {'column': value, ...}, a scan's Slice, typed predicates, "
        f"or the path of a JSON group or claim file. Got {type(group).__name__}."
    )


def check_group_data(group: Group, frame: pd.DataFrame) -> np.ndarray:
    """The rows of ``frame`` in ``group``; raise when the group names unknown columns."""
    mask = group.mask(frame)
    if not mask.any():
        raise DataError(
            f"The group {group.description} matches no row of the holdout "
            f"({len(frame)} rows). Expected a group with holdout rows; check the values and "
            "their types (e.g. 'Female' vs 'female', 30 vs '30')."
        )
    return mask
