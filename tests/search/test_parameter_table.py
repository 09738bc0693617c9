"""One table of scan parameters: the estimator contract and the same meaning everywhere."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pandas as pd
import pytest
import sklearn.base

import workbench as wb
from workbench.exceptions import ParameterError
from workbench.search import SCAN_PARAMETERS, SliceSearch, benjamini_hochberg, scan_defaults
from workbench.search._parameters import check_scan_parameters, parse_parameter


def test_signature_defaults_and_docstring_follow_the_table():
    signature = inspect.signature(SliceSearch)
    assert set(signature.parameters) == set(SliceSearch().get_params())
    searched = {name for name, param in SCAN_PARAMETERS.items() if param.search}
    assert set(signature.parameters) == searched
    doc = SliceSearch.__doc__ or ""
    for name in searched:
        param = SCAN_PARAMETERS[name]
        assert signature.parameters[name].default == param.default
        assert f"{name} : " in doc and f"default={param.default!r}".replace("'", '"') in doc


def test_clone_round_trips_and_repr_shows_changes():
    search = wb.SliceSearch(min_support=5)
    copy = sklearn.base.clone(search)
    assert copy is not search
    assert copy.get_params() == search.get_params()
    assert repr(copy) == "SliceSearch(min_support=5)"
    copy.set_params(k=3, alpha=0.5)
    assert (copy.k, copy.alpha, search.k) == (3, 0.5, 10)
    with pytest.raises(ValueError, match="Invalid parameter 'kk'"):
        copy.set_params(kk=1)


def test_fit_leaves_the_parameters_as_given_and_stores_the_seed_used(rng):
    df = pd.DataFrame({"a": rng.integers(0, 3, 3000), "b": rng.integers(0, 4, 3000)})
    errors = (rng.random(3000) < 0.2).astype(float)
    search = SliceSearch(random_state=None, min_support=50.0).fit(df, errors)
    assert search.random_state is None and search.min_support == 50.0
    seed = search.random_state_
    assert isinstance(seed, int) and search.findings_.parameters["random_state"] == seed
    assert search.findings_.parameters["min_support_rows"] == 50
    again = SliceSearch(random_state=seed, min_support=50).fit(df, errors)
    assert (again.discovery_mask_ == search.discovery_mask_).all()
    assert again.findings_.to_frame().equals(search.findings_.to_frame())


@pytest.mark.parametrize("text", ["2.7", "0", "-1", "1.5e0", "lots"])
def test_a_min_support_is_refused_with_the_same_message_from_text_and_python(text):
    value = parse_parameter("min_support", text)
    with pytest.raises(ParameterError) as from_text:
        check_scan_parameters({"min_support": value})
    assert "must be a whole number >= 1 or a float in (0, 1)" in str(from_text.value)
    if not isinstance(value, str):
        with pytest.raises(ParameterError) as from_python:
            SliceSearch(min_support=value).fit(pd.DataFrame({"a": ["x", "y"]}), np.ones(2))
        assert str(from_python.value) == str(from_text.value)


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("min_support", "50", 50),
        ("min_support", "50.0", 50.0),
        ("min_support", "0.01", 0.01),
        ("confirm", "auto", "auto"),
        ("confirm", "False", False),
        ("random_state", "none", None),
        ("k", "7", 7),
    ],
)
def test_text_values_read_as_the_table_means_them(name, text, value):
    parsed = parse_parameter(name, text)
    assert parsed == value and type(parsed) is type(value)
    check_scan_parameters({name: parsed})


def test_whole_number_floats_are_rows_everywhere():
    assert check_scan_parameters({"min_support": 50.0}).min_support == 50
    assert check_scan_parameters({"min_support": 0.5}).min_support_rows(101) == 50
    assert check_scan_parameters({"min_support": 1}).min_support_rows(10**6) == 1


def test_unknown_names_are_refused_with_a_suggestion():
    with pytest.raises(ParameterError, match=re.escape("Did you mean 'min_support'?")):
        check_scan_parameters({"min_suport": 5})


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"engine": "gpu"}, "The 'engine' parameter of Workbench.scan must be one of 'auto'"),
        ({"memory_limit": -1}, "The 'memory_limit' parameter of Workbench.scan must be a float"),
    ],
)
def test_engine_parameters_are_checked_by_the_table(params, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        check_scan_parameters(params, "Workbench.scan")
    assert parse_parameter("memory_limit", "4GB") == "4GB"
    assert parse_parameter("engine", "duckdb") == "duckdb"


def test_front_end_defaults_are_a_subset_of_the_table():
    front = scan_defaults(front_end=True)
    assert set(front) <= set(SCAN_PARAMETERS)
    assert {"k", "max_predicates", "min_support", "alpha", "fdr", "confirm"} <= set(front)


def test_benjamini_hochberg_matches_the_textbook_step_up(rng):
    p = rng.random(200) ** 3
    m = 500
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, len(p) + 1)
    expected = np.empty_like(p)
    expected[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    np.testing.assert_allclose(benjamini_hochberg(p, n_tests=m), expected, rtol=1e-12)
    np.testing.assert_array_equal(benjamini_hochberg(np.zeros(0)), np.zeros(0))


def test_workbench_scan_takes_every_front_end_parameter_with_the_table_default():
    signature = inspect.signature(wb.Workbench.scan)
    for name, param in SCAN_PARAMETERS.items():
        if not param.front_end:
            continue
        assert name in signature.parameters, name
        default = signature.parameters[name].default
        # ranking=None: the table's default for a plain scan, "change" for a differential one
        assert default == (None if name == "ranking" else param.default), name


def test_workbench_scan_stores_the_seed_it_drew(rng):
    n = 2500
    df = pd.DataFrame({"a": rng.choice(["x", "y", "z"], n), "label": rng.integers(0, 2, n)})
    df["pred"] = np.where(rng.random(n) < 0.8, df["label"], 1 - df["label"])
    with wb.Workbench.from_predictions(
        df, label="label", prediction="pred", path=":memory:"
    ) as bench:
        findings = bench.scan(random_state=None, k=3)
        seed = findings.parameters["random_state"]
        assert isinstance(seed, int)
        assert bench.findings(findings.scan_id).parameters["random_state"] == seed
        again = bench.scan(random_state=seed, k=3)
        assert (bench.split(again.scan_id) == bench.split(findings.scan_id)).all()
