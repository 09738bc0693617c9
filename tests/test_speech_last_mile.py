"""The speech last-mile example: the shipped new-site results and the README's figures."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb

FEATURES = ["accent", "speaker", "snr", "channel"]


@pytest.fixture(scope="module")
def sides() -> tuple[pd.DataFrame, pd.DataFrame]:
    clips = wb.load_sample("speech")
    vendor = clips[
        clips["condition"].isin(["white 10 dB", "white 5 dB", "pink 10 dB", "pink 5 dB"])
    ]
    site = wb.load_sample("speech_new_site")
    return (
        vendor.assign(snr=vendor["snr_db_true"].map("{:.0f} dB".format)),
        site.assign(snr=site["snr_db_true"].map("{:.0f} dB".format)),
    )


def test_new_site_sample_has_the_speech_sample_columns(sides) -> None:
    vendor, site = sides
    assert list(site.columns) == list(vendor.columns)
    assert len(site) == 320 and set(site["noise_type"]) == {"machine"}
    assert set(site["accent"]) == set(vendor["accent"])
    shipped = site["audio_path"].dropna()
    assert len(shipped) >= 16  # one per voice, and every row the last-mile view shows
    root = wb.sample_path("speech").parents[2]
    assert all((root / p).exists() for p in shipped)


def test_differential_scan_reproduces_the_readme_figures(sides) -> None:
    vendor, site = sides
    kw = {"label": "reference", "prediction": "hypothesis", "metric": "wer", "features": FEATURES}
    before = wb.Workbench.from_predictions(vendor, path=":memory:", **kw)
    after = wb.Workbench.from_predictions(site, path=":memory:", **kw)
    changes = after.scan(baseline=before, min_support=10, k=8)
    o = changes.overall
    assert (round(100 * o.error_baseline, 1), round(100 * o.error_new, 1)) == (59.8, 74.8)
    assert o.test == "Welch t" and o.change_ci_low > 0
    top = changes[0]
    assert top.description == "speaker = m1 AND channel = wideband"
    assert top.significant
    assert round(100 * top.change, 1) == 27.6
    assert (round(100 * top.change_ci_low, 1), round(100 * top.change_ci_high, 1)) == (21.2, 34.0)
