"""Build the procedural face sample shipped in ``sample_data/images``.

No real face dataset with skin-tone, lighting and scene attributes installs
offline, so this script draws one (``workbench.samples.render_faces``):
cartoon faces with skin colours drawn in CIELab across all six ITA bins,
dim / normal / bright light with warm / neutral / cool casts and noise,
indoor and outdoor backgrounds. The task label is ``smiling``.

1. Render a training set where dim light on brown and dark skin is rare
   (the skew a real photo collection often has), and train a small neural
   network (scikit-learn) on edge-orientation features of a fixed face crop
   to predict ``smiling``. The same model trained on an unskewed render is
   the control: it shows the failure comes from the skew.
2. Render a test set, predict it, and compute the descriptors with
   ``ImageDescriptors`` (what a user would run on their own images).
3. Scan the test set's measured descriptors as the notebook and the app do,
   and ship as JPEG files in ``png/`` every row shown on the first page of
   member rows (in row order and worst first) of each slice on the first page
   of the slice table, plus the first ``--shipped`` test images.
4. Write ``image_predictions.parquet`` (one row per test image; ``image_path``
   is empty for rows without a file), a figure of measured
   vs true ITA before and after the light correction, and print the figures
   quoted in ``sample_data/images/README.md`` (including the real photographs
   that ship with scikit-image).

Everything is seeded: re-running gives the same files. Usage::

    python scripts/make_image_sample.py            # about a minute on 2 cores
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from PIL import Image
from skimage import data as skimage_data
from sklearn.neural_network import MLPClassifier

import workbench as wb
from workbench.features.image import SKIN_TONE_ORDER, ImageDescriptors
from workbench.features.image._color import linear_to_srgb_uint8, srgb_to_linear
from workbench.samples import IMAGE_FEATURES, render_faces

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "sample_data" / "images"
TRAIN_SEED = 20261123
TEST_SEED = 20261124
# keep-probabilities per (lighting, skin tone) cell of the training draw
TRAIN_SKEW = {
    ("dim", "dark"): 0.04,
    ("dim", "brown"): 0.15,
    ("normal", "dark"): 0.5,
    ("bright", "dark"): 0.5,
}
#: Slices on the slice table's first page and member rows on a slice's first page
#: (the explorer's ``page_size`` and ``rows_page_size``).
TOP_SLICES = 10
ROWS_PAGE = 20
LIGHTING_COLOURS = {"dim": (40, 40, 200), "normal": (40, 160, 40), "bright": (230, 140, 20)}


# Faces are drawn roughly centred (the renderer moves them by a few pixels), so a
# fixed crop holds eyes, nose and mouth; the model sees nothing the renderer knows.
FACE_CROP = (slice(48, 104), slice(28, 100))  # rows, columns of a 128x128 image
CANNY_THRESHOLDS = (40, 80)  # on 8-bit grayscale, fixed for every image
CELL = 6  # pixels per side of a feature cell
ORIENTATIONS = 4


def edge_features(images: list[np.ndarray]) -> np.ndarray:
    """Edge-orientation densities of the face crop: Canny edges, binned by orientation per cell.

    Fixed Canny thresholds keep the edges a typical photo has. On dark skin in
    dim light only the strongest edges (teeth, eyes) survive: a sparse edge
    map that a model trained on few such faces has hardly seen, which is
    where it fails. Trained on enough of them, it reads them well (the control).
    """
    rows = []
    for image in images:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[FACE_CROP]
        edges = cv2.Canny(gray, *CANNY_THRESHOLDS) > 0
        gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0)
        gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1)
        angle = np.arctan2(gy, gx) % np.pi
        bins = (angle / (np.pi / ORIENTATIONS)).astype(int) % ORIENTATIONS
        height, width = (gray.shape[0] // CELL) * CELL, (gray.shape[1] // CELL) * CELL
        cells = [
            (edges & (bins == k))[:height, :width]
            .reshape(height // CELL, CELL, width // CELL, CELL)
            .mean(axis=(1, 3))
            for k in range(ORIENTATIONS)
        ]
        rows.append(np.stack(cells, axis=-1).ravel())
    return np.asarray(rows, dtype=np.float32)


def smile_model() -> MLPClassifier:
    return MLPClassifier(
        hidden_layer_sizes=(64,), alpha=1e-3, max_iter=200, early_stopping=True, random_state=0
    )


def cell_errors(frame: pd.DataFrame, wrong: np.ndarray) -> pd.DataFrame:
    """Error rate per true lighting x true skin tone (skin tones light to dark)."""
    table = (
        pd.Series(wrong.astype(float))
        .groupby([frame["true_lighting"].to_numpy(), frame["true_skin_tone"].to_numpy()])
        .mean()
        .unstack()
    )
    return table.loc[list(LIGHTING_COLOURS), list(SKIN_TONE_ORDER)]


def ita_figure(frame: pd.DataFrame, path: Path) -> None:
    """Two scatter panels: measured vs true ITA, raw and corrected (drawn with OpenCV)."""
    panel, pad = 300, 40
    canvas = np.full((panel + 2 * pad, 2 * panel + 3 * pad, 3), 255, np.uint8)
    low, high = -60.0, 75.0

    def to_px(value: float) -> int:
        return round((np.clip(value, low, high) - low) / (high - low) * (panel - 1))

    for index, (column, title) in enumerate(
        [("skin_ita_deg_uncorrected", "raw ITA"), ("skin_ita_deg", "after light correction")]
    ):
        x0, y0 = pad + index * (panel + pad), pad
        cv2.rectangle(canvas, (x0, y0), (x0 + panel, y0 + panel), (0, 0, 0), 1)
        for edge in (55, 41, 28, 10, -30):
            p = to_px(edge)
            cv2.line(canvas, (x0 + p, y0), (x0 + p, y0 + panel), (225, 225, 225), 1)
            cv2.line(canvas, (x0, y0 + panel - p), (x0 + panel, y0 + panel - p), (225, 225, 225), 1)
        cv2.line(canvas, (x0, y0 + panel), (x0 + panel, y0), (150, 150, 150), 1)
        for lighting, colour in LIGHTING_COLOURS.items():
            rows = frame[(frame["true_lighting"] == lighting) & frame[column].notna()]
            for true, found in zip(rows["true_ita_deg"], rows[column], strict=True):
                cv2.circle(canvas, (x0 + to_px(true), y0 + panel - to_px(found)), 1, colour, -1)
        cv2.putText(canvas, title, (x0 + 5, y0 - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
        cv2.putText(
            canvas,
            "true ITA (deg) ->",
            (x0 + panel - 130, y0 + panel + 25),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4,
            (0, 0, 0),
            1,
        )
    for i, (lighting, colour) in enumerate(LIGHTING_COLOURS.items()):
        cv2.putText(
            canvas,
            lighting,
            (pad + 5 + 70 * i, pad + panel + 25),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            colour,
            1,
        )
    Image.fromarray(canvas).save(path, optimize=True)


def first_page_rows(frame: pd.DataFrame) -> list[int]:
    """Positions of the rows shown on the first member page of each top slice."""
    bench = wb.Workbench.from_predictions(
        frame,
        label="smiling",
        prediction="prediction",
        score="score",
        features=list(IMAGE_FEATURES),
        path=":memory:",
    )
    try:
        findings = bench.scan()
        ids: set[str] = set()
        for found in list(findings)[:TOP_SLICES]:
            for worst_first in (False, True):
                members = bench.members(found, limit=ROWS_PAGE, worst_first=worst_first)
                ids.update(members["image_id"])
        print(f"top slice: {findings[0].description} ({findings[0].slice_error:.1%} error)")
    finally:
        bench.close()
    position = {image_id: i for i, image_id in enumerate(frame["image_id"])}
    return sorted(position[i] for i in ids)


def real_photos() -> pd.DataFrame:
    astronaut = skimage_data.astronaut()
    linear = srgb_to_linear(astronaut)
    photos = {
        "astronaut": astronaut,
        "astronaut, gamma 1.6": (255.0 * (astronaut / 255.0) ** 1.6 + 0.5).astype(np.uint8),
        "astronaut, 35 % light": linear_to_srgb_uint8(linear * 0.35),
        "astronaut, warm cast": linear_to_srgb_uint8(linear * np.array([1.0, 0.86, 0.66]) / 0.87),
        "coffee": skimage_data.coffee(),
        "chelsea": skimage_data.chelsea(),
        "rocket": skimage_data.rocket(),
    }
    frame = ImageDescriptors().extract(list(photos.values()))
    frame.insert(0, "photo", list(photos))
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=10000)
    parser.add_argument("--test", type=int, default=5000)
    parser.add_argument("--shipped", type=int, default=300)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()

    # Descriptors first, then the scikit-learn fit (the order the sample was built in).
    test_images, test = render_faces(args.test, seed=TEST_SEED)
    with ImageDescriptors(n_jobs=args.n_jobs) as extractor:
        descriptors = extractor.extract(test_images)
    print(f"described {len(test)} test faces in {time.perf_counter() - started:.0f} s")

    train_images, train = render_faces(args.train, seed=TRAIN_SEED, skew=TRAIN_SKEW)
    model = smile_model().fit(edge_features(train_images), train["smiling"])
    print(f"trained on {len(train)} rendered faces in {time.perf_counter() - started:.0f} s")
    print(pd.crosstab(train["true_lighting"], train["true_skin_tone"])[list(SKIN_TONE_ORDER)])

    test_features = edge_features(test_images)
    score = model.predict_proba(test_features)[:, 1]
    test.insert(0, "image_id", [f"face_{i:05d}" for i in range(len(test))])
    test["prediction"] = score >= 0.5
    test["score"] = score.round(4)
    test["error"] = (test["prediction"] != test["smiling"]).astype(int)
    frame = pd.concat([test, descriptors], axis=1)

    png = OUT / "png"
    png.mkdir(parents=True, exist_ok=True)
    for old in [*png.glob("*.png"), *png.glob("*.jpg")]:
        old.unlink()
    shipped = sorted(set(range(min(args.shipped, len(frame)))) | set(first_page_rows(frame)))
    paths: list[str | None] = [None] * len(frame)
    for i in shipped:
        # JPEG: the sensor noise makes PNG files five times larger
        path = png / f"{frame.loc[i, 'image_id']}.jpg"
        Image.fromarray(test_images[i]).save(path, quality=85, optimize=True)
        paths[i] = path.relative_to(ROOT).as_posix()
    frame["image_path"] = paths
    frame.drop(columns=["error"]).to_parquet(
        OUT / "image_predictions.parquet", index=False, compression="zstd"
    )
    ita_figure(frame, OUT / "ita_correction.png")

    print(
        f"\nwrote {len(frame)} rows, {len(shipped)} JPEG files in "
        f"{time.perf_counter() - started:.0f} s"
    )
    print(f"\nclassifier error overall: {frame['error'].mean():.1%}")
    print("error by true lighting x true skin tone:")
    print(cell_errors(frame, frame["error"].to_numpy()).round(3).to_string())
    cells = frame.groupby(["true_lighting", "true_skin_tone"])["error"].agg(["mean", "size"])
    print(cells.sort_values("mean", ascending=False).head(6).round(3).to_string())

    # control: the same model trained on an unskewed render of the same size
    control_images, control = render_faces(args.train, seed=TRAIN_SEED)
    control_model = smile_model().fit(edge_features(control_images), control["smiling"])
    control_wrong = control_model.predict(test_features) != frame["smiling"].to_numpy()
    print(f"\ncontrol (trained without the skew): error overall {control_wrong.mean():.1%}")
    print(cell_errors(frame, control_wrong).round(3).to_string())
    by_found = frame.groupby(["lighting", "skin_tone"])["error"].agg(["mean", "size"])
    print("\nby measured descriptors (lighting x skin_tone):")
    print(by_found.sort_values("mean", ascending=False).head(4).round(3).to_string())

    order = {name: i for i, name in enumerate(SKIN_TONE_ORDER)}
    frame["exact"] = frame["skin_tone"] == frame["true_skin_tone"]
    frame["within_one"] = [
        abs(order.get(found, 99) - order[true])
        for found, true in zip(frame["skin_tone"], frame["true_skin_tone"], strict=True)
    ]
    frame["within_one"] = frame["within_one"] <= 1
    print("\nskin tone accuracy by true lighting:")
    print(frame.groupby("true_lighting")[["exact", "within_one", "face_found"]].mean().round(3))
    print("skin tone accuracy by true skin tone:")
    by_tone = frame.groupby("true_skin_tone")[["exact", "within_one", "face_found"]].mean()
    print(by_tone.loc[list(SKIN_TONE_ORDER)].round(3))
    print(f"exact overall {frame['exact'].mean():.1%}, within one {frame['within_one'].mean():.1%}")
    print("skin_correction by true colour cast:")
    print(pd.crosstab(frame["true_color_cast"], frame["skin_correction"]))
    error = (frame["skin_ita_deg"] - frame["true_ita_deg"]).abs()
    raw = (frame["skin_ita_deg_uncorrected"] - frame["true_ita_deg"]).abs()
    print("\nmedian |ITA error| in degrees, corrected vs raw:")
    print(
        pd.DataFrame({"corrected": error, "raw": raw})
        .groupby(frame["true_lighting"])
        .median()
        .round(2)
    )
    print(f"\nlighting accuracy: {(frame['lighting'] == frame['true_lighting']).mean():.1%}")
    print(f"scene accuracy:    {(frame['scene'] == frame['true_scene']).mean():.1%}")
    print(f"colour cast label: {(frame['color_cast'] == frame['true_color_cast']).mean():.1%}")

    print("\nreal photographs (skimage.data):")
    columns = ["photo", "face_found", "skin_ita_deg_uncorrected", "skin_ita_deg", "skin_tone"]
    columns += ["lighting", "luminance_mean", "color_cast", "scene", "sharpness", "colourfulness"]
    table = real_photos()[columns]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in table.itertuples(index=False):
        print("| " + " | ".join(str(value) for value in row) + " |")


if __name__ == "__main__":
    main()
