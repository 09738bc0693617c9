"""The app's Bounty step: a slice becomes a submission the owner certifies; the ledger shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import workbench as wb

pytest.importorskip("skops")

from workbench.app import AuditApp, BountyStep
from workbench.bounty import as_group


def test_slice_to_submission_to_ledger(app: AuditApp, adult: pd.DataFrame, tmp_path: Path) -> None:
    app.load_sample("adult")
    app.choose_columns(label="income", prediction="pred_v1", score="proba_v1")
    assert app.prepare() is not None
    assert app.bounty_card.layout.display == "none"  # no scan yet, no bounty step
    app.run_scan(wait=True)
    assert app.findings
    # the app shows its Bounty step (step 5) with the scan's slices once a scan is done
    assert app.bounty_card.layout.display is None
    step = app.bounty
    assert isinstance(step, BountyStep) and step.slice_choice.options
    top = app.findings[0]
    paths = step.make_submission(top.slice_id, model=next(iter(step.model_choice.options)))
    assert all(p.is_file() for p in paths.values())
    assert as_group(paths["group"]).key == as_group(top).key
    assert "estimate" in step.submission_html.value

    features = [c for c in adult.columns if c not in ("income", "pred_v2", "proba_v2")]

    def owner_model(X: Any) -> Any:
        return X["pred_v1"].to_numpy()

    bounty = wb.Bounty.create(
        tmp_path / "bounty.duckdb",
        model=owner_model,
        X=adult[features],
        y=adult["income"],
        alpha=0.05,
        budget=1,
    )
    result = bounty.submit(paths["group"], paths["model"], submitter="auditor")
    assert result.report["group"] == top.description
    bounty.close()
    ledger = step.show_ledger(tmp_path / "bounty.duckdb")
    assert ledger["submitter"].tolist() == ["auditor"]
    assert "Leaderboard" in step.ledger_html.value


def test_without_a_scan_the_step_says_what_to_do(app: AuditApp) -> None:
    step = app.bounty
    step._guard(step.submission_html, step.make_submission)
    assert "run step 3" in step.submission_html.value
    step._guard(step.ledger_html, step.show_ledger, "")
    assert "Expected the path" in step.ledger_html.value
