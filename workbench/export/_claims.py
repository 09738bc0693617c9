"""Self-contained claim files: one finding, its statistics, and what it was found on.

A claim is what an auditor hands in (for example to a bias-bounty programme): the
slice's predicates and SQL ``WHERE``, its size, error with confidence interval and
adjusted p-value, the scan's parameters, the fingerprints of the data and the model,
and the tool version. A model owner re-checks it on the same data with
``workbench verify CLAIM.json --data DATA``. Imports ``workbench.findings`` and
``workbench.exceptions`` only.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbench.exceptions import InputFileError
from workbench.findings import Findings, Predicate, Slice

__all__ = ["CLAIM_FORMAT", "make_claim", "read_claim", "write_claim"]

CLAIM_FORMAT = "slice-workbench-claim/1"

STATISTICS = (
    "slice_size",
    "slice_error",
    "error_ci_low",
    "error_ci_high",
    "rest_error",
    "overall_error",
    "error_ratio",
    "score",
    "p_value",
    "p_value_adjusted",
    "significant",
    "statistics_on",
    "stats_size",
    "error_sum",
    "weight_sum",
)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        return value.item()
    except AttributeError:
        return value


def make_claim(
    slice_: Slice,
    findings: Findings,
    *,
    dataset: Mapping[str, Any],
    model: Mapping[str, Any],
    evaluation: Mapping[str, Any],
    note: str = "",
) -> dict[str, Any]:
    """Build the claim for one slice of a scan (a JSON-ready dict).

    Parameters
    ----------
    slice_ : Slice
        The finding.
    findings : Findings
        The scan it came from (parameters, provenance, notes).
    dataset, model, evaluation : mapping
        Facts about the data (name, fingerprint, rows, columns), the model (name,
        fingerprint, kind) and how errors were computed (label, prediction and score
        columns, metric).
    note : str
        The auditor's own words about the finding.
    """
    stats = {name: _clean(getattr(slice_, name)) for name in STATISTICS}
    return {
        "claim_format": CLAIM_FORMAT,
        "title": f"Higher {evaluation.get('metric', 'error')} for {slice_.description}",
        "note": note or slice_.flag_note,
        "slice": {
            "slice_id": slice_.slice_id,
            "description": slice_.description,
            "sql_where": slice_.sql_where,
            "predicates": [p.to_dict() for p in slice_.predicates],
        },
        "statistics": stats,
        "scan": {
            "scan_id": findings.scan_id,
            "created_at": findings.created_at,
            "parameters": dict(findings.parameters),
            "n_rows": findings.n_rows,
            "n_evaluated": findings.n_evaluated,
            "notes": list(findings.notes),
        },
        "dataset": dict(dataset),
        "model": dict(model),
        "evaluation": dict(evaluation),
        "workbench_version": findings.workbench_version,
        "verify_with": "workbench verify CLAIM.json --data DATA",
    }


def write_claim(claim: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a claim as indented UTF-8 JSON and return the path."""
    target = Path(path)
    target.write_text(
        json.dumps(claim, indent=2, allow_nan=False, default=str) + "\n", encoding="utf-8"
    )
    return target


def read_claim(source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """Read and check a claim file (or dict); raise InputFileError if it is not one."""
    if isinstance(source, Mapping):
        claim = dict(source)
        name = "the claim"
    else:
        path = Path(source)
        name = repr(str(path))
        if not path.is_file():
            raise InputFileError(f"The claim file {name} does not exist. Check the path.")
        try:
            claim = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputFileError(
                f"The claim file {name} is not valid JSON ({exc}). Expected a file written by "
                "Slice Workbench's claim export."
            ) from None
    if not isinstance(claim, dict) or claim.get("claim_format") != CLAIM_FORMAT:
        got = claim.get("claim_format") if isinstance(claim, dict) else type(claim).__name__
        raise InputFileError(
            f"{name} is not a Slice Workbench claim: expected claim_format {CLAIM_FORMAT!r}, "
            f"got {got!r}."
        )
    for key in ("slice", "statistics", "evaluation", "dataset", "model"):
        if key not in claim:
            raise InputFileError(f"The claim {name} lacks its {key!r} section; it is incomplete.")
    return claim


def claim_predicates(claim: Mapping[str, Any]) -> tuple[Predicate, ...]:
    return tuple(Predicate.from_dict(p) for p in claim["slice"]["predicates"])
