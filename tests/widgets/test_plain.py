"""Findings in plain words: ratios, chance, intervals, ranges and WER above 100 %."""

from __future__ import annotations

import pytest

from workbench.findings import Predicate, Slice
from workbench.widgets._plain import plain_condition, plain_summary


def make(**changes: object) -> Slice:
    values: dict[str, object] = {
        "predicates": (Predicate.range("age", 26, 33),),
        "slice_size": 400,
        "slice_error": 0.35,
        "rest_error": 0.15,
        "error_ci_low": 0.30,
        "error_ci_high": 0.40,
        "p_value_adjusted": 2e-9,
        "significant": True,
        "error_sum": 140.0,
        "weight_sum": 400.0,
        "overall_error": 0.16,
        "score": 0.4,
    }
    values.update(changes)
    return Slice(**values)  # type: ignore[arg-type]


def test_the_issue_example_reads_as_promised() -> None:
    text = plain_summary(make(), "error_rate")
    assert "age from 26 to under 33" in text
    assert "about <b>2.3 times</b> as many errors as in the rest (35 % vs 15 %)" in text
    assert "very unlikely to be chance" in text
    assert "likely between 30 % and 40 %" in text
    assert "e-" not in text and "[" not in text and "FDR" not in text


@pytest.mark.parametrize(
    ("p", "significant", "words"),
    [
        (0.0004, True, "very unlikely to be chance"),
        (0.004, True, "unlikely to be chance"),
        (0.03, True, "probably not chance"),
        (0.3, False, "could well be chance"),
    ],
)
def test_chance_in_words(p: float, significant: bool, words: str) -> None:
    assert words in plain_summary(make(p_value_adjusted=p, significant=significant), "error_rate")


def test_wer_above_100_percent_is_explained() -> None:
    text = plain_summary(make(slice_error=1.3, error_ci_high=1.5), "wer")
    assert "130 %" in text and "above 100 %" in text
    assert "above 100 %" not in plain_summary(make(), "wer")


def test_continuous_errors_are_not_percentages() -> None:
    text = plain_summary(make(slice_error=12.5, rest_error=5.0), "absolute_error")
    assert "as large an error" in text and "(12.5 vs 5)" in text and "%" not in text


def test_conditions_in_words() -> None:
    assert plain_condition(Predicate.range("snr_db", 10, 12)) == "snr_db from 10 to under 12"
    assert plain_condition(Predicate.range("age", 61, None)) == "age 61 or more"
    assert plain_condition(Predicate.isin("c", ["a", "b"])) == "c is a or b"


def test_wer_above_100_percent_is_explained_in_the_tiles_and_the_table() -> None:
    from workbench.widgets._table import SliceTable
    from workbench.widgets._views import metrics_html

    def tiles(s: Slice, metric: str) -> str:
        return metrics_html(
            s, n_rows=1000, overall_error=0.4, metric=metric, error_share=0.5, fdr=0.05
        )

    above = make(slice_error=1.3, error_ci_high=1.5)
    assert 'data-testid="above-100"' in tiles(above, "wer")
    assert "extra words can push it above 100 %" in tiles(above, "wer")
    assert "extra characters" in tiles(above, "cer")
    assert "above-100" not in tiles(make(), "wer")  # nothing above 1: no note
    assert "above-100" not in tiles(above, "absolute_error")  # not a rate of words
    table = SliceTable()
    table.set_metric("wer")
    title = next(c["title"] for c in table.columns if c["key"] == "slice_error")
    assert title.startswith("Slice wer with its 95% confidence interval")
    assert "above 100 %" in title
    table.set_metric("error_rate")
    title = next(c["title"] for c in table.columns if c["key"] == "slice_error")
    assert "above 100 %" not in title
