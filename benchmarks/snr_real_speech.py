"""How far ``snr_db`` is from the truth on real speech mixed at known SNRs.

The ten transcribed clips of Debian's ``pocketsphinx-testdata`` (``cards/001-005``, one
talker; ``librivox/*``, read speech) are each mixed with white noise, pink noise and
babble (the four other clips of its folder, each at equal power, summed and looped) at
-5, 0, 5, 10 and 20 dB SNR (speech power of the clip over noise power, as the sample's
mixing defines it), seeded. Prints the mean absolute error and the bias of ``snr_db``
per noise and SNR, and over all 150 mixes: the figures the README quotes.

Usage::

    python benchmarks/snr_real_speech.py      # about 10 s; needs pocketsphinx-testdata (apt)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.features.audio import describe_audio, load_audio

DATA = Path("/usr/share/pocketsphinx/test/data")
SNRS = (-5, 0, 5, 10, 20)


def transcripts(data: Path = DATA) -> dict[Path, str]:
    """The transcribed clips of ``pocketsphinx-testdata``: path -> reference text."""
    out = {}
    for folder, listing in (("cards", "cards.transcription"), ("librivox", "transcription")):
        for line in (data / folder / listing).read_text().splitlines():
            match = re.match(r"<s>(.*)</s> \((.*)\)", line.strip())
            if match:
                out[data / folder / f"{match.group(2)}.wav"] = match.group(1).strip()
    return out


def clips() -> list[Path]:
    return list(transcripts())


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1]
    return np.fft.irfft(spectrum / np.sqrt(freqs), n)


def measure(seed: int = 0) -> pd.DataFrame:
    """One row per mix: clip, noise, true SNR, ``snr_db``."""
    rng = np.random.default_rng(seed)
    paths = clips()
    audio = {p: load_audio(p)[0] for p in paths}
    rate = load_audio(paths[0])[1]
    rows = []
    for path in paths:
        speech = audio[path]
        others = [q for q in paths if q != path and q.parent == path.parent]
        babble = sum(
            np.resize(audio[q], speech.size) / np.sqrt(np.mean(audio[q] ** 2)) for q in others
        )
        for snr in SNRS:
            for kind, noise in (
                ("white", rng.standard_normal(speech.size)),
                ("pink", pink(speech.size, rng)),
                ("babble", np.asarray(babble, dtype=np.float64)),
            ):
                noise = noise * np.sqrt(np.mean(speech**2) / np.mean(noise**2) / 10 ** (snr / 10))
                estimate = describe_audio(speech + noise, rate)["snr_db"]
                rows.append(
                    {"clip": path.stem, "noise": kind, "true_snr_db": snr, "snr_db": estimate}
                )
    frame = pd.DataFrame(rows)
    frame["error_db"] = frame["snr_db"] - frame["true_snr_db"]
    return frame


def main() -> None:
    if not (DATA / "cards" / "001.wav").exists():
        raise SystemExit(
            "needs Debian's pocketsphinx-testdata: apt-get install pocketsphinx-testdata"
        )
    frame = measure()
    abs_error = frame["error_db"].abs()
    print(f"{frame['clip'].nunique()} real clips, {len(frame)} mixes")
    by_noise = frame.assign(abs_error=abs_error).groupby("noise", sort=False)
    print(
        by_noise[["abs_error", "error_db"]]
        .mean()
        .round(1)
        .rename(columns={"abs_error": "mean_abs_error_db", "error_db": "bias_db"})
    )
    print("bias by noise and true SNR (dB):")
    print(
        frame.pivot_table(
            index="noise", columns="true_snr_db", values="error_db", sort=False
        ).round(1)
    )
    print(
        f"all mixes: mean absolute error {abs_error.mean():.1f} dB, bias {frame['error_db'].mean():+.1f} dB"
    )


if __name__ == "__main__":
    main()
