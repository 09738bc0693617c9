"""A claim exported by the app re-checks with the real ``workbench verify`` command.

It holds on the data it came from, and fails once the model's predictions inside
the slice are corrected (the slice's error is gone).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from workbench.app import AuditApp


def verify(claim: Path, data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "verify", str(claim), "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def top_note(app: AuditApp) -> str:
    assert app.bench is not None
    return app.bench.flagged()[0].flag_note


@pytest.mark.slow
def test_app_claim_verifies_with_the_cli(
    app: AuditApp,
    upload: Callable[[AuditApp, bytes, str], None],
    linked: pd.DataFrame,
    tmp_path: Path,
) -> None:
    data = tmp_path / "linked.csv"
    linked.to_csv(data, index=False)
    upload(app, data.read_bytes(), data.name)
    app.prepare_button.click()
    app.scan_depth.value = 2
    app.run_scan(wait=True)
    explorer = app.explorer
    top = explorer.findings[0]
    explorer.select(top.slice_id)
    explorer.flag_note.value = "group a of kind u is misclassified"
    explorer.flag_button.click()
    exported = app.export()
    assert exported is not None, app.export_msg.text
    claim = exported[top.slice_id]
    assert json.loads(claim.read_text())["slice"]["predicates"]
    # One claim writer: the app's file is byte for byte what the API writes (strict JSON,
    # missing numbers as null, never NaN).
    assert app.bench is not None
    same = app.bench.export_claim(top.slice_id, tmp_path / "api.json", note=top_note(app))
    assert claim.read_bytes() == same.read_bytes()
    assert b"NaN" not in claim.read_bytes()

    held = verify(claim, data)
    assert held.returncode == 0, held.stdout + held.stderr
    assert "The claim HOLDS on this data." in held.stdout
    assert "same as the claim (fingerprint matches)" in held.stdout

    # The model owner fixes the predictions inside the slice: the claim no longer holds.
    fixed = linked.copy()
    inside = (fixed["group"] == "a") & (fixed["kind"] == "u")
    assert top.conditions == {"group": "a", "kind": "u"}
    fixed.loc[inside, "prediction"] = fixed.loc[inside, "label"]
    fixed_path = tmp_path / "linked_fixed.csv"
    fixed.to_csv(fixed_path, index=False)
    failed = verify(claim, fixed_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "The claim does NOT hold on this data." in failed.stdout
    assert "[FAILED] error above the rest" in failed.stdout


@pytest.mark.slow
def test_claim_after_dropping_rows_verifies_on_the_original_file(
    app: AuditApp,
    upload: Callable[[AuditApp, bytes, str], None],
    linked: pd.DataFrame,
    tmp_path: Path,
) -> None:
    data = tmp_path / "gaps.csv"
    gaps = linked.copy()
    gaps.loc[::50, "label"] = None
    gaps.to_csv(data, index=False)
    upload(app, data.read_bytes(), data.name)
    app.prepare_button.click()
    app.drop_button.click()
    assert app.bench is not None and app.bench.n_rows == len(linked) - 60
    app.scan_depth.value = 2
    app.run_scan(wait=True)
    app.explorer.select(app.explorer.findings[0].slice_id)
    app.explorer.flag(note="after dropping rows without a label")
    exported = app.export()
    assert exported is not None, app.export_msg.text
    held = verify(exported["scan1.s1"], data)
    assert held.returncode == 0, held.stdout + held.stderr
