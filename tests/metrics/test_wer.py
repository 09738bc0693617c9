"""Word/character error counts, the text normaliser and the word alignment."""

from __future__ import annotations

import jiwer
import numpy as np
import pytest

from workbench.exceptions import DataError
from workbench.metrics._wer import (
    align_words,
    char_errors,
    error_rate,
    normalize_text,
    number_to_words,
    word_errors,
)

# (reference, hypothesis, substitutions, deletions, insertions), counted by hand,
# already normalised so that jiwer sees exactly the same words.
HAND_CHECKED = [
    ("turn on the lights", "turn on the lights", 0, 0, 0),
    ("turn on the lights", "turn off the lights", 1, 0, 0),
    ("turn on the lights", "turn the lights", 0, 1, 0),
    ("turn on the lights", "please turn on the lights", 0, 0, 1),
    ("call my sister", "call mister", 1, 1, 0),  # my->mister, sister deleted (or the reverse)
    ("stop", "go away now", 1, 0, 2),
    ("set an alarm for seven", "set alarm for eleven please", 1, 1, 1),
    ("the train leaves at eight", "", 0, 5, 0),
]


def _by_hand(s: int, d: int, i: int) -> int:
    return s + d + i


@pytest.mark.parametrize(("reference", "hypothesis", "subs", "dels", "ins"), HAND_CHECKED)
def test_word_errors_match_hand_counts_and_jiwer(reference, hypothesis, subs, dels, ins):
    errors, ref_words = word_errors([reference], [hypothesis])
    assert errors.tolist() == [_by_hand(subs, dels, ins)]
    assert ref_words.tolist() == [len(reference.split())]
    if hypothesis:
        out = jiwer.process_words(reference, hypothesis)
        assert out.substitutions + out.deletions + out.insertions == subs + dels + ins
        assert out.wer == pytest.approx((subs + dels + ins) / len(reference.split()))


def test_reversed_sentence_is_six_edits():
    # "a b c d e f" vs "f e d c b a": keeping any one word costs an insertion and a
    # deletion around it, so six substitutions are already the cheapest alignment.
    errors, _ = word_errors(["a b c d e f"], ["f e d c b a"])
    out = jiwer.process_words("a b c d e f", "f e d c b a")
    assert errors.tolist() == [out.substitutions + out.deletions + out.insertions]
    assert errors[0] == 6


def test_batch_equals_jiwer_corpus_wer():
    refs = [r for r, h, *_ in HAND_CHECKED if h]
    hyps = [h for r, h, *_ in HAND_CHECKED if h]
    errors, ref_words = word_errors(refs, hyps)
    assert error_rate(errors, ref_words) == pytest.approx(jiwer.wer(refs, hyps))


def test_slice_wer_is_ratio_of_sums_not_mean_of_ratios():
    refs = ["stop", "please send the whole report to the team before nine tomorrow"]
    hyps = ["shop", "please send the whole report to the team before nine tomorrow"]
    errors, ref_words = word_errors(refs, hyps)
    assert errors.tolist() == [1, 0]
    assert ref_words.tolist() == [1, 11]
    assert error_rate(errors, ref_words) == pytest.approx(1 / 12)
    mean_of_ratios = np.mean(errors / ref_words)
    assert mean_of_ratios == pytest.approx(0.5)
    assert error_rate(errors, ref_words) != pytest.approx(mean_of_ratios)
    assert error_rate(errors, ref_words) == pytest.approx(jiwer.wer(refs, hyps))


def test_empty_reference_counts_insertions_with_zero_weight():
    errors, ref_words = word_errors(["", None, "go"], ["hello there", "", "go"])
    assert errors.tolist() == [2, 0, 0]
    assert ref_words.tolist() == [0, 0, 1]
    assert error_rate(errors, ref_words) == pytest.approx(2.0)
    assert np.isnan(error_rate(errors[:2], ref_words[:2]))


def test_normalisation_is_applied_to_both_sides():
    errors, _ = word_errors(["Turn LEFT in 200 metres."], ["turn left in two hundred metres"])
    assert errors.tolist() == [0]
    raw_errors, raw_words = word_errors(["Turn LEFT"], ["turn left"], normalize=False)
    assert raw_errors.tolist() == [2]
    assert raw_words.tolist() == [2]


def test_char_errors_agree_with_jiwer_cer():
    refs = ["stop the car", "turn on the lights"]
    hyps = ["shop the cars", "turn the light"]
    errors, ref_chars = char_errors(refs, hyps)
    assert ref_chars.tolist() == [len(refs[0]), len(refs[1])]
    assert error_rate(errors, ref_chars) == pytest.approx(jiwer.cer(refs, hyps))
    assert errors[0] == 2  # t->h, + s


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World!", "hello world"),
        ("  many   spaces\there ", "many spaces here"),
        ("42", "forty two"),
        ("0", "zero"),
        ("100", "one hundred"),
        ("9999", "nine thousand nine hundred ninety nine"),
        ("1,500 people", "one thousand five hundred people"),
        ("in 1984", "in nineteen eighty four"),
        ("in 2005", "in two thousand five"),
        ("in 2019", "in twenty nineteen"),
        ("in 1900", "in nineteen hundred"),
        ("3.5 km", "three point five km"),
        ("the 2nd and 21st", "the second and twenty first"),
        ("50% off", "fifty percent off"),
        ("rock & roll", "rock and roll"),
        ("don't STOP", "don't stop"),
        ("'quoted'", "quoted"),
        ("café", "cafe"),
        ("drive-through", "drive through"),
        (None, ""),
        (float("nan"), ""),
        ("", ""),
    ],
)
def test_normalize_text(text, expected):
    assert normalize_text(text) == expected


def test_number_to_words_rejects_non_numbers():
    with pytest.raises(DataError, match="whole number"):
        number_to_words("twelve")


def test_mismatched_lengths_raise_with_counts():
    with pytest.raises(DataError, match="2 references and 1 hypotheses"):
        word_errors(["a", "b"], ["a"])


def test_single_string_is_rejected():
    with pytest.raises(DataError, match="Wrap it in a list"):
        word_errors("turn on the lights", ["turn on the lights"])


def test_align_words_ops():
    ops = align_words("turn on the kitchen lights", "so turn the kitchen light")
    assert [op for op, _, _ in ops].count("equal") == 3
    assert (
        sum(op != "equal" for op, _, _ in ops)
        == word_errors(["turn on the kitchen lights"], ["so turn the kitchen light"])[0][0]
    )
    for op, ref, hyp in ops:
        assert (ref is None) == (op == "insert")
        assert (hyp is None) == (op == "delete")
    assert align_words("", "hi") == [("insert", None, "hi")]
    assert align_words("bye", None) == [("delete", "bye", None)]
