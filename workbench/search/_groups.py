"""Metrics per group: one row per group (or intersection of groups) with intervals.

The one job of this module is the group table behind ``Workbench.by_group``: for
each group, its row count and, per metric, the ratio of sums
``sum(error) / sum(weight)`` over the group's rows, its 95 % interval (Wilson for
0/1 errors, the t-interval of the ratio estimator otherwise), and its difference
and ratio to the value over all rows. The numbers equal Fairlearn's
``MetricFrame.by_group`` for the same metrics. Imports numpy, pandas and the sibling
``_stats`` module.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from workbench.search._stats import ratio_interval, wilson_interval

__all__ = ["group_table"]

#: The columns each metric adds to the group table, after its own value column.
METRIC_SUFFIXES = ("ci_low", "ci_high", "difference", "ratio", "denominator")


def group_table(
    groups: pd.DataFrame,
    measures: Mapping[str, tuple[np.ndarray, np.ndarray, bool]],
) -> pd.DataFrame:
    """One row per combination of the values of ``groups``' columns, with each metric.

    Parameters
    ----------
    groups : pandas.DataFrame
        One column per grouping feature, one row per data row; missing values form
        a group of their own.
    measures : mapping of str to (error, weight, binary)
        Per metric: per-row error and weight (0 for rows the metric is not measured
        on) and whether errors are 0/1 with 0/1 weights.

    Returns
    -------
    pandas.DataFrame
        The group columns, ``count`` (rows of the group), then for each metric ``m``:
        ``m`` (its value on the group), ``m_ci_low``, ``m_ci_high`` (95 % interval),
        ``m_difference`` and ``m_ratio`` (to the overall value) and ``m_denominator``
        (sum of its weights: the rows it is measured on). The overall values are in
        ``frame.attrs["overall"]``.

    Examples
    --------
    >>> groups = pd.DataFrame({"sex": ["F", "F", "M", "M"]})
    >>> error = np.array([1.0, 0.0, 0.0, 0.0])
    >>> table = group_table(groups, {"error_rate": (error, np.ones(4), True)})
    >>> table[["sex", "count", "error_rate", "error_rate_difference"]]
      sex  count  error_rate  error_rate_difference
    0   F      2         0.5                   0.25
    1   M      2         0.0                  -0.25
    """
    columns = list(groups.columns)
    grouped = groups.groupby(columns, dropna=False, sort=True, observed=True)
    codes = grouped.ngroup().to_numpy()
    keys = grouped.size().reset_index().drop(columns=0)
    n_groups = len(keys)
    out = keys.astype(object).where(keys.notna(), None)
    out["count"] = np.bincount(codes, minlength=n_groups)
    overall: dict[str, float] = {}
    for name, (error, weight, binary) in measures.items():
        e = np.asarray(error, dtype=np.float64)
        w = np.asarray(weight, dtype=np.float64)
        error_sum = np.bincount(codes, weights=e, minlength=n_groups)
        weight_sum = np.bincount(codes, weights=w, minlength=n_groups)
        total = float(e.sum() / w.sum()) if w.sum() > 0 else np.nan
        overall[name] = total
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(weight_sum > 0, error_sum / weight_sum, np.nan)
        if binary:
            low, high = wilson_interval(error_sum, weight_sum)
        else:
            measured = (w > 0).astype(np.float64)
            low, high = ratio_interval(
                np.bincount(codes, weights=measured, minlength=n_groups),
                error_sum,
                weight_sum,
                np.bincount(codes, weights=e * e, minlength=n_groups),
                np.bincount(codes, weights=e * w, minlength=n_groups),
                np.bincount(codes, weights=w * w, minlength=n_groups),
            )
        out[name] = value
        out[f"{name}_ci_low"] = low
        out[f"{name}_ci_high"] = high
        out[f"{name}_difference"] = value - total
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{name}_ratio"] = value / total if total else np.nan
        out[f"{name}_denominator"] = weight_sum
    out.attrs["overall"] = overall
    return out
