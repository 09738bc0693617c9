"""The scan on the bundled speech sample finds significant accent and noise slices."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb

pytest.importorskip("jiwer")


def test_noise_and_accent_slices_are_significant() -> None:
    clips = wb.load_sample("speech")
    clips["snr"] = clips["snr_db_true"].map(lambda v: "clean" if np.isnan(v) else f"{v:.0f} dB")
    bench = wb.Workbench.from_predictions(
        clips,
        label="reference",
        prediction="hypothesis",
        metric="wer",
        features=["accent", "speaker", "noise_type", "snr", "channel"],
        path=":memory:",
    )
    assert bench.overall_error == pytest.approx(
        clips["word_errors"].sum() / clips["ref_words"].sum()
    )
    findings = bench.scan(alpha=0.99, k=40)
    assert findings[0].significant
    assert findings[0].conditions.get("noise_type") == "babble"
    # accent x noise intersections: among the distinct groups, significant
    distinct = bench.distinct(findings, max_overlap=0.3)
    crossed = [
        s for s in distinct if s.significant and {"accent", "noise_type"} <= set(s.conditions)
    ]
    assert {s.conditions["accent"] for s in crossed} & {"en-029", "en-gb-x-gbcwmd"}

    quiet = clips[clips["snr"].isin(["clean", "20 dB"])].reset_index(drop=True)
    quiet_bench = wb.Workbench.from_predictions(
        quiet,
        label="reference",
        prediction="hypothesis",
        metric="wer",
        features=["accent", "speaker", "channel"],
        path=":memory:",
    )
    worst_accents = {
        s.conditions["accent"]
        for s in quiet_bench.scan(alpha=0.99)
        if s.significant and "accent" in s.conditions
    }
    # the voices measured worst on clean audio
    assert worst_accents & {"en-gb-x-gbcwmd", "en-029", "en-gb-scotland"}
    bench.close()
    quiet_bench.close()
