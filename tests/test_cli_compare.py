"""`workbench compare`: the differential scan from the command line (a real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT / "sample_data" / "adult" / "adult_test_predictions.parquet"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _site(seed: int, rise: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 2000
    df = pd.DataFrame({"site": rng.choice(["a", "b", "c"], n), "kit": rng.choice(["x", "y"], n)})
    df["y"] = rng.integers(0, 2, n)
    wrong = rng.random(n) < 0.1 + rise * ((df.site == "c") & (df.kit == "y"))
    df["p"] = np.where(wrong, 1 - df.y, df.y)
    return df


def test_compare_two_files_writes_both_sides_and_the_difference(tmp_path: Path) -> None:
    _site(0, 0.0).to_csv(tmp_path / "old.csv", index=False)
    _site(1, 0.3).to_csv(tmp_path / "new.csv", index=False)
    out = run(
        "compare",
        "old.csv",
        "new.csv",
        "--label",
        "y",
        "--prediction",
        "p",
        "--min-support",
        "30",
        "--out",
        "changes.csv",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "overall error" in out.stdout.splitlines()[0]
    table = pd.read_csv(tmp_path / "changes.csv")
    assert table.loc[0, "description"] == "all rows"
    assert table.loc[1, "description"] == "site = c AND kit = y"
    assert bool(table.loc[1, "significant"])
    for column in ("error_baseline", "error_new", "change", "change_ci_low", "p_value_adjusted"):
        assert column in table.columns
    row = table.loc[1]
    assert row["change"] == np.float64(row["error_new"] - row["error_baseline"])


def test_compare_two_models_on_one_file_is_paired(tmp_path: Path) -> None:
    out = run(
        "compare",
        str(ADULT),
        str(ADULT),
        "--label",
        "income",
        "--prediction",
        "pred_v1",
        "--prediction-new",
        "pred_v2",
        "--exclude",
        "proba_v1,proba_v2",
        "--top-k",
        "3",
        "--json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    import json

    payload = json.loads(out.stdout)
    assert payload["overall"]["paired"] is True
    assert payload["overall"]["test"] == "exact McNemar (paired)"


def test_compare_bad_input_is_one_message(tmp_path: Path) -> None:
    _site(0, 0.0).to_csv(tmp_path / "old.csv", index=False)
    _site(1, 0.0).drop(columns=["kit"]).to_csv(tmp_path / "new.csv", index=False)
    out = run("compare", "old.csv", "new.csv", "--label", "y", "--prediction", "p", cwd=tmp_path)
    assert out.returncode == 2
    assert "lacks 1 of the baseline's slice features: kit" in out.stderr
    assert "Traceback" not in out.stderr
