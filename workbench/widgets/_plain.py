"""Findings in plain language, for people who do not read p-values.

"About 2.4 times as many errors as the rest (35 % vs 15 %), very unlikely to be
chance"; intervals written "26 % to 33 %"; ranges "age from 26 to under 33"; the word
error rate explained where it can exceed 100 %. Pure functions over findings
values; imports :mod:`workbench.findings` and the widgets' formatting only.
"""

from __future__ import annotations

import math
import re
from typing import Any

from workbench.findings import Predicate, Slice
from workbench.widgets._format import esc, p_value_shown

__all__ = ["ABOVE_100", "plain_bin", "plain_condition", "plain_description", "plain_summary"]

#: Metrics read as a share of rows (or words) that went wrong.
RATE_METRICS = ("error_rate", "wer", "cer", "misclassification", "fnr", "fpr", "selection_rate")
#: Why a word (or character) error rate can exceed 1, for wherever such a value is shown.
ABOVE_100 = {
    "wer": "The word error rate counts wrong, missing and extra words against the words "
    "said, so extra words can push it above 100 %.",
    "cer": "The character error rate counts wrong, missing and extra characters against the "
    "characters said, so extra characters can push it above 100 %.",
}


def _number(value: Any) -> str:
    v = float(value)
    if v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.4g}"


def plain_condition(p: Predicate) -> str:
    """One condition in words.

    Examples
    --------
    >>> plain_condition(Predicate.range("age", 26, 33))
    'age from 26 to under 33'
    >>> plain_condition(Predicate.range("age", None, 33))
    'age under 33'
    >>> plain_condition(Predicate.missing("income"))
    'income is missing'
    >>> plain_condition(Predicate.eq("sex", "Female"))
    'sex is Female'
    """
    if p.op == "range":
        low, high = p.low, p.high
        if low is not None and high is not None:
            return f"{p.feature} from {_number(low)} to under {_number(high)}"
        if high is not None:
            return f"{p.feature} under {_number(high)}"
        if low is not None:
            return f"{p.feature} {_number(low)} or more"
        return f"{p.feature}: any value"
    if p.op == "missing":
        return f"{p.feature} is missing"
    if p.op == "present":
        return f"{p.feature} is known"
    if p.op == "in":
        return f"{p.feature} is {' or '.join(map(str, p.values))}"
    if p.op == "not_in":
        return f"{p.feature} is none of the common values"
    return f"{p.feature} is {p.value}"


def plain_bin(label: Any) -> str:
    """A numeric bin's label in words (other values unchanged).

    Examples
    --------
    >>> plain_bin("[26, 33)"), plain_bin("< 26"), plain_bin(">= 51"), plain_bin("Husband")
    ('26 to under 33', 'under 26', '51 or more', 'Husband')
    """
    text = str(label)
    if match := re.fullmatch(r"\[(\S+), (\S+)\)", text):
        return f"{match.group(1)} to under {match.group(2)}"
    if match := re.fullmatch(r"< (\S+)", text):
        return f"under {match.group(1)}"
    if match := re.fullmatch(r">= (\S+)", text):
        return f"{match.group(1)} or more"
    return text


def plain_description(text: str) -> str:
    """A slice's description, as its conditions' ``describe()`` write it, in words.

    Examples
    --------
    >>> plain_description("age in [26, 33) AND sex = Male AND hours >= 40")
    'age from 26 to under 33 and sex is Male and hours 40 or more'
    >>> plain_description("capital_gain < 1 AND income = missing")
    'capital_gain under 1 and income is missing'
    """
    parts = []
    for part in text.split(" AND "):
        if match := re.fullmatch(r"(.+?) in (\[\S+, \S+\))", part):
            parts.append(f"{match.group(1)} from {plain_bin(match.group(2))}")
        elif match := re.fullmatch(r"(.+?) (< \S+|>= \S+)", part):
            parts.append(f"{match.group(1)} {plain_bin(match.group(2))}")
        elif match := re.fullmatch(r"(.+?) = (.+)", part):
            parts.append(f"{match.group(1)} is {match.group(2)}")
        else:
            parts.append(part)
    return " and ".join(parts)


def _chance(p_value: float, significant: bool | None) -> str:
    if math.isnan(p_value):
        return "we cannot tell whether this is chance"
    if p_value < 0.001:
        return "very unlikely to be chance"
    if p_value < 0.01:
        return "unlikely to be chance"
    if significant:
        return "probably not chance"
    return "this could well be chance"


def plain_summary(s: Slice, metric: str) -> str:
    """What a slice's statistics mean, in a sentence or two (HTML, escaped).

    Examples
    --------
    >>> s = Slice(predicates=(Predicate.eq("sex", "Female"),), slice_size=120,
    ...           slice_error=0.35, rest_error=0.147, error_ci_low=0.27, error_ci_high=0.44,
    ...           p_value_adjusted=1e-5, significant=True, error_sum=42.0,
    ...           weight_sum=120.0, overall_error=0.16, score=0.5)
    >>> print(plain_summary(s, "error_rate"))  # doctest: +NORMALIZE_WHITESPACE
    <p class="wb-plain" data-testid="plain-summary">Where sex is Female (120 rows): about
    <b>2.4 times</b> as many errors as in the rest (35 % vs 15 %), very unlikely to be
    chance. The true error is likely between 27 % and 44 %.</p>
    """
    rate = metric in RATE_METRICS
    where = " and ".join(plain_condition(p) for p in s.predicates) or "all rows"

    def show(v: float) -> str:
        if math.isnan(v):
            return "unknown"
        return f"{100 * v:.0f} %" if rate else f"{v:.3g}"

    p_value, adjusted, _ = p_value_shown(s.p_value, s.p_value_adjusted, s.p_value_correction)
    error, rest = float(s.slice_error), float(s.rest_error)
    if rest > 0 and not math.isnan(error):
        times = error / rest
        what = "errors" if rate else "error"
        if times >= 1.05:
            amount = "as many errors" if rate else "as large an error"
            compare = f"about <b>{times:.1f} times</b> {amount} as in the rest"
        elif times <= 0.95:
            compare = f"fewer {what} than the rest"
        else:
            compare = f"about as many {what} as the rest"
    else:
        compare = "errors where the rest has none" if error > 0 else "no errors"
    sentence = (
        f"Where {esc(where)} ({s.slice_size:,} rows): {compare} ({show(error)} vs {show(rest)}), "
        f"{_chance(p_value, s.significant)}"
        f"{'' if adjusted else ' (judged as one slice you chose, not corrected for a search)'}."
    )
    low, high = float(s.error_ci_low), float(s.error_ci_high)
    if not (math.isnan(low) or math.isnan(high)):
        sentence += f" The true error is likely between {show(low)} and {show(high)}."
    if metric in ABOVE_100 and (error > 1 or high > 1):
        sentence += f" ({ABOVE_100[metric]})"
    return f'<p class="wb-plain" data-testid="plain-summary">{sentence}</p>'
