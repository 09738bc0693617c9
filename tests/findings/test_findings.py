"""Findings are frozen values with a stable table shape."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

import workbench as wb


def make(n: int = 2) -> wb.Findings:
    slices = tuple(
        wb.Slice(
            predicates=(
                wb.Predicate("sex", "Female"),
                wb.Predicate.range("age", 26, 33),
            ),
            slice_size=100 + i,
            error_sum=30.0,
            weight_sum=100.0,
            slice_error=0.3,
            overall_error=0.1,
            score=1.5,
            slice_id=f"scan1.s{i + 1}",
        )
        for i in range(n)
    )
    return wb.Findings(slices=slices, overall_error=0.1, n_rows=1000, scan_id="scan1")


def test_frame_has_fixed_columns_even_when_empty() -> None:
    assert list(make().to_frame().columns) == list(wb.FINDINGS_COLUMNS)
    assert list(make(0).to_frame().columns) == list(wb.FINDINGS_COLUMNS)


def test_values_are_frozen() -> None:
    findings = make()
    with pytest.raises(dataclasses.FrozenInstanceError):
        findings[0].slice_size = 3  # type: ignore[misc]
    changed = findings[0].replace(slice_size=3)
    assert changed.slice_size == 3 and findings[0].slice_size == 100


def test_description_sql_and_json() -> None:
    s = make()[0]
    assert s.description == "sex = Female AND age in [26, 33)"
    assert s.sql_where == '"sex" = \'Female\' AND ("age" >= 26 AND "age" < 33 AND NOT isnan("age"))'
    assert math.isclose(s.error_ratio, 3.0)
    record = json.loads(make().to_json())[0]
    assert record["predicates"] == {"sex": "Female", "age": "[26, 33)"}
    assert wb.Slice.from_dict(record).to_dict() == json.loads(json.dumps(s.to_dict()))


def test_get_unknown_slice() -> None:
    with pytest.raises(wb.SliceNotFoundError, match="No slice with id 'nope'"):
        make().get("nope")
