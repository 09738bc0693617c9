"""Comparison: how the slices found on one evaluation fare on another, and which got worse.

``compare`` re-measures the slices found on one side on the other. ``change_scan``
searches both sides for the slices whose error rose more than the whole's (the
differential search of :mod:`workbench.search._change`), with the baseline's bins
applied to the new side.

Each slice is re-measured on the other side from its typed predicates over the raw
columns (so bins found on one dataset apply unchanged to the other). Imports
``_slices`` and search statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench._slices import SliceQueries
from workbench.exceptions import ColumnNotFoundError, DataError, LabelError, ParameterError
from workbench.findings import Findings, FrozenDict, Predicate, predicates_mask
from workbench.search._change import ChangeFindings

__all__ = ["COMPARE_COLUMNS", "change_scan", "compare"]

COMPARE_COLUMNS = [
    "slice_id",
    "description",
    "slice_size_a",
    "slice_error_a",
    "error_ci_low_a",
    "error_ci_high_a",
    "slice_size_b",
    "slice_error_b",
    "error_ci_low_b",
    "error_ci_high_b",
    "rest_error_b",
    "error_change",
    "p_value_b",
    "p_value_adjusted_b",
    "significant_b",
]


def compare(other: SliceQueries, findings: Findings, *, fdr: float = 0.05) -> pd.DataFrame:
    """One row per slice of ``findings``: its figures there (``_a``) and on ``other`` (``_b``).

    The slices were chosen before looking at ``other``, so Benjamini–Hochberg runs over
    just these hypotheses.
    """
    from workbench.search import benjamini_hochberg

    available = set(other.store.dataset_columns(other.dataset_id))
    rows = []
    for s in findings:
        missing = [p.feature for p in s.predicates if p.feature not in available]
        if missing:
            raise ColumnNotFoundError.for_column("slice feature", missing[0], sorted(available))
        c, stats = other.statistics(s.predicates)
        size_b = int(c["slice_size"])
        rows.append(
            {
                "slice_id": s.slice_id,
                "description": s.description,
                "slice_size_a": s.size_in_data,
                "slice_error_a": s.slice_error,
                "error_ci_low_a": s.error_ci_low,
                "error_ci_high_a": s.error_ci_high,
                "slice_size_b": size_b,
                "slice_error_b": float(stats.slice_error[0]) if size_b else math.nan,
                "error_ci_low_b": float(stats.error_ci_low[0]) if size_b else math.nan,
                "error_ci_high_b": float(stats.error_ci_high[0]) if size_b else math.nan,
                "rest_error_b": float(stats.rest_error[0]),
                "p_value_b": float(stats.p_value[0]) if size_b else 1.0,
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    frame["error_change"] = frame["slice_error_b"] - frame["slice_error_a"]
    frame["p_value_adjusted_b"] = benjamini_hochberg(frame["p_value_b"].to_numpy())
    frame["significant_b"] = frame["p_value_adjusted_b"] <= fdr
    return frame[COMPARE_COLUMNS]


# -- differential search: the slices that got worse ------------------------------------------
def change_scan(
    new: SliceQueries,
    baseline: SliceQueries,
    *,
    features: Sequence[str] | None = None,
    paired: bool | str = "auto",
    ranking: str = "change",
    k: int = 10,
    max_predicates: int = 3,
    min_support: int | float = 0.01,
    alpha: float = 0.95,
    fdr: float = 0.05,
    confirm: bool | str = "auto",
    random_state: int | None = 0,
) -> ChangeFindings:
    """Search for the slices whose error rose more than the whole's from ``baseline`` to ``new``.

    Both sides are coded with the baseline's stored bins and categories (its typed
    predicates applied to the new side's raw columns), so a slice is the same
    description on both. ``paired="auto"`` pairs the sides when they are the same
    dataset (one dataset, two models). ``confirm="auto"`` searches a discovery split
    and measures the reported slices on held-out rows when each side has at least
    ``min_confirm_rows`` rows (as plain scans do). See :mod:`workbench.search._change`.
    """
    from workbench.search._change import ChangeSide, change_search
    from workbench.search._parameters import check_scan_parameters

    params = check_scan_parameters(
        {
            "k": k,
            "max_predicates": max_predicates,
            "min_support": min_support,
            "alpha": alpha,
            "fdr": fdr,
            "confirm": confirm,
            "random_state": random_state,
        },
        owner="Workbench.scan(baseline=...)",
    )
    if paired not in ("auto", True, False):
        raise ParameterError(
            "The 'paired' parameter of Workbench.scan(baseline=...) must be 'auto', True or "
            f"False. Got {paired!r} instead."
        )
    _check_same_metric(new, baseline)
    encoded = _shared_features(new, baseline, features)
    _check_same_labels(new, baseline)
    same_rows = new.evaluation["dataset_fingerprint"] == baseline.evaluation[
        "dataset_fingerprint"
    ] and int(new.evaluation["n_rows"]) == int(baseline.evaluation["n_rows"])
    if paired == "auto":
        paired = same_rows
    elif paired and not same_rows:
        raise DataError(
            "paired=True needs the same rows on both sides (one dataset, two models). Got "
            f"datasets {baseline.evaluation['dataset_name']!r} ({baseline.evaluation['n_rows']} "
            f"rows) and {new.evaluation['dataset_name']!r} ({new.evaluation['n_rows']} rows). "
            "Pass paired=False (or leave it 'auto') for two datasets."
        )
    names = [f.name for f in encoded]
    base_codes = baseline.store.load_codes(baseline.dataset_id, names)
    predicates = [list(f.predicates) for f in encoded]
    new_frame = new.store.read_dataset(new.dataset_id, names)
    new_columns, unseen = _code_with(encoded, new_frame)
    cards = [len(p) for p in predicates]
    for j, f in enumerate(encoded):
        if unseen[j]:
            cards[j] += 1
            predicates[j].append(_unseen_predicate(f.predicates, f.name))
    e_b, w_b = baseline.store.load_errors(baseline.eval_id)
    e_n, w_n = new.store.load_errors(new.eval_id)
    smaller = min(len(e_b), len(e_n))
    if params.confirm == "auto":
        use_split = smaller >= params.min_confirm_rows
    else:
        use_split = bool(params.confirm)
    searched = int(smaller * (1 - params.confirm_fraction)) if use_split else smaller
    result = change_search(
        ChangeSide(
            tuple(base_codes[:, j] for j in range(len(names))),
            e_b,
            None if np.all(w_b == 1.0) else w_b,
        ),
        ChangeSide(tuple(new_columns), e_n, None if np.all(w_n == 1.0) else w_n),
        cardinalities=cards,
        predicates=predicates,
        paired=bool(paired),
        ranking=ranking,
        alpha=params.alpha,
        k=params.k,
        max_predicates=params.max_predicates,
        min_support=params.min_support_rows(searched),
        fdr=params.fdr,
        confirm=use_split,
        confirm_fraction=params.confirm_fraction,
        random_state=params.random_state,
    )
    notes = list(result.notes)
    for j, f in enumerate(encoded):
        if unseen[j]:
            notes.append(
                f"{unseen[j]:,} new rows have a value of {f.name!r} that no baseline category "
                "covers; they form a category of their own, which no slice can be compared on."
            )
    parameters = {
        **dict(result.parameters),
        "features": names,
        "metric": new.evaluation["metric"],
        "baseline": {
            "dataset": baseline.evaluation["dataset_name"],
            "dataset_fingerprint": baseline.evaluation["dataset_fingerprint"],
            "model": baseline.evaluation["model_name"],
            "model_fingerprint": baseline.evaluation["model_fingerprint"],
        },
        "new": {
            "dataset": new.evaluation["dataset_name"],
            "dataset_fingerprint": new.evaluation["dataset_fingerprint"],
            "model": new.evaluation["model_name"],
            "model_fingerprint": new.evaluation["model_fingerprint"],
        },
    }
    return result.replace(parameters=FrozenDict(parameters), notes=tuple(notes))


def _check_same_metric(new: SliceQueries, baseline: SliceQueries) -> None:
    got, expected = new.evaluation["metric"], baseline.evaluation["metric"]
    if got != expected:
        raise ParameterError(
            f"The baseline was measured with the metric {expected!r}, the new side with "
            f"{got!r}: their errors cannot be compared. Expected the same metric on both sides. "
            f"Rebuild one side with metric={expected!r} (CLI: --metric {expected})."
        )


def _shared_features(
    new: SliceQueries, baseline: SliceQueries, features: Sequence[str] | None
) -> list[Any]:
    encoded = baseline.encoded_features()
    known = [f.name for f in encoded]
    if features is not None:
        for name in features:
            if name not in known:
                raise ColumnNotFoundError.for_column("baseline feature", name, known)
        encoded = [f for f in encoded if f.name in set(features)]
    available = set(new.store.dataset_columns(new.dataset_id))
    missing = [f.name for f in encoded if f.name not in available]
    if missing and (features is not None or len(missing) == len(encoded)):
        raise DataError(
            f"The new data lacks {len(missing)} of the baseline's slice features: "
            f"{', '.join(missing)}. Expected every compared feature on both sides. Add those "
            "columns to the new data, or pass features=[...] (CLI: --features) naming shared "
            "ones."
            + (
                " No slice definition is common to both sides."
                if not set(known) & available
                else ""
            )
        )
    if missing:
        raise DataError(
            f"The new data lacks {len(missing)} of the baseline's slice features: "
            f"{', '.join(missing)} (it has the other {len(encoded) - len(missing)}). Expected "
            "the same feature columns on both sides. Add the missing columns to the new data, "
            "or pass features=[...] (CLI: --features) to compare on the shared ones: "
            f"{', '.join(f.name for f in encoded if f.name in available)}."
        )
    if not encoded:
        raise DataError(
            "There is no slice definition common to both sides: the baseline has no searchable "
            "features. Expected at least one feature column binned on the baseline. Check "
            "baseline.features for why each column was left out."
        )
    return encoded


def _check_same_labels(new: SliceQueries, baseline: SliceQueries) -> None:
    if new.evaluation["metric_kind"] != "classification":
        return
    sets = []
    for side in (baseline, new):
        column = side.evaluation["label_column"]
        values = side.store.read_dataset(side.dataset_id, [column])[column].dropna()
        sets.append({_show(v) for v in values.unique()})
    base, got = sets
    if base != got:
        only_new = sorted(got - base)
        only_base = sorted(base - got)
        parts = []
        if only_new:
            parts.append(f"only in the new data: {', '.join(only_new)}")
        if only_base:
            parts.append(f"only in the baseline: {', '.join(only_base)}")
        raise LabelError(
            f"The two sides have different label sets ({'; '.join(parts)}). Expected the same "
            f"classes on both sides (baseline: {', '.join(sorted(base))}). Map the labels to "
            "one coding, or drop the classes one side lacks, before comparing."
        )


def _show(value: Any) -> str:
    """A label as people write it (``1``, not ``np.int64(1)``; ``1`` for ``1.0``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _code_with(encoded: Sequence[Any], frame: pd.DataFrame) -> tuple[list[np.ndarray], list[int]]:
    """The baseline's codes of the new rows (rows no category covers get one extra code)."""
    columns: list[np.ndarray] = []
    unseen: list[int] = []
    for f in encoded:
        codes = np.full(len(frame), -1, dtype=np.int64)
        for code, pred in enumerate(f.predicates):
            hit = predicates_mask([pred], frame) & (codes < 0)
            codes[hit] = code
        left = codes < 0
        codes[left] = len(f.predicates)
        columns.append(codes)
        unseen.append(int(left.sum()))
    return columns, unseen


def _unseen_predicate(predicates: Sequence[Predicate], feature: str) -> Predicate:
    listed = [v for p in predicates if p.op in ("eq", "in") for v in p.values]
    if listed and all(p.op in ("eq", "in", "missing") for p in predicates):
        return Predicate.not_in(feature, listed, label="not in baseline")
    return Predicate.missing(feature, label="not in baseline")
