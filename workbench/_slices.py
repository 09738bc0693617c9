"""Named slices over one evaluation: statistics, member rows and distributions.

A slice is given as a :class:`~workbench.findings.Slice`, a stored slice id, a list of
predicates or a person's conditions (``{"sex": "Female", "age": (25, 35)}``). Its rows
are selected by the store from the typed predicates (the one SQL builder, values
bound); a condition that names a stored category uses that category's predicate, any
other value is a condition on the raw column. Imports the store, features, findings
and search statistics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import ColumnNotFoundError, EmptyDataError, ParameterError
from workbench.features._binning import EncodedFeature
from workbench.findings import Predicate, Slice, conditions_to_predicates
from workbench.search._parameters import scan_defaults
from workbench.store import Store

__all__ = ["SliceQueries", "SliceRef"]

SliceRef = Slice | str | Mapping[str, Any] | Sequence[Predicate]

_MOMENTS = ("size", "error_sum", "weight_sum", "error_sq_sum", "error_weight_sum", "weight_sq_sum")


class SliceQueries:
    """Questions about slices of one model's predictions on one dataset."""

    def __init__(self, store: Store, eval_id: int) -> None:
        self.store = store
        self.eval_id = eval_id
        self.evaluation = store.evaluation(eval_id)

    @property
    def dataset_id(self) -> int:
        return int(self.evaluation["dataset_id"])

    @property
    def overall_error(self) -> float:
        return float(self.evaluation["overall_error"])

    # -- features ----------------------------------------------------------------------------
    def stored_features(self) -> list[EncodedFeature]:
        """Every stored feature of the dataset (excluded ones too)."""
        feats, _ = self.store.load_features(self.dataset_id)
        return [
            EncodedFeature(
                f["name"], f["kind"], f["labels"], f["predicates"], f["interval"], f["note"]
            )
            for f in feats
        ]

    def encoded_features(self) -> list[EncodedFeature]:
        """The searchable features of this evaluation (excluded columns left out)."""
        excluded = set(self.evaluation["excluded"])
        return [f for f in self.stored_features() if f.name not in excluded]

    def features_table(self) -> pd.DataFrame:
        """The searchable features (kind, categories, note) and the skipped columns."""
        feats, skipped = self.store.load_features(self.dataset_id)
        excluded = set(self.evaluation["excluded"])
        rows = [
            {
                "feature": f["name"],
                "kind": f["kind"],
                "n_categories": len(f["labels"]),
                "categories": ", ".join(f["labels"][:8]) + (" ..." if len(f["labels"]) > 8 else ""),
                "note": f["note"],
            }
            for f in feats
            if f["name"] not in excluded
        ]
        rows += [
            {"feature": n, "kind": "skipped", "n_categories": 0, "categories": "", "note": why}
            for n, why in skipped
            if n not in excluded
        ]
        return pd.DataFrame(rows, columns=["feature", "kind", "n_categories", "categories", "note"])

    # -- naming slices -----------------------------------------------------------------------
    def predicates(
        self, conditions: Mapping[str, Any] | Sequence[Predicate]
    ) -> tuple[Predicate, ...]:
        """Typed predicates for a person's conditions.

        A string that is a stored category of the feature (``"[33, 41)"``, ``"other"``,
        ``"missing"``) means that category; any other value is a condition on the raw
        column (see :func:`~workbench.findings.conditions_to_predicates`).
        """
        if not isinstance(conditions, Mapping):
            if isinstance(conditions, str) or not isinstance(conditions, Sequence):
                raise ParameterError(
                    "Slice conditions must be a dict such as {'sex': 'Female', 'age': (26, 33)} "
                    f"or a list of Predicate. Got {type(conditions).__name__} instead."
                )
            return conditions_to_predicates(conditions)
        stored = {f.name: f for f in self.stored_features()}
        columns = self.store.dataset_columns(self.dataset_id)
        preds: list[Predicate] = []
        for feature, value in conditions.items():
            f = stored.get(feature)
            if f is not None and isinstance(value, str) and value in f.labels:
                preds.append(f.predicate(f.labels.index(value)))
                continue
            if feature not in columns:
                known = [c for c in columns if c in stored] or columns
                raise ColumnNotFoundError.for_column("feature", feature, known)
            preds.extend(conditions_to_predicates({feature: value}))
        return tuple(preds)

    def resolve(self, slice_or_id: SliceRef) -> Slice:
        if isinstance(slice_or_id, Slice):
            return slice_or_id
        if isinstance(slice_or_id, str):
            found, _ = self.store.find_slice(slice_or_id)
            return found
        # Only the definition is needed here; statistics come from evaluate().
        return Slice(
            self.predicates(slice_or_id), 0, 0.0, 0.0, math.nan, self.overall_error, math.nan
        )

    # -- statistics --------------------------------------------------------------------------
    def statistics(self, predicates: Sequence[Predicate]) -> tuple[dict[str, float], Any]:
        """Counts (by DuckDB over all stored rows) and statistics of one slice."""
        from workbench.search import SliceCounts, slice_statistics

        c = self.store.slice_counts(self.dataset_id, self.eval_id, predicates)

        def counts(prefix: str) -> SliceCounts:
            return SliceCounts(*(np.array([c[f"{prefix}_{n}"]]) for n in _MOMENTS))

        binary = bool(self.evaluation["binary_error"])
        return c, slice_statistics(counts("slice"), counts("total"), binary=binary)

    def evaluate(
        self, conditions: Mapping[str, Any] | Sequence[Predicate], *, fdr: float = 0.05
    ) -> Slice:
        """A person-named slice with statistics over all rows (p-value uncorrected)."""
        preds = self.predicates(conditions)
        c, stats = self.statistics(preds)
        if c["slice_size"] == 0:
            stored = {f.name: f for f in self.stored_features()}
            for p in preds:
                f = stored.get(p.feature)
                if f is not None and f.kind != "numeric" and p.op == "eq" and p not in f.predicates:
                    raise ParameterError(
                        f"{p.values[0]!r} is not a category of feature {p.feature!r}. "
                        f"Categories: {', '.join(f.labels)}."
                    )
            description = " AND ".join(p.describe() for p in preds) or "all rows"
            raise EmptyDataError(
                f"The slice {description} has no rows. Remove a condition or pick another category."
            )
        p_value = float(stats.p_value[0])
        binary = bool(self.evaluation["binary_error"])
        # the same floor as a scan's: the rows the slice's error rests on
        from workbench.search import error_rows

        rows = error_rows(
            np.array([c["slice_error_sum"]]), np.array([c["slice_error_sq_sum"]]), binary=binary
        )
        enough_errors = bool(rows[0] >= scan_defaults()["min_errors"])
        return Slice(
            predicates=preds,
            slice_size=int(c["slice_size"]),
            error_sum=c["slice_error_sum"],
            weight_sum=c["slice_weight_sum"],
            slice_error=float(stats.slice_error[0]),
            overall_error=self.overall_error,
            score=math.nan,
            error_ci_low=float(stats.error_ci_low[0]),
            error_ci_high=float(stats.error_ci_high[0]),
            rest_error=float(stats.rest_error[0]),
            p_value=p_value,
            # one hypothesis chosen by a person: nothing to adjust for, and never called so
            p_value_adjusted=math.nan,
            p_value_correction="uncorrected (slice chosen by a person)",
            significant=bool(p_value <= fdr and enough_errors),
            statistics_on="all rows",
            stats_size=int(c["slice_size"]),
            size_in_data=int(c["slice_size"]),
        )

    # -- groups ------------------------------------------------------------------------------
    def by_group(
        self,
        columns: Sequence[str],
        metrics: Sequence[Any] | None = None,
        *,
        pos_label: Any = None,
    ) -> pd.DataFrame:
        """Metrics per group of the features ``columns`` (intersections when several).

        Groups are the features' stored categories (bins for numbers, ``missing``);
        each metric is recomputed from the stored label and prediction as a ratio of
        sums (see :func:`workbench.search._groups.group_table`).
        """
        from workbench.metrics import get_metric
        from workbench.search._groups import group_table

        stored = {f.name: f for f in self.stored_features()}
        for name in columns:
            if name not in stored:
                raise ColumnNotFoundError.for_column("feature", name, list(stored))
        rows = self.store.members(self.dataset_id, self.eval_id, ())
        label, prediction = rows["_label"], rows["_prediction"]
        score = rows["_score"].to_numpy() if "_score" in rows else None
        names = list(metrics) if metrics else [self.evaluation["metric"]]
        measures = {}
        for name in names:
            metric = get_metric(name, pos_label=pos_label)
            error, weight = metric.compute(label, prediction, score)
            binary = metric.binary_error and bool(np.isin(weight, (0.0, 1.0)).all())
            measures[metric.name] = (error, weight, binary)
        codes = self.store.load_codes(self.dataset_id, list(columns))
        groups = pd.DataFrame(
            {
                name: np.asarray(stored[name].labels, dtype=object)[codes[:, j]]
                for j, name in enumerate(columns)
            }
        )
        return group_table(groups, measures)

    # -- rows --------------------------------------------------------------------------------
    def members(
        self, target: Slice, *, limit: int | None = None, offset: int = 0, worst_first: bool = False
    ) -> pd.DataFrame:
        return self.store.members(
            self.dataset_id,
            self.eval_id,
            target.predicates,
            limit=limit,
            offset=offset,
            order_by_error=worst_first,
        )

    def code_predicates(self, target: Slice) -> tuple[Predicate, ...] | None:
        """The slice as equalities on the stored integer codes (fast on large stores), or
        None when a predicate is not a stored category (then the raw columns are used)."""
        stored = {f.name: f for f in self.stored_features()}
        out = []
        for p in target.predicates:
            f = stored.get(p.feature)
            if f is None or p not in f.predicates:
                return None
            out.append(Predicate.eq(p.feature, f.predicates.index(p)))
        return tuple(out)

    def _marking(self, target: Slice) -> tuple[tuple[Predicate, ...], bool]:
        coded = self.code_predicates(target)
        if coded is not None:
            return coded, True
        return target.predicates, False

    def distributions(self, target: Slice) -> pd.DataFrame:
        """Share of each category of each feature inside vs outside the slice."""
        encoded = self.encoded_features()
        preds, on_codes = self._marking(target)
        counts = self.store.code_distributions(
            self.dataset_id, [f.name for f in encoded], preds, on_codes=on_codes
        )
        labels = {f.name: f.labels for f in encoded}
        counts["category"] = [
            labels[f][int(c)] for f, c in zip(counts["feature"], counts["code"], strict=True)
        ]
        inside_total = counts.groupby("feature")["inside"].transform("sum").replace(0, np.nan)
        outside_total = counts.groupby("feature")["outside"].transform("sum").replace(0, np.nan)
        counts["inside_share"] = counts["inside"] / inside_total
        counts["outside_share"] = counts["outside"] / outside_total
        order = {f.name: i for i, f in enumerate(encoded)}
        counts = counts.sort_values(
            ["feature", "code"], key=lambda s: s.map(order) if s.name == "feature" else s
        )
        return counts[
            ["feature", "category", "inside", "outside", "inside_share", "outside_share"]
        ].reset_index(drop=True)

    def error_values(self, target: Slice) -> pd.DataFrame:
        """Which values of each feature carry the slice's errors (over its rows in the data).

        Per (feature, category) inside the slice: ``rows``, ``error_sum``, ``weight_sum``,
        ``error`` (the value's error rate), ``error_share`` (its share of the slice's
        errors), ``slice_error`` (the slice's error on the same rows), the value's 95 %
        interval (Wilson for 0/1 errors, else NaN) and ``well_above``: its error is at
        least 1.25 times the slice's and, for 0/1 errors, its whole interval lies above
        the slice's error (otherwise: at least 20 rows).
        """
        from workbench.search._stats import wilson_interval

        encoded = self.encoded_features()
        preds, on_codes = self._marking(target)
        counts = self.store.code_errors(
            self.dataset_id, self.eval_id, [f.name for f in encoded], preds, on_codes=on_codes
        )
        labels = {f.name: f.labels for f in encoded}
        counts["category"] = [
            labels[f][int(c)] for f, c in zip(counts["feature"], counts["code"], strict=True)
        ]
        by_feature = counts.groupby("feature")
        total_error = by_feature["error_sum"].transform("sum")
        total_weight = by_feature["weight_sum"].transform("sum")
        error_sum = counts["error_sum"].astype(float)
        weight_sum = counts["weight_sum"].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            counts["error"] = np.where(weight_sum > 0, error_sum / weight_sum, np.nan)
            counts["error_share"] = np.where(total_error > 0, error_sum / total_error, np.nan)
            counts["slice_error"] = np.where(total_weight > 0, total_error / total_weight, np.nan)
        binary = bool(self.evaluation["binary_error"])
        if binary:
            low, high = wilson_interval(error_sum.to_numpy(), weight_sum.to_numpy())
            supported = low > counts["slice_error"].to_numpy()
        else:
            low = high = np.full(len(counts), np.nan)
            supported = counts["rows"].to_numpy() >= 20
        counts["error_ci_low"], counts["error_ci_high"] = low, high
        counts["well_above"] = (
            (counts["error"] >= 1.25 * counts["slice_error"]) & (counts["error"] > 0) & supported
        ).fillna(False)
        order = {f.name: i for i, f in enumerate(encoded)}
        counts = counts.sort_values(
            ["feature", "code"], key=lambda s: s.map(order) if s.name == "feature" else s
        )
        return counts[
            [
                "feature",
                "category",
                "rows",
                "error_sum",
                "weight_sum",
                "error",
                "error_share",
                "slice_error",
                "error_ci_low",
                "error_ci_high",
                "well_above",
            ]
        ].reset_index(drop=True)

    def confusion(self, target: Slice) -> pd.DataFrame:
        preds, on_codes = self._marking(target)
        return self.store.confusion(self.dataset_id, self.eval_id, preds, on_codes=on_codes)

    def error_histogram(self, target: Slice, bins: int = 20) -> pd.DataFrame:
        preds, on_codes = self._marking(target)
        return self.store.error_histogram(
            self.dataset_id, self.eval_id, preds, bins, on_codes=on_codes
        )
