"""What the speech sample's two build scripts share.

``make_speech_sample.py`` (the 4,160-clip sample) and ``make_speech_new_site.py`` (its
"new site") speak the same sentences with the same espeak-ng voices, pad, mix, band-limit
and level each clip the same seeded way, transcribe with the same recogniser (cached, in
worker processes) and write the same columns and audio files. Those parts live here; each
script keeps only its own design and noise.

It also says which clips ship their audio: every clip on the first page of member rows of
the top slices (the first page of the slice table) of the scans the sample is shown with
-- the audit app's speech sample, the scans of ``notebooks/02_speech_accent_noise.ipynb``
and ``tests/test_speech_sample_scan.py`` -- in row order and worst errors first
(:data:`SHOWN_SCANS`, :func:`first_page_clips`), and the rows the last-mile view of
``notebooks/05_last_mile.ipynb`` shows on both sides (:func:`last_mile_clips`).
``tests/test_speech_sample_media.py`` checks that every one of them has its audio.
"""

from __future__ import annotations

import inspect
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import soundfile as sf
from scipy import signal

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

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
TELEPHONE_SHARE = 0.25
#: Columns of both tables, in order (the descriptor columns go before ``audio_path``).
DESIGN_COLUMNS = [
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
]
CATEGORIES = ("accent", "speaker", "noise_type", "condition", "channel")
#: Ogg Vorbis at its lowest quality setting (about 32 kbit/s at 16 kHz mono): still wideband,
#: so the telephone band stays audible, and descriptors recomputed from it stay close.
OGG_QUALITY = {"format": "OGG", "subtype": "VORBIS", "compression_level": 1.0}


# -- voices and noise ------------------------------------------------------------------------
def voice_of(accent: str, speaker: str) -> str:
    return accent + SPEAKERS[speaker]


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


def speak_all(table: pd.DataFrame) -> tuple[dict, list[np.ndarray]]:
    """Each (accent, speaker, sentence) of ``table`` spoken once, and the babble talkers."""
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


def power(x: np.ndarray) -> float:
    return float(np.mean(x**2))


TELEPHONE = signal.butter(6, [300, 3400], btype="bandpass", fs=RATE, output="sos")


def padded(spec: dict, speech: np.ndarray) -> np.ndarray:
    """The utterance with the clip's leading and trailing silence."""
    lead = np.zeros(int(spec["lead_s"] * RATE))
    trail = np.zeros(int(spec["trail_s"] * RATE))
    return np.concatenate([lead, speech, trail])


def mix(spec: dict, speech: np.ndarray, clean: np.ndarray, noise: np.ndarray, snr_db: float):
    """``clean`` plus ``noise`` at ``snr_db`` (against the utterance's own power), through the
    clip's channel, at its level; int16, rounded (never truncated: truncation makes exact
    digital silence, which the recogniser decodes worse)."""
    p_speech = power(speech)
    noise = noise * np.sqrt(p_speech / power(noise) / 10 ** (snr_db / 10))
    mixed = clean + noise
    if spec["channel"] == "telephone":
        mixed = signal.sosfilt(TELEPHONE, mixed)
    gain = 10 ** (spec["level_dbfs"] / 20) / np.sqrt(p_speech)
    mixed = np.clip(mixed * gain, -1.0, 32767 / 32768)
    return np.rint(mixed * 32768).astype(np.int16)


# -- the recogniser --------------------------------------------------------------------------
_ASR: Any = None


def _init_worker() -> None:
    global _ASR
    from workbench.adapters import PocketSphinxASR

    _ASR = PocketSphinxASR(sentences=SENTENCES)


def _decode(job: tuple[str, np.ndarray]) -> tuple[str, str]:
    clip_id, pcm = job
    assert _ASR is not None
    return clip_id, _ASR((pcm, RATE))


def read_cache(cache_file: Path) -> dict[str, str]:
    done: dict[str, str] = {}
    if cache_file.exists():
        for line in cache_file.read_text().splitlines():
            record = json.loads(line)
            done[record["clip_id"]] = record["hypothesis"]
    return done


def transcribe_cached(
    todo: list[str], render: Callable[[str], np.ndarray], cache_file: Path, workers: int
) -> dict[str, str]:
    """Transcripts of every clip: the cached ones, and ``todo`` decoded in ``workers``
    processes, rendered 100 at a time and appended to ``cache_file`` (a rerun resumes)."""
    done = read_cache(cache_file)
    todo = [clip_id for clip_id in todo if clip_id not in done]
    print(f"ASR: {len(done)} cached, {len(todo)} to decode with {workers} processes", flush=True)
    if not todo:
        return done
    start = time.time()
    with (
        ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool,
        cache_file.open("a") as out,
    ):
        for lo in range(0, len(todo), 100):
            jobs = [(clip_id, render(clip_id)) for clip_id in todo[lo : lo + 100]]
            for clip_id, hyp in pool.map(_decode, jobs, chunksize=4):
                done[clip_id] = hyp
                out.write(json.dumps({"clip_id": clip_id, "hypothesis": hyp}) + "\n")
            out.flush()
            n = lo + len(jobs)
            print(f"  {n}/{len(todo)} decoded, {n / (time.time() - start):.1f} clips/s", flush=True)
    return done


# -- the tables and the shipped audio --------------------------------------------------------
def audio_folder(out: Path, root: Path) -> tuple[Path, str]:
    """The audio folder under ``out`` and its path as ``audio_path`` writes it (relative
    to ``root`` when inside it)."""
    audio_dir = out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    try:
        rel = audio_dir.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = audio_dir.resolve().as_posix()
    return audio_dir, rel


def write_audio(
    audio_dir: Path, pcm: Iterable[tuple[str, np.ndarray]], *, prefix: str
) -> list[str]:
    """Write each ``(clip_id, int16 samples)`` as ``<clip_id>.ogg``, after removing the old
    ``<prefix>*`` files; the clip ids written."""
    for old in [*audio_dir.glob(f"{prefix}*.ogg"), *audio_dir.glob(f"{prefix}*.flac")]:
        old.unlink()
    written = []
    for clip_id, samples in pcm:
        sf.write(audio_dir / f"{clip_id}.ogg", samples, RATE, **OGG_QUALITY)
        written.append(clip_id)
    return written


def audio_paths(clip_ids: pd.Series, shipped: set[str], rel: str) -> list[str | None]:
    return [f"{rel}/{cid}.ogg" if cid in shipped else None for cid in clip_ids]


def final_table(table: pd.DataFrame, descriptor_columns: Iterable[str]) -> pd.DataFrame:
    """The columns both parquet files have, in order, with their category types."""
    table = table.copy()
    table["snr_db_true"] = table["snr_db_true"].astype("float64")
    for col in CATEGORIES:
        if not isinstance(table[col].dtype, pd.CategoricalDtype):
            table[col] = table[col].astype("category")
    return table[[*DESIGN_COLUMNS, *descriptor_columns, "audio_path"]]


# -- which clips ship their audio ------------------------------------------------------------
def _snr_label(value: float) -> str:
    return "clean" if np.isnan(value) else f"{value:.0f} dB"


def _quiet(clips: pd.DataFrame) -> pd.DataFrame:
    return clips[clips["snr_db_true"].isna() | (clips["snr_db_true"] == 20)]


def _app_features() -> list[str]:
    from workbench.app import SAMPLE_CHOICES

    features = SAMPLE_CHOICES["speech"].features
    assert features is not None
    return list(features)


#: The scans the sample is shown with: (name, rows, features, scan options). The first
#: two are those of ``tests/test_speech_sample_scan.py`` and notebook 02 (the notebook's
#: explorer opens on the first), the third notebook 02's scan of the descriptors; "app" is
#: the audit app's speech sample with its default scan; "all columns" a first look with
#: every column and the default scan. Keep it in step with those when they change.
SHOWN_SCANS: list[tuple[str, Callable[[pd.DataFrame], pd.DataFrame], Any, dict]] = [
    (
        "accent and noise",
        lambda clips: clips,
        ["accent", "speaker", "noise_type", "snr", "channel"],
        {"alpha": 0.99, "k": 40},
    ),
    ("quiet audio", _quiet, ["accent", "speaker", "channel"], {"alpha": 0.99}),
    (
        "descriptors",
        lambda clips: clips,
        [
            "accent",
            "snr_db",
            "loudness_dbfs",
            "clipping_share",
            "speaking_rate_wps",
            "bandwidth_hz",
        ],
        {"k": 8},
    ),
    ("app", lambda clips: clips, _app_features, {}),
    ("all columns", lambda clips: clips, None, {}),
]


#: The last-mile example (notebook 05): the vendor's conditions, the features, the scan.
LAST_MILE_CONDITIONS = ("white 10 dB", "white 5 dB", "pink 10 dB", "pink 5 dB")
LAST_MILE_FEATURES = ["accent", "speaker", "snr", "channel"]
LAST_MILE_SCAN = {"min_support": 10, "k": 8}


def last_mile_clips(clips: pd.DataFrame, site: pd.DataFrame) -> dict[str, set[str]]:
    """Clip ids the last-mile view shows (its rows, worst first, on both sides) for every
    slice of notebook 05's differential scan, keyed by ``"before|after: <slice>"``."""
    import workbench as wb
    from workbench.widgets import ChangeView

    n_rows = int(inspect.signature(ChangeView.__init__).parameters["page_size"].default)
    vendor = clips[clips["condition"].isin(LAST_MILE_CONDITIONS)]
    kw: dict[str, Any] = {
        "label": "reference",
        "prediction": "hypothesis",
        "metric": "wer",
        "features": LAST_MILE_FEATURES,
        "path": ":memory:",
    }
    before = wb.Workbench.from_predictions(
        vendor.assign(snr=vendor["snr_db_true"].map(_snr_label)).reset_index(drop=True), **kw
    )
    after = wb.Workbench.from_predictions(
        site.assign(snr=site["snr_db_true"].map(_snr_label)), **kw
    )
    out: dict[str, set[str]] = {}
    for s in after.scan(baseline=before, **LAST_MILE_SCAN):
        for side, bench in (("before", before), ("after", after)):
            rows = bench.members(list(s.predicates), limit=n_rows, worst_first=True)
            out[f"{side}: {s.description}"] = set(rows["clip_id"])
    before.close()
    after.close()
    return out


def page_sizes() -> tuple[int, int]:
    """The explorer's default slice-table page and member-row page sizes."""
    from workbench.widgets import Explorer

    defaults = inspect.signature(Explorer.__init__).parameters
    return int(defaults["page_size"].default), int(defaults["rows_page_size"].default)


def first_page_clips(clips: pd.DataFrame) -> dict[str, set[str]]:
    """Clip ids on the first member-row page (row order, and worst errors first) of each
    slice on the first page of every scan in :data:`SHOWN_SCANS` (and of notebook 02's
    distinct groups), keyed by ``"<scan>: <slice>"``."""
    import workbench as wb

    n_slices, n_rows = page_sizes()
    clips = clips.assign(snr=clips["snr_db_true"].map(_snr_label))
    out: dict[str, set[str]] = {}
    for name, rows, features, options in SHOWN_SCANS:
        frame = rows(clips).reset_index(drop=True)
        bench = wb.Workbench.from_predictions(
            frame,
            label="reference",
            prediction="hypothesis",
            metric="wer",
            features=features() if callable(features) else features,
            path=":memory:",
        )
        findings = bench.scan(**options)
        lists = [(name, findings)]
        if name == "accent and noise":
            lists.append(("distinct groups", bench.distinct(findings, max_overlap=0.3)))
        for list_name, found in lists:
            for s in list(found)[:n_slices]:
                key = f"{list_name}: {s.description}"
                out[key] = set()
                for worst in (False, True):
                    members = bench.members(s, limit=n_rows, worst_first=worst)
                    out[key] |= set(members["clip_id"])
        bench.close()
    return out
