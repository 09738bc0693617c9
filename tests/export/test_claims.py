"""Claim files: self-contained, and re-checkable with `workbench verify`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb


@pytest.fixture
def scanned(tmp_path: Path, rng: np.random.Generator) -> tuple[wb.Workbench, pd.DataFrame, Path]:
    n = 5000
    frame = pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east", "west"], n),
            "device": rng.choice(["phone", "laptop"], n),
            "label": rng.integers(0, 2, n),
        }
    )
    bad = (frame["region"] == "south") & (frame["device"] == "phone")
    wrong = rng.random(n) < np.where(bad, 0.45, 0.1)
    frame["pred"] = np.where(wrong, 1 - frame["label"], frame["label"])
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    bench = wb.Workbench.from_predictions(
        data, label="label", prediction="pred", path=tmp_path / "s.duckdb"
    )
    bench.scan(k=3)
    return bench, frame, data


def test_claim_is_self_contained(
    scanned: tuple[wb.Workbench, pd.DataFrame, Path], tmp_path: Path
) -> None:
    bench, _, _ = scanned
    top = bench.findings()[0]
    path = bench.export_claim(top, tmp_path / "claim.json", note="phones in the south")
    claim = json.loads(path.read_text())
    assert claim["slice"]["sql_where"] == top.sql_where
    assert claim["statistics"]["slice_size"] == top.slice_size
    assert claim["statistics"]["p_value_adjusted"] == pytest.approx(top.p_value_adjusted)
    assert claim["dataset"]["fingerprint"] == bench.dataset_fingerprint
    assert claim["model"]["fingerprint"] == bench.model_fingerprint
    assert claim["scan"]["parameters"]["k"] == 3
    assert claim["note"] == "phones in the south"
    assert claim["workbench_version"] == wb.__version__
    bench.close()


def test_verify_holds_on_same_data_and_fails_when_fixed(
    scanned: tuple[wb.Workbench, pd.DataFrame, Path], tmp_path: Path
) -> None:
    bench, frame, data = scanned
    top = bench.findings()[0]
    assert top.conditions == {"region": "south", "device": "phone"}
    claim = bench.export_claim(top, tmp_path / "claim.json")
    bench.close()

    ok = subprocess.run(
        [sys.executable, "-m", "workbench", "verify", str(claim), "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "HOLDS" in ok.stdout and "same as the claim" in ok.stdout

    inside = (frame["region"] == "south") & (frame["device"] == "phone")
    fixed = frame.assign(pred=np.where(inside, frame["label"], frame["pred"]))
    fixed_path = tmp_path / "fixed.csv"
    fixed.to_csv(fixed_path, index=False)
    bad = subprocess.run(
        [sys.executable, "-m", "workbench", "verify", str(claim), "--data", str(fixed_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "does NOT hold" in bad.stdout and "fingerprint differs" in bad.stdout


def test_verify_rejects_what_is_not_a_claim(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(wb.InputFileError, match="not a Slice Workbench claim"):
        wb.Workbench.verify_claim(path, pd.DataFrame({"a": [1]}))
