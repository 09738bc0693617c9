"""Audio on real recordings: compressed formats, manifests, bandwidth class, rates, threads.

The real clips are Debian's ``pocketsphinx-testdata`` (read speech with
transcripts, BSD; skipped when not installed: see ``real_media.py``).
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import signal

pytest.importorskip("soundfile")

import workbench as wb
from workbench.features._binning import encode_features
from workbench.features.audio import (
    AudioDescriptors,
    describe_audio,
    load_audio,
    load_manifest,
    resample,
)

from .real_media import ALSA_SOUNDS, pocketsphinx_data, snr_benchmark

RATE = 16000


@pytest.fixture(scope="module")
def clips() -> dict[Path, str]:
    return snr_benchmark().transcripts(pocketsphinx_data())


def _write_m4a(path: Path, samples: np.ndarray, rate: int) -> None:
    av = pytest.importorskip("av")
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "mono"
        frame_size = 1024
        pcm = samples.astype(np.float32)
        for start in range(0, len(pcm), frame_size):
            chunk = pcm[start : start + frame_size].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def test_m4a_is_read_through_pyav(clips: dict[Path, str], tmp_path: Path) -> None:
    path = next(iter(clips))
    samples, rate = load_audio(path)
    target = tmp_path / "clip.m4a"
    _write_m4a(target, samples, rate)
    decoded, decoded_rate = load_audio(target)
    assert decoded_rate == rate
    assert abs(len(decoded) - len(samples)) < 0.15 * rate  # AAC priming and frame padding
    assert load_audio(target.read_bytes())[1] == rate
    row = AudioDescriptors().extract([target]).iloc[0]
    assert abs(row["duration_s"] - len(samples) / rate) < 0.15


def test_manifest_carries_transcripts_into_speaking_rate(
    clips: dict[Path, str], tmp_path: Path
) -> None:
    rows = [
        {
            "audio_filepath": str(path),
            "text": text,
            "speaker": "cards" if "cards" in str(path) else "librivox",
        }
        for path, text in clips.items()
    ]
    manifest = tmp_path / "clips.jsonl"
    manifest.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    frame = load_manifest(manifest)
    assert list(frame.columns) == ["audio_path", "transcript", "speaker"]
    csv = tmp_path / "clips.csv"
    pd.DataFrame(rows).rename(columns={"audio_filepath": "path"}).to_csv(csv, index=False)
    assert load_manifest(csv)["transcript"].tolist() == frame["transcript"].tolist()

    frame["label"] = frame["transcript"]
    frame["hypothesis"] = frame["transcript"]
    bench = wb.Workbench.from_predictions(
        frame, label="label", prediction="hypothesis", metric="wer", path=":memory:"
    )
    out = bench.add_descriptors(
        AudioDescriptors(), "audio_path", text_column="transcript", progress=False
    )
    # read speech: measured 1.6-3.6 words per second of speech
    assert out["speaking_rate_wps"].between(1.0, 5.0).all()
    bench.close()


def test_two_audio_columns_of_real_clips_give_two_descriptor_sets(
    clips: dict[Path, str], tmp_path: Path
) -> None:
    # each clip recorded twice: on the close microphone and through a telephone line
    sf = pytest.importorskip("soundfile")
    sos = signal.butter(8, [300, 3400], btype="bandpass", fs=RATE, output="sos")
    rows = []
    for index, (path, text) in enumerate(clips.items()):
        samples, rate = load_audio(path)
        phone = tmp_path / f"phone_{index}.wav"
        sf.write(phone, resample(signal.sosfilt(sos, samples), rate, 8000), 8000)
        rows.append(
            {
                "close": str(path),
                "phone": phone.name,
                "speaker": path.parent.name,
                "label": text,
                "hyp": text,
            }
        )
    frame = pd.DataFrame(rows * 2)
    bench = wb.Workbench.from_predictions(
        frame, label="label", prediction="hyp", metric="wer", path=":memory:"
    )
    close = bench.add_descriptors(AudioDescriptors(), "close", prefix="close_", progress=False)
    phone = bench.add_descriptors(
        AudioDescriptors(), "phone", base_dir=tmp_path, prefix="phone_", progress=False
    )
    assert set(close["close_bandwidth_class"]) == {"wideband"}
    assert set(phone["phone_bandwidth_class"]) == {"telephone"}
    stored = bench._store.read_dataset(bench.dataset_id)
    assert {"close_snr_db", "phone_snr_db", "close_bandwidth_hz", "phone_bandwidth_hz"} <= set(
        stored.columns
    )
    assert (stored["close_bandwidth_hz"] > stored["phone_bandwidth_hz"]).all()
    bench.close()


def test_telephone_and_wideband_classes_on_real_speech(clips: dict[Path, str]) -> None:
    # the ten transcribed clips and alsa-utils' eight 48 kHz voice clips, clean and with
    # white noise at 0 dB, each also through a 300-3,400 Hz band at its own rate: all
    # 72 right. A roll-off below 4 kHz called two clean 48 kHz voices telephone.
    voices = sorted(p for p in ALSA_SOUNDS.glob("*.wav") if p.name != "Noise.wav")
    rng = np.random.default_rng(0)
    for path in [*clips, *voices]:
        samples, rate = load_audio(path)
        noisy = samples + rng.normal(0.0, np.sqrt(np.mean(samples**2)), samples.size)
        sos = signal.butter(8, [300, 3400], btype="bandpass", fs=rate, output="sos")
        for audio in (samples, noisy):
            wide = describe_audio(audio, rate)["bandwidth_class"]
            phone = describe_audio(signal.sosfilt(sos, audio), rate)["bandwidth_class"]
            assert (wide, phone) == ("wideband", "telephone"), path.name
    narrow = describe_audio(resample(signal.sosfilt(sos, samples), rate, 8000), 8000)
    assert narrow["bandwidth_class"] == "telephone"


def test_fractional_descriptors_are_binned_like_numbers(clips: dict[Path, str]) -> None:
    frame = AudioDescriptors().extract(list(clips))
    frame.loc[0, "clipping_share"] = 0.0003
    _, encoding = encode_features(frame, ["clipping_share"])
    labels = encoding.get("clipping_share").labels
    assert all(re.match(r"^(<|>=|\[)", label) for label in labels), labels
    assert set(frame["bandwidth_class"]) == {"wideband"}


def test_threads_need_no_main_guard_and_match_serial(
    clips: dict[Path, str], tmp_path: Path
) -> None:
    items = list(clips) * 3
    serial = AudioDescriptors().extract(items)
    threaded = AudioDescriptors(n_jobs=2, min_items_per_job=2).extract(items)
    pd.testing.assert_frame_equal(serial, threaded)
    script = tmp_path / "no_guard.py"
    script.write_text(
        "from workbench.features.audio import AudioDescriptors\n"
        f"items = {[str(p) for p in items]!r}\n"
        "print(len(AudioDescriptors(n_jobs=2, min_items_per_job=2).extract(items)))\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(items))


def test_a_long_recording_is_cut_in_its_pauses(clips: dict[Path, str]) -> None:
    from workbench.adapters import voice_segments

    # the ten clips twice, shuffled: 69 s of real read speech in one recording
    parts = [load_audio(path)[0] for path in clips] * 2
    order = np.random.default_rng(0).permutation(len(parts))
    audio = np.concatenate([parts[i] for i in order])
    segments = voice_segments(audio, RATE, max_s=10.0)
    assert segments[0][0] == 0 and segments[-1][1] == len(audio)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(segments))
    assert all(stop - start <= 10.0 * RATE for start, stop in segments)
    frames = np.lib.stride_tricks.sliding_window_view(audio, 400)[::160]
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
    speech = np.percentile(db, 95)
    # measured: the 70 ms around each of the 7 cuts is 22-36 dB below loud speech
    for start, _ in segments[1:]:
        frame = start // 160
        assert db[frame - 3 : frame + 4].max() < speech - 15.0, start / RATE


@pytest.mark.slow
def test_asr_resamples_and_does_not_depend_on_batch_order(clips: dict[Path, str]) -> None:
    pytest.importorskip("pocketsphinx")
    from workbench.adapters import PocketSphinxASR
    from workbench.metrics import error_rate, word_errors

    cards = [p for p in clips if "cards" in str(p)]
    asr = PocketSphinxASR()
    forward = [asr(p) for p in cards]
    backward = [asr(p) for p in reversed(cards)][::-1]
    assert forward == backward
    errors, words = word_errors([clips[p] for p in cards], forward)
    assert error_rate(errors, words) <= 0.4  # measured 0.23 over all ten clips
    samples, rate = load_audio(cards[0])
    assert asr((resample(samples, rate, 48000), 48000)) == forward[0]


def test_snr_error_on_real_speech_mixed_at_known_snr(clips: dict[Path, str]) -> None:
    # The README's figures come from benchmarks/snr_real_speech.py: ten real clips mixed
    # with white, pink and babble noise at -5..20 dB; measured mean absolute error 0.7 dB
    # (white), 3.0 dB (pink), 8.1 dB (babble), 3.9 dB over all 150 mixes.
    frame = snr_benchmark().measure()
    assert len(frame) == 3 * 5 * len(clips) == 150
    error = frame.assign(abs_error=frame["error_db"].abs()).groupby("noise")["abs_error"].mean()
    assert error["white"] <= 1.5
    assert error["pink"] <= 4.0
    assert error["babble"] <= 10.0
    assert frame["error_db"].abs().mean() <= 5.0
