"""Build the speech sample's "new site" (``sample_data/speech/new_site_clips.parquet``), seeded.

The last-mile example: the recogniser of the speech sample is deployed at a new site
whose machines add a kind of background noise that no condition of the vendor's
test set had -- a periodic, tonal machine noise (a 120 Hz hum with harmonics up to
4 kHz, plus a 6 Hz clatter of short broadband pulses). The same voices read the same
sentences as in the sample (the first 10 of each voice's 20), mixed with that noise
at 10 and 5 dB SNR (the SNRs of the vendor's white/pink 10 and 5 dB conditions), with
the same random padding, level and telephone band as the sample's clips. Each clip
is transcribed by the same recogniser, and the same descriptors are computed.

The result is small (320 clips) so that tests and notebooks read it instead of
decoding audio; 16 clips (one per voice) are shipped as Ogg Vorbis for listening.

Usage::

    python scripts/make_speech_new_site.py              # ~25 min of ASR on one busy core

Needs what ``scripts/make_speech_sample.py`` needs (espeak-ng, pocketsphinx, ...); the
voices, mixing, recogniser and columns are those of ``speech_common.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import make_speech_sample as sample
import numpy as np
import pandas as pd
from speech_common import (
    RATE,
    REPO,
    SENTENCES,
    TELEPHONE_SHARE,
    audio_folder,
    audio_paths,
    final_table,
    mix,
    padded,
    power,
    speak_all,
    transcribe_cached,
    write_audio,
)

from workbench.metrics._wer import word_errors

SEED = sample.SEED + 17
SNRS = (10, 5)
N_SENTENCES = 10  # clip ids and seeds are those of a 10-sentence design ...
KEEP_SENTENCES = 10  # ... all of which are built
HUM_HZ = 120.0
CLATTER_HZ = 6.0


def machine_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """A periodic tonal machine noise: harmonic hum plus a regular clatter of pulses."""
    t = np.arange(n) / RATE
    hum = np.zeros(n)
    for k in range(1, int(4000 // HUM_HZ) + 1):
        hum += np.sin(2 * np.pi * HUM_HZ * k * t + rng.uniform(0, 2 * np.pi)) / k**0.5
    period = int(RATE / CLATTER_HZ)
    envelope = np.zeros(n)
    pulse = np.exp(-np.arange(int(0.02 * RATE)) / (0.004 * RATE))
    for start in range(int(rng.integers(0, period)), n, period):
        stop = min(n, start + len(pulse))
        envelope[start:stop] = pulse[: stop - start]
    clatter = rng.standard_normal(n) * envelope
    hum /= np.sqrt(power(hum))
    clatter /= np.sqrt(power(clatter)) + 1e-12
    return hum + 0.7 * clatter


def render(spec: dict, speech: np.ndarray) -> np.ndarray:
    """Deterministic int16 audio of one new-site clip (as ``render_clip`` does for the sample)."""
    rng = np.random.default_rng([SEED, spec["clip_index"]])
    clean = padded(spec, speech)
    return mix(spec, speech, clean, machine_noise(len(clean), rng), spec["snr_db_true"])


def design() -> pd.DataFrame:
    base = sample.design(20)
    base = base[(base["sentence_rank"] < N_SENTENCES) & (base["condition"] == "clean")]
    rng = np.random.default_rng(SEED)
    rows = []
    for spec in base.to_dict("records"):
        for snr in SNRS:
            rows.append(
                {
                    "accent": spec["accent"],
                    "speaker": spec["speaker"],
                    "sentence_id": spec["sentence_id"],
                    "sentence_rank": spec["sentence_rank"],
                    "noise_type": "machine",
                    "snr_db_true": float(snr),
                    "condition": f"machine {snr} dB",
                    "channel": "telephone" if rng.random() < TELEPHONE_SHARE else "wideband",
                    "level_dbfs": float(rng.uniform(-32, -16)),
                    "lead_s": float(rng.uniform(0.1, 0.8)),
                    "trail_s": float(rng.uniform(0.1, 0.8)),
                }
            )
    table = pd.DataFrame(rows)
    table.insert(0, "clip_index", np.arange(len(table)))
    table.insert(0, "clip_id", [f"site{i:04d}" for i in range(len(table))])
    table["reference"] = [SENTENCES[i] for i in table["sentence_id"]]
    return table[table["sentence_rank"] < KEEP_SENTENCES].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "sample_data" / "speech")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "slice-workbench-speech-cache",
    )
    args = parser.parse_args()
    t0 = time.time()
    table = design()
    utterances, _ = speak_all(table)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    cache_file = args.cache_dir / f"new-site-{SEED}-{HUM_HZ:g}-{CLATTER_HZ:g}.jsonl"
    pcm = {
        spec["clip_id"]: render(
            spec, utterances[(spec["accent"], spec["speaker"], spec["sentence_id"])]
        )
        for spec in table.to_dict("records")
    }
    order = table.sort_values(["sentence_rank", "clip_index"])["clip_id"].tolist()
    print(f"{len(table)} clips", flush=True)
    done = transcribe_cached(order, pcm.__getitem__, cache_file, args.workers)
    table["hypothesis"] = table["clip_id"].map(done)
    errors, ref_words = word_errors(table["reference"], table["hypothesis"])
    table["word_errors"] = errors
    table["ref_words"] = ref_words

    from workbench.features.audio import AudioDescriptors

    descriptors = AudioDescriptors().extract(
        [
            {"audio": (pcm[cid], RATE), "text": text}
            for cid, text in zip(table["clip_id"], table["reference"], strict=True)
        ]
    )
    table = pd.concat([table.reset_index(drop=True), descriptors], axis=1)
    audio_dir, rel = audio_folder(args.out, REPO)
    shipped = set(
        table[table["sentence_rank"] == 0].groupby(["accent", "speaker"])["clip_id"].first()
    )
    write_audio(audio_dir, ((cid, pcm[cid]) for cid in sorted(shipped)), prefix="site")
    table["audio_path"] = audio_paths(table["clip_id"], shipped, rel)
    table = final_table(table, descriptors.columns)
    table.to_parquet(args.out / "new_site_clips.parquet", index=False, compression="zstd")
    wer = table["word_errors"].sum() / table["ref_words"].sum()
    print(f"new-site WER {wer:.1%} over {len(table)} clips")
    by = table.groupby("accent", observed=True)[["word_errors", "ref_words"]].sum()
    print((by["word_errors"] / by["ref_words"]).round(3))
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
