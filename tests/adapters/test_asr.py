"""The ASR runner and the offline PocketSphinx recogniser, on real synthetic speech."""

from __future__ import annotations

import io
import math
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from workbench.adapters import PocketSphinxASR, build_bigram_arpa, transcribe
from workbench.exceptions import DataError, ModelError
from workbench.metrics._wer import error_rate, word_errors

SENTENCES = [
    "Turn on the lights in the kitchen.",
    "Set an alarm for seven in the morning.",
    "Call my sister when you get home.",
    "Play some quiet music in the living room.",
    "Lock the front door before you go to bed.",
]


def test_transcribe_calls_the_asr_in_order_and_reports_progress():
    seen: list[tuple[int, int]] = []
    out = transcribe(["a", "b", "c"], str.upper, progress=lambda d, t: seen.append((d, t)))
    assert out == ["A", "B", "C"]
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_transcribe_rejects_non_callables_and_non_strings():
    with pytest.raises(ModelError, match="callable"):
        transcribe(["a"], "not a function", progress=False)  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="return a string"):
        transcribe(["a"], lambda item: 42, progress=False)  # type: ignore[arg-type, return-value]


def test_bigram_arpa_is_a_proper_distribution():
    arpa = build_bigram_arpa(SENTENCES)
    section = arpa.split("\\1-grams:")[1].split("\\2-grams:")[0]
    probs = [10 ** float(line.split("\t")[0]) for line in section.strip().splitlines()]
    assert math.isclose(sum(probs), 1.0, abs_tol=1e-3)  # <s> has -99: probability ~0
    assert "ngram 1=" in arpa and arpa.rstrip().endswith("\\end\\")
    with pytest.raises(DataError, match="at least one non-empty sentence"):
        build_bigram_arpa(["", "  "])


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs the espeak-ng program")
def test_pocketsphinx_with_in_domain_lm_recognises_clear_speech():
    asr = PocketSphinxASR(sentences=SENTENCES)
    items = []
    for text in SENTENCES:
        wav = subprocess.run(
            ["espeak-ng", "-v", "en-us", "--stdout", text], check=True, capture_output=True
        ).stdout
        samples, rate = sf.read(io.BytesIO(wav), dtype="float64")
        assert rate == 22050
        speech = signal.resample_poly(samples, 320, 441)  # 22050 -> 16000 Hz
        floor = np.random.default_rng(0).normal(0, 0.003, speech.size)  # a quiet room
        items.append((speech + floor, 16000))
    hypotheses = transcribe(items, asr, progress=False)
    errors, ref_words = word_errors(SENTENCES, hypotheses)
    assert error_rate(errors, ref_words) < 0.35


def test_pocketsphinx_resamples_other_sample_rates():
    asr = PocketSphinxASR(sentences=SENTENCES)
    assert isinstance(asr((np.zeros(8000), 8000)), str)  # 1 s at 8 kHz, resampled to 16 kHz


def test_pocketsphinx_reports_words_missing_from_the_dictionary():
    with pytest.raises(DataError, match="no pronunciation"):
        PocketSphinxASR(sentences=["the zxqvbn protocol"])
