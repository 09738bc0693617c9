"""Groups of a bounty: a conjunction of typed predicates over the raw columns.

A submitted group is data, never code or SQL: a ``{column: condition}`` mapping,
a scan's :class:`~workbench.findings.Slice`, a claim file, or a sequence of
:class:`~workbench.findings.Predicate`. It is turned into typed predicates and
evaluated on the raw in-memory columns of a frame (the owner's holdout, or the
rows given to ``predict``). Imports numpy, pandas, ``workbench.findings``,
``workbench.export`` (to read claim files) and ``workbench.exceptions``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import ColumnNotFoundError, DataError, InputFileError, ParameterError
from workbench.findings import Predicate, conditions_to_predicates, predicates_mask

__all__ = ["Group", "as_group", "check_group_data"]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _check_conditions(conditions: Mapping[str, Any]) -> None:
    """Refuse what is not data before it becomes predicates."""
    for feature, condition in conditions.items():
        if not isinstance(feature, str):
            raise ParameterError(
                f"Group columns must be strings. Got {feature!r}. Write the group as "
                '{"column": value, ...}.'
            )
        if isinstance(condition, Mapping) or (
            callable(condition) and not isinstance(condition, Predicate)
        ):
            raise ParameterError(
                f"The condition on {feature!r} must be a value, a list of values, a (low, high) "
                f"range or None (missing). Got {type(condition).__name__}; a group is data, "
                "never code."
            )
        if isinstance(condition, tuple) and (
            len(condition) != 2 or not all(end is None or _is_number(end) for end in condition)
        ):
            raise ParameterError(
                f"A range on {feature!r} must be a (low, high) pair of numbers, high excluded "
                f"(None for an open end). Got {condition!r}."
            )


@dataclass(frozen=True)
class Group:
    """A conjunction of typed predicates (``workbench.findings.Predicate``).

    Examples
    --------
    >>> g = as_group({"sex": "Female", "age": (26, 33)})
    >>> g.description
    'sex = Female AND age in [26, 33)'
    >>> g.mask(pd.DataFrame({"sex": ["Female", "Male"], "age": [30, 30]})).tolist()
    [True, False]
    """

    predicates: tuple[Predicate, ...]

    @property
    def description(self) -> str:
        if not self.predicates:
            return "all rows"
        return " AND ".join(p.describe() for p in self.predicates)

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.feature for p in self.predicates))

    def to_records(self) -> list[dict[str, Any]]:
        """The typed predicates as JSON-ready dicts (no SQL)."""
        return [_predicate_dict(p) for p in self.predicates]

    @property
    def key(self) -> str:
        """A canonical text of the group, the same for the same conditions in any order."""
        records = [
            {k: v for k, v in r.items() if k != "value"}
            for r in sorted(self.to_records(), key=lambda r: json.dumps(r, sort_keys=True))
        ]
        return json.dumps(records, sort_keys=True, default=str)

    def check_columns(self, columns: Sequence[str]) -> None:
        for feature in self.features:
            if feature not in columns:
                raise ColumnNotFoundError.for_column("group", feature, columns)

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows of ``frame`` in the group, from its raw columns."""
        self.check_columns(list(frame.columns))
        return np.asarray(predicates_mask(self.predicates, frame), dtype=bool)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> Group:
        """Typed predicates from dicts; any ``sql`` text in them is ignored."""
        return cls(tuple(Predicate.from_dict(r) for r in records))


def _predicate_dict(predicate: Predicate) -> dict[str, Any]:
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
    if not conditions:
        raise ParameterError(
            "The group is empty. Expected at least one condition {'column': value}; a bounty "
            "improves the model on a subgroup (to replace the whole model, train a new one)."
        )
    _check_conditions(conditions)
    return Group(conditions_to_predicates(dict(conditions)))


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
        return Group(tuple(group.predicates))
    if isinstance(group, Mapping):
        if "claim_format" in group or "predicates" in group:
            return _from_json(group, "the group")
        return _conditions_group(group)
    if isinstance(group, Predicate):
        return Group((group,))
    if isinstance(group, Sequence) and group and all(isinstance(p, Predicate) for p in group):
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
