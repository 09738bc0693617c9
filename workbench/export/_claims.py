"""Self-contained claim files: one finding, its statistics, and what it was found on.

A claim is what an auditor hands in (for example to a bias-bounty programme): the
slice's typed predicates (with their description and SQL ``WHERE`` for people to
read; the SQL text is never executed, and a claim whose text and predicates disagree
is invalid), its size, error with confidence interval and
adjusted p-value, the scan's parameters, the fingerprints of the data and the model,
and the tool version. A model owner re-checks it on the same data with
``workbench verify CLAIM.json --data DATA``. Imports ``workbench.findings`` and
``workbench.exceptions`` only.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeGuard

from workbench.exceptions import InputFileError, InvalidClaimError, WorkbenchError
from workbench.findings import Findings, Predicate, Slice, render_where

__all__ = [
    "CLAIM_FORMAT",
    "check_claim",
    "check_content_hash",
    "claim_hash",
    "claim_predicates",
    "make_claim",
    "read_claim",
    "write_claim",
]

CLAIM_FORMAT = "slice-workbench-claim/1"
_FORMAT = re.compile(r"^slice-workbench-claim/(\d+)$")
_SECTIONS = ("slice", "statistics", "evaluation", "dataset", "model")

STATISTICS = (
    "slice_size",
    "slice_error",
    "error_ci_low",
    "error_ci_high",
    "rest_error",
    "overall_error",
    "error_ratio",
    "p_value",
    "p_value_adjusted",
    "p_value_correction",
    "significant",
    "statistics_on",
    "stats_size",
    "error_sum",
    "weight_sum",
    "size_in_data",
    "search_score",
    "discovery_size",
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
    claim: dict[str, Any] = {
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
            "parameters": _plain(findings.parameters),
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
    claim = json.loads(json.dumps(claim, allow_nan=False, default=str))
    claim["content_hash"] = claim_hash(claim)
    return claim


def claim_hash(claim: Mapping[str, Any]) -> str:
    """SHA-256 of a claim's content (every key but ``content_hash``), as ``sha256:<hex>``.

    The predicates are hashed in their typed form: the per-predicate SQL text is a
    rendering that is ignored when the claim is read, so it does not count.

    Examples
    --------
    >>> claim_hash({"a": 1, "content_hash": "x"}) == claim_hash({"a": 1})
    True
    """
    content = {k: v for k, v in claim.items() if k != "content_hash"}
    section = content.get("slice")
    if isinstance(section, Mapping) and isinstance(section.get("predicates"), list):
        try:
            typed = [Predicate.from_dict(p).to_dict() for p in section["predicates"]]
        except (WorkbenchError, TypeError, ValueError, AttributeError):
            typed = section["predicates"]
        content["slice"] = {**section, "predicates": typed}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    got = claim.get("claim_format") if isinstance(claim, dict) else type(claim).__name__
    version = _FORMAT.match(got) if isinstance(got, str) else None
    if version is None:
        raise InputFileError(
            f"{name} is not a Slice Workbench claim: expected claim_format {CLAIM_FORMAT!r}, "
            f"got {str(got)[:80]!r}."
        )
    if int(version.group(1)) > int(CLAIM_FORMAT.rsplit("/", 1)[1]):
        raise InvalidClaimError(
            f"{name} has the claim format {got!r}, newer than this release reads "
            f"({CLAIM_FORMAT!r}). Upgrade slice-workbench to verify it."
        )
    for key in _SECTIONS:
        if key not in claim:
            raise InputFileError(f"The claim {name} lacks its {key!r} section; it is incomplete.")
        if not isinstance(claim[key], Mapping):
            raise InvalidClaimError(
                f"The claim's {key!r} section must be a JSON object, got "
                f"{type(claim[key]).__name__}. The claim was edited or damaged."
            )
    for key in ("slice_size", "slice_error", "error_ci_low", "error_ci_high"):
        value = claim["statistics"].get(key)
        if value is not None and not _is_number(value):
            raise InvalidClaimError(
                f"The claim's statistics.{key} must be a number, got {str(value)[:40]!r}. "
                "The claim was edited or damaged."
            )
    return claim


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _plain(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else dict(value)


def claim_predicates(claim: Mapping[str, Any]) -> tuple[Predicate, ...]:
    """The claim's slice as typed predicates, checked against its own text.

    The predicates define the rows; the description and the SQL ``WHERE`` in the
    claim are renderings for people. A claim whose predicates are malformed, or whose
    description or SQL text differ from what its predicates say, is invalid (raises
    :class:`~workbench.exceptions.InvalidClaimError`): an edited SQL text never runs.
    """
    section = claim.get("slice")
    if not isinstance(section, Mapping) or not isinstance(section.get("predicates"), list):
        raise InvalidClaimError(
            "The claim's 'slice' section must hold a list of 'predicates'. Expected a claim "
            "written by Slice Workbench's claim export."
        )
    try:
        preds = tuple(Predicate.from_dict(p) for p in section["predicates"])
    except WorkbenchError as exc:
        raise InvalidClaimError(f"The claim's predicates are not valid: {exc}") from None
    described = " AND ".join(p.describe() for p in preds) or "all rows"
    if section.get("description") != described:
        raise InvalidClaimError(
            f"The claim is inconsistent: its description {section.get('description')!r} does "
            f"not match its predicates ({described!r}). It was edited after export; ask its "
            "author for the original file."
        )
    rendered = render_where(preds)
    if section.get("sql_where", rendered) != rendered:
        raise InvalidClaimError(
            "The claim is inconsistent: its SQL text does not match its predicates "
            f"({rendered!r}). The SQL text is never run; the claim was edited after export."
        )
    return preds


def check_content_hash(claim: Mapping[str, Any]) -> bool:
    """Raise InvalidClaimError when a claim's content hash does not match its content.

    Returns False when the claim carries no hash (written by an older release).
    """
    stored = claim.get("content_hash")
    if stored is None:
        return False
    if stored != claim_hash(claim):
        raise InvalidClaimError(
            "The claim's content does not match its content hash: it was changed after export "
            "(the hash covers every field but the per-predicate SQL). Ask its author for the "
            "original file."
        )
    return True


def check_claim(
    claim: Mapping[str, Any],
    recomputed: Mapping[str, float],
    *,
    level: float = 0.05,
    same_data: bool = False,
) -> dict[str, Any]:
    """Judge a claim against the figures recomputed on the data.

    ``recomputed`` holds ``slice_size``, ``slice_error``, ``rest_error``, ``p_value``,
    ``error_ci_low`` and ``error_ci_high`` of the claim's slice. The claim holds when
    the slice has rows, its error is significantly higher than the rest's at
    ``level`` (one-sided, uncorrected: the claim names one slice in advance) and at
    least the lower end of the claimed confidence interval.

    Returns a dict with ``holds``, ``same_data``, ``checks``, ``recomputed`` and a
    human ``report`` (list of lines).
    """
    evaluation = claim["evaluation"]
    claimed = claim["statistics"]
    size = int(recomputed["slice_size"])
    error = float(recomputed["slice_error"])
    rest = float(recomputed["rest_error"])
    p_value = float(recomputed["p_value"])
    claimed_low = claimed.get("error_ci_low")
    checks = {
        "slice has rows": size > 0,
        f"error above the rest (one-sided p <= {level:g})": size > 0 and p_value <= level,
        "error at least the claimed CI's lower end": (
            size > 0 and (claimed_low is None or error >= float(claimed_low) - 1e-12)
        ),
    }
    checks.update(_figure_checks(claimed, recomputed, same_data))
    holds = all(checks.values())
    data_line = (
        "same as the claim (fingerprint matches)"
        if same_data
        else "different from the claim (fingerprint differs)"
    )
    report = [
        f"Claim: {claim['slice']['description']}",
        f"  data: {data_line}",
        f"  slice rows: {size} (claimed {claimed.get('size_in_data', claimed.get('slice_size'))} "
        f"in the data, {claimed.get('slice_size')} on the {claimed.get('statistics_on')})",
        f"  slice {evaluation.get('metric', 'error')}: {error:.4f} vs rest {rest:.4f} "
        f"(claimed {claimed.get('slice_error')}, CI [{claimed.get('error_ci_low')}, "
        f"{claimed.get('error_ci_high')}])",
        f"  one-sided p-value: {p_value:.3g}",
    ]
    report += _differences(claimed, recomputed)
    if "content_hash" not in claim:
        report.append("  note: the claim has no content hash (written by an older release)")
    report += [f"  [{'ok' if ok else 'FAILED'}] {name}" for name, ok in checks.items()]
    report.append(
        "The claim HOLDS on this data." if holds else "The claim does NOT hold on this data."
    )
    return {
        "holds": holds,
        "same_data": same_data,
        "checks": checks,
        "recomputed": dict(recomputed),
        "report": report,
    }


def _figure_checks(
    claimed: Mapping[str, Any], recomputed: Mapping[str, float], same_data: bool
) -> dict[str, bool]:
    """Claimed figures the data cannot support make the claim fail."""
    checks: dict[str, bool] = {}
    # size_in_data counts the slice's rows in the whole data, slice_size those the
    # statistics are on (claims written before size_in_data counted all rows there)
    stats_size = claimed.get("slice_size")
    size = claimed.get("size_in_data", stats_size)
    error = claimed.get("slice_error")
    low, high = claimed.get("error_ci_low"), claimed.get("error_ci_high")
    n_rows = recomputed.get("n_rows")
    if _is_number(size) and n_rows is not None:
        within = 0 < size <= n_rows
        if _is_number(stats_size):
            within = within and 0 < stats_size <= size
        checks["claimed slice size within the data's rows"] = within
        if same_data:
            equal = int(size) == int(recomputed["slice_size"])
            if claimed.get("statistics_on") == "all rows" and _is_number(stats_size):
                equal = equal and int(stats_size) == int(recomputed["slice_size"])
            checks["claimed slice size equals the recomputed one"] = equal
    if _is_number(error):
        consistent = (
            not (_is_number(low) and _is_number(high)) or low - 1e-9 <= error <= high + 1e-9
        )
        error_sum, weight_sum = claimed.get("error_sum"), claimed.get("weight_sum")
        if _is_number(error_sum) and _is_number(weight_sum) and weight_sum > 0:
            consistent = consistent and math.isclose(
                error_sum / weight_sum, error, rel_tol=1e-9, abs_tol=1e-12
            )
        checks["claimed error agrees with the claim's own interval and sums"] = consistent
        r_low, r_high = recomputed.get("error_ci_low"), recomputed.get("error_ci_high")
        if _is_number(r_low) and _is_number(r_high):
            # The claim's figures may come from a held-out split, the recomputed ones from
            # all rows: they are supported when the two 95% intervals overlap.
            c_low, c_high = (low, high) if _is_number(low) and _is_number(high) else (error, error)
            checks["claimed interval overlaps the 95% interval recomputed on the data"] = (
                c_low <= r_high + 1e-9 and r_low <= c_high + 1e-9
            )
    return checks


_COMPARED = (
    ("slice_size", "slice rows"),
    ("slice_error", "slice error"),
    ("rest_error", "rest error"),
    ("overall_error", "overall error"),
    ("error_ci_low", "95% interval low"),
    ("error_ci_high", "95% interval high"),
    ("p_value", "p-value"),
)


def _differences(claimed: Mapping[str, Any], recomputed: Mapping[str, float]) -> list[str]:
    """One line per claimed figure: claimed, recomputed, and whether they differ."""
    on = claimed.get("statistics_on")
    lines = [
        "  figures (claimed"
        + (f" on the {on}" if isinstance(on, str) and on else "")
        + " -> recomputed on all rows of this data):"
    ]
    for key, label in _COMPARED:
        if key not in recomputed:
            continue
        mine = claimed.get(key)
        theirs = recomputed[key]
        if not _is_number(mine):
            lines.append(f"    {label}: not claimed -> {theirs:.6g}")
            continue
        same = math.isclose(float(mine), float(theirs), rel_tol=1e-9, abs_tol=1e-12)
        lines.append(
            f"    {label}: {float(mine):.6g} -> {float(theirs):.6g}"
            + ("" if same else f"  (differs by {float(theirs) - float(mine):+.3g})")
        )
    return lines
