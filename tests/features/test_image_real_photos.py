"""Regression set of real photographs: faces found, no face means no skin tone, ITA stability.

Every real photograph found in registry packages: scikit-image's bundled
photos (always present with the extra), scikit-learn's two sample photos
(a core dependency) and the sample images of the ``insightface`` wheel
(fetched by ``scripts/get_real_media.sh``; skipped when absent). Expected outputs were checked by eye once (the face centres of the
group photo are in ``real_media.T1_FACES``) and are written here. All the real
faces are light-skinned: no real photograph of a darker-skinned face was found
in the registries, so these tests say nothing about accuracy on darker skin.
Measured figures are quoted next to each bound (about 40 s in all).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("skimage")

from PIL import Image
from skimage import data
from sklearn.datasets import load_sample_image

from workbench.features.image import describe_faces, describe_image
from workbench.features.image._color import (
    lab_to_linear_rgb,
    linear_to_srgb_uint8,
    srgb_to_linear,
)

from .real_media import T1_FACES, insightface_image

pytestmark = pytest.mark.slow

NO_FACE_PHOTOS = {
    "coffee": data.coffee,
    "chelsea (a cat)": data.chelsea,
    "rocket": data.rocket,
    "motorcycle": lambda: data.stereo_motorcycle()[0],
    # the detector's highest scores on photos without a face (0.56-0.59; faces need 0.6)
    "colour wheel": data.colorwheel,
    "hubble deep field": data.hubble_deep_field,
    "stained tissue": data.immunohistochemistry,
    "retina": data.retina,
    "temple (scikit-learn's china.jpg)": lambda: load_sample_image("china.jpg"),
    "flower (scikit-learn)": lambda: load_sample_image("flower.jpg"),
    # a frame 14 x 25 pixels of a standing person: far too small for a face
    "tiny GIF": lambda: _rgb(Path(data.__file__).parent / "no_time_for_that_tiny.gif"),
}
#: scikit-image's greyscale photographs and scans without a face.
NO_FACE_GREY = (
    "brick",
    "cell",
    "coins",
    "grass",
    "gravel",
    "microaneurysms",
    "moon",
    "page",
    "text",
)
#: The face of scikit-image's greyscale "camera" photo (512 x 512), checked by eye.
CAMERA_FACE = (227, 163)
NO_FACE_MASKS = ("mask_black.jpg", "mask_blue.jpg", "mask_green.jpg", "mask_white.jpg")


def _rgb(path) -> np.ndarray:
    with Image.open(path) as image:  # a GIF's file stays open for its other frames
        return np.asarray(image.convert("RGB"))


def _darker(rgb: np.ndarray, light: float) -> np.ndarray:
    return linear_to_srgb_uint8(srgb_to_linear(rgb) * light)


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def _single_faces() -> dict[str, np.ndarray]:
    """The astronaut, and each person of the group photo cropped on their own."""
    faces = {"astronaut": data.astronaut()}
    group = _rgb(insightface_image("t1.jpg"))
    for index, (x, y) in enumerate(T1_FACES):
        faces[f"t1 person {index + 1}"] = np.ascontiguousarray(
            group[max(0, y - 150) : y + 150, max(0, x - 120) : x + 120]
        )
    return faces


@pytest.fixture(scope="module")
def single_faces() -> dict[str, np.ndarray]:
    return _single_faces()


@pytest.mark.parametrize("name", list(NO_FACE_PHOTOS))
def test_photos_without_a_face_get_no_skin_tone(name: str) -> None:
    row = describe_image(NO_FACE_PHOTOS[name]())
    assert row["face_count"] == 0
    assert row["skin_tone"] == "no_face"
    assert math.isnan(row["skin_ita_deg"])
    # no face, no reference claimed (the sclera correction said "sclera" here)
    assert (row["skin_reference"], row["skin_correction"]) == ("none", "no_face")


@pytest.mark.parametrize("name", NO_FACE_GREY)
def test_greyscale_photos_without_a_face_get_no_skin_tone(name: str) -> None:
    grey = getattr(data, name)()
    row = describe_image(np.ascontiguousarray(np.stack([grey] * 3, axis=-1)))
    assert (row["face_count"], row["skin_tone"]) == (0, "no_face")


def test_the_cameraman_is_found_and_gets_no_tone_in_greyscale() -> None:
    faces = describe_faces(np.stack([data.camera()] * 3, axis=-1))
    assert len(faces) == 1
    x, y = CAMERA_FACE
    assert abs(faces.loc[0, "face_x"] + faces.loc[0, "face_w"] / 2 - x) < 30
    assert abs(faces.loc[0, "face_y"] + faces.loc[0, "face_h"] / 2 - y) < 30
    assert faces.loc[0, "skin_tone"] == "unknown"


def test_mask_textures_get_no_skin_tone() -> None:
    for name in NO_FACE_MASKS:
        row = describe_image(_rgb(insightface_image(name)))
        assert (row["face_count"], row["skin_tone"]) == (0, "no_face"), name


def test_every_face_of_the_group_photo_is_found() -> None:
    faces = describe_faces(_rgb(insightface_image("t1.jpg")))
    assert len(faces) == len(T1_FACES)  # six people, no hand or picture frame
    assert faces["face_index"].tolist() == list(range(6))
    assert (faces["face_count"] == 6).all()
    centres = np.column_stack(
        [faces["face_x"] + faces["face_w"] / 2, faces["face_y"] + faces["face_h"] / 2]
    )
    for x, y in T1_FACES:
        distance = np.hypot(centres[:, 0] - x, centres[:, 1] - y)
        assert distance.min() < 40, (x, y)
    assert set(faces["skin_tone"]) <= {"light", "very_light"}
    row = describe_image(_rgb(insightface_image("t1.jpg")))
    assert row["face_count"] == 6


def test_each_single_face_is_found_tilted_and_downcast_too(single_faces) -> None:
    for name, rgb in single_faces.items():
        row = describe_image(rgb)
        assert row["face_count"] == 1, name
        # light-skinned people: measured ITA 55.0-67.5 degrees (very_light)
        assert 45.0 < row["skin_ita_deg"] < 75.0, (name, row["skin_ita_deg"])


def test_a_greyscale_face_gets_no_skin_tone() -> None:
    row = describe_image(_rgb(insightface_image("Tom_Hanks_54745.png")))
    assert row["face_count"] == 1
    assert row["skin_tone"] == "unknown" and math.isnan(row["skin_ita_deg"])


def test_ita_holds_under_half_the_light(single_faces) -> None:
    # measured drift 0.2-1.0 degrees over the seven faces (the raw ITA moves 18-24)
    for name, rgb in single_faces.items():
        before, after = describe_image(rgb), describe_image(_darker(rgb, 0.5))
        assert after["face_count"] == 1, name
        assert abs(after["skin_ita_deg"] - before["skin_ita_deg"]) <= 2.0, name
        # measured: all seven "dim" (mean luma 0.33-0.44, exposure gain 1.4-2.1)
        assert after["lighting"] == "dim", name


def test_a_photo_too_dark_to_normalise_gets_no_tone(single_faces) -> None:
    # at 1/12 of the light the bright end would need a gain above 8: the faces are still
    # found, but the raw ITA (measured -73 .. -78 degrees, "dark" for light skin) is the
    # light, not the skin, so none is given. At 1/8 the correction still holds (<= 0.5).
    for name, rgb in single_faces.items():
        row = describe_image(_darker(rgb, 1 / 12))
        assert row["face_count"] == 1, name
        assert (row["skin_reference"], row["skin_correction"]) == (
            "too_dark",
            "cannot_correct_dark",
        )
        assert row["skin_tone"] == "unknown" and math.isnan(row["skin_ita_deg"]), name
        assert row["skin_ita_deg_uncorrected"] < -60.0


def test_a_gamma_curve_is_neither_detected_nor_corrected(single_faces) -> None:
    # a known limit, written down so the README's figure stays true: gamma 1.6 darkens
    # ITA by 7.2-25.4 degrees over the seven faces and no column says so (one picture
    # cannot tell a gamma curve from darker skin)
    for name, rgb in single_faces.items():
        before = describe_image(rgb)
        curved = np.round(255.0 * (rgb / 255.0) ** 1.6).astype(np.uint8)
        after = describe_image(curved)
        assert -30.0 <= after["skin_ita_deg"] - before["skin_ita_deg"] <= -5.0, name
        assert after["skin_correction"] != "cannot_correct_dark", name


def test_ita_under_jpeg_quality_30_is_bounded(single_faces) -> None:
    # measured 0.3-4.3 degrees over the seven faces (5.9 on an earlier skin sampling)
    for name, rgb in single_faces.items():
        before, after = describe_image(rgb), describe_image(_jpeg(rgb, 30))
        assert abs(after["skin_ita_deg"] - before["skin_ita_deg"]) <= 8.0, name


def test_ita_under_a_tighter_or_looser_crop_is_bounded() -> None:
    # the astronaut cropped to her head and shoulders, and padded with a grey border.
    # Measured: padded +3.5 degrees (the face is smaller in the work image); the tight
    # crop +6.4, because cropping away the white spacesuit moves the exposure
    # reference (the white-patch assumption; +15.9 with a 99th-percentile reference)
    photo = data.astronaut()
    full = describe_image(photo)["skin_ita_deg"]
    tight = describe_image(np.ascontiguousarray(photo[20:260, 110:340]))["skin_ita_deg"]
    padded = describe_image(np.pad(photo, ((128, 128), (128, 128), (0, 0)), constant_values=128))
    assert abs(padded["skin_ita_deg"] - full) <= 4.0
    assert abs(tight - full) <= 18.0


def test_skin_is_read_on_the_face_not_on_skin_coloured_surroundings() -> None:
    # the astronaut in a 128-pixel frame, grey or in one of three skin colours (tan,
    # brown, light): measured ITA 51.1 in grey, 51.1-51.8 in the skin colours
    photo = np.pad(data.astronaut(), ((128, 128), (128, 128), (0, 0)), constant_values=128)
    frame = np.ones(photo.shape[:2], bool)
    frame[128:-128, 128:-128] = False
    grey = describe_image(photo)["skin_ita_deg"]
    for lab in ((60.0, 15.0, 25.0), (45.0, 18.0, 30.0), (70.0, 10.0, 18.0)):
        framed = photo.copy()
        framed[frame] = linear_to_srgb_uint8(lab_to_linear_rgb(lab))
        row = describe_image(framed)
        assert row["face_count"] == 1
        assert abs(row["skin_ita_deg"] - grey) <= 1.5, lab
        # the same skin colour with no face in it has no tone
        wall = np.ascontiguousarray(framed[:128])
        assert describe_image(wall)["skin_tone"] == "no_face"


def test_the_correction_does_not_bias_real_faces(single_faces) -> None:
    # exposure normalisation vs raw ITA: the six people of the group photo -0.9 ..
    # +0.7 degrees, the astronaut -8.9 (her white spacesuit is saturated, so the
    # white-patch reference reads the photo as overexposed); median -0.1. A
    # 99th-percentile reference moved the seven by -5.1 .. +2.6 (median +1.2), the
    # sclera correction before it darkened all by 4-27 degrees.
    shifts = {}
    for name, rgb in single_faces.items():
        row = describe_image(rgb)
        shifts[name] = row["skin_ita_deg"] - row["skin_ita_deg_uncorrected"]
    assert abs(shifts.pop("astronaut")) <= 10.0
    assert max(abs(s) for s in shifts.values()) <= 2.0
    assert abs(float(np.median(list(shifts.values())))) <= 1.0


def test_sharpness_does_not_grow_when_a_photo_is_downscaled() -> None:
    photo = data.astronaut()
    small = np.asarray(Image.fromarray(photo).resize((96, 96), Image.Resampling.LANCZOS))
    assert describe_image(small)["sharpness"] <= describe_image(photo)["sharpness"]
    # the 14 x 25 GIF scored the sharpest of all before; measured 2.3 against 367-2379
    tiny = describe_image(NO_FACE_PHOTOS["tiny GIF"]())["sharpness"]
    others = [describe_image(NO_FACE_PHOTOS[name]())["sharpness"] for name in ("coffee", "rocket")]
    assert tiny < 0.1 * min(others)


def test_a_warm_cast_is_flagged_not_corrected(single_faces) -> None:
    # a warm light (linear gains 1.0 / 0.86 / 0.66) moves ITA by -11.6 .. -18.0
    # degrees; it is not corrected, but the tinted brightest areas flag 6 of the 7
    # faces "cannot_correct_cast". Without the cast 4 of 7 are flagged already: the
    # group photo is lit warm (or its walls are beige); a single picture cannot tell.
    warm = np.array([1.0, 0.86, 0.66]) / 0.87
    flagged = 0
    for rgb in single_faces.values():
        row = describe_image(linear_to_srgb_uint8(srgb_to_linear(rgb) * warm))
        flagged += row["skin_correction"] == "cannot_correct_cast"
    assert flagged >= 5
    assert describe_image(data.astronaut())["skin_correction"] == "exposure"
