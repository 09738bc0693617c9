"""Descriptor throughput on real files: images per second and audio seconds per second.

Real photographs: scikit-image's bundled photos (astronaut, coffee, chelsea,
rocket, motorcycle, camera) and, when ``scripts/get_real_media.sh`` has fetched
them, the insightface wheel's sample images (a six-person group photo, masks).
Real recordings: Debian's ``pocketsphinx-testdata`` clips (16 kHz read speech)
and ``alsa-utils``' channel clips (48 kHz). Each list is repeated to ``--repeat``
passes; every file is described once per pass (``ImageDescriptors``,
``AudioDescriptors``) and, with ``--asr``, transcribed by ``PocketSphinxASR``.

With ``--long N`` the transcribed clips, repeated N times in a shuffled order,
become one long recording, decoded whole and cut at its pauses
(``PocketSphinxASR``'s ``max_segment_s``), and its WER is compared with the
clips decoded one by one.

Usage::

    python benchmarks/bench_real_media.py [--repeat 3] [--jobs 2] [--asr] [--long 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.features.audio import AudioDescriptors, load_audio
from workbench.features.image import ImageDescriptors

REAL_MEDIA = Path(
    os.environ.get("WORKBENCH_REAL_MEDIA", Path.home() / ".cache/slice-workbench/real-media")
)


def photos() -> list[np.ndarray]:
    from PIL import Image
    from skimage import data

    out = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
    out += [data.stereo_motorcycle()[0], np.stack([data.camera()] * 3, axis=-1)]
    out += [
        np.asarray(Image.open(p).convert("RGB")) for p in sorted(REAL_MEDIA.glob("insightface/*"))
    ]
    return out


def recordings() -> list[Path]:
    out = sorted(Path("/usr/share/pocketsphinx/test/data").glob("*/*.wav"))
    return out + sorted(Path("/usr/share/sounds/alsa").glob("*.wav"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--asr", action="store_true", help="also time PocketSphinxASR")
    parser.add_argument(
        "--long", type=int, default=0, help="WER of the clips joined N times into one recording"
    )
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")

    images = photos() * args.repeat
    pixels = sum(im.shape[0] * im.shape[1] for im in images) / len(images)
    for jobs in (1, args.jobs):
        with ImageDescriptors(n_jobs=jobs, chunk_size=4) as extractor:
            start = time.perf_counter()
            cpu = time.process_time()
            frame = extractor.extract(images)
            took = time.perf_counter() - start
            cpu = time.process_time() - cpu
        per_cpu = f", {len(images) / cpu:.1f} per CPU second" if jobs == 1 else ""
        print(
            f"images, n_jobs={jobs}: {len(images)} photos (mean {pixels / 1e6:.2f} Mpx) in "
            f"{took:.1f} s = {len(images) / took:.2f} images/s{per_cpu}; faces found "
            f"{int(frame['face_count'].sum())}"
        )

    clips = recordings()
    if not clips:
        print("audio: no real clips (apt-get install pocketsphinx-testdata alsa-utils)")
        return
    items = clips * args.repeat
    seconds = sum(len(load_audio(c)[0]) / load_audio(c)[1] for c in clips) * args.repeat
    for jobs in (1, args.jobs):
        start = time.perf_counter()
        AudioDescriptors(n_jobs=jobs, min_items_per_job=4).extract(items)
        took = time.perf_counter() - start
        print(
            f"audio descriptors, n_jobs={jobs}: {len(items)} clips, {seconds:.0f} s of audio in "
            f"{took:.2f} s = {seconds / took:.0f} audio seconds/s"
        )
    if args.asr:
        from workbench.adapters import PocketSphinxASR

        asr = PocketSphinxASR()
        start = time.perf_counter()
        for clip in clips:
            asr(clip)
        took = time.perf_counter() - start
        total = seconds / args.repeat
        print(
            f"ASR (PocketSphinx, generic model): {total:.0f} s of audio in {took:.1f} s = {total / took:.2f} audio seconds/s"
        )
    if args.long:
        long_recording(args.long)


def long_recording(times: int) -> None:
    """WER of one long recording, decoded whole and cut at pauses, vs clip by clip."""
    from snr_real_speech import transcripts

    from workbench.adapters import PocketSphinxASR
    from workbench.metrics import error_rate, word_errors

    refs = transcripts()
    paths = list(refs) * times
    order = np.random.default_rng(0).permutation(len(paths))
    audio = np.concatenate([load_audio(paths[i])[0] for i in order])
    reference = " ".join(refs[paths[i]] for i in order)
    asr = PocketSphinxASR()
    start = time.perf_counter()
    clips = [asr(path) for path in refs]
    errors, words = word_errors(list(refs.values()), clips)
    print(
        f"clip by clip: {len(refs)} clips, WER {error_rate(errors, words):.0%} "
        f"({time.perf_counter() - start:.0f} s)"
    )
    for label, max_segment_s in (("cut at pauses", 20.0), ("decoded whole", 1e9)):
        asr.max_segment_s = max_segment_s
        start = time.perf_counter()
        hypothesis = asr((audio, 16000))
        errors, words = word_errors([reference], [hypothesis])
        print(
            f"one {len(audio) / 16000:.0f} s recording, {label}: WER "
            f"{error_rate(errors, words):.0%} ({time.perf_counter() - start:.0f} s)"
        )


if __name__ == "__main__":
    main()
