"""`workbench verify`: exit 0 holds, 1 does not hold, 2 invalid claim (one line); every
claimed figure is recomputed; edited, inflated or hostile claims never pass and never run."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.export import claim_hash


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, pd.DataFrame]:
    rng = np.random.default_rng(11)
    n = 4000
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
    folder = tmp_path_factory.mktemp("verify")
    data = folder / "data.csv"
    frame.to_csv(data, index=False)
    with wb.Workbench.from_predictions(
        data, label="label", prediction="pred", path=":memory:"
    ) as b:
        findings = b.scan(k=3)
        claim = b.claim(findings[0])
    return claim, data, frame


def _verify(
    claim: dict[str, Any] | str, data: Path, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "claim.json"
    path.write_text(claim if isinstance(claim, str) else json.dumps(claim))
    return subprocess.run(
        [sys.executable, "-m", "workbench", "verify", str(path), "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _rehash(claim: dict[str, Any]) -> dict[str, Any]:
    claim["content_hash"] = claim_hash(claim)
    return claim


def test_claims_carry_a_content_hash_and_hold(
    made: tuple[dict[str, Any], Path, pd.DataFrame], tmp_path: Path
) -> None:
    claim, data, _ = made
    assert claim["content_hash"] == claim_hash(claim)
    done = _verify(claim, data, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "slice rows:" in done.stdout and "-> recomputed" in done.stdout


def test_fixed_model_does_not_hold(
    made: tuple[dict[str, Any], Path, pd.DataFrame], tmp_path: Path
) -> None:
    claim, _, frame = made
    fixed = tmp_path / "fixed.csv"
    frame.assign(pred=frame["label"]).to_csv(fixed, index=False)
    done = _verify(claim, fixed, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "does NOT hold" in done.stdout


def _edit(path: tuple[str, str], value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def edit(claim: dict[str, Any]) -> dict[str, Any]:
        claim[path[0]][path[1]] = value
        return claim

    return edit


INFLATED = [
    ("size 999,999", _edit(("statistics", "slice_size"), 999_999), "claimed slice size within"),
    (
        "size off by one",  # the size in the data: the held-out count needs the split
        lambda c: _edit(("statistics", "size_in_data"), c["statistics"]["size_in_data"] + 1)(c),
        "equals the recomputed",
    ),
    ("error 0.99", _edit(("statistics", "slice_error"), 0.99), "own interval and sums"),
    (
        "error and interval 0.99",
        lambda c: _edit(("statistics", "error_ci_high"), 0.995)(
            _edit(("statistics", "error_ci_low"), 0.98)(
                _edit(("statistics", "slice_error"), 0.99)(
                    _edit(("statistics", "error_sum"), None)(c)
                )
            )
        ),
        "overlaps the 95% interval",
    ),
]


@pytest.mark.parametrize(
    ("edit", "failed"), [c[1:] for c in INFLATED], ids=[c[0] for c in INFLATED]
)
def test_inflated_figures_fail(
    made: tuple[dict[str, Any], Path, pd.DataFrame],
    tmp_path: Path,
    edit: Callable[[dict[str, Any]], dict[str, Any]],
    failed: str,
) -> None:
    claim, data, _ = made
    forged = _rehash(edit(json.loads(json.dumps(claim))))  # a careful forger rehashes
    done = _verify(forged, data, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[FAILED] " in done.stdout and failed in done.stdout
    assert "(differs by" in done.stdout


def _hostile_sql(c: dict[str, Any]) -> dict[str, Any]:
    c["slice"]["sql_where"] = "TRUE; COPY (SELECT 1) TO 'pwned.csv'; --"
    return _rehash(c)


def _hostile_description(c: dict[str, Any]) -> dict[str, Any]:
    c["slice"]["description"] = "region = north"
    return _rehash(c)


def _hostile_predicate(c: dict[str, Any]) -> dict[str, Any]:
    c["slice"]["predicates"][0]["feature"] = "x\"; ATTACH 'o.duckdb' AS o; --"
    return _rehash(c)


def _hostile_op(c: dict[str, Any]) -> dict[str, Any]:
    c["slice"]["predicates"][0]["op"] = "read_csv('/etc/passwd')"
    return _rehash(c)


INVALID = [
    ("not json", lambda c: "{not json", "not valid JSON"),
    ("not a claim", lambda c: {"hello": 1}, "is not a Slice Workbench claim"),
    (
        "newer format",
        lambda c: {**c, "claim_format": "slice-workbench-claim/9"},
        "newer than this release",
    ),
    ("edited without rehash", lambda c: _edit(("statistics", "slice_size"), 5)(c), "content hash"),
    (
        "statistics as text",
        lambda c: _rehash(_edit(("statistics", "slice_size"), "lots")(c)),
        "must be a number",
    ),
    ("section not an object", lambda c: _rehash({**c, "evaluation": [1]}), "must be a JSON object"),
    ("hostile sql_where", _hostile_sql, "SQL text does not match"),
    ("description swapped", _hostile_description, "description"),
    ("hostile feature name", _hostile_predicate, "inconsistent"),
    ("hostile op", _hostile_op, "predicates are not valid"),
]


@pytest.mark.parametrize(
    ("edit", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_claims_exit_2_with_one_line(
    made: tuple[dict[str, Any], Path, pd.DataFrame],
    tmp_path: Path,
    edit: Callable[[dict[str, Any]], Any],
    fragment: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claim, data, _ = made
    monkeypatch.chdir(tmp_path)
    done = _verify(edit(json.loads(json.dumps(claim))), data, tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert fragment in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "pwned.csv").exists() and not (tmp_path / "o.duckdb").exists()


def test_hostile_slice_dict_never_runs(
    made: tuple[dict[str, Any], Path, pd.DataFrame], tmp_path: Path
) -> None:
    _, data, _ = made
    pwned = tmp_path / "pwned.csv"
    with wb.Workbench.from_predictions(
        data, label="label", prediction="pred", path=":memory:"
    ) as b:
        top = b.scan(k=3)[0]
        expected = b.members(top)
        for statement in (
            f"TRUE; COPY (SELECT 1) TO '{pwned}'; --",
            "1=1 OR (SELECT count(*) FROM read_csv_auto('/etc/passwd')) > 0",
            "TRUE; ATTACH 'other.duckdb' AS o; INSTALL httpfs; LOAD httpfs; --",
        ):
            record = top.to_dict()
            record["sql_where"] = statement
            record["description"] = statement
            for p in record.get("predicate_details", []):
                p["sql"] = statement
            forged = wb.Slice.from_dict(record)
            pd.testing.assert_frame_equal(b.members(forged), expected)
    assert not pwned.exists()
