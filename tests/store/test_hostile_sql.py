"""SQL text from findings, claims and stores is never executed: rows come from predicates.

Each test swaps the readable ``sql_where`` (and the per-predicate ``sql``) of a slice
for a hostile statement that would write a file if it ran, then checks that the rows
selected are exactly those of the typed predicates and that no file appeared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.findings import predicates_mask


def _hostile(target: Path) -> list[str]:
    quoted = str(target).replace("'", "''")
    return [
        f"TRUE; COPY (SELECT 42 AS x) TO '{quoted}' (FORMAT csv); --",
        "1=1) OR (SELECT count(*) FROM read_csv_auto('/etc/passwd')) > 0 OR (1=1",
        "TRUE UNION ALL SELECT * FROM read_text('/etc/passwd') --",
        "TRUE; ATTACH 'other.duckdb' AS o; INSTALL httpfs; LOAD httpfs; --",
    ]


@pytest.fixture
def bench(tmp_path: Path, rng: np.random.Generator) -> wb.Workbench:
    n = 3000
    frame = pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east"], n),
            "age": rng.integers(18, 80, n),
            "label": rng.integers(0, 2, n),
        }
    )
    bad = (frame["region"] == "south") & (frame["age"] > 50)
    wrong = rng.random(n) < np.where(bad, 0.5, 0.1)
    frame["pred"] = np.where(wrong, 1 - frame["label"], frame["label"])
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    bench = wb.Workbench.from_predictions(
        data, label="label", prediction="pred", path=tmp_path / "store.duckdb"
    )
    bench.scan(k=3)
    return bench


def _poisoned(record: dict, statement: str) -> dict:
    record = json.loads(json.dumps(record))
    record["sql_where"] = statement
    for p in record.get("predicate_details", record.get("predicates", [])):
        if isinstance(p, dict):
            p["sql"] = statement
    return record


def test_a_finding_with_hostile_sql_selects_its_predicates_rows(
    bench: wb.Workbench, tmp_path: Path
) -> None:
    top = bench.findings()[0]
    expected = bench.members(top)
    pwned = tmp_path / "pwned.csv"
    for statement in _hostile(pwned):
        forged = wb.Slice.from_dict(_poisoned(top.to_dict(), statement))
        assert forged.predicates == top.predicates
        assert forged.sql_where == top.sql_where  # rendered from the predicates again
        pd.testing.assert_frame_equal(bench.members(forged), expected)
        assert bench.evaluate(forged.predicates).slice_size == len(expected)
        assert bench.distributions(forged)["inside"].sum() > 0
        values = bench.error_values(forged)
        assert values.groupby("feature")["rows"].sum().eq(len(expected)).all()
    assert not pwned.exists()
    bench.close()


def test_a_stored_slice_with_hostile_sql_selects_its_predicates_rows(
    bench: wb.Workbench, tmp_path: Path
) -> None:
    top = bench.findings()[0]
    expected = bench.members(top)
    path = bench.path
    bench.close()
    pwned = tmp_path / "pwned.csv"
    statement = _hostile(pwned)[0]
    with duckdb.connect(path) as con:
        (payload,) = con.execute(
            "SELECT slice FROM scan_slices WHERE slice_id = ?", [top.slice_id]
        ).fetchone()
        poisoned = json.dumps(_poisoned(json.loads(payload), statement))
        con.execute(
            "UPDATE scan_slices SET sql_where = ?, slice = ? WHERE slice_id = ?",
            [statement, poisoned, top.slice_id],
        )
        con.execute("UPDATE feature_values SET sql = ?", [statement])
    with wb.Workbench.open(path) as reopened:
        pd.testing.assert_frame_equal(reopened.members(top.slice_id), expected)
        assert reopened.evaluate(top.predicates).slice_size == len(expected)
    out = tmp_path / "members.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "export",
            "--db",
            path,
            "--slice",
            top.slice_id,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out)) == len(expected)
    assert not pwned.exists()


def test_a_claim_with_hostile_sql_is_invalid_and_never_runs(
    bench: wb.Workbench, tmp_path: Path
) -> None:
    top = bench.findings()[0]
    claim = bench.claim(top)
    rows = bench.members({}).reset_index(drop=True)  # every row as given
    frame = rows.drop(columns=[c for c in rows.columns if c.startswith("_")])
    expected = int(predicates_mask(top.predicates, frame).sum())
    bench.close()
    pwned = tmp_path / "pwned.csv"
    # the untouched claim holds on its data
    assert wb.Workbench.verify_claim(claim, frame)["holds"]
    for statement in _hostile(pwned):
        forged = json.loads(json.dumps(claim))
        forged["slice"]["sql_where"] = statement
        with pytest.raises(wb.InvalidClaimError, match="SQL text does not match"):
            wb.Workbench.verify_claim(forged, frame)
        # a per-predicate SQL text is ignored altogether: the typed fields define the rows
        forged = json.loads(json.dumps(claim))
        for p in forged["slice"]["predicates"]:
            p["sql"] = statement
        assert wb.Workbench.verify_claim(forged, frame)["recomputed"]["slice_size"] == expected
    assert not pwned.exists()


def test_a_store_opened_twice_in_one_process_stays_hardened(bench: wb.Workbench) -> None:
    again = wb.Workbench.open(bench.path)
    assert again.n_rows == bench.n_rows
    for opened in (bench, again):
        with pytest.raises(duckdb.PermissionException):
            opened._store.con.execute("SELECT * FROM read_text('/etc/passwd')")
    again.close()
    bench.close()
