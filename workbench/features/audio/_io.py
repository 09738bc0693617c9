"""Read one audio item into float samples and a sample rate.

An audio item is a file path (``str`` or ``pathlib.Path``), the raw bytes of
an audio file (WAV, FLAC, Ogg, ... anything ``soundfile`` reads), or a
``(samples, sample_rate)`` tuple of a numpy array and an int. Integer samples
are scaled to [-1, 1); multi-channel audio is averaged to mono.

This module imports numpy, ``soundfile`` and the standard library.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from workbench.exceptions import DataError, EmptyDataError, InputFileError

__all__ = ["load_audio"]

_EXPECTED = (
    "an audio file path (str or Path), the bytes of an audio file, "
    "or a (samples ndarray, sample_rate) tuple"
)


def _to_mono_float(samples: np.ndarray) -> np.ndarray:
    if samples.dtype.kind in "iu":
        info = np.iinfo(samples.dtype)
        scale = float(info.max) + 1.0
        offset = 0.0 if info.min < 0 else scale / 2
        samples = (samples.astype(np.float64) - offset) / (scale - offset)
    else:
        samples = samples.astype(np.float64, copy=False)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    return samples


def load_audio(item: Any) -> tuple[np.ndarray, int]:
    """Return ``(samples, sample_rate)`` for one audio item.

    Parameters
    ----------
    item : str, Path, bytes or (ndarray, int)
        A file path, the bytes of an audio file, or samples with their rate.
        Arrays are 1-D (mono) or 2-D ``(frames, channels)``.

    Returns
    -------
    samples : numpy.ndarray of float64
        Mono samples, nominally in [-1, 1].
    sample_rate : int
        Samples per second.

    Examples
    --------
    >>> import numpy as np
    >>> samples, rate = load_audio((np.array([0, 16384, -32768], dtype=np.int16), 16000))
    >>> samples.tolist(), rate
    ([0.0, 0.5, -1.0], 16000)
    """
    where: str
    if isinstance(item, (str, os.PathLike)):
        path = Path(item)
        where = f"file {str(path)!r}"
        if not path.is_file():
            raise InputFileError(
                f"Expected {_EXPECTED}; the audio {where} does not exist. "
                "Check the path (relative paths are taken from the current directory)."
            )
        try:
            samples, rate = sf.read(path, dtype="float64", always_2d=False)
        except (sf.LibsndfileError, RuntimeError, OSError) as err:
            raise InputFileError(
                f"Expected a readable audio file (WAV, FLAC, Ogg, ...); could not read {where}: "
                f"{err}. Convert it, for example with: sox input output.wav"
            ) from err
    elif isinstance(item, (bytes, bytearray, memoryview)):
        where = f"{len(item)} bytes"
        try:
            samples, rate = sf.read(io.BytesIO(bytes(item)), dtype="float64", always_2d=False)
        except (sf.LibsndfileError, RuntimeError, OSError) as err:
            raise InputFileError(
                f"Expected the bytes of an audio file (WAV, FLAC, Ogg, ...); got {where} that "
                f"soundfile cannot decode ({err}). Pass the file's full contents, or a "
                "(samples, sample_rate) tuple for raw PCM."
            ) from err
    elif isinstance(item, tuple) and len(item) == 2:
        samples, rate = item
        where = "a (samples, sample_rate) tuple"
        samples = np.asarray(samples)
        if samples.ndim not in (1, 2) or samples.dtype.kind not in "iuf":
            raise DataError(
                f"Expected samples as a 1-D or 2-D (frames, channels) numeric array. Got an "
                f"array of shape {samples.shape} and dtype {samples.dtype}. Pass mono or "
                "frames-by-channels samples."
            )
        if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate <= 0:
            raise DataError(
                f"Expected the sample rate as a positive int (e.g. 16000). Got {rate!r}. "
                "Pass (samples, sample_rate)."
            )
    else:
        raise DataError(
            f"Expected {_EXPECTED}. Got {type(item).__name__} instead. "
            "Convert the item, e.g. str(path) or (array, 16000)."
        )
    samples = _to_mono_float(np.asarray(samples))
    if samples.size == 0:
        raise EmptyDataError(
            f"Expected audio with at least one sample; {where} holds none. "
            "Drop empty recordings before extracting descriptors."
        )
    if not np.all(np.isfinite(samples)):
        raise DataError(
            f"Expected finite audio samples; {where} contains NaN or infinity. "
            "Replace them (e.g. numpy.nan_to_num) or drop the recording."
        )
    return samples, int(rate)
