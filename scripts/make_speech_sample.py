"""Rebuild the speech sample (``sample_data/speech/``) from scratch, seeded.

What it does, in order:

1. speaks a fixed set of English sentences (written for this sample) with
   ``espeak-ng`` voices standing in for accents (en-us, en-us-nyc, en-gb,
   en-gb-x-rp, en-gb-scotland, en-gb-x-gbclan, en-gb-x-gbcwmd, en-029), two
   speaker variants each (the voice's default and its ``+f3`` variant),
   resampled to 16 kHz mono;
2. pads each utterance with a random stretch of silence, sets a random speech
   level (a few clips too hot, so they clip), and mixes it with white, pink or
   babble noise at 20, 10, 5 and 0 dB SNR, or keeps it clean (with a -60 dB
   noise floor: espeak output is full of exact zeros, which a recogniser
   decodes worse than mild noise); a random quarter of the clips go through
   a 300-3400 Hz telephone band;
3. transcribes every clip with PocketSphinx using a bigram language model built
   from the sentence set (cached, so a rerun resumes), in parallel processes;
4. computes word errors and the audio descriptors, writes
   ``speech_clips.parquet`` and, as Ogg Vorbis, the audio of every clip shown on
   the first page of member rows of a top slice of the scans the sample is shown
   with (``speech_common.first_page_clips``), and prints the figures quoted in the
   README.

The pieces shared with ``make_speech_new_site.py`` (voices, mixing, recogniser,
columns, shipped audio) are in ``speech_common.py``.

The SNR of a mix is ``10 log10(P_speech / P_noise)``, with ``P_speech`` the mean
power of the utterance itself (before the silence padding) and ``P_noise`` the
mean power of the noise over the whole clip.

Usage::

    python scripts/make_speech_sample.py            # the shipped sample, 4,160 clips (~25 min on 2 cores)
    python scripts/make_speech_sample.py --use-sentences 6    # a 1,248-clip subset (~8 min)
    python scripts/make_speech_sample.py --out /tmp/speech --use-sentences 1  # quick check
    python scripts/make_speech_sample.py --media-only   # only the shipped audio again (~1 min)

Needs: espeak-ng (Debian package), numpy, scipy, pandas, pyarrow, soundfile,
jiwer, pocketsphinx.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from speech_common import (
    ACCENTS,
    BABBLE_SENTENCES,
    RATE,
    REPO,
    SEED,
    SENTENCES,
    SPEAKERS,
    TELEPHONE_SHARE,
    audio_folder,
    audio_paths,
    final_table,
    first_page_clips,
    last_mile_clips,
    mix,
    padded,
    speak_all,
    transcribe_cached,
    write_audio,
)

from workbench.metrics._wer import error_rate, word_errors

NOISES = ("white", "pink", "babble")
SNRS = (20, 10, 5, 0)
CONDITIONS = [("clean", None)] + [(n, s) for n in NOISES for s in SNRS]
CLEAN_FLOOR_DB = 40.0


def condition_name(noise: str, snr: float | None) -> str:
    return "clean" if snr is None else f"{noise} {snr:g} dB"


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1]
    return np.fft.irfft(spectrum / np.sqrt(freqs), n)


def babble_noise(n: int, pool: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    for idx in rng.choice(len(pool), size=5, replace=False):
        talker = pool[idx]
        reps = int(np.ceil((n + len(talker)) / len(talker)))
        looped = np.tile(talker, reps)
        start = rng.integers(0, len(talker))
        out += looped[start : start + n] / np.sqrt(np.mean(talker**2))
    return out


def render_clip(spec: dict, speech: np.ndarray, pool: list[np.ndarray]) -> np.ndarray:
    """Deterministic int16 audio of one clip from its spec (all randomness seeded by clip)."""
    rng = np.random.default_rng([SEED, spec["clip_index"]])
    clean = padded(spec, speech)
    clean_clip = spec["noise_type"] == "none"
    snr = CLEAN_FLOOR_DB if clean_clip else float(spec["snr_db_true"])
    kind = "white" if clean_clip else spec["noise_type"]
    if kind == "white":
        noise = rng.standard_normal(len(clean))
    elif kind == "pink":
        noise = pink_noise(len(clean), rng)
    else:
        noise = babble_noise(len(clean), pool, rng)
    return mix(spec, speech, clean, noise, snr)


def design(n_sentences: int) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    rows = []
    for accent in ACCENTS:
        for speaker in SPEAKERS:
            chosen = np.sort(rng.choice(len(SENTENCES), size=n_sentences, replace=False))
            for rank, sentence_id in enumerate(chosen):
                for noise, snr in CONDITIONS:
                    hot = rng.random() < 0.05
                    rows.append(
                        {
                            "accent": accent,
                            "speaker": speaker,
                            "sentence_id": int(sentence_id),
                            "sentence_rank": rank,
                            "noise_type": "none" if snr is None else noise,
                            "snr_db_true": snr,
                            "condition": condition_name(noise, snr),
                            "channel": "telephone"
                            if rng.random() < TELEPHONE_SHARE
                            else "wideband",
                            "level_dbfs": float(
                                rng.uniform(-4, -1) if hot else rng.uniform(-32, -16)
                            ),
                            "lead_s": float(rng.uniform(0.1, 0.8)),
                            "trail_s": float(rng.uniform(0.1, 0.8)),
                        }
                    )
    table = pd.DataFrame(rows)
    table.insert(0, "clip_index", np.arange(len(table)))
    table.insert(0, "clip_id", [f"clip{i:05d}" for i in range(len(table))])
    table["reference"] = [SENTENCES[i] for i in table["sentence_id"]]
    return table


def renderer(table: pd.DataFrame, utterances: dict, pool: list[np.ndarray]):
    """clip id -> its int16 audio."""
    specs = table.set_index("clip_id", drop=False).to_dict("index")

    def render(clip_id: str) -> np.ndarray:
        spec = specs[clip_id]
        speech = utterances[(spec["accent"], spec["speaker"], spec["sentence_id"])]
        return render_clip(spec, speech, pool)

    return render


def design_fingerprint(table: pd.DataFrame) -> str:
    payload = table.drop(columns=["clip_index", "sentence_rank"]).to_json(orient="records")
    payload += json.dumps([SENTENCES, BABBLE_SENTENCES, CLEAN_FLOOR_DB])
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def choose_shipped(table: pd.DataFrame, site: pd.DataFrame | None) -> set[str]:
    """Every clip on a first page of member rows of a top slice of the shown scans, the
    vendor-side rows of the last-mile view (when the new site is built), and one seeded
    clip of every accent x condition cell (so every condition can be heard)."""
    rng = np.random.default_rng(SEED + 1)
    chosen = {
        str(rng.choice(cell["clip_id"].to_numpy()))
        for _, cell in table.groupby(["accent", "condition"], observed=True)
    }
    if site is not None:
        shown = last_mile_clips(table, site)
        chosen = chosen.union(*(ids for key, ids in shown.items() if key.startswith("before")))
    return chosen.union(*first_page_clips(table).values())


def ship_audio(table: pd.DataFrame, render, out: Path, root: Path) -> pd.DataFrame:
    """Write the shipped clips' audio and set ``audio_path`` (null for the others)."""
    site_file = out / "new_site_clips.parquet"
    shipped = choose_shipped(table, pd.read_parquet(site_file) if site_file.exists() else None)
    audio_dir, rel = audio_folder(out, root)
    ordered = [cid for cid in table["clip_id"] if cid in shipped]
    write_audio(audio_dir, ((cid, render(cid)) for cid in ordered), prefix="clip")
    size = sum(f.stat().st_size for f in audio_dir.glob("clip*.ogg"))
    print(f"audio of {len(ordered)} clips shipped, {size / 1e6:.1f} MB", flush=True)
    return table.assign(audio_path=audio_paths(table["clip_id"], shipped, rel))


def media_only(args: argparse.Namespace) -> None:
    """Rewrite only the shipped audio (and ``audio_path``) of the existing table: the clips
    are rendered again by the seeded pipeline; transcripts and descriptors stay as they are."""
    path = args.out / "speech_clips.parquet"
    existing = pd.read_parquet(path)
    table = design(args.sentences)
    known = table.set_index("clip_id").loc[existing["clip_id"]]
    if not (known["reference"].to_numpy() == existing["reference"].to_numpy()).all():
        raise SystemExit(f"{path} does not hold this script's design; rebuild it in full")
    table = table[table["clip_id"].isin(existing["clip_id"])].reset_index(drop=True)
    utterances, pool = speak_all(table)
    render = renderer(table, utterances, pool)
    existing = ship_audio(existing.drop(columns="audio_path"), render, args.out, args.repo_root)
    check_against_table(existing, render)
    existing.to_parquet(path, index=False, compression="zstd")


def check_against_table(table: pd.DataFrame, render) -> None:
    """The rendered audio is what was transcribed: its length and level agree with the
    table's descriptors (computed from the 16-bit audio the recogniser heard)."""
    from workbench.features.audio import describe_audio

    worst = {"duration_s": 0.0, "loudness_dbfs": 0.0, "clipping_share": 0.0}
    for row in table.dropna(subset=["audio_path"]).head(50).to_dict("records"):
        pcm = render(row["clip_id"])
        now = describe_audio(pcm.astype(np.float64) / 32768, 16000)
        for col in worst:
            worst[col] = max(worst[col], abs(float(now[col]) - float(row[col])))
    print("largest difference from the table on 50 rendered clips:", worst, flush=True)
    if worst["duration_s"] > 1e-9 or worst["loudness_dbfs"] > 0.01:
        raise SystemExit("the rendered clips differ from the transcribed ones (espeak-ng version?)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=20, help="sentences per speaker")
    parser.add_argument(
        "--repo-root", type=Path, default=REPO, help="audio_path is written relative to this"
    )
    parser.add_argument("--out", type=Path, default=REPO / "sample_data" / "speech")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "slice-workbench-speech-cache",
        help="where ASR results are cached between runs",
    )
    parser.add_argument(
        "--use-sentences",
        type=int,
        default=20,
        help="keep the first N of each speaker's --sentences (the shipped sample: all 20)",
    )
    parser.add_argument("--asr-only", action="store_true", help="stop after transcription")
    parser.add_argument(
        "--media-only",
        action="store_true",
        help="only rewrite the shipped audio of the existing table (no ASR, ~1 min)",
    )
    args = parser.parse_args()

    t0 = time.time()
    if args.media_only:
        media_only(args)
        print(f"done in {time.time() - t0:.0f} s", flush=True)
        return
    table = design(args.sentences)
    fingerprint = design_fingerprint(table)
    if args.use_sentences is not None:
        table = table[table["sentence_rank"] < args.use_sentences].reset_index(drop=True)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    cache_file = args.cache_dir / f"asr-{fingerprint}.jsonl"
    print(f"{len(table)} clips; design {fingerprint}; speaking...", flush=True)
    utterances, pool = speak_all(table)
    render = renderer(table, utterances, pool)
    # Sentence by sentence across all voices, so that a partial run is a balanced design.
    order = table.sort_values(["sentence_rank", "clip_index"])["clip_id"].tolist()
    hyps = transcribe_cached(order, render, cache_file, args.workers)
    if args.asr_only:
        return
    table["hypothesis"] = table["clip_id"].map(hyps)
    errors, ref_words = word_errors(table["reference"], table["hypothesis"])
    table["word_errors"] = errors
    table["ref_words"] = ref_words

    print("descriptors...", flush=True)
    from workbench.features.audio import AudioDescriptors

    descriptors = AudioDescriptors().extract(
        [
            {"audio": (render(cid), RATE), "text": text}
            for cid, text in zip(table["clip_id"], table["reference"], strict=True)
        ]
    )
    table = pd.concat([table.reset_index(drop=True), descriptors], axis=1)
    table["condition"] = table["condition"].astype("category")
    table["condition"] = table["condition"].cat.reorder_categories(
        [condition_name(n, s) for n, s in CONDITIONS], ordered=True
    )
    table = final_table(table.assign(audio_path=None), descriptors.columns)
    table = ship_audio(table.drop(columns="audio_path"), render, args.out, args.repo_root)
    table.to_parquet(args.out / "speech_clips.parquet", index=False, compression="zstd")
    report(table)
    print(f"done in {time.time() - t0:.0f} s", flush=True)


def report(table: pd.DataFrame) -> None:
    from scipy.stats import spearmanr

    def wer(group: pd.DataFrame) -> float:
        return error_rate(group["word_errors"], group["ref_words"])

    print(f"overall WER {wer(table):.1%} over {len(table)} clips")
    for col in ("accent", "condition", "channel"):
        print(f"\nWER by {col}:")
        print(table.groupby(col, observed=True)[["word_errors", "ref_words"]].apply(wer).round(3))
    clean = table[table["condition"] == "clean"]
    print("\nclean WER by accent:")
    print(clean.groupby("accent", observed=True)[["word_errors", "ref_words"]].apply(wer).round(3))
    noisy = table[table["noise_type"] != "none"]
    rho = spearmanr(noisy["snr_db_true"], noisy["snr_db"]).statistic
    print(f"\nSpearman(snr_db, true SNR) on {len(noisy)} noisy clips: {rho:.3f}")
    for noise, group in noisy.groupby("noise_type", observed=True):
        print(f"  {noise}: {spearmanr(group['snr_db_true'], group['snr_db']).statistic:.3f}")


if __name__ == "__main__":
    main()
