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
from collections.abc import Callable
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
    last_mile_clips,
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


def one_per_voice(table: pd.DataFrame) -> set[str]:
    """The first clip of each voice's first sentence (``table`` is the design)."""
    first = table[table["sentence_rank"] == 0]
    return set(first.groupby(["accent", "speaker"])["clip_id"].first())


def ship_audio(
    table: pd.DataFrame, pcm: Callable[[str], np.ndarray], out: Path, shipped: set[str]
) -> pd.DataFrame:
    """Write the audio of ``shipped`` and of the new-site rows the last-mile view shows
    (when the sample is there); set ``audio_path`` (null for the others)."""
    sample_file = out / "speech_clips.parquet"
    if sample_file.exists():
        shown = last_mile_clips(pd.read_parquet(sample_file), table)
        shipped = shipped.union(*(ids for key, ids in shown.items() if key.startswith("after")))
    audio_dir, rel = audio_folder(out, REPO)
    ordered = [cid for cid in table["clip_id"] if cid in shipped]
    write_audio(audio_dir, ((cid, pcm(cid)) for cid in ordered), prefix="site")
    print(f"audio of {len(ordered)} new-site clips shipped", flush=True)
    return table.assign(audio_path=audio_paths(table["clip_id"], shipped, rel))


def media_only(out: Path) -> None:
    """Rewrite only the shipped audio (and ``audio_path``) of the existing new-site table,
    rendered again by the seeded pipeline; transcripts and descriptors stay as they are."""
    path = out / "new_site_clips.parquet"
    existing = pd.read_parquet(path)
    table = design()
    if list(table["clip_id"]) != list(existing["clip_id"]):
        raise SystemExit(f"{path} does not hold this script's design; rebuild it in full")
    utterances, _ = speak_all(table)
    specs = table.set_index("clip_id", drop=False).to_dict("index")

    def pcm(clip_id: str) -> np.ndarray:
        spec = specs[clip_id]
        return render(spec, utterances[(spec["accent"], spec["speaker"], spec["sentence_id"])])

    existing = ship_audio(existing.drop(columns="audio_path"), pcm, out, one_per_voice(table))
    from workbench.features.audio import describe_audio

    for row in existing.dropna(subset=["audio_path"]).head(20).to_dict("records"):
        now = describe_audio(pcm(row["clip_id"]).astype(np.float64) / 32768, RATE)
        if (
            abs(now["duration_s"] - row["duration_s"]) > 1e-9
            or abs(now["loudness_dbfs"] - row["loudness_dbfs"]) > 0.01
        ):
            raise SystemExit("the rendered clips differ from the transcribed ones (espeak-ng?)")
    existing.to_parquet(path, index=False, compression="zstd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "sample_data" / "speech")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "slice-workbench-speech-cache",
    )
    parser.add_argument(
        "--media-only",
        action="store_true",
        help="only rewrite the shipped audio of the existing table (no ASR)",
    )
    args = parser.parse_args()
    t0 = time.time()
    if args.media_only:
        media_only(args.out)
        print(f"done in {time.time() - t0:.0f} s", flush=True)
        return
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
    first = one_per_voice(table)
    table = final_table(table.assign(audio_path=None), descriptors.columns)
    table = ship_audio(table.drop(columns="audio_path"), pcm.__getitem__, args.out, first)
    table.to_parquet(args.out / "new_site_clips.parquet", index=False, compression="zstd")
    wer = table["word_errors"].sum() / table["ref_words"].sum()
    print(f"new-site WER {wer:.1%} over {len(table)} clips")
    by = table.groupby("accent", observed=True)[["word_errors", "ref_words"]].sum()
    print((by["word_errors"] / by["ref_words"]).round(3))
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
