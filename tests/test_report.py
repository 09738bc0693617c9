"""A scan records the parameters it ran with, once, including the seed it drew."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb


def test_a_scan_without_a_seed_records_the_seed_it_used(rng: np.random.Generator) -> None:
    n = 3000  # enough rows for the confirmation split, which the seed draws
    frame = pd.DataFrame({"group": rng.choice(list("abcd"), n), "size": rng.choice(list("xyz"), n)})
    frame["label"] = rng.integers(0, 2, n)
    wrong = rng.random(n) < np.where(frame["group"] == "a", 0.4, 0.1)
    frame["pred"] = np.where(wrong, 1 - frame["label"], frame["label"])
    bench = wb.Workbench.from_predictions(frame, label="label", prediction="pred", path=":memory:")
    first = bench.scan(random_state=None)
    seed = first.parameters["random_state"]
    assert isinstance(seed, int)
    assert bench.findings(first.scan_id).parameters["random_state"] == seed  # as stored
    again = bench.scan(random_state=seed)
    assert [s.description for s in again] == [s.description for s in first]
    assert [s.p_value for s in again] == [s.p_value for s in first]
    bench.close()


def test_an_unknown_scan_parameter_is_named_with_a_suggestion() -> None:
    frame = pd.DataFrame({"g": list("abc") * 40, "y": [0, 1] * 60, "p": [0] * 120})
    bench = wb.Workbench.from_predictions(frame, label="y", prediction="p", path=":memory:")
    with pytest.raises(
        wb.ParameterError, match=r"unknown parameter 'min_suport'\. Did you mean 'min_support'\?"
    ):
        bench.scan(min_suport=5)  # type: ignore[call-arg]
    bench.close()
