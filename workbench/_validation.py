"""Declared parameter constraints, checked at the entry points with clear messages.

A function declares its parameters once, as a table of constraints, and calls
:func:`validate_params` first thing. A message names the parameter, the function,
what was expected and what came. Imports only ``workbench.exceptions``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.exceptions import ParameterError

__all__ = ["Interval", "Options", "validate_params"]


@dataclass(frozen=True)
class Interval:
    """A number in a range; ``kind`` is ``"int"``, ``"whole"``, ``"real"`` or ``"fraction"``.

    ``"whole"`` accepts an int or a float with no fractional part (``50.0``): a count
    typed into a float box means the same count.
    """

    kind: str
    low: float | None = None
    high: float | None = None
    closed: str = "both"  # "both", "left", "right", "neither"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind == "int":
            if not isinstance(value, numbers.Integral):
                return False
        elif self.kind == "whole":
            if not isinstance(value, numbers.Real) or not float(value).is_integer():
                return False
        elif not isinstance(value, numbers.Real) or math.isnan(float(value)):
            return False
        v = float(value)
        if self.low is not None:
            if self.closed in ("both", "left") and v < self.low:
                return False
            if self.closed in ("right", "neither") and v <= self.low:
                return False
        if self.high is not None:
            if self.closed in ("both", "right") and v > self.high:
                return False
            if self.closed in ("left", "neither") and v >= self.high:
                return False
        return True

    def describe(self) -> str:
        kind = {
            "int": "an int",
            "whole": "a whole number",
            "real": "a float",
            "fraction": "a float",
        }[self.kind]
        if self.low is not None and self.high is not None:
            left = "[" if self.closed in ("both", "left") else "("
            right = "]" if self.closed in ("both", "right") else ")"
            return f"{kind} in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            op = ">=" if self.closed in ("both", "left") else ">"
            return f"{kind} {op} {self.low:g}"
        if self.high is not None:
            op = "<=" if self.closed in ("both", "right") else "<"
            return f"{kind} {op} {self.high:g}"
        return kind


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values."""

    values: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        return any(value is v or (type(value) is type(v) and value == v) for v in self.values)

    def describe(self) -> str:
        if len(self.values) == 1:
            return repr(self.values[0])
        return "one of " + ", ".join(repr(v) for v in self.values)


Constraint = Interval | Options | type | None


def _accepts(constraint: Constraint, value: Any) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, type):
        return isinstance(value, constraint) and not (
            constraint is not bool and isinstance(value, bool)
        )
    return constraint.accepts(value)


def _describe(constraint: Constraint) -> str:
    if constraint is None:
        return "None"
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__}"
    return constraint.describe()


def validate_params(
    owner: str, params: Mapping[str, Any], constraints: Mapping[str, list[Constraint]]
) -> None:
    """Raise :class:`ParameterError` for the first parameter outside its constraints.

    Examples
    --------
    >>> validate_params("scan", {"k": 3}, {"k": [Interval("int", 1)]})
    >>> validate_params("scan", {"k": 0}, {"k": [Interval("int", 1)]})
    Traceback (most recent call last):
    ...
    workbench.exceptions.ParameterError: The 'k' parameter of scan must be an int >= 1. Got 0 instead.
    """
    for name, allowed in constraints.items():
        if name not in params:
            continue
        value = params[name]
        if any(_accepts(c, value) for c in allowed):
            continue
        expected = " or ".join(_describe(c) for c in allowed)
        raise ParameterError(
            f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
        )
