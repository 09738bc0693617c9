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
   ``speech_clips.parquet``, a subset of the audio as Ogg Vorbis, and prints the
   figures quoted in the README.

The SNR of a mix is ``10 log10(P_speech / P_noise)``, with ``P_speech`` the mean
power of the utterance itself (before the silence padding) and ``P_noise`` the
mean power of the noise over the whole clip.

Usage::

    python scripts/make_speech_sample.py            # the shipped sample, 4,160 clips (~25 min on 2 cores)
    python scripts/make_speech_sample.py --use-sentences 6    # a 1,248-clip subset (~8 min)
    python scripts/make_speech_sample.py --out /tmp/speech --use-sentences 1  # quick check

Needs: espeak-ng (Debian package), numpy, scipy, pandas, pyarrow, soundfile,
jiwer, pocketsphinx.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from scipy import signal

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.adapters import PocketSphinxASR  # noqa: E402
from workbench.metrics._wer import error_rate, word_errors  # noqa: E402

SEED = 20261123
RATE = 16000

SENTENCES = [
    "Turn on the lights in the kitchen.",
    "Set an alarm for seven in the morning.",
    "Call my sister when you get home.",
    "What is the weather like in London today?",
    "Play some quiet music in the living room.",
    "The train to the city leaves at 8 o'clock.",
    "Please send the report to the whole team.",
    "Remind me to buy bread and milk tomorrow.",
    "The council will vote on the new budget next week.",
    "Heavy rain is expected across the north tonight.",
    "Turn the volume down and close the window.",
    "How long will it take to drive to the airport?",
    "Book a table for 4 people at the Italian restaurant.",
    "The museum opens again after a long repair.",
    "Stock markets fell sharply on Monday morning.",
    "Open the garage door and switch off the heating.",
    "Our flight was delayed by almost two hours.",
    "Read me the latest news about the election.",
    "The children walked to school in the snow.",
    "Add eggs, flour and sugar to the shopping list.",
    "The bridge will be closed for 3 days for repairs.",
    "Find a quiet coffee shop near the station.",
    "Scientists found water under the frozen surface.",
    "Pause the film and turn on the subtitles.",
    "The bank raised interest rates for the first time this year.",
    "Send a message saying I will be ten minutes late.",
    "Thousands of fans waited outside the stadium.",
    "Lock the front door before you go to bed.",
    "The hospital needs more nurses and doctors.",
    "Show me the fastest route to the harbour.",
    "A strong wind knocked down trees in the park.",
    "Translate this letter into French for me.",
    "The team won the final match in 2019.",
    "Check my calendar for meetings on Friday.",
    "Farmers are worried about the dry summer.",
    "Start the washing machine at half past nine.",
]
# Background talkers for babble: other sentences, so babble words are mostly out of domain.
BABBLE_SENTENCES = [
    "I think we should leave before it gets dark.",
    "Nobody knew where the old map had gone.",
    "She bought a new bicycle for her brother.",
    "We talked about the holiday for hours.",
    "The painter finished the ceiling on Tuesday.",
    "Could you pass me that blue notebook?",
    "He always forgets to water the plants.",
    "They moved to a small village by the sea.",
]
ACCENTS = [
    "en-us",
    "en-us-nyc",
    "en-gb",
    "en-gb-x-rp",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
]
SPEAKERS = {"m1": "", "f3": "+f3"}
NOISES = ("white", "pink", "babble")
SNRS = (20, 10, 5, 0)
CONDITIONS = [("clean", None)] + [(n, s) for n in NOISES for s in SNRS]
CLEAN_FLOOR_DB = 40.0
TELEPHONE_SHARE = 0.25


def condition_name(noise: str, snr: float | None) -> str:
    return "clean" if snr is None else f"{noise} {snr:g} dB"


def speak(text: str, voice: str, speed: int) -> np.ndarray:
    """espeak-ng -> float64 samples at 16 kHz."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    samples, rate = sf.read(io.BytesIO(wav), dtype="float64")
    if rate != RATE:
        g = np.gcd(RATE, rate)
        samples = signal.resample_poly(samples, RATE // g, rate // g)
    return samples


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


def power(x: np.ndarray) -> float:
    return float(np.mean(x**2))


_TELEPHONE = signal.butter(6, [300, 3400], btype="bandpass", fs=RATE, output="sos")


def render_clip(spec: dict, speech: np.ndarray, pool: list[np.ndarray]) -> np.ndarray:
    """Deterministic int16 audio of one clip from its spec (all randomness seeded by clip)."""
    rng = np.random.default_rng([SEED, spec["clip_index"]])
    lead = np.zeros(int(spec["lead_s"] * RATE))
    trail = np.zeros(int(spec["trail_s"] * RATE))
    clean = np.concatenate([lead, speech, trail])
    p_speech = power(speech)
    clean_clip = spec["noise_type"] == "none"
    snr = CLEAN_FLOOR_DB if clean_clip else float(spec["snr_db_true"])
    kind = "white" if clean_clip else spec["noise_type"]
    if kind == "white":
        noise = rng.standard_normal(len(clean))
    elif kind == "pink":
        noise = pink_noise(len(clean), rng)
    else:
        noise = babble_noise(len(clean), pool, rng)
    noise *= np.sqrt(p_speech / power(noise) / 10 ** (snr / 10))
    mix = clean + noise
    if spec["channel"] == "telephone":
        mix = signal.sosfilt(_TELEPHONE, mix)
    gain = 10 ** (spec["level_dbfs"] / 20) / np.sqrt(p_speech)
    mix = np.clip(mix * gain, -1.0, 32767 / 32768)
    return np.rint(mix * 32768).astype(np.int16)  # round, never truncate


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


def voice_of(accent: str, speaker: str) -> str:
    return accent + SPEAKERS[speaker]


def speak_all(table: pd.DataFrame) -> tuple[dict, list[np.ndarray]]:
    utterances = {}
    for (accent, speaker, sentence_id), _ in table.groupby(["accent", "speaker", "sentence_id"]):
        utterances[(accent, speaker, sentence_id)] = speak(
            SENTENCES[sentence_id], voice_of(accent, speaker), 160
        )
    pool = [
        speak(text, voice_of(ACCENTS[i % len(ACCENTS)], "f3" if i % 2 else "m1"), 170)
        for i, text in enumerate(BABBLE_SENTENCES)
    ]
    return utterances, pool


_ASR: PocketSphinxASR | None = None


def _init_worker() -> None:
    global _ASR
    _ASR = PocketSphinxASR(sentences=SENTENCES)


def _decode(job: tuple[str, np.ndarray]) -> tuple[str, str]:
    clip_id, pcm = job
    assert _ASR is not None
    return clip_id, _ASR((pcm, RATE))


def transcribe_all(table, utterances, pool, cache_file: Path, workers: int) -> dict[str, str]:
    done: dict[str, str] = {}
    if cache_file.exists():
        for line in cache_file.read_text().splitlines():
            record = json.loads(line)
            done[record["clip_id"]] = record["hypothesis"]
    # Sentence by sentence across all voices, so that a partial run is a balanced design.
    todo = table[~table["clip_id"].isin(done)].sort_values(["sentence_rank", "clip_index"])
    print(f"ASR: {len(done)} cached, {len(todo)} to decode with {workers} processes", flush=True)
    start = time.time()
    with (
        ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool_exec,
        cache_file.open("a") as out,
    ):
        for lo in range(0, len(todo), 100):
            chunk = todo.iloc[lo : lo + 100]
            jobs = [
                (
                    spec["clip_id"],
                    render_clip(
                        spec,
                        utterances[(spec["accent"], spec["speaker"], spec["sentence_id"])],
                        pool,
                    ),
                )
                for spec in chunk.to_dict("records")
            ]
            for clip_id, hyp in pool_exec.map(_decode, jobs, chunksize=4):
                done[clip_id] = hyp
                out.write(json.dumps({"clip_id": clip_id, "hypothesis": hyp}) + "\n")
            out.flush()
            n = lo + len(chunk)
            rate = n / (time.time() - start)
            print(f"  {n}/{len(todo)} decoded, {rate:.1f} clips/s", flush=True)
    return done


def design_fingerprint(table: pd.DataFrame) -> str:
    payload = table.drop(columns=["clip_index", "sentence_rank"]).to_json(orient="records")
    payload += json.dumps([SENTENCES, BABBLE_SENTENCES, CLEAN_FLOOR_DB])
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def choose_shipped(table: pd.DataFrame, n_ship: int) -> set[str]:
    """A stratified subset: every accent x condition cell is represented."""
    rng = np.random.default_rng(SEED + 1)
    per_cell = max(1, n_ship // table.groupby(["accent", "condition"]).ngroups)
    chosen: list[str] = []
    for _, cell in table.groupby(["accent", "condition"]):
        chosen += list(rng.choice(cell["clip_id"].to_numpy(), size=per_cell, replace=False))
    return set(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=20, help="sentences per speaker")
    parser.add_argument(
        "--repo-root", type=Path, default=REPO, help="audio_path is written relative to this"
    )
    parser.add_argument("--out", type=Path, default=REPO / "sample_data" / "speech")
    parser.add_argument("--ship", type=int, default=208, help="clips whose audio is shipped")
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
    args = parser.parse_args()

    t0 = time.time()
    table = design(args.sentences)
    fingerprint = design_fingerprint(table)
    if args.use_sentences is not None:
        table = table[table["sentence_rank"] < args.use_sentences].reset_index(drop=True)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    cache_file = args.cache_dir / f"asr-{fingerprint}.jsonl"
    print(f"{len(table)} clips; design {fingerprint}; speaking...", flush=True)
    utterances, pool = speak_all(table)
    hyps = transcribe_all(table, utterances, pool, cache_file, args.workers)
    if args.asr_only:
        return
    table["hypothesis"] = table["clip_id"].map(hyps)
    errors, ref_words = word_errors(table["reference"], table["hypothesis"])
    table["word_errors"] = errors
    table["ref_words"] = ref_words

    print("descriptors...", flush=True)
    from workbench.features.audio import AudioDescriptors

    audio_dir = args.out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    for old in [*audio_dir.glob("*.flac"), *audio_dir.glob("*.ogg")]:
        old.unlink()
    shipped = choose_shipped(table, args.ship)
    transcript_texts = []
    items = []
    for spec in table.to_dict("records"):
        pcm = render_clip(
            spec, utterances[(spec["accent"], spec["speaker"], spec["sentence_id"])], pool
        )
        items.append((pcm, RATE))
        transcript_texts.append(spec["reference"])
        if spec["clip_id"] in shipped:
            sf.write(
                audio_dir / f"{spec['clip_id']}.ogg", pcm, RATE, format="OGG", subtype="VORBIS"
            )
    descriptors = AudioDescriptors().extract(
        [{"audio": a, "text": t} for a, t in zip(items, transcript_texts, strict=True)]
    )
    table = pd.concat([table.reset_index(drop=True), descriptors], axis=1)
    try:
        rel_audio = audio_dir.resolve().relative_to(args.repo_root.resolve())
    except ValueError:
        rel_audio = audio_dir.resolve()
    table["audio_path"] = [
        f"{rel_audio.as_posix()}/{cid}.ogg" if cid in shipped else None for cid in table["clip_id"]
    ]
    table["snr_db_true"] = table["snr_db_true"].astype("float64")
    for col in ("accent", "speaker", "noise_type", "condition", "channel"):
        table[col] = table[col].astype("category")
    table["condition"] = table["condition"].cat.reorder_categories(
        [condition_name(n, s) for n, s in CONDITIONS], ordered=True
    )
    columns = [
        "clip_id",
        "sentence_id",
        "accent",
        "speaker",
        "noise_type",
        "snr_db_true",
        "condition",
        "channel",
        "reference",
        "hypothesis",
        "word_errors",
        "ref_words",
        *descriptors.columns,
        "audio_path",
    ]
    table[columns].to_parquet(args.out / "speech_clips.parquet", index=False, compression="zstd")
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
