"""Interpretable descriptors of a recording: SNR, levels, clipping, silences, rate, bandwidth.

:class:`AudioDescriptors` is an extractor plug-in (see
``workbench.features._extractors``): ``extract(batch)`` returns one row per
audio item with the columns in :attr:`AudioDescriptors.columns`.

How each descriptor is measured (25 ms frames, 10 ms hop, at the file's own
sample rate; levels are mean-square dBFS, where a full-scale square wave is
0 dBFS and a full-scale sine -3 dBFS):

* ``noise_level_dbfs``: the 10th percentile of frame power (the background
  between and around words), floored at -100 dBFS. (Tried on the speech
  sample: the mean of the quietest 10 % of frames, a per-frequency minimum
  statistics estimate and an iterated non-speech mean all ranked the true SNR
  slightly worse, 0.90-0.93 against 0.93.)
* speech frames: frames louder than a threshold placed between the noise level
  and the loud-speech level (the 95th percentile of frame power): halfway
  between them, but never more than 30 dB below the loud level.
* ``snr_db``: ``10 log10(mean(max(P_frame - P_noise, 0)) / P_noise)`` over
  every frame: the clip's speech power with the noise subtracted frame by
  frame, over the noise power, which is how mixing SNR is defined (speech
  power over the whole clip). Measured on the ten real pocketsphinx-testdata
  clips mixed at -5, 0, 5, 10 and 20 dB (``benchmarks/snr_real_speech.py``):
  mean absolute error 3.9 dB over 150 mixes (bias +3.2 dB); white noise 0.7 dB
  (within 2 dB at every level), pink 3.0 dB (+6 dB at -5 dB), babble (the four
  other clips of a folder) 8.1 dB: +15 dB at -5 dB falling to 0 dB at 20 dB,
  because a percentile underestimates a fluctuating noise's power. Read it as
  a ranking of noisiness more than as a calibrated level for babble.
* ``loudness_dbfs``: the mean power of the speech frames.
* ``clipping_share``: the share of samples within 0.1 % of full scale.
* ``duration_s``, ``leading_silence_s``, ``trailing_silence_s``: from the first
  and last speech frame (frame centres).
* ``speaking_rate_wps``: reference words per second of speech (between the
  first and last speech frame); NaN unless the item carries its text.
* ``bandwidth_hz``: the 95th percentile, over speech frames, of the frequency
  below which 95 % of a frame's energy lies: about 3.4 kHz or less for a
  telephone channel, 5 kHz and more for wideband speech.
* ``bandwidth_class``: ``telephone`` when the speech has been through a
  300-3,400 Hz channel, else ``wideband``: one clear category, where the
  automatic quantile bins of ``bandwidth_hz`` cut the telephone group apart.
  A recording at 8 kHz or less is telephone; otherwise the energy of the
  speech frames above the band (4-7.5 kHz) and below it (50-250 Hz) is read
  against the energy inside it, and the two levels in dB are added: a
  telephone channel removes both ends, so the sum falls below
  ``TELEPHONE_OUTSIDE_DB``. A plain roll-off of ``bandwidth_hz`` below 4 kHz
  called 2 of the 8 real 48 kHz voice clips of ``alsa-utils`` and 13 % of
  the sample's wideband clips telephone (a low voice has little energy above
  4 kHz, but keeps its lowest octave). Measured: real clean clips -32 to -10
  dB, the same through a telephone band -56 dB and lower; on the synthetic
  sample wideband -33 to -10 dB, telephone -37 dB and lower.

This module imports numpy, pandas, the standard library and the package's
``_io`` and ``metrics._wer`` modules.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from workbench.exceptions import DataError, ParameterError
from workbench.features.audio._io import load_audio
from workbench.metrics._wer import normalize_text

__all__ = ["AudioDescriptors", "describe_audio"]

FRAME_S = 0.025
HOP_S = 0.010
NOISE_PERCENTILE = 10.0
FLOOR_POWER = 1e-10  # -100 dBFS: below 16-bit quantisation noise
CLIP_LEVEL = 0.999
ROLLOFF_SHARE = 0.95
#: Below this sum of the levels (dB) above and below the telephone band, relative
#: to the energy inside it, a recording is called ``telephone``.
TELEPHONE_OUTSIDE_DB = -35.0
_IN_BAND_HZ = (300.0, 3400.0)
_ABOVE_BAND_HZ = (4000.0, 7500.0)
_BELOW_BAND_HZ = (50.0, 250.0)
COLUMNS = (
    "snr_db",
    "noise_level_dbfs",
    "loudness_dbfs",
    "clipping_share",
    "duration_s",
    "leading_silence_s",
    "trailing_silence_s",
    "speaking_rate_wps",
    "bandwidth_hz",
    "bandwidth_class",
)


def _db(power: float | np.ndarray) -> Any:
    return 10.0 * np.log10(np.maximum(power, FLOOR_POWER))


def describe_audio(
    samples: np.ndarray, sample_rate: int, text: str | None = None
) -> dict[str, Any]:
    """Compute every descriptor of one mono recording.

    Parameters
    ----------
    samples : numpy.ndarray
        Mono float samples in [-1, 1] (see :func:`load_audio`).
    sample_rate : int
        Samples per second.
    text : str, optional
        The reference transcript, for ``speaking_rate_wps``.

    Returns
    -------
    dict
        ``{column: value}`` for every name in :attr:`AudioDescriptors.columns`
        (floats, and the ``bandwidth_class`` label).

    Examples
    --------
    >>> import numpy as np
    >>> rate = 16000
    >>> t = np.arange(rate) / rate
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    >>> clip = np.concatenate([np.zeros(rate // 2), tone, np.zeros(rate // 4)])
    >>> d = describe_audio(clip, rate)
    >>> round(d["duration_s"], 2), round(d["leading_silence_s"], 1), round(d["trailing_silence_s"], 1)
    (1.75, 0.5, 0.2)
    """
    n = samples.shape[0]
    duration = n / sample_rate
    frame = max(1, round(FRAME_S * sample_rate))
    hop = max(1, round(HOP_S * sample_rate))
    if n < frame:
        samples = np.pad(samples, (0, frame - n))
    frames = sliding_window_view(samples, frame)[::hop]
    power = np.einsum("ij,ij->i", frames, frames) / frame

    noise_power = max(float(np.percentile(power, NOISE_PERCENTILE)), FLOOR_POWER)
    loud_power = max(float(np.percentile(power, 95)), FLOOR_POWER)
    noise_db, loud_db = float(_db(noise_power)), float(_db(loud_power))
    threshold_db = loud_db - min(30.0, 0.5 * (loud_db - noise_db))
    active = _db(power) >= threshold_db
    if not active.any():  # constant signal: all frames equal
        active[:] = True
    active_idx = np.flatnonzero(active)
    speech_power = max(float(power[active].mean()), FLOOR_POWER)
    clean_power = float(np.mean(np.maximum(power - noise_power, 0.0)))
    snr = float(_db(max(clean_power, noise_power * 1e-3) / noise_power))

    centre = frame / 2 / sample_rate
    first = active_idx[0] * hop / sample_rate + centre
    last = active_idx[-1] * hop / sample_rate + centre
    leading = float(min(max(first - centre, 0.0), duration))
    trailing = float(min(max(duration - last - centre, 0.0), duration))
    speech_span = max(duration - leading - trailing, 1.0 / sample_rate)

    words = len(normalize_text(text).split()) if text is not None else None
    rate = words / speech_span if words is not None else math.nan

    bandwidth, outside_db = _bandwidth(frames[active_idx], sample_rate)
    clipping = float(np.count_nonzero(np.abs(samples[:n]) >= CLIP_LEVEL) / n)
    return {
        "snr_db": snr,
        "noise_level_dbfs": noise_db,
        "loudness_dbfs": float(_db(speech_power)),
        "clipping_share": clipping,
        "duration_s": duration,
        "leading_silence_s": leading,
        "trailing_silence_s": trailing,
        "speaking_rate_wps": float(rate),
        "bandwidth_hz": bandwidth,
        "bandwidth_class": (
            "telephone" if sample_rate <= 8000 or outside_db < TELEPHONE_OUTSIDE_DB else "wideband"
        ),
    }


def _bandwidth(frames: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """The roll-off frequency (``bandwidth_hz``) and the level outside the telephone band.

    The second value is the energy above the band plus the energy below it, each in
    dB relative to the energy inside it (0 when the frames hold no energy).
    """
    if frames.shape[0] > 400:  # a spread-out sample of frames is plenty for a percentile
        frames = frames[np.linspace(0, frames.shape[0] - 1, 400).astype(int)]
    n_fft = 1 << (frames.shape[1] - 1).bit_length()
    spectra = np.abs(np.fft.rfft(frames * np.hanning(frames.shape[1]), n=n_fft, axis=1)) ** 2
    cumulative = np.cumsum(spectra, axis=1)
    totals = cumulative[:, -1]
    keep = totals > 0
    if not keep.any():
        return math.nan, 0.0
    cumulative = cumulative[keep]
    bins = (cumulative < ROLLOFF_SHARE * cumulative[:, -1:]).sum(axis=1)
    rolloff = bins * sample_rate / n_fft
    energy = spectra[keep].sum(axis=0)
    frequency = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)

    def band(low: float, high: float) -> float:
        return float(energy[(frequency >= low) & (frequency < high)].sum())

    inside = band(*_IN_BAND_HZ)
    floor = 1e-12 * float(energy.sum())
    outside_db = sum(
        float(_db(max(band(*edges), floor) / max(inside, floor)))
        for edges in (_ABOVE_BAND_HZ, _BELOW_BAND_HZ)
    )
    return float(np.percentile(rolloff, 95)), outside_db


def _describe_item(item: Any) -> dict[str, Any]:
    text = None
    if isinstance(item, dict):
        if "audio" not in item:
            raise DataError(
                f"A dict item must have an 'audio' key (and optionally 'text'). Got keys "
                f"{sorted(item)}. Pass {{'audio': path_or_bytes_or_tuple, 'text': reference}}."
            )
        text = item.get("text")
        if text is not None and not isinstance(text, str):
            text = None if pd.isna(text) else str(text)
        item = item["audio"]
    samples, rate = load_audio(item)
    return describe_audio(samples, rate, text)


def _describe_chunk(items: list[Any]) -> list[dict[str, Any]]:
    return [_describe_item(item) for item in items]


class AudioDescriptors:
    """Extractor of interpretable audio descriptors (SNR, loudness, clipping, ...).

    A batch item is an audio file path (``str``/``Path``), the bytes of an
    audio file, a ``(samples, sample_rate)`` tuple, or a dict
    ``{"audio": <one of those>, "text": <reference transcript>}``; only items
    with a text get a ``speaking_rate_wps`` (others get NaN).

    Parameters
    ----------
    n_jobs : int
        Worker threads for large batches (``-1``: one per CPU). Batches smaller
        than ``min_items_per_job * n_jobs`` run in the calling thread. Threads
        need no ``__main__`` guard and cost nothing to start.
    min_items_per_job : int
        Items per worker below which splitting the batch does not pay.

    Examples
    --------
    >>> import numpy as np
    >>> noise = np.random.default_rng(0).normal(0, 0.01, 16000)
    >>> AudioDescriptors().extract([(noise, 16000)])["duration_s"].tolist()
    [1.0]
    """

    name = "audio_descriptors"
    columns: ClassVar[tuple[str, ...]] = COLUMNS
    version = "4"

    def __init__(self, *, n_jobs: int = 1, min_items_per_job: int = 200) -> None:
        self.n_jobs = n_jobs
        self.min_items_per_job = min_items_per_job

    def _workers(self) -> int:
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, int) or self.n_jobs == 0:
            raise ParameterError(
                f"The 'n_jobs' parameter of AudioDescriptors must be a non-zero int "
                f"(-1 for all CPUs). Got {self.n_jobs!r} instead."
            )
        return (os.cpu_count() or 1) if self.n_jobs < 0 else self.n_jobs

    def extract(self, batch: Sequence[Any]) -> pd.DataFrame:
        """Describe every item of ``batch``.

        Parameters
        ----------
        batch : sequence
            Audio items (see the class docstring).

        Returns
        -------
        pandas.DataFrame
            ``len(batch)`` rows, columns :attr:`columns` (float64, and the
            ``bandwidth_class`` label).

        Examples
        --------
        >>> import numpy as np
        >>> AudioDescriptors().extract([(np.zeros(8000), 8000)])["clipping_share"].tolist()
        [0.0]
        """
        items = list(batch)
        workers = min(self._workers(), max(1, len(items) // max(1, self.min_items_per_job)))
        if workers <= 1:
            rows = _describe_chunk(items)
        else:
            # Threads, not processes: numpy's frame arithmetic and FFTs release the GIL,
            # nothing has to be pickled or re-imported, and no `if __name__ ==
            # "__main__"` guard is needed in scripts.
            size = math.ceil(len(items) / (workers * 4))
            chunks = [items[i : i + size] for i in range(0, len(items), size)]
            with ThreadPoolExecutor(max_workers=workers) as pool:
                rows = [row for part in pool.map(_describe_chunk, chunks) for row in part]
        frame = pd.DataFrame(rows, columns=list(self.columns))
        numeric = [c for c in self.columns if c != "bandwidth_class"]
        frame[numeric] = frame[numeric].astype("float64")
        return frame
