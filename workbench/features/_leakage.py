"""Leakage guard: columns that restate the label, prediction, score or per-row error.

A slice ``error = 1`` or ``income = >50K`` says nothing about where a model fails:
the column restates the outcome. This module's one job is to name such columns so
ingest can leave them out of the search (with a note) or refuse them when a caller
asks for them. A column *determines* a target when

* both have few values (at most 64) and knowing the column removes at least 95 % of
  the target's uncertainty (Theil's uncertainty coefficient ``U(target | column)``,
  from the joint counts), or
* both are numbers and their correlation is at least 0.99 in size, or
* the column is a number, the target has two values and one cut of the number removes
  at least 95 % of the target's uncertainty: a score of it (a number the label was cut
  from, or a loss that says which rows are errors). For the prediction the number must
  also be a probability (every value in [0, 1]): a model's prediction may well be a cut
  of one of its inputs (a stump), and that input is still a feature. The cut is found
  on an evenly spaced subset of at most 200,000 rows.

Imports numpy and pandas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MAX_VALUES", "MIN_CORRELATION", "MIN_UNCERTAINTY_REMOVED", "leaky_columns"]

#: Most rows the search for a number's best cut looks at (evenly spaced in larger data).
_CUT_ROWS = 200_000

#: Most distinct values of a column and a target for the uncertainty test.
MAX_VALUES = 64
#: Share of the target's entropy a column must remove to count as determining it.
MIN_UNCERTAINTY_REMOVED = 0.95
#: Size of the correlation of two numeric columns that counts as determining.
MIN_CORRELATION = 0.99


def _codes(values: pd.Series) -> tuple[np.ndarray, int] | None:
    if isinstance(values.dtype, pd.CategoricalDtype):
        # The stored codes serve (no hashing); categories no row takes are dropped.
        raw = values.cat.codes.to_numpy()
        n_categories = len(values.cat.categories)
        if raw.dtype.itemsize <= 2:
            # Viewed as unsigned, missing (-1) is the last slot: one count, one lookup.
            raw = raw.view(np.uint8 if raw.dtype.itemsize == 1 else np.uint16)
            slots = 1 << (8 * raw.dtype.itemsize)
            seen = np.bincount(raw, minlength=slots)[:n_categories] > 0
        else:
            slots = n_categories + 1
            seen = np.bincount(raw[raw >= 0], minlength=n_categories) > 0
        n_seen = int(seen.sum())
        if n_seen > MAX_VALUES:
            return None
        compact = np.full(slots, n_seen, dtype=np.int32)  # missing -> n_seen
        compact[:n_categories] = np.cumsum(seen) - 1
        return compact[raw], n_seen + 1
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) > MAX_VALUES:
        return None
    codes = np.where(codes < 0, len(uniques), codes)  # missing as a value of its own
    return codes.astype(np.int64), len(uniques) + 1


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def _uncertainty_removed(column: np.ndarray, k: int, target: np.ndarray, m: int) -> float:
    joint = np.bincount(column * m + target, minlength=k * m).reshape(k, m)
    return _removed(joint)


def _removed(counts: np.ndarray) -> float:
    """Share of the target's entropy (the columns of ``counts``) that the rows' variable
    removes, from their joint counts."""
    joint = np.ascontiguousarray(counts).astype(float)
    h_target = _entropy(joint.sum(axis=0))
    if h_target == 0:
        return 0.0  # a constant target is determined by anything: nothing to learn
    h_joint = _entropy(joint.ravel())
    h_column = _entropy(joint.sum(axis=1))
    return (h_target - (h_joint - h_column)) / h_target


def _numeric(values: pd.Series) -> np.ndarray | None:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return None
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


#: Most cells of the joint table of a column with every few-valued target together.
_MAX_JOINT_CELLS = 1 << 22


def _combine(
    coded: Sequence[tuple[np.ndarray, int] | None],
) -> tuple[np.ndarray, int, list[tuple[np.ndarray, int] | None]] | None:
    """The few-valued targets as one code per row (of the value combinations that
    occur), their count, and per target the value each combination holds (None for a
    target with too many values)."""
    used = [c for c in coded if c is not None]
    if not used:
        return None
    size = int(np.prod([m for _, m in used], dtype=np.float64))
    if size > _MAX_JOINT_CELLS:
        return None
    combo = np.zeros(len(used[0][0]), dtype=np.int64)
    for codes, m in used:
        combo = combo * m + codes
    seen = np.flatnonzero(np.bincount(combo, minlength=size))
    index = np.zeros(size, dtype=np.int32)  # at most _MAX_JOINT_CELLS combinations
    index[seen] = np.arange(len(seen))
    parts: list[tuple[np.ndarray, int] | None] = []
    rest = seen.copy()
    for c in reversed(coded):
        if c is None:
            parts.append(None)
            continue
        parts.append((rest % c[1], c[1]))
        rest //= c[1]
    parts.reverse()
    return index[combo], len(seen), parts


def _joint_tables(
    coded: tuple[np.ndarray, int] | None,
    combined: tuple[np.ndarray, int, list[tuple[np.ndarray, int] | None]] | None,
) -> list[np.ndarray | None] | None:
    """Per target, the joint counts (column values x target values) from one pass."""
    if coded is None or combined is None:
        return None
    (codes, k), (combo, n_combos, parts) = coded, combined
    if k * n_combos > _MAX_JOINT_CELLS:
        return None
    joint = np.bincount(codes * n_combos + combo, minlength=k * n_combos).reshape(k, n_combos)
    return _per_target(joint, parts)


def _per_target(
    joint: np.ndarray, parts: list[tuple[np.ndarray, int] | None]
) -> list[np.ndarray | None]:
    """Each target's table (column values x its values) from the joint counts of the
    column with every combination of the targets' values (None for a target left out)."""
    tables: list[np.ndarray | None] = []
    for entry in parts:
        if entry is None:
            tables.append(None)
            continue
        part, m = entry
        table = np.zeros((len(joint), m), dtype=np.int64)
        for value in np.unique(part):
            table[:, value] = joint[:, part == value].sum(axis=1)
        tables.append(table)
    return tables


def _probabilities(numbers: np.ndarray) -> bool:
    """Whether every value there is lies in [0, 1]."""
    low, high = np.nanmin(numbers, initial=np.inf), np.nanmax(numbers, initial=-np.inf)
    return bool(low >= 0 and high <= 1)


def _best_cut(numbers: np.ndarray, target: np.ndarray, m: int) -> tuple[float, float] | None:
    """The share of a two-valued target's uncertainty that one cut of ``numbers``
    removes at best, and the cut (rows below it on one side); None for a target
    without exactly two values. Missing numbers and target values are left out.

    >>> _best_cut(np.array([0.1, 0.4, 0.6, 0.9]), np.array([0, 0, 1, 1]), 3)
    (1.0, 0.6)
    """
    step = max(1, -(-len(numbers) // _CUT_ROWS))
    values, classes = numbers[::step], target[::step]
    keep = ~np.isnan(values) & (classes < m - 1)  # the last code is missing
    values, classes = values[keep], classes[keep]
    present = np.flatnonzero(np.bincount(classes, minlength=m - 1))
    if len(present) != 2:
        return None
    order = np.argsort(values, kind="stable")
    values, ones = values[order], (classes[order] == present[1]).astype(np.int64)
    below = np.cumsum(ones)
    # Cuts between distinct values: rows [0, i) on one side, [i, n) on the other.
    cuts = np.flatnonzero(values[1:] != values[:-1]) + 1
    if len(cuts) == 0:
        return None
    n, total = len(values), int(below[-1])
    ones_below = below[cuts - 1]
    zeros_below = cuts - ones_below
    # The cut that puts most rows on their majority side, either way round.
    right = np.maximum(
        zeros_below + (total - ones_below), ones_below + (n - cuts - total + ones_below)
    )
    best = int(np.argmax(right))
    i, o = int(cuts[best]), int(ones_below[best])
    table = np.array([[i - o, o], [n - i - (total - o), total - o]])
    return _removed(table), float(values[i])


class _LazyNumbers:
    """A target's values as float64, made when a numeric column first asks for them."""

    def __init__(self, series: pd.Series) -> None:
        self._series: pd.Series | None = series
        self._numbers: np.ndarray | None = None

    def get(self) -> np.ndarray | None:
        if self._series is not None:
            self._numbers, self._series = _numeric(self._series), None
        return self._numbers


def _dictionary_joint_tables(
    values: pd.Series,
    combined: tuple[np.ndarray, int, list[tuple[np.ndarray, int] | None]] | None,
) -> tuple[tuple[np.ndarray, int] | None, list[np.ndarray | None] | None] | None:
    """For a categorical column, its joint tables with the targets straight from its own
    codes (one count over the rows, no compacted copy of the column): the same tables
    as ``_joint_tables(_codes(values), combined)``. None when that path is needed."""
    if combined is None or not isinstance(values.dtype, pd.CategoricalDtype):
        return None
    raw = values.cat.codes.to_numpy()
    if raw.dtype.itemsize != 1:
        return None
    combo, n_combos, parts = combined
    slots = 256  # the codes viewed as unsigned: missing (-1) is slot 255
    if slots * n_combos > _MAX_JOINT_CELLS:
        return None
    index = raw.view(np.uint8).astype(np.int32)
    index *= n_combos
    index += combo
    joint = np.bincount(index, minlength=slots * n_combos).reshape(slots, n_combos)
    del index
    n_categories = len(values.cat.categories)
    per_slot = joint.sum(axis=1)
    seen = np.flatnonzero(per_slot[:n_categories])
    if len(seen) > MAX_VALUES:
        return None, None
    # The seen categories in their order, then missing: the rows of _codes' compact codes.
    joint = np.concatenate([joint[seen], joint[slots - 1 :]])
    # The column's codes are not needed further: a placeholder with the right count.
    return (np.empty(0, dtype=np.int32), len(joint)), _per_target(joint, parts)


def leaky_columns(
    frame: pd.DataFrame, columns: Sequence[str], targets: Mapping[str, Any]
) -> dict[str, str]:
    """The columns among ``columns`` that determine one of ``targets``, with why.

    Examples
    --------
    >>> frame = pd.DataFrame({"sex": list("FFMM") * 25, "outcome": ["yes", "no"] * 50})
    >>> leaky_columns(frame, ["sex", "outcome"], {"label": pd.Series([1, 0] * 50)})
    {'outcome': 'restates the label (95 % or more of its uncertainty)'}
    """
    prepared = []
    for name, values in targets.items():
        series = pd.Series(np.asarray(values)) if not isinstance(values, pd.Series) else values
        series = series.reset_index(drop=True)
        coded = _codes(series)
        if coded is not None:  # few values: the smallest integers that hold them
            coded = (coded[0].astype(np.min_scalar_type(coded[1]), copy=False), coded[1])
        prepared.append((name, coded, _LazyNumbers(series)))
    combined = _combine([coded for _, coded, _ in prepared])
    found: dict[str, str] = {}
    for column in columns:
        series = frame[column].reset_index(drop=True)
        fast = _dictionary_joint_tables(series, combined)
        if fast is not None:
            coded, joints = fast
        else:
            coded = _codes(series)
            # The joint counts of the column with every few-valued target at once (one
            # pass over the rows; each target's table is a sum over the others' values).
            joints = _joint_tables(coded, combined)
        numbers = _numeric(series)
        for position, (name, target_coded, target_lazy) in enumerate(prepared):
            if coded is not None and target_coded is not None:
                # A restatement determines the target and is determined by it (a
                # relabelling); a feature that merely predicts the target well
                # (three regions, two classes) is kept. One joint table serves both
                # directions (its transpose is the other).
                joint = joints[position] if joints is not None else None
                if joint is None:
                    (codes, k), (target_codes, m) = coded, target_coded
                    joint = np.bincount(codes * m + target_codes, minlength=k * m).reshape(k, m)
                forward, backward = _removed(joint), _removed(joint.T)
                if min(forward, backward) >= MIN_UNCERTAINTY_REMOVED:
                    found[column] = f"restates the {name} (95 % or more of its uncertainty)"
                    break
            target_numbers = target_lazy.get() if numbers is not None else None
            if numbers is not None and target_numbers is not None:
                nan, target_nan = np.isnan(numbers), np.isnan(target_numbers)
                if nan.any() or target_nan.any():
                    both = ~nan & ~target_nan
                    a, b = numbers[both], target_numbers[both]
                else:
                    a, b = numbers, target_numbers  # no copy when every value is there
                if len(a) > 2 and a.std() > 0 and b.std() > 0:
                    r = float(np.corrcoef(a, b)[0, 1])
                    if abs(r) >= MIN_CORRELATION:
                        found[column] = f"restates the {name} (correlation {r:+.3f})"
                        break
            if (
                numbers is not None
                and target_coded is not None
                and target_coded[1] == 3
                and (name != "prediction" or _probabilities(numbers))
            ):
                # A score of a two-valued target: one cut sorts the rows into its values.
                cut = _best_cut(numbers, target_coded[0], target_coded[1])
                if cut is not None and cut[0] >= MIN_UNCERTAINTY_REMOVED:
                    found[column] = (
                        f"is a score for the {name} (one cut at {cut[1]:.4g} removes 95 % or "
                        "more of its uncertainty)"
                    )
                    break
    return found
