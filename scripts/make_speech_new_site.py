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

Needs what ``scripts/make_speech_sample.py`` needs (espeak-ng, pocketsphinx, ...).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_spec = importlib.util.spec_from_file_location(
    "make_speech_sample", Path(__file__).with_name("make_speech_sample.py")
)
assert _spec is not None and _spec.loader is not None
sample = importlib.util.module_from_spec(_spec)
sys.modules["make_speech_sample"] = sample
_spec.loader.exec_module(sample)

SEED = sample.SEED + 17
RATE = sample.RATE
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
    hum /= np.sqrt(np.mean(hum**2))
    clatter /= np.sqrt(np.mean(clatter**2)) + 1e-12
    return hum + 0.7 * clatter


def render(spec: dict, speech: np.ndarray) -> np.ndarray:
    """Deterministic int16 audio of one new-site clip (as ``render_clip`` does for the sample)."""
    rng = np.random.default_rng([SEED, spec["clip_index"]])
    clean = np.concatenate(
        [np.zeros(int(spec["lead_s"] * RATE)), speech, np.zeros(int(spec["trail_s"] * RATE))]
    )
    p_speech = sample.power(speech)
    noise = machine_noise(len(clean), rng)
    noise *= np.sqrt(p_speech / sample.power(noise) / 10 ** (spec["snr_db_true"] / 10))
    mix = clean + noise
    if spec["channel"] == "telephone":
        mix = sample.signal.sosfilt(sample._TELEPHONE, mix)
    gain = 10 ** (spec["level_dbfs"] / 20) / np.sqrt(p_speech)
    mix = np.clip(mix * gain, -1.0, 32767 / 32768)
    return np.rint(mix * 32768).astype(np.int16)


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
                    "channel": "telephone" if rng.random() < sample.TELEPHONE_SHARE else "wideband",
                    "level_dbfs": float(rng.uniform(-32, -16)),
                    "lead_s": float(rng.uniform(0.1, 0.8)),
                    "trail_s": float(rng.uniform(0.1, 0.8)),
                }
            )
    table = pd.DataFrame(rows)
    table.insert(0, "clip_index", np.arange(len(table)))
    table.insert(0, "clip_id", [f"site{i:04d}" for i in range(len(table))])
    table["reference"] = [sample.SENTENCES[i] for i in table["sentence_id"]]
    return table[table["sentence_rank"] < KEEP_SENTENCES].reset_index(drop=True)


_ASR = None


def _init_worker() -> None:
    global _ASR
    _ASR = sample.PocketSphinxASR(sentences=sample.SENTENCES)


def _decode(job: tuple[str, np.ndarray]) -> tuple[str, str]:
    clip_id, pcm = job
    assert _ASR is not None
    return clip_id, _ASR((pcm, RATE))


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
    utterances, _ = sample.speak_all(table)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    cache_file = args.cache_dir / f"new-site-{SEED}-{HUM_HZ:g}-{CLATTER_HZ:g}.jsonl"
    done: dict[str, str] = {}
    if cache_file.exists():
        for line in cache_file.read_text().splitlines():
            record = json.loads(line)
            done[record["clip_id"]] = record["hypothesis"]
    pcm = {
        spec["clip_id"]: render(
            spec, utterances[(spec["accent"], spec["speaker"], spec["sentence_id"])]
        )
        for spec in table.to_dict("records")
    }
    order = table.sort_values(["sentence_rank", "clip_index"])["clip_id"]
    todo = [(cid, pcm[cid]) for cid in order if cid not in done]
    print(f"{len(table)} clips, {len(todo)} to decode", flush=True)
    if todo:
        from concurrent.futures import ProcessPoolExecutor

        with (
            ProcessPoolExecutor(max_workers=args.workers, initializer=_init_worker) as pool,
            cache_file.open("a") as out,
        ):
            for i, (clip_id, hyp) in enumerate(pool.map(_decode, todo, chunksize=4), start=1):
                done[clip_id] = hyp
                out.write(json.dumps({"clip_id": clip_id, "hypothesis": hyp}) + "\n")
                if i % 40 == 0:
                    print(f"  {i}/{len(todo)} decoded", flush=True)
    table["hypothesis"] = table["clip_id"].map(done)
    errors, ref_words = sample.word_errors(table["reference"], table["hypothesis"])
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
    audio_dir = args.out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    shipped = set(
        table[table["sentence_rank"] == 0].groupby(["accent", "speaker"])["clip_id"].first()
    )
    for cid in sorted(shipped):
        sf.write(audio_dir / f"{cid}.ogg", pcm[cid], RATE, format="OGG", subtype="VORBIS")
    rel_audio = (args.out / "audio").resolve()
    try:
        rel = rel_audio.relative_to(REPO).as_posix()
    except ValueError:
        rel = rel_audio.as_posix()
    table["audio_path"] = [
        f"{rel}/{cid}.ogg" if cid in shipped else None for cid in table["clip_id"]
    ]
    for col in ("accent", "speaker", "noise_type", "condition", "channel"):
        table[col] = table[col].astype("category")
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
    table[columns].to_parquet(args.out / "new_site_clips.parquet", index=False, compression="zstd")
    wer = table["word_errors"].sum() / table["ref_words"].sum()
    print(f"new-site WER {wer:.1%} over {len(table)} clips")
    by = table.groupby("accent", observed=True)[["word_errors", "ref_words"]].sum()
    print((by["word_errors"] / by["ref_words"]).round(3))
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
