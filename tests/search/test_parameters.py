"""Bad parameters and inputs raise workbench errors that say what to do."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from workbench.exceptions import DataError, EmptyDataError, ParameterError
from workbench.search import SliceSearch

FRAME = pd.DataFrame({"a": ["x", "y"] * 10, "b": ["u", "v", "w", "u"] * 5})
ERRORS = np.array([0.0, 1.0] * 10)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"min_support": -3},
            "The 'min_support' parameter of SliceSearch must be a whole number >= 1 "
            "or a float in (0, 1). Got -3 instead.",
        ),
        (
            {"min_support": 2.7},
            "'min_support' parameter of SliceSearch must be a whole number >= 1 or a "
            "float in (0, 1). Got 2.7",
        ),
        ({"min_support": 0}, "Got 0 instead"),
        ({"min_support": True}, "Got True instead"),
        ({"alpha": 0}, "The 'alpha' parameter of SliceSearch must be a float in (0, 1]. Got 0"),
        ({"alpha": 1.2}, "must be a float in (0, 1]. Got 1.2"),
        ({"k": 0}, "The 'k' parameter of SliceSearch must be an int >= 1. Got 0 instead."),
        ({"k": 2.0}, "'k' parameter of SliceSearch must be an int >= 1. Got 2.0"),
        ({"max_predicates": 0}, "'max_predicates' parameter of SliceSearch must be an int >= 1"),
        ({"fdr": 1.0}, "'fdr' parameter of SliceSearch must be a float in (0, 1). Got 1.0"),
        (
            {"confirm": "yes"},
            "'confirm' parameter of SliceSearch must be one of True, False, 'auto'",
        ),
        ({"confirm_fraction": 0.0}, "'confirm_fraction' parameter of SliceSearch must be a float"),
        ({"min_confirm_rows": -1}, "'min_confirm_rows' parameter of SliceSearch must be an int"),
        ({"random_state": -1}, "'random_state' parameter of SliceSearch must be an int >= 0"),
        ({"aggregator": "sparkle"}, "'aggregator' parameter of SliceSearch must be one of 'auto'"),
        ({"n_jobs": 0}, "'n_jobs' parameter of SliceSearch must be an int >= 1 or -1"),
    ],
)
def test_bad_parameters_are_rejected_in_fit(params, message):
    search = SliceSearch(**params)  # __init__ only stores
    with pytest.raises(ParameterError, match=re.escape(message)):
        search.fit(FRAME, ERRORS)


@pytest.mark.parametrize(
    ("features", "errors", "weights", "error", "message"),
    [
        (
            FRAME,
            np.r_[ERRORS[:-1], np.nan],
            None,
            DataError,
            "The errors must be finite numbers >= 0. Got nan at row 19",
        ),
        (
            FRAME,
            np.r_[ERRORS[:-1], -1.0],
            None,
            DataError,
            "The errors must be >= 0 (a per-row loss). Got -1.0 at row 19",
        ),
        (
            FRAME,
            ERRORS[:-1],
            None,
            DataError,
            "The errors must have one value per row of the features (20 rows). Got 19 values.",
        ),
        (FRAME, ERRORS.reshape(10, 2), None, DataError, "must be a 1-D array"),
        (FRAME, ["a"] * 20, None, DataError, "cannot be read as floats"),
        (
            FRAME,
            ERRORS,
            np.r_[np.ones(19), 0.0],
            DataError,
            "The weights must be finite numbers > 0. Got 0.0 at row 19",
        ),
        (FRAME, ERRORS, -np.ones(20), DataError, "The weights must be finite numbers > 0."),
        (FRAME, ERRORS, np.ones(5), DataError, "The weights must have one value per row"),
        (
            FRAME.iloc[:0],
            ERRORS[:0],
            None,
            EmptyDataError,
            "The features must have at least one row and one column. Got 0 rows",
        ),
        (pd.DataFrame(index=range(20)), ERRORS, None, EmptyDataError, "and 0 columns"),
        (
            np.zeros((20, 2)),
            ERRORS,
            None,
            DataError,
            "The features must be a pandas DataFrame, a polars DataFrame or a pyarrow Table. "
            "Got ndarray. For integer codes in an array use fit_codes().",
        ),
    ],
)
def test_bad_inputs_are_rejected(features, errors, weights, error, message):
    with pytest.raises(error, match=re.escape(message)):
        SliceSearch().fit(features, errors, weights)


CODES = np.array([[0, 1], [1, 0]] * 5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"codes": CODES[:, 0]}, "The codes must be a 2-D integer array"),
        (
            {"codes": CODES + 5},
            "The codes of feature 'a' must lie in [0, 2) (one label per code). "
            "Got codes from 5 to 6.",
        ),
        ({"codes": CODES.astype(float)}, "The codes of feature 'a' must be integers"),
        ({"feature_names": ["a"]}, "feature_names must name each of the 2 features. Got 1"),
        ({"value_labels": [["x", "y"]]}, "value_labels must give the labels of each of the 2"),
        ({"codes": CODES[:0]}, "The codes must have at least one row and one feature"),
        ({"feature_names": ["a", "a"]}, "feature_names must be distinct"),
    ],
)
def test_bad_codes_are_rejected(kwargs, message):
    args = {
        "codes": CODES,
        "feature_names": ["a", "b"],
        "value_labels": [["x", "y"], ["u", "v"]],
        **kwargs,
    }
    errors = np.ones(len(args["codes"]))
    with pytest.raises(DataError, match=re.escape(message)):
        SliceSearch().fit_codes(args.pop("codes"), errors, **args)


def test_confirm_true_on_too_few_rows_says_so():
    with pytest.raises(DataError, match=re.escape("confirm=True needs rows in both")):
        SliceSearch(confirm=True).fit(FRAME.iloc[:1], ERRORS[:1])


def test_fit_duckdb_rejects_codes_outside_labels_and_nulls():
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT i % 3 AS a, NULL::INT AS b, 1.0 AS e FROM range(10) r(i)")
    with pytest.raises(
        DataError, match=re.escape("holds codes from 0 to 2, but its value_labels have 2 labels")
    ):
        SliceSearch().fit_duckdb(
            con, "t", feature_columns=["a"], error_column="e", value_labels=[["x", "y"]]
        )
    with pytest.raises(DataError, match=re.escape("The feature column 'b' holds NULLs")):
        SliceSearch().fit_duckdb(
            con, "t", feature_columns=["b"], error_column="e", value_labels=[["x"]]
        )
    with pytest.raises(EmptyDataError, match="returned no rows"):
        SliceSearch().fit_duckdb(
            con,
            "SELECT * FROM t WHERE false",
            feature_columns=["a"],
            error_column="e",
            value_labels=[["x", "y", "z"]],
        )
    with pytest.raises(ParameterError, match="'batch_rows' parameter"):
        SliceSearch().fit_duckdb(
            con,
            "t",
            feature_columns=["a"],
            error_column="e",
            value_labels=[["x", "y", "z"]],
            batch_rows=0,
        )
