"""Claims: gather one stored finding into a claim, and re-check a claim on data.

``claim_for`` collects a stored slice, its scan and the facts about its data and model
for :func:`workbench.export.make_claim`; ``verify_claim`` loads the data handed in
(in memory), selects the claim's rows from its typed predicates (never its SQL text)
and has :func:`workbench.export.check_claim` judge every claimed figure. Imports
``_io``, ``_ingest``, ``_slices``, the store and ``export``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from workbench._ingest import fingerprint_frame, ingest_predictions, require_columns
from workbench._io import read_table
from workbench._slices import SliceQueries
from workbench.exceptions import ParameterError
from workbench.export import (
    check_claim,
    check_content_hash,
    claim_predicates,
    make_claim,
    read_claim,
)
from workbench.store import Store

__all__ = ["claim_for", "verify_claim"]


def claim_for(store: Store, slice_id: str, note: str = "") -> dict[str, Any]:
    """The claim (a JSON-ready dict) for a slice of a scan saved in ``store``."""
    if not slice_id:
        raise ParameterError(
            "Only slices of a saved scan can be claimed (this one has no slice_id). "
            "Run bench.scan() and pick a slice from its findings."
        )
    found, scan_id = store.find_slice(slice_id)
    findings, eval_id = store.load_scan(scan_id)
    evaluation = store.evaluation(eval_id)
    dataset = store.dataset(int(evaluation["dataset_id"]))
    return make_claim(
        found,
        findings,
        dataset={
            "name": dataset["name"],
            "fingerprint": dataset["fingerprint"],
            "n_rows": dataset["n_rows"],
            "source": dataset["source"],
            "columns": store.dataset_columns(int(evaluation["dataset_id"])),
        },
        model={
            "name": evaluation["model_name"],
            "fingerprint": evaluation["model_fingerprint"],
            "kind": evaluation["model_kind"],
        },
        evaluation={
            "label_column": evaluation["label_column"],
            "prediction_column": evaluation["prediction_column"],
            "score_column": evaluation["score_column"],
            "metric": evaluation["metric"],
            "overall_error": evaluation["overall_error"],
        },
        note=note,
    )


def verify_claim(
    claim: str | os.PathLike[str] | Mapping[str, Any],
    data: Any,
    *,
    label: str | None = None,
    prediction: str | None = None,
    level: float = 0.05,
    **read_options: Any,
) -> dict[str, Any]:
    """Re-check a claim on data (see ``Workbench.verify_claim``)."""
    claim = read_claim(claim)
    predicates = claim_predicates(claim)
    check_content_hash(claim)
    evaluation = claim["evaluation"]
    label = label or evaluation.get("label_column")
    prediction = prediction or evaluation.get("prediction_column")
    if not prediction:
        raise ParameterError(
            "The claim was made from a model's predictions, so the data must carry the "
            "predictions: pass prediction='<column>' (CLI: --prediction COL)."
        )
    frame = read_table(data, **{k: v for k, v in read_options.items() if v is not None})
    same_data = fingerprint_frame(frame) == claim["dataset"].get("fingerprint")
    features = sorted({p.feature for p in predicates})
    require_columns(frame, "slice feature", features)
    require_columns(frame, "label", [str(label)])
    require_columns(frame, "prediction", [str(prediction)])
    score = evaluation.get("score_column")
    loaded = ingest_predictions(
        frame,
        label=str(label),
        prediction=str(prediction),
        score=score if score in frame.columns else None,
        metric=evaluation.get("metric"),
        features=features,
        path=":memory:",
        # Rows without label or prediction have no error; a claim made after dropping
        # them must still be checkable on the data as it was handed in.
        missing="drop",
    )
    try:
        c, stats = SliceQueries(loaded.store, loaded.eval_id).statistics(predicates)
    finally:
        loaded.store.close()
    size = int(c["slice_size"])
    recomputed = {
        "slice_size": size,
        "slice_error": float(stats.slice_error[0]) if size else float("nan"),
        "rest_error": float(stats.rest_error[0]),
        "p_value": float(stats.p_value[0]) if size else 1.0,
        "error_ci_low": float(stats.error_ci_low[0]),
        "error_ci_high": float(stats.error_ci_high[0]),
        "n_rows": int(c["total_size"]),
        "overall_error": (
            float(c["total_error_sum"] / c["total_weight_sum"])
            if c["total_weight_sum"]
            else float("nan")
        ),
    }
    return check_claim(claim, recomputed, level=level, same_data=same_data)
