"""`workbench bounty create|submit|ledger|predict` end to end on files."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from workbench.bounty import Bounty
from workbench.cli import main


def test_bounty_cli(tmp_path: Path, data: Any, capsys: pytest.CaptureFixture[str]) -> None:
    holdout = data.X_holdout.assign(outcome=data.y_holdout.to_numpy())
    holdout.to_parquet(tmp_path / "holdout.parquet")
    sio.dump(data.base, tmp_path / "f0.skops")
    db = str(tmp_path / "bounty.duckdb")
    assert (
        main(
            [
                "bounty",
                "create",
                "--db",
                db,
                "--model",
                str(tmp_path / "f0.skops"),
                "--holdout",
                str(tmp_path / "holdout.parquet"),
                "--label",
                "outcome",
                "--alpha",
                str(data.alpha),
                "--budget",
                str(data.budget),
            ]
        )
        == 0
    )
    in_a = (data.X_train["a"] == "a1").to_numpy()
    sio.dump(data.model_for(in_a), tmp_path / "h.skops")
    (tmp_path / "group.json").write_text(json.dumps({"a": "a1"}))
    capsys.readouterr()
    code = main(
        [
            "bounty",
            "submit",
            "--db",
            db,
            "--group",
            str(tmp_path / "group.json"),
            "--model",
            str(tmp_path / "h.skops"),
            "--submitter",
            "team-a",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ACCEPTED" in out and "mu = " in out

    # a rejected submission exits 1 and is recorded; a pickle exits 2 and is not
    sio.dump(data.model_for((data.X_train["a"] == "a0").to_numpy()), tmp_path / "weak.skops")
    (tmp_path / "group_b.json").write_text(json.dumps({"b": "y"}))
    assert (
        main(
            [
                "bounty",
                "submit",
                "--db",
                db,
                "--group",
                str(tmp_path / "group_b.json"),
                "--model",
                str(tmp_path / "weak.skops"),
                "--submitter",
                "team-b",
            ]
        )
        == 1
    )
    (tmp_path / "h.pkl").write_bytes(pickle.dumps(data.base))
    assert (
        main(
            [
                "bounty",
                "submit",
                "--db",
                db,
                "--group",
                str(tmp_path / "group_b.json"),
                "--model",
                str(tmp_path / "h.pkl"),
                "--submitter",
                "team-c",
            ]
        )
        == 2
    )
    assert "pickle" in capsys.readouterr().err

    assert main(["bounty", "ledger", "--db", db, "--out", str(tmp_path / "ledger.csv")]) == 0
    ledger = pd.read_csv(tmp_path / "ledger.csv")
    assert ledger["verdict"].tolist() == ["accepted", "rejected"]
    assert main(["bounty", "ledger", "--db", db, "--leaderboard"]) == 0
    assert "team-a" in capsys.readouterr().out

    data.X_train.head(200).to_csv(tmp_path / "new.csv", index=False)
    out_csv = tmp_path / "preds.csv"
    assert (
        main(["bounty", "predict", str(tmp_path / "new.csv"), "--db", db, "--out", str(out_csv)])
        == 0
    )
    predictions = pd.read_csv(out_csv)["prediction"].to_numpy()
    with Bounty.open(db) as bounty:
        expected = bounty.model.predict(pd.read_csv(tmp_path / "new.csv"))
    assert np.array_equal(predictions, expected)
