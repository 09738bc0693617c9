"""Groups are data: from a mapping, a JSON file, a scan's Slice or a claim file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.bounty import as_group

FRAME = pd.DataFrame(
    {
        "sex": ["Female", "Female", "Male", None, "Female"],
        "age": [25, 30, 30, 31, np.nan],
        "job": ["a", "b", "c", "a", "b"],
    }
)


@pytest.mark.parametrize(
    ("group", "rows"),
    [
        ({"sex": "Female"}, [0, 1, 4]),
        ({"sex": "Female", "age": (26, 33)}, [1]),
        ({"age": (None, 30)}, [0]),
        ({"age": (30, None)}, [1, 2, 3]),
        ({"sex": None}, [3]),
        ({"age": None}, [4]),
        ({"job": ["a", "c"]}, [0, 2, 3]),
    ],
)
def test_conditions(group: dict[str, Any], rows: list[int]) -> None:
    assert np.flatnonzero(as_group(group).mask(FRAME)).tolist() == rows


def test_json_file_with_ranges_and_typed_predicates(tmp_path: Path) -> None:
    path = tmp_path / "group.json"
    path.write_text(json.dumps({"sex": "Female", "age": [26, 33]}))
    assert np.flatnonzero(as_group(path).mask(FRAME)).tolist() == [1]
    typed = as_group({"sex": "Female", "age": (26, 33)}).to_records()
    path.write_text(json.dumps(typed))
    assert as_group(path).key == as_group({"age": (26, 33), "sex": "Female"}).key
    # any SQL text in a predicate is ignored, never run
    typed[0]["sql"] = "1=1; DROP TABLE ledger"
    path.write_text(json.dumps(typed))
    assert np.flatnonzero(as_group(path).mask(FRAME)).tolist() == [1]


def test_bad_group_files(tmp_path: Path) -> None:
    path = tmp_path / "group.json"
    path.write_text("{not json")
    with pytest.raises(wb.InputFileError, match="not valid JSON"):
        as_group(path)
    path.write_text(json.dumps([{"feature": "age", "op": "between"}]))
    with pytest.raises(wb.ParameterError, match="op must be one of"):
        as_group(path)
    path.write_text(json.dumps("age > 3"))
    with pytest.raises(wb.InputFileError, match="not a group"):
        as_group(path)


def test_scan_slice_and_claim_become_groups(tmp_path: Path, data: Any) -> None:
    frame = data.X_train.assign(
        label=data.y_train.to_numpy(), prediction=data.base.predict(data.X_train)
    )
    bench = wb.Workbench.from_predictions(
        frame,
        label="label",
        prediction="prediction",
        features=["a", "b", "c", "d"],
        path=str(tmp_path / "scan.duckdb"),
    )
    findings = bench.scan(k=5)
    top = findings[0]
    group = as_group(top)
    assert set(group.features) == set(top.conditions)
    members = group.mask(data.X_train)
    assert members.sum() == top.size_in_data
    claim = tmp_path / "claim.json"
    bench.export_claim(top, claim)
    assert as_group(claim).key == group.key
    bounty = wb.Bounty.create(
        tmp_path / "bounty.duckdb",
        model=data.base,
        X=data.X_holdout,
        y=data.y_holdout,
        alpha=data.alpha,
        budget=data.budget,
    )
    result = bounty.submit(claim, data.model_for(members), submitter="auditor")
    assert result.report["group"] == group.description
