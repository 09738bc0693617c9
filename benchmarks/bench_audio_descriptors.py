"""Throughput of the audio descriptors: 10,000 one-second clips, serial and in parallel.

Speaks a few sentences once with espeak-ng (or, without it, builds speech-like
signals: harmonic tones with a syllable-rate envelope), cuts one-second clips
and mixes each with white or pink noise at a random SNR and gain, in memory,
as 16-bit PCM. Then times ``AudioDescriptors().extract`` with one process and
with ``n_jobs`` processes, and prints clips per second.

Usage::

    python benchmarks/bench_audio_descriptors.py [--clips 10000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.features.audio import AudioDescriptors

RATE = 16000
TEXTS = [
    "Turn on the lights in the kitchen and close the window.",
    "Heavy rain is expected across the north tonight.",
    "Book a table for four people at the Italian restaurant.",
]


def speech_sources(rng: np.random.Generator) -> list[np.ndarray]:
    if shutil.which("espeak-ng"):
        import soundfile as sf
        from scipy import signal

        out = []
        for i, text in enumerate(TEXTS):
            voice = ("en-us", "en-gb+f3", "en-029")[i]
            wav = subprocess.run(
                ["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True
            ).stdout
            samples, rate = sf.read(io.BytesIO(wav), dtype="float64")
            out.append(signal.resample_poly(samples, 320, 441) if rate == 22050 else samples)
        return out
    t = np.arange(4 * RATE) / RATE
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    voiced = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 20))
    return [envelope * voiced * 0.2 + rng.normal(0, 0.002, t.size)]


def make_clips(n: int, rng: np.random.Generator) -> list[tuple[np.ndarray, int]]:
    sources = speech_sources(rng)
    clips = []
    for _ in range(n):
        src = sources[rng.integers(len(sources))]
        start = rng.integers(0, src.size - RATE)
        speech = src[start : start + RATE]
        noise = rng.standard_normal(RATE)
        if rng.random() < 0.5:  # pink
            spectrum = np.fft.rfft(noise)
            freqs = np.fft.rfftfreq(RATE)
            freqs[0] = freqs[1]
            noise = np.fft.irfft(spectrum / np.sqrt(freqs), RATE)
        snr = rng.uniform(0, 30)
        noise *= np.sqrt(np.mean(speech**2) / np.mean(noise**2) / 10 ** (snr / 10))
        mix = (speech + noise) * 10 ** (rng.uniform(-10, 6) / 20)
        clips.append((np.rint(np.clip(mix, -1, 32767 / 32768) * 32768).astype(np.int16), RATE))
    return clips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    clips = make_clips(args.clips, rng)
    print(f"{len(clips)} one-second 16 kHz clips, {os.cpu_count()} CPUs")
    for jobs in sorted({1, args.jobs}):
        start = time.perf_counter()
        frame = AudioDescriptors(n_jobs=jobs).extract(clips)
        seconds = time.perf_counter() - start
        assert len(frame) == len(clips) and frame.notna().sum().sum() > 0
        print(f"n_jobs={jobs}: {seconds:.1f} s, {len(clips) / seconds:,.0f} clips/s")


if __name__ == "__main__":
    main()
