"""Run a speech recogniser over audio items, and an offline PocketSphinx recogniser.

:func:`transcribe` calls any ``asr(item) -> str`` callable over a list of audio
items with a progress report, so a user's own ASR (a cloud client, a local
model) plugs in as a plain function. :class:`PocketSphinxASR` is a small
offline recogniser built on the ``pocketsphinx`` wheel's US-English acoustic
model. With its generic language model, synthetic or accented speech is
decoded poorly (about 87 % WER on espeak speech), so it can build a small
in-domain bigram language model from the sentences the recordings were read
from (a closed vocabulary, as in command recognition):
:func:`build_bigram_arpa` writes that model in ARPA format.

This module imports numpy, the standard library, ``pocketsphinx`` (on first
use) and the package's own audio I/O (``_io``).
"""

from __future__ import annotations

import itertools
import math
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.exceptions import DataError, MissingExtraError, ModelError
from workbench.features._extractors import stderr_progress
from workbench.features.audio._io import load_audio
from workbench.metrics._wer import normalize_text

__all__ = ["PocketSphinxASR", "build_bigram_arpa", "transcribe"]

ProgressCallback = Callable[[int, int], None]


def _stderr_progress(done: int, total: int) -> None:
    stderr_progress(done, total, "transcribing")


def transcribe(
    items: Sequence[Any],
    asr: Callable[[Any], str],
    *,
    progress: ProgressCallback | bool | None = True,
) -> list[str]:
    """Run an ASR callable over audio items and collect its transcripts.

    Parameters
    ----------
    items : sequence
        Audio items (file paths, bytes, ``(samples, sample_rate)`` tuples,
        whatever ``asr`` accepts), one per utterance.
    asr : callable
        ``asr(item) -> str``. A :class:`PocketSphinxASR` instance works.
    progress : callable, bool or None
        ``progress(done, total)`` after each item; ``True`` (default) draws a
        bar on stderr; ``False``/``None`` is silent.

    Returns
    -------
    list of str
        One transcript per item, in order (``None`` results become ``""``).

    Examples
    --------
    >>> transcribe(["a.wav", "b.wav"], lambda path: f"heard {path}", progress=False)
    ['heard a.wav', 'heard b.wav']
    """
    if not callable(asr):
        raise ModelError(
            f"transcribe expects `asr` to be a callable taking one audio item and returning its "
            f"transcript. Got {type(asr).__name__} instead. Pass a function or a PocketSphinxASR."
        )
    report = _stderr_progress if progress is True else progress
    total = len(items)
    out: list[str] = []
    for done, item in enumerate(items, start=1):
        text = asr(item)
        if text is not None and not isinstance(text, str):
            raise ModelError(
                f"The ASR callable must return a string per item. Got {type(text).__name__} for "
                f"item {done - 1}. Make it return the transcript text."
            )
        out.append(text or "")
        if callable(report):
            report(done, total)
    return out


def build_bigram_arpa(sentences: Iterable[str], *, discount: float = 0.5) -> str:
    """Build a small backoff bigram language model in ARPA format.

    Absolute discounting: each seen bigram gives up ``discount`` counts, and
    the freed mass goes to the unigram distribution through a backoff
    weight. Unigrams are add-one smoothed over the vocabulary, so every word
    of the sentence set can follow any other, just less likely.

    Parameters
    ----------
    sentences : iterable of str
        The in-domain sentences; each is normalised with
        :func:`~workbench.metrics._wer.normalize_text`.
    discount : float
        Absolute discount in (0, 1).

    Returns
    -------
    str
        The model as ARPA text (``\\data\\``, ``\\1-grams:``, ``\\2-grams:``).

    Examples
    --------
    >>> arpa = build_bigram_arpa(["turn on the lights", "turn off the radio"])
    >>> "ngram 2=" in arpa and "<s> turn" in arpa
    True
    """
    if not 0 < discount < 1:
        raise DataError(f"discount must be in (0, 1). Got {discount!r} instead.")
    corpus = [normalize_text(s).split() for s in sentences]
    corpus = [s for s in corpus if s]
    if not corpus:
        raise DataError(
            "build_bigram_arpa needs at least one non-empty sentence. Got none. "
            "Pass the sentences the recordings were read from."
        )
    padded = [["<s>", *s, "</s>"] for s in corpus]
    unigrams = Counter(w for s in padded for w in s[1:])  # <s> is never predicted
    bigrams = Counter((a, b) for s in padded for a, b in itertools.pairwise(s))
    vocab = sorted(unigrams)
    total = sum(unigrams.values()) + len(vocab)
    p_uni = {w: (unigrams[w] + 1) / total for w in vocab}
    history_counts: Counter[str] = Counter()
    followers: dict[str, list[str]] = {}
    for (a, b), count in bigrams.items():
        history_counts[a] += count
        followers.setdefault(a, []).append(b)
    backoff: dict[str, float] = {}
    for a, nexts in followers.items():
        freed = discount * len(nexts) / history_counts[a]
        covered = sum(p_uni[b] for b in nexts)
        backoff[a] = freed / max(1.0 - covered, 1e-9)

    def log10(p: float) -> str:
        return f"{math.log10(p):.4f}"

    lines = ["\\data\\", f"ngram 1={len(vocab) + 1}", f"ngram 2={len(bigrams)}", "", "\\1-grams:"]
    lines.append(f"-99.0000\t<s>\t{log10(backoff['<s>'])}")
    for w in vocab:
        bow = f"\t{log10(backoff[w])}" if w in backoff else ""
        lines.append(f"{log10(p_uni[w])}\t{w}{bow}")
    lines += ["", "\\2-grams:"]
    for (a, b), count in sorted(bigrams.items()):
        lines.append(f"{log10((count - discount) / history_counts[a])}\t{a} {b}")
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def _require_pocketsphinx() -> Any:
    try:
        import pocketsphinx
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MissingExtraError.for_extra("audio", "PocketSphinxASR", "pocketsphinx") from err
    return pocketsphinx


class PocketSphinxASR:
    """An offline speech recogniser (CMU PocketSphinx, US-English acoustic model).

    Call it on one audio item (path, bytes or ``(samples, sample_rate)``) to get
    its transcript. Audio must be 16 kHz (mono; stereo is averaged).

    Parameters
    ----------
    sentences : iterable of str, optional
        In-domain sentences. When given, a bigram language model and a
        pronouncing dictionary restricted to their words are built (closed
        vocabulary); otherwise the wheel's generic language model is used.
    lm_path, dict_path : str or Path, optional
        Use your own ARPA/binary language model and dictionary instead.
    **config
        Further decoder options passed to ``pocketsphinx.Decoder``
        (for example ``lw=6.5`` or ``beam=1e-60``).

    Examples
    --------
    >>> asr = PocketSphinxASR(sentences=["turn on the lights", "stop the music"])
    >>> import numpy as np
    >>> text = asr((np.zeros(16000, dtype=np.int16), 16000))  # one second of silence
    >>> isinstance(text, str)
    True
    """

    sample_rate = 16000

    def __init__(
        self,
        sentences: Iterable[str] | None = None,
        *,
        lm_path: str | os.PathLike[str] | None = None,
        dict_path: str | os.PathLike[str] | None = None,
        **config: Any,
    ) -> None:
        pocketsphinx = _require_pocketsphinx()
        self.sentences = None if sentences is None else list(sentences)
        options: dict[str, Any] = {"samprate": self.sample_rate, "loglevel": "FATAL"}
        options.update(config)
        # The decoder reads its model files once, at construction: a scratch folder is enough.
        with tempfile.TemporaryDirectory(prefix="workbench-asr-") as scratch:
            if self.sentences is not None:
                lm_file = Path(scratch) / "in_domain.arpa"
                lm_file.write_text(build_bigram_arpa(self.sentences), encoding="utf-8")
                dict_file = Path(scratch) / "in_domain.dict"
                words = {w for s in self.sentences for w in normalize_text(s).split()}
                dict_file.write_text(_restricted_dictionary(pocketsphinx, words), encoding="utf-8")
                lm_path, dict_path = lm_path or lm_file, dict_path or dict_file
            if lm_path is not None:
                options["lm"] = str(lm_path)
            if dict_path is not None:
                options["dict"] = str(dict_path)
            self._decoder = pocketsphinx.Decoder(**options)

    def __call__(self, item: Any) -> str:
        samples, rate = load_audio(item)
        if rate != self.sample_rate:
            raise DataError(
                f"PocketSphinxASR expects {self.sample_rate} Hz audio. Got {rate} Hz instead. "
                "Resample the audio to 16 kHz first (for example with sox or "
                "scipy.signal.resample_poly)."
            )
        pcm = np.clip(np.rint(samples * 32767.0), -32768, 32767).astype("<i2")
        decoder = self._decoder
        decoder.start_utt()
        decoder.process_raw(pcm.tobytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return "" if hyp is None else str(hyp.hypstr)

    def __getstate__(self) -> dict[str, Any]:
        # The decoder is a C object: ship the recipe, rebuild it in the other process.
        raise TypeError(
            "PocketSphinxASR cannot be pickled; create one per process "
            "(for example in a ProcessPoolExecutor initializer)."
        )


def _restricted_dictionary(pocketsphinx: Any, words: set[str]) -> str:
    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    wanted = set(words)
    lines = []
    found: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            head = line.split(" ", 1)[0]
            base = head.split("(", 1)[0]
            if base in wanted:
                lines.append(line.rstrip("\n"))
                found.add(base)
    missing = sorted(wanted - found)
    if missing:
        raise DataError(
            f"PocketSphinxASR: no pronunciation for {missing[:10]} in the CMU dictionary. "
            "Expected every in-domain word to be an English dictionary word. "
            "Rephrase those sentences or pass your own dict_path=..."
        )
    return "\n".join(lines) + "\n"
