"""The `workbench` command, run as a real subprocess on the bundled sample data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT / "sample_data" / "adult" / "adult_test_predictions.parquet"
# The sample's columns: label, the first model's prediction and score, the second model left out.
ADULT_COLUMNS = (
    "--label",
    "income",
    "--prediction",
    "pred_v1",
    "--score",
    "proba_v1",
    "--exclude",
    "pred_v2,proba_v2",
)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def scanned(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    work = tmp_path_factory.mktemp("cli")
    out = run(
        "scan",
        str(ADULT),
        *ADULT_COLUMNS,
        "--db",
        "audit.duckdb",
        "--out",
        "slices.csv",
        "--top-k",
        "5",
        "--json",
        cwd=work,
    )
    return work, out


def test_scan_writes_csv_json_and_store(
    scanned: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    work, out = scanned
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    assert len(records) >= 5
    for record in records:
        assert set(record) >= {"predicates", "score", "slice_size", "slice_error", "error_sum"}
        assert isinstance(record["predicates"], dict)
    frame = pd.read_csv(work / "slices.csv")
    assert list(frame.columns) == list(wb.FINDINGS_COLUMNS)
    assert len(frame) == len(records)
    assert frame["significant"].any()
    assert "metric error_rate" in out.stderr


def test_export_members(scanned: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    work, _ = scanned
    slices = pd.read_csv(work / "slices.csv")
    first = slices.iloc[0]
    out = run(
        "export",
        "--db",
        "audit.duckdb",
        "--slice",
        first["slice_id"],
        "--out",
        "members.csv",
        cwd=work,
    )
    assert out.returncode == 0, out.stderr
    members = pd.read_csv(work / "members.csv")
    assert len(members) == first["size_in_data"]


def test_scans_and_show(scanned: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    work, _ = scanned
    out = run("scans", "--db", "audit.duckdb", cwd=work)
    assert out.returncode == 0 and "scan1" in out.stdout
    out = run("show", "--db", "audit.duckdb", cwd=work)
    assert out.returncode == 0 and "scan1.s1" in out.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["scan", "missing.csv", "--label", "y", "--prediction", "p"], "does not exist"),
        (
            ["scan", str(ADULT), "--label", "incme", "--prediction", "pred_v1"],
            "Did you mean 'income'",
        ),
        (
            ["scan", str(ADULT), "--label", "income", "--prediction", "pred_v1", "--top-k", "0"],
            "'k' parameter",
        ),
        (
            ["export", "--db", "nowhere.duckdb", "--slice", "scan1.s1", "--out", "x.csv"],
            "does not exist",
        ),
    ],
)
def test_errors_without_traceback(tmp_path: Path, args: list[str], fragment: str) -> None:
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert fragment in out.stderr
    assert "Traceback" not in out.stderr


def test_scan_distinct_drops_near_duplicates(tmp_path: Path) -> None:
    out = run(
        "scan",
        str(ADULT),
        "--label",
        "income",
        "--prediction",
        "pred_v1",
        "--exclude",
        "pred_v2,proba_v2,proba_v1",
        "--db",
        "d.duckdb",
        "--top-k",
        "10",
        "--json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    # the scan lists distinct groups and refills to k
    assert len(records) == 10
    exact = run(*out.args[3:], "--exact", cwd=tmp_path)
    assert exact.returncode == 0, exact.stderr
    sliceline = json.loads(exact.stdout)
    assert len(sliceline) == 10 and sliceline != records


def test_scan_refuses_a_min_support_with_the_message_python_gives(tmp_path: Path) -> None:
    out = run(
        "scan",
        str(ADULT),
        "--label",
        "income",
        "--prediction",
        "pred_v1",
        "--min-support",
        "2.7",
        "--db",
        ":memory:",
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert (
        "The 'min_support' parameter of SliceSearch must be a whole number >= 1 or a float "
        "in (0, 1). Got 2.7 instead." in out.stderr
    )


def test_scan_engine_flags_give_the_same_slices(
    scanned: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    _, first = scanned
    out = run(
        "scan",
        str(ADULT),
        *ADULT_COLUMNS,
        "--db",
        "engines.duckdb",
        "--top-k",
        "5",
        "--engine",
        "duckdb",
        "--memory-limit",
        "1GB",
        "--n-jobs",
        "2",
        "--json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    keys = ("predicates", "slice_size", "p_value")
    streamed = [[r[k] for k in keys] for r in json.loads(out.stdout)]
    assert streamed == [[r[k] for k in keys] for r in json.loads(first.stdout)]
    with wb.Workbench.open(tmp_path / "engines.duckdb") as bench:
        notes = bench.findings().notes
    assert any(n.startswith("Counted with duckdb: engine='duckdb' was asked for") for n in notes)


def test_scan_of_a_saved_store_streams_it_when_it_does_not_fit(
    scanned: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    work, first = scanned
    # A store needs no --label/--prediction; a tiny memory limit makes auto take DuckDB.
    out = run("scan", "audit.duckdb", "--top-k", "5", "--memory-limit", "1000", "--json", cwd=work)
    assert out.returncode == 0, out.stderr
    keys = ("predicates", "slice_size", "p_value")
    again = [[r[k] for k in keys] for r in json.loads(out.stdout)]
    assert again == [[r[k] for k in keys] for r in json.loads(first.stdout)]
    with wb.Workbench.open(work / "audit.duckdb") as bench:
        assert len(bench.scan_ids()) == 2
        notes = bench.findings().notes
    assert any(n.startswith("Counted with duckdb: the codes would need") for n in notes)
    missing = run("scan", str(ADULT), "--label", "income", cwd=work)
    assert missing.returncode == 2 and "without --prediction" in missing.stderr


def test_scan_on_data_too_small_for_findings_says_so(tmp_path: Path) -> None:
    # 172 rows with one error: nothing is significant and the first thing printed says why
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "species": rng.choice(["Adelie", "Gentoo", "Chinstrap"], 172),
            "island": rng.choice(["Biscoe", "Dream"], 172),
            "label": rng.choice(["a", "b"], 172),
        }
    )
    frame["pred"] = frame["label"]
    frame.loc[3, "pred"] = "b" if frame.loc[3, "label"] == "a" else "a"
    frame.to_csv(tmp_path / "tiny.csv", index=False)
    out = run(
        "scan",
        "tiny.csv",
        "--label",
        "label",
        "--prediction",
        "pred",
        "--db",
        ":memory:",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1].startswith("The data cannot support findings: the 172 rows hold 1 error")
    assert " yes " not in out.stdout
