"""Throughput of ImageDescriptors on a folder of 256x256 JPEG files.

Renders ``--distinct`` procedural faces, writes ``--images`` JPEG files (the
distinct faces repeated under new names) to a temporary folder, then times
``ImageDescriptors(n_jobs=...).extract(paths)`` end to end: reading and
decoding the files, face detection, light correction and every descriptor.
The target is 10,000 images in under 2 minutes on 2 cores.

Usage::

    python benchmarks/bench_image_descriptors.py                 # 10,000 images, 2 threads
    python benchmarks/bench_image_descriptors.py --images 2000 --n-jobs 1
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from PIL import Image

from workbench.features.image import ImageDescriptors
from workbench.samples import render_faces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--distinct", type=int, default=500)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        images, _ = render_faces(args.distinct, size=args.size, seed=1)
        encoded = []
        for image in images:
            path = Path(folder) / "encode.jpg"
            Image.fromarray(image).save(path, quality=90)
            encoded.append(path.read_bytes())
        paths = []
        for i in range(args.images):
            path = Path(folder) / f"image_{i:05d}.jpg"
            path.write_bytes(encoded[i % len(encoded)])
            paths.append(str(path))
        print(
            f"prepared {args.images} {args.size}x{args.size} JPEG files "
            f"in {time.perf_counter() - started:.1f} s"
        )

        print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
        with ImageDescriptors(n_jobs=args.n_jobs, chunk_size=64) as extractor:
            started = time.perf_counter()
            cpu = time.process_time()
            frame = extractor.extract(paths)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
        assert len(frame) == args.images
        # with one process the CPU time says what an idle core would do, whatever the load
        per_cpu = f", {args.images / cpu:.0f} images per CPU second" if args.n_jobs == 1 else ""
        print(
            f"descriptors for {args.images} images with n_jobs={args.n_jobs}: "
            f"{elapsed:.1f} s total, {args.images / elapsed:.0f} images/s{per_cpu} "
            f"({frame['face_found'].mean():.0%} faces found)"
        )


if __name__ == "__main__":
    main()
