"""Read one audio item into float samples and a sample rate.

An audio item is a file path (``str`` or ``pathlib.Path``), the raw bytes of
an audio file (WAV, FLAC, Ogg, ... anything ``soundfile`` reads; M4A, AAC,
MP4, MP3 and other compressed formats through PyAV, FFmpeg's bindings), or a
``(samples, sample_rate)`` tuple of a numpy array and an int. Integer samples
are scaled to [-1, 1); multi-channel audio is averaged to mono.
:func:`resample` changes the sample rate (polyphase filtering, scipy), and
:func:`load_manifest` reads a CSV/JSONL list of recordings with their
transcripts and speaker metadata.

This module imports numpy, pandas, ``soundfile``, ``av`` (on first use),
scipy (for resampling) and the standard library.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import soundfile as sf

from workbench.exceptions import DataError, EmptyDataError, InputFileError

__all__ = ["load_audio", "load_manifest", "resample"]

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
            samples, rate = _read_with_av(path, where, err)
    elif isinstance(item, (bytes, bytearray, memoryview)):
        where = f"{len(item)} bytes"
        try:
            samples, rate = sf.read(io.BytesIO(bytes(item)), dtype="float64", always_2d=False)
        except (sf.LibsndfileError, RuntimeError, OSError) as err:
            samples, rate = _read_with_av(io.BytesIO(bytes(item)), where, err)
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


def _read_with_av(source: Any, where: str, first_error: Exception) -> tuple[np.ndarray, int]:
    """Decode a compressed file (M4A/AAC/MP4/MP3/...) with PyAV: mono float64 and its rate."""
    try:
        import av
    except ImportError:
        raise InputFileError(
            f"Expected an audio file soundfile reads (WAV, FLAC, Ogg, ...); could not read "
            f"{where}: {first_error}. For M4A/AAC/MP4/MP3 install PyAV (pip install av, in the "
            "[audio] extra), or convert the file, for example with: sox input output.wav"
        ) from first_error
    try:
        with av.open(source) as container:
            if not container.streams.audio:
                raise InputFileError(
                    f"Expected an audio stream; {where} has none. Pass an audio file."
                )
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="dbl", layout="mono")
            chunks: list[np.ndarray] = []
            rate = 0
            for frame in container.decode(stream):
                rate = rate or int(frame.sample_rate)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except InputFileError:
        raise
    except Exception as err:  # PyAV raises its own error family (av.error.*)
        raise InputFileError(
            f"Expected a readable audio file; soundfile and PyAV cannot decode {where} "
            f"(soundfile: {first_error}; PyAV: {err}). Convert it, for example with: "
            "sox input output.wav"
        ) from err
    samples = np.concatenate(chunks) if chunks else np.zeros(0)
    return samples.astype(np.float64, copy=False), rate


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Resample mono float samples from ``rate`` to ``target`` Hz (polyphase, anti-aliased).

    Examples
    --------
    >>> import numpy as np
    >>> resample(np.zeros(48000), 48000, 16000).shape
    (16000,)
    """
    if rate == target:
        return samples
    from scipy.signal import resample_poly

    common = math.gcd(int(rate), int(target))
    return np.asarray(resample_poly(samples, target // common, rate // common), dtype=np.float64)


_PATH_NAMES = ("audio_path", "path", "audio", "audio_filepath", "file", "filename", "wav", "clip")
_TEXT_NAMES = ("transcript", "text", "reference", "sentence", "transcription")


def load_manifest(
    path: str | os.PathLike[str],
    *,
    path_column: str | None = None,
    text_column: str | None = None,
) -> pd.DataFrame:
    """Read a manifest of recordings: one row per clip with its path, transcript and metadata.

    A CSV (or TSV) file with a header, or JSON Lines (``.jsonl``/``.json``, one
    object per line, as in NeMo and Hugging Face manifests). Relative audio paths
    are resolved against the manifest's folder. The result has ``audio_path``
    (absolute), ``transcript`` (when there is one) and every other column as
    metadata (speaker, accent, device, ...), ready for ``Workbench.from_predictions``
    and for ``add_descriptors(AudioDescriptors(), "audio_path",
    text_column="transcript")``, which fills ``speaking_rate_wps``.

    Parameters
    ----------
    path : str or Path
        The manifest file.
    path_column, text_column : str, optional
        The columns holding the audio path and the transcript; by default the
        first of ``audio_path, path, audio, audio_filepath, file, filename, wav,
        clip`` and of ``transcript, text, reference, sentence, transcription``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.jsonl").write_text('{"audio_filepath": "a.wav", "text": "hi", "speaker": "s1"}\\n')
    >>> frame = load_manifest(folder / "m.jsonl")
    >>> list(frame.columns), frame.loc[0, "audio_path"] == str(folder / "a.wav")
    (['audio_path', 'transcript', 'speaker'], True)
    """
    source = Path(path)
    if not source.is_file():
        raise InputFileError(
            f"Expected a manifest file (CSV or JSON Lines); {str(source)!r} does not exist."
        )
    suffix = source.suffix.lower()
    try:
        if suffix in (".jsonl", ".json", ".ndjson"):
            frame = pd.read_json(source, lines=True, dtype=False)
        else:
            frame = pd.read_csv(source, sep=None, engine="python", dtype=str, keep_default_na=False)
    except ValueError as err:
        raise InputFileError(
            f"Expected a CSV file with a header or JSON Lines; could not read {str(source)!r}: {err}"
        ) from err
    if frame.empty:
        raise EmptyDataError(f"The manifest {str(source)!r} has no rows. Add one row per clip.")
    lowered = {str(c).lower(): c for c in frame.columns}
    audio = path_column or next((lowered[n] for n in _PATH_NAMES if n in lowered), None)
    if audio is None or audio not in frame.columns:
        raise DataError(
            f"Expected a column with the audio paths ({', '.join(_PATH_NAMES)}); the manifest "
            f"has {list(frame.columns)}. Pass path_column='...'."
        )
    text = text_column or next((lowered[n] for n in _TEXT_NAMES if n in lowered), None)
    if text_column is not None and text_column not in frame.columns:
        raise DataError(
            f"Expected the transcript column {text_column!r}; the manifest has "
            f"{list(frame.columns)}."
        )
    root = source.parent

    def absolute(value: Any) -> Any:
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            return None
        candidate = Path(str(value)).expanduser()
        return str(candidate if candidate.is_absolute() else root / candidate)

    out = pd.DataFrame({"audio_path": frame[audio].map(absolute)})
    if text is not None:
        out["transcript"] = frame[text].astype(object).where(frame[text].notna(), None)
    for column in frame.columns:
        if column not in (audio, text) and column not in out.columns:
            out[column] = frame[column]
    return out
