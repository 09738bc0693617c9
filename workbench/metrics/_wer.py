"""Word and character error counts for speech recognition, and word alignments.

A speech slice's error rate is a *ratio of sums*: the word error rate (WER) of
a slice is ``sum(word_errors) / sum(ref_words)`` over its utterances, not the
mean of per-utterance WERs (which would let a one-word utterance weigh as much
as a forty-word one). So the per-row error is the utterance's word-error
count and its weight is the reference word count; the search's generic
``sum(error) / sum(weight)`` is then exactly the slice WER.

An utterance whose reference is empty (after normalisation) but whose
hypothesis is not contributes its insertions as errors and 0 reference words:
it raises the WER of every slice it is in, and a slice made only of such
utterances has an undefined WER (``nan`` from :func:`error_rate`).

This module imports numpy, pandas, ``jiwer`` (the alignment) and the standard library.
It renders nothing: :func:`workbench.widgets.alignment_html` shows an alignment as HTML.
``jiwer`` ships with the ``[audio]`` extra and is imported on first use, so
importing this module never fails.

Examples
--------
>>> errors, ref_words = word_errors(["turn on the lights", "stop"], ["turn the light", "stop"])
>>> errors.tolist(), ref_words.tolist()
([2, 0], [4, 1])
>>> error_rate(errors, ref_words)
0.4
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.exceptions import DataError, MissingExtraError

__all__ = [
    "align_words",
    "char_errors",
    "error_rate",
    "normalize_text",
    "number_to_words",
    "word_errors",
]

AlignOp = Literal["equal", "substitute", "delete", "insert"]

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**9, "billion"), (10**6, "million"), (10**3, "thousand"))
_ORDINAL_SUFFIX = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_IRREGULAR_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens])
        if ones:
            words.append(_ONES[ones])
    elif rest or not words:
        words.append(_ONES[rest])
    return words


def _cardinal(n: int) -> list[str]:
    if n < 1000:
        return _below_thousand(n)
    words: list[str] = []
    for scale, name in _SCALES:
        if n >= scale:
            count, n = divmod(n, scale)
            words += [*_cardinal(count), name]
    if n:
        words += _below_thousand(n)
    return words


def number_to_words(number: int | str, *, year: bool = False) -> str:
    """Spell out a non-negative whole number the way it is usually spoken.

    Parameters
    ----------
    number : int or str
        A whole number ``>= 0``; a string may carry thousands separators (``"1,500"``).
    year : bool
        Read a four-digit number as a year: ``1984`` -> "nineteen eighty four",
        ``2005`` -> "two thousand five", ``2024`` -> "twenty twenty four".

    Returns
    -------
    str
        Lower-case words separated by single spaces (no "and", no hyphens).
        Numbers of a trillion or more are read digit by digit.

    Examples
    --------
    >>> number_to_words(42)
    'forty two'
    >>> number_to_words("1,500")
    'one thousand five hundred'
    >>> number_to_words(1984, year=True)
    'nineteen eighty four'
    """
    digits = str(number).replace(",", "").strip()
    if not digits.isdigit():
        raise DataError(
            f"number_to_words expects a whole number >= 0 (digits only). Got {number!r} instead. "
            "Pass an int or a string of digits."
        )
    n = int(digits)
    if n >= 10**12:
        return " ".join(_ONES[int(d)] for d in digits)
    if year and 1000 <= n <= 9999:
        high, low = divmod(n, 100)
        if 2000 <= n <= 2009 or (low == 0 and high % 10 == 0):
            return " ".join(_cardinal(n))
        if low == 0:
            return " ".join([*_cardinal(high), "hundred"])
        low_words = _cardinal(low) if low >= 10 else ["oh", _ONES[low]]
        return " ".join(_cardinal(high) + low_words)
    return " ".join(_cardinal(n))


def _ordinal(words: str) -> str:
    head, _, last = words.rpartition(" ")
    if last in _IRREGULAR_ORDINALS:
        last = _IRREGULAR_ORDINALS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head} {last}" if head else last


def _spell_number(match: re.Match[str]) -> str:
    token = match.group(0)
    whole, _, fraction = token.partition(".")
    has_separator = "," in whole
    plain = whole.replace(",", "")
    # A bare four-digit number from 1100 to 2099 is most often a year in speech.
    is_year = not has_separator and not fraction and len(plain) == 4 and 1100 <= int(plain) <= 2099
    if len(plain) > 1 and plain.startswith("0"):
        spoken = " ".join(_ONES[int(d)] for d in plain)  # codes such as "007"
    else:
        spoken = number_to_words(plain, year=is_year)
    if fraction:
        spoken += " point " + " ".join(_ONES[int(d)] for d in fraction)
    return f" {spoken} "


def _is_missing(text: Any) -> bool:
    if text is None or text is pd.NA:
        return True
    return isinstance(text, float) and math.isnan(text)


def normalize_text(text: Any) -> str:
    """Normalise a transcript so that only spoken words are compared.

    Lower-cases, spells out numbers ("42" -> "forty two", "1984" -> "nineteen
    eighty four", "3.5" -> "three point five", "2nd" -> "second", "%" ->
    "percent"), drops punctuation except apostrophes inside words ("don't" and
    "o'clock" stay; quotes go; hyphens and slashes split: "drive-through" ->
    "drive through"), removes accents
    and collapses whitespace. ``None``, ``NaN`` and ``pandas.NA`` become ``""``.

    Parameters
    ----------
    text : str, None or float
        One transcript.

    Returns
    -------
    str
        The normalised transcript, words separated by single spaces.

    Examples
    --------
    >>> normalize_text("Turn LEFT in 200 metres, then take the 2nd exit!")
    'turn left in two hundred metres then take the second exit'
    >>> normalize_text("It's 42% done, 'she said'.")
    "it's forty two percent done she said"
    >>> normalize_text(None)
    ''
    """
    if _is_missing(text):
        return ""
    out = unicodedata.normalize("NFKD", str(text))
    out = "".join(ch for ch in out if not unicodedata.combining(ch)).lower()
    out = out.replace("%", " percent ").replace("&", " and ")
    out = _ORDINAL_SUFFIX.sub(lambda m: f" {_ordinal(number_to_words(m.group(1)))} ", out)
    out = _NUMBER.sub(_spell_number, out)
    out = re.sub(r"[’`]", "'", out)
    # Keep apostrophes inside words ("don't", "o'clock": dictionary words), drop the rest.
    out = re.sub(r"(?<![^\W\d_])'|'(?![^\W\d_])", " ", out)
    out = re.sub(r"[^\w\s']|_", " ", out)
    return " ".join(out.split())


def _require_jiwer() -> Any:
    try:
        import jiwer
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MissingExtraError.for_extra("audio", "Word error rates", "jiwer") from err
    return jiwer


def _as_text_list(values: Iterable[Any] | str, role: str) -> list[Any]:
    if isinstance(values, str):
        raise DataError(
            f"{role} must be a sequence of transcripts (one per utterance). Got a single string "
            f"{values[:40]!r} instead. Wrap it in a list: [{role[:-1]}]."
        )
    return list(values)


def _error_counts(
    references: Iterable[Any] | str,
    hypotheses: Iterable[Any] | str,
    *,
    normalize: bool,
    unit: Literal["word", "char"],
) -> tuple[np.ndarray, np.ndarray]:
    refs = _as_text_list(references, "references")
    hyps = _as_text_list(hypotheses, "hypotheses")
    if len(refs) != len(hyps):
        raise DataError(
            f"references and hypotheses must have one transcript per utterance each. Got "
            f"{len(refs)} references and {len(hyps)} hypotheses. Pass aligned sequences."
        )
    prep = (
        normalize_text
        if normalize
        else (lambda t: "" if _is_missing(t) else " ".join(str(t).split()))
    )
    refs = [prep(r) for r in refs]
    hyps = [prep(h) for h in hyps]
    errors = np.zeros(len(refs), dtype=np.int64)
    ref_units = np.zeros(len(refs), dtype=np.int64)
    if unit == "word":
        ref_tokens: list[Sequence[str]] = [r.split() for r in refs]
        hyp_tokens: list[Sequence[str]] = [h.split() for h in hyps]
    else:
        ref_tokens, hyp_tokens = refs, hyps
    # jiwer aligns only non-trivial pairs; the all-empty cases are counted here.
    todo = [i for i in range(len(refs)) if ref_tokens[i] and hyp_tokens[i]]
    for i in range(len(refs)):
        ref_units[i] = len(ref_tokens[i])
        if not (ref_tokens[i] and hyp_tokens[i]):
            errors[i] = len(ref_tokens[i]) + len(hyp_tokens[i])
    if todo:
        jiwer = _require_jiwer()
        process = jiwer.process_words if unit == "word" else jiwer.process_characters
        output = process([refs[i] for i in todo], [hyps[i] for i in todo])
        for i, chunks in zip(todo, output.alignments, strict=True):
            count = 0
            for chunk in chunks:
                if chunk.type in ("substitute", "delete"):
                    count += chunk.ref_end_idx - chunk.ref_start_idx
                elif chunk.type == "insert":
                    count += chunk.hyp_end_idx - chunk.hyp_start_idx
            errors[i] = count
    return errors, ref_units


def word_errors(
    references: Iterable[Any], hypotheses: Iterable[Any], *, normalize: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Count word errors and reference words per utterance.

    Word errors are substitutions + deletions + insertions of the minimum-edit
    alignment computed by ``jiwer``. Use the errors as the per-row error and
    the reference word counts as the weight: a slice's WER is then
    ``errors[slice].sum() / ref_words[slice].sum()`` (see :func:`error_rate`).

    Parameters
    ----------
    references, hypotheses : sequence of str
        One reference (ground truth) and one ASR output per utterance.
        ``None``/``NaN`` count as empty. An empty reference with a non-empty
        hypothesis gives ``errors = insertions`` and ``ref_words = 0``.
    normalize : bool
        Apply :func:`normalize_text` to both sides first (recommended);
        ``False`` only splits on whitespace.

    Returns
    -------
    errors, ref_words : numpy.ndarray of int64
        Per-utterance word errors and reference word counts.

    Examples
    --------
    >>> errors, ref_words = word_errors(["Call 911 now."], ["call nine one one"])
    >>> int(errors[0]), int(ref_words[0])  # "call nine hundred eleven now"
    (3, 5)
    """
    return _error_counts(references, hypotheses, normalize=normalize, unit="word")


def char_errors(
    references: Iterable[Any], hypotheses: Iterable[Any], *, normalize: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Count character errors and reference characters per utterance (for CER).

    The same as :func:`word_errors` on characters: spaces between words count
    as characters, as in ``jiwer.cer``. A slice's CER is
    ``errors[slice].sum() / ref_chars[slice].sum()``.

    Parameters
    ----------
    references, hypotheses : sequence of str
        One reference and one ASR output per utterance.
    normalize : bool
        Apply :func:`normalize_text` to both sides first.

    Returns
    -------
    errors, ref_chars : numpy.ndarray of int64
        Per-utterance character errors and reference character counts.

    Examples
    --------
    >>> errors, ref_chars = char_errors(["stop"], ["shop"])
    >>> int(errors[0]), int(ref_chars[0])
    (1, 4)
    """
    return _error_counts(references, hypotheses, normalize=normalize, unit="char")


def error_rate(errors: Iterable[float], weights: Iterable[float]) -> float:
    """Pool per-utterance counts into one rate: ``sum(errors) / sum(weights)``.

    Parameters
    ----------
    errors, weights : sequence of numbers
        For example the two arrays returned by :func:`word_errors`.

    Returns
    -------
    float
        The pooled rate; ``nan`` when the weights sum to 0.

    Examples
    --------
    >>> error_rate([1, 3], [2, 18])  # not the mean of 0.5 and 0.167
    0.2
    """
    total_errors = float(np.sum(np.asarray(list(errors), dtype=float)))
    total_weight = float(np.sum(np.asarray(list(weights), dtype=float)))
    return total_errors / total_weight if total_weight > 0 else float("nan")


def align_words(
    reference: Any, hypothesis: Any, *, normalize: bool = True
) -> list[tuple[AlignOp, str | None, str | None]]:
    """Align one reference with one hypothesis, word by word.

    Parameters
    ----------
    reference, hypothesis : str
        One utterance's transcript and ASR output.
    normalize : bool
        Apply :func:`normalize_text` to both first.

    Returns
    -------
    list of (op, ref_word, hyp_word)
        ``op`` is ``"equal"``, ``"substitute"``, ``"delete"`` (``hyp_word`` is
        None) or ``"insert"`` (``ref_word`` is None), in reading order.

    Examples
    --------
    >>> align_words("turn on the kitchen lights", "turn the kitchen light")
    ... # doctest: +NORMALIZE_WHITESPACE
    [('equal', 'turn', 'turn'), ('delete', 'on', None), ('equal', 'the', 'the'),
     ('equal', 'kitchen', 'kitchen'), ('substitute', 'lights', 'light')]
    """
    prep = normalize_text if normalize else (lambda t: "" if _is_missing(t) else str(t))
    ref_words = prep(reference).split()
    hyp_words = prep(hypothesis).split()
    if not ref_words or not hyp_words:
        return [("delete", w, None) for w in ref_words] + [("insert", None, w) for w in hyp_words]
    jiwer = _require_jiwer()
    output = jiwer.process_words(" ".join(ref_words), " ".join(hyp_words))
    ops: list[tuple[AlignOp, str | None, str | None]] = []
    for chunk in output.alignments[0]:
        refs = ref_words[chunk.ref_start_idx : chunk.ref_end_idx]
        hyps = hyp_words[chunk.hyp_start_idx : chunk.hyp_end_idx]
        if chunk.type == "delete":
            ops += [("delete", r, None) for r in refs]
        elif chunk.type == "insert":
            ops += [("insert", None, h) for h in hyps]
        else:
            op: AlignOp = "equal" if chunk.type == "equal" else "substitute"
            ops += [(op, r, h) for r, h in zip(refs, hyps, strict=True)]
    return ops
