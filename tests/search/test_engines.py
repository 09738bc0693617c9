"""scan() picks numpy or DuckDB by memory, says which ran, and both find the same slices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.exceptions import ParameterError
from workbench.search._engine import choose_engine, parse_memory


@pytest.fixture
def bench(tmp_path: Path):
    rng = np.random.default_rng(7)
    n = 8000
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "size": rng.choice(["small", "large"], n),
            "age": rng.integers(18, 80, n),
        }
    )
    frame["label"] = rng.integers(0, 2, n)
    bad = (frame["colour"] == "red") & (frame["size"] == "small")
    wrong = rng.random(n) < np.where(bad, 0.5, 0.1)
    frame["pred"] = np.where(wrong, 1 - frame["label"], frame["label"])
    with wb.Workbench.from_predictions(
        frame, label="label", prediction="pred", path=tmp_path / "e.duckdb"
    ) as opened:
        yield opened


def _rows(findings):
    return [
        (s.description, s.slice_size, s.stats_size, s.p_value, s.p_value_adjusted) for s in findings
    ]


def test_auto_streams_through_duckdb_when_the_codes_do_not_fit(bench):
    in_memory = bench.scan()
    assert in_memory.parameters["engine"] == "numpy"
    assert any(n.startswith("Counted with numpy") for n in in_memory.notes)
    streamed = bench.scan(memory_limit="100kB")
    assert streamed.parameters["engine"] == "duckdb"
    assert any("Counted with duckdb" in n and "more than memory_limit" in n for n in streamed.notes)
    forced = bench.scan(engine="duckdb", n_jobs=2)
    assert _rows(streamed) == _rows(in_memory) == _rows(forced)
    assert in_memory[0].conditions == {"colour": "red", "size": "small"}


def test_engine_and_memory_limit_are_checked(bench):
    with pytest.raises(ParameterError, match="engine"):
        bench.scan(engine="gpu")
    with pytest.raises(ParameterError, match="memory_limit"):
        bench.scan(memory_limit="lots")


def test_choice_follows_the_budget():
    assert parse_memory("2GiB") == 2 * 1024**3
    assert choose_engine("auto", 10**6, [1] * 20, False, "4GB")[0] == "numpy"
    engine, why = choose_engine("auto", 10**9, [1] * 20, False, "4GB")
    assert engine == "duckdb" and "streamed" in why
    assert choose_engine("spark", 10, [1], False)[0] == "spark"
