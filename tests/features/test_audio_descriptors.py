"""Audio descriptors on real and known signals; bad inputs; the [audio] import guard."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from scipy import signal
from scipy.stats import spearmanr

from workbench.exceptions import DataError, EmptyDataError, InputFileError
from workbench.features import run_extractor
from workbench.features.audio import AudioDescriptors, describe_audio, load_audio

RATE = 16000
REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data" / "speech" / "speech_clips.parquet"


def _tone(seconds: float, amplitude: float = 0.3, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * freq * t)


def test_columns_and_shape_follow_the_extractor_interface():
    extractor = AudioDescriptors()
    frame = run_extractor(extractor, [(_tone(0.5), RATE), (_tone(1.0), RATE)], batch_size=1)
    assert list(frame.columns) == list(AudioDescriptors.columns)
    assert len(frame) == 2
    numeric = frame.drop(columns="bandwidth_class")
    assert all(dtype == np.float64 for dtype in numeric.dtypes)
    assert frame["bandwidth_class"].tolist() == ["telephone", "telephone"]  # a 440 Hz tone


def test_duration_is_exact_and_silences_are_found(rng):
    lead, speech, trail = 0.37, 1.2, 0.61
    clip = np.concatenate([np.zeros(int(lead * RATE)), _tone(speech), np.zeros(int(trail * RATE))])
    clip = clip + rng.normal(0, 1e-4, clip.size)  # a quiet room, not digital silence
    out = describe_audio(clip, RATE)
    assert out["duration_s"] == clip.size / RATE
    assert abs(out["leading_silence_s"] - lead) < 0.05
    assert abs(out["trailing_silence_s"] - trail) < 0.05


def test_clipping_share():
    clipped = np.clip(_tone(1.0, amplitude=2.0), -1.0, 1.0)
    assert describe_audio(clipped, RATE)["clipping_share"] > 0.3
    assert describe_audio(_tone(1.0, amplitude=0.5), RATE)["clipping_share"] == 0.0


def test_bandwidth_narrowband_vs_wideband(rng):
    wideband = rng.normal(0, 0.1, 2 * RATE)
    lowpass = signal.butter(8, 3400, fs=RATE, output="sos")
    narrowband = signal.sosfilt(lowpass, wideband)
    assert describe_audio(narrowband, RATE)["bandwidth_hz"] < 4000
    assert describe_audio(wideband, RATE)["bandwidth_hz"] > 5000


def test_levels_snr_and_speaking_rate_on_a_known_mix(rng):
    speech = np.concatenate([np.zeros(RATE // 2), _tone(2.0, 0.1), np.zeros(RATE // 2)])
    noise = rng.normal(0, 0.01, speech.size)  # 0.1 amplitude sine: -23 dBFS; noise -40 dBFS
    out = describe_audio(speech + noise, RATE, text="turn on the lights")
    assert out["noise_level_dbfs"] == pytest.approx(-40.0, abs=1.0)
    assert out["loudness_dbfs"] == pytest.approx(-23.0, abs=1.0)
    # SNR over the whole clip, as mixing SNR is defined: the tone fills 2 s of 3 s,
    # so 17 dB - 10 log10(3 / 2) = 15.2 dB
    assert out["snr_db"] == pytest.approx(15.2, abs=1.0)
    assert out["speaking_rate_wps"] == pytest.approx(4 / 2.0, rel=0.05)
    assert np.isnan(describe_audio(speech + noise, RATE)["speaking_rate_wps"])


def test_items_may_be_paths_bytes_tuples_or_dicts(tmp_path):
    clip = np.concatenate([np.zeros(RATE // 4), _tone(1.0), np.zeros(RATE // 4)])
    pcm = np.rint(clip * 32767).astype(np.int16)
    path = tmp_path / "clip.flac"
    sf.write(path, pcm, RATE)
    buffer = io.BytesIO()
    sf.write(buffer, pcm, RATE, format="WAV")
    items = [
        str(path),
        path,
        buffer.getvalue(),
        (pcm, RATE),
        (np.stack([clip, clip], axis=1), RATE),
        {"audio": path, "text": "one two three"},
    ]
    frame = AudioDescriptors().extract(items)
    assert frame["duration_s"].tolist() == [1.5] * 6
    assert frame["loudness_dbfs"].std() < 0.01
    assert frame["speaking_rate_wps"].isna().tolist() == [True] * 5 + [False]


def test_parallel_extraction_matches_serial(rng):
    items = [(rng.normal(0, 0.05, RATE // 2), RATE) for _ in range(40)]
    serial = AudioDescriptors().extract(items)
    parallel = AudioDescriptors(n_jobs=2, min_items_per_job=10).extract(items)
    pd.testing.assert_frame_equal(serial, parallel)


@pytest.mark.parametrize(
    ("item", "error", "message"),
    [
        ("no/such/file.wav", InputFileError, "does not exist"),
        (b"this is not audio at all", InputFileError, "cannot decode"),
        ((np.zeros(0), RATE), EmptyDataError, "at least one sample"),
        ((np.zeros(100), 0), DataError, "positive int"),
        ((np.full(100, np.nan), RATE), DataError, "NaN"),
        (12345, DataError, "Got int instead"),
        ({"text": "hello"}, DataError, "'audio' key"),
    ],
)
def test_bad_inputs_say_expected_got_fix(item, error, message):
    with pytest.raises(error, match=message) as info:
        AudioDescriptors().extract([item])
    assert "Expected" in str(info.value) or "must" in str(info.value)


def test_unreadable_file_is_an_input_file_error(tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF....WAVEnonsense")
    with pytest.raises(InputFileError, match="readable audio file"):
        load_audio(path)


def test_core_never_imports_the_audio_extra():
    code = "import sys, workbench; print('workbench.features.audio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_missing_extra_names_the_pip_install():
    code = (
        "import sys; sys.modules['soundfile'] = None\n"
        "try:\n    import workbench.features.audio\n"
        "except ImportError as err:\n    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert "pip install 'slice-workbench[audio]'" in out.stdout
    assert "soundfile" in out.stdout


def test_snr_tracks_true_snr_on_the_shipped_sample():
    table = pd.read_parquet(SAMPLE)
    noisy = table[table["noise_type"] != "none"]
    assert len(noisy) >= 1000
    assert spearmanr(noisy["snr_db_true"], noisy["snr_db"]).statistic >= 0.9
    clean = table[table["noise_type"] == "none"]
    assert clean["snr_db"].median() > noisy["snr_db"].max() - 10


def test_bandwidth_class_matches_the_channel_of_shipped_clips():
    # 20 clips of each channel x noise type (160). Measured: telephone 80 of 80, wideband
    # 76 of 80 (the roll-off rule it replaced: 65 of 80); on 290 others 142 of 142 and
    # 144 of 148
    table = pd.read_parquet(SAMPLE).dropna(subset=["audio_path"])
    picked = pd.concat(
        [group.sample(20, random_state=1) for _, group in table.groupby(["channel", "noise_type"])]
    )
    frame = AudioDescriptors().extract([REPO / path for path in picked["audio_path"]])
    right = (frame["bandwidth_class"].to_numpy() == picked["channel"].to_numpy()).mean()
    assert right >= 0.95


def _espeak(text: str, voice: str) -> np.ndarray:
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True
    ).stdout
    samples, rate = sf.read(io.BytesIO(wav), dtype="float64")
    return signal.resample_poly(samples, RATE // 50, rate // 50)  # 22050 -> 16000


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs the espeak-ng program")
def test_snr_tracks_true_snr_on_fresh_espeak_mixes(rng):
    speech = _espeak("Please send the report to the whole team before nine.", "en-gb")
    speech = np.concatenate([np.zeros(RATE // 3), speech, np.zeros(RATE // 3)])
    talker = _espeak("Nobody knew where the old map had gone that morning.", "en-us+f3")
    p_speech = np.mean(speech**2)
    truth, estimate = [], []
    for kind in ("white", "pink", "babble"):
        for snr in (20, 10, 5, 0):
            if kind == "white":
                noise = rng.standard_normal(speech.size)
            elif kind == "pink":
                spectrum = np.fft.rfft(rng.standard_normal(speech.size))
                freqs = np.fft.rfftfreq(speech.size)
                freqs[0] = freqs[1]
                noise = np.fft.irfft(spectrum / np.sqrt(freqs), speech.size)
            else:
                noise = np.resize(np.roll(talker, rng.integers(talker.size)), speech.size)
                noise += np.resize(np.roll(talker[::-1], rng.integers(talker.size)), speech.size)
            noise *= np.sqrt(p_speech / np.mean(noise**2) / 10 ** (snr / 10))
            truth.append(snr)
            estimate.append(describe_audio(speech + noise, RATE)["snr_db"])
    assert spearmanr(truth, estimate).statistic >= 0.9
