"""bench_new.scan(baseline=bench_old): wiring, shared bins, pairing and bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import Workbench
from workbench.exceptions import DataError, LabelError, ParameterError


def _frame(seed: int, n: int = 3000, rise: float = 0.0, shift_age: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "site": rng.choice(["north", "south", "east"], n),
            "device": rng.choice(["a", "b"], n),
            "age": rng.uniform(20, 70, n) + shift_age,
            "y": rng.integers(0, 2, n),
        }
    )
    wrong = rng.random(n) < 0.1 + rise * ((df.site == "east") & (df.device == "b"))
    df["p"] = np.where(wrong, 1 - df.y, df.y)
    return df


def _bench(df: pd.DataFrame, **kw) -> Workbench:
    return Workbench.from_predictions(df, label="y", prediction="p", path=":memory:", **kw)


def test_the_planted_group_tops_the_differential_scan_with_the_baselines_bins() -> None:
    old = _bench(_frame(0))
    new = _bench(_frame(1, rise=0.3, shift_age=5.0))
    out = new.scan(baseline=old, k=5, min_support=30)
    assert out.overall.error_new > out.overall.error_baseline
    assert out.overall.paired is False
    top = out[0]
    assert top.description == "site = east AND device = b"
    assert top.significant and top.test == "exact Fisher"
    old_bins = {p for f in old._queries.encoded_features() if f.name == "age" for p in f.predicates}
    ages = [p for s in out for p in s.predicates if p.feature == "age"]
    assert all(p in old_bins for p in ages)
    frame = out.to_frame()
    assert frame["description"].iloc[0] == top.description
    assert out.parameters["baseline"]["dataset_fingerprint"] == old.dataset_fingerprint


def test_bench_a_compare_bench_b_still_works() -> None:
    old = _bench(_frame(0, rise=0.3))
    new = _bench(_frame(1, rise=0.3))
    old.scan(k=3, min_support=30)
    table = old.compare(new)
    assert len(table) >= 1 and "slice_error_b" in table.columns


def test_one_dataset_two_models_is_paired() -> None:
    df = _frame(2)
    rng = np.random.default_rng(3)
    group = (df.site == "north").to_numpy()
    df["p2"] = np.where(group & (rng.random(len(df)) < 0.2), 1 - df.y, df.p)
    v1 = Workbench.from_predictions(df, label="y", prediction="p", exclude=["p2"], path=":memory:")
    v2 = Workbench.from_predictions(df, label="y", prediction="p2", exclude=["p"], path=":memory:")
    out = v2.scan(baseline=v1, k=3, min_support=30)
    assert out.overall.paired and out.overall.test == "exact McNemar (paired)"
    assert out[0].description == "site = north" and out[0].significant
    unpaired = v2.scan(baseline=v1, k=3, min_support=30, paired=False)
    assert unpaired.overall.test == "exact Fisher"
    with pytest.raises(DataError, match="paired=True needs the same rows"):
        v2.scan(baseline=_bench(_frame(4)), paired=True)


def test_missing_columns_are_named() -> None:
    old = _bench(_frame(0))
    new = _bench(_frame(1).drop(columns=["device"]))
    with pytest.raises(DataError, match="lacks 1 of the baseline's slice features: device") as err:
        new.scan(baseline=old)
    assert "features=[...]" in str(err.value)
    out = new.scan(baseline=old, features=["site", "age"], min_support=30)
    assert out.n_evaluated > 0


def test_no_common_slice_definition_is_refused() -> None:
    old = _bench(_frame(0))
    other = _frame(1).rename(columns={"site": "place", "device": "kit", "age": "years"})
    new = _bench(other)
    with pytest.raises(DataError, match="No slice definition is common"):
        new.scan(baseline=old)


def test_different_label_sets_are_refused() -> None:
    old = _bench(_frame(0))
    df = _frame(1)
    df.loc[:10, "y"] = 2
    new = _bench(df)
    with pytest.raises(LabelError, match="only in the new data: 2"):
        new.scan(baseline=old)


def test_a_baseline_from_another_metric_is_refused() -> None:
    rng = np.random.default_rng(0)
    df = _frame(0)
    df["yr"] = rng.normal(size=len(df))
    df["pr"] = rng.normal(size=len(df))
    old = Workbench.from_predictions(
        df, label="yr", prediction="pr", exclude=["y", "p"], path=":memory:"
    )
    new = _bench(_frame(1))
    with pytest.raises(ParameterError, match=r"metric .(absolute|squared)_error"):
        new.scan(baseline=old)


def test_bad_parameters_are_refused() -> None:
    old, new = _bench(_frame(0)), _bench(_frame(1))
    with pytest.raises(ParameterError, match="ranking"):
        new.scan(baseline=old, ranking="worst")
    with pytest.raises(ParameterError, match="paired"):
        new.scan(baseline=old, paired="yes")
    with pytest.raises(ParameterError, match="min_support"):
        new.scan(baseline=old, min_support=2.7)


def test_values_the_baseline_never_saw_form_a_category_of_their_own() -> None:
    old = _bench(_frame(0))
    df = _frame(1, rise=0.3)
    df.loc[:99, "site"] = "west"  # a site the baseline never had
    df.loc[100:149, "age"] = np.nan  # missing ages the baseline never had
    new = _bench(df)
    out = new.scan(baseline=old, k=5, min_support=30)
    assert out[0].description == "site = east AND device = b"
    assert all("west" not in s.description for s in out)
    assert any("'site'" in note and "100 new rows" in note for note in out.notes)
    assert any("'age'" in note and "50 new rows" in note for note in out.notes)


def test_no_errors_on_either_side_means_nothing_changed() -> None:
    df = _frame(0)
    df["p"] = df["y"]
    old, new = _bench(df), _bench(_frame(1).assign(p=lambda d: d["y"]))
    out = new.scan(baseline=old)
    assert out.overall.change == 0 and len(out) == 0
    assert any("nothing changed" in note for note in out.notes)


def test_word_error_rates_of_two_recognisers_on_the_same_clips_are_paired() -> None:
    rng = np.random.default_rng(8)
    n = 600
    words = ["turn", "on", "the", "lights", "in", "kitchen", "please", "now"]
    refs = [" ".join(rng.choice(words, 6)) for _ in range(n)]
    accent = rng.choice(["a", "b", "c"], n)

    def corrupt(text: str, rate: float) -> str:
        return " ".join(w if rng.random() > rate else "uh" for w in text.split())

    v1 = [corrupt(r, 0.1) for r in refs]
    v2 = [corrupt(r, 0.1 + 0.3 * (a == "c")) for r, a in zip(refs, accent, strict=True)]
    df = pd.DataFrame({"accent": accent, "ref": refs, "hyp1": v1, "hyp2": v2})
    kw = {"label": "ref", "metric": "wer", "features": ["accent"], "path": ":memory:"}
    old = Workbench.from_predictions(df, prediction="hyp1", **kw)
    new = Workbench.from_predictions(df, prediction="hyp2", **kw)
    out = new.scan(baseline=old, min_support=20)
    assert out.overall.paired and out.overall.test == "paired t (per-row differences)"
    assert out[0].description == "accent = c" and out[0].significant
